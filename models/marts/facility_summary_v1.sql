{#- Stage 1, v1: the original challenge's shape. -#}
with

facility_stats as (

    select * from {{ ref('int_facility_accreditation_stats') }}

),

final as (

    select
        facility_id,
        facility_name,
        employee_count,
        number_of_offered_services,
        expiry_date_of_first_accreditation
    from facility_stats

)

select * from final
