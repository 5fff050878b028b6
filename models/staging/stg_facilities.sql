{#- The kept facilities: one row per facility_id, the latest record of each. -#}
with

records as (

    select * from {{ ref('base_facility_records') }}

),

final as (

    select
        facility_id,
        facility_name,
        state,
        employee_count,
        number_of_offered_services,
        accreditation_entry_count,
        source_file,
        line_number
    from records
    where reject_reason is null

)

select * from final
