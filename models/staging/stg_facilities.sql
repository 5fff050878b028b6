{#- The kept facilities: one row per facility_id, the latest record of each. A state written as
    its full USPS name (any case: "Texas", "new york") becomes its code, so it groups and filters
    with the facilities that give the code. -#}
with

records as (

    select * from {{ ref('base_facility_records') }}

),

state_codes as (

    select
        state_code,
        upper(state_name) as state_name
    from {{ ref('usps_state_codes') }}

),

final as (

    select
        records.facility_id,
        records.facility_name,
        coalesce(state_codes.state_code, records.state) as state,
        records.employee_count,
        records.number_of_offered_services,
        records.accreditation_entry_count,
        records.source_file,
        records.line_number
    from records
    left join state_codes
        on records.state = state_codes.state_name
    where records.reject_reason is null

)

select * from final
