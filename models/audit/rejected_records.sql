{#- Every non-blank line that did not become a facility, with the one reason why. -#}
with

records as (

    select * from {{ ref('base_facility_records') }}

),

final as (

    select
        source_file,
        line_number,
        reject_reason as reason,
        raw_line
    from records
    where reject_reason is not null

)

select * from final
