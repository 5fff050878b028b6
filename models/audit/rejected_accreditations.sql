{#- Accreditation entries of kept facilities that take no part in date logic, and why. -#}
with

accreditations as (

    select * from {{ ref('stg_accreditations') }}

),

final as (

    select
        facility_id,
        position,
        reject_reason as reason,
        raw_value
    from accreditations
    where reject_reason is not null

)

select * from final
