{#- Stage 1, v2: v1 plus state, the count of valid accreditations and the expiry rank. -#}
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
        expiry_date_of_first_accreditation,
        state,
        accreditation_count,
        row_number() over (
            order by expiry_date_of_first_accreditation asc nulls last, facility_id asc
        ) as expiry_rank
    from facility_stats

)

select * from final
