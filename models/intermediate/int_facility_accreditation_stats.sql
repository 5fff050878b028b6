{#- One row per kept facility with what its valid accreditations say about it. The input gate
    (macros/input_gate.sql) sits here and in current_accreditations, which every mart is built
    from: an empty or unreadable feed stops the build before any mart, after the audit. -#}
with

facilities as (

    select * from {{ ref('stg_facilities') }}

),

valid_accreditations as (

    select * from {{ ref('stg_accreditations') }}
    where reject_reason is null

),

accreditation_stats as (

    select
        facility_id,
        count(*) as accreditation_count,
        min(valid_until) as expiry_date_of_first_accreditation,
        max(valid_until) as last_valid_until
    from valid_accreditations
    group by facility_id

),

final as (

    select
        facilities.facility_id,
        facilities.facility_name,
        facilities.state,
        facilities.employee_count,
        facilities.number_of_offered_services,
        facilities.accreditation_entry_count,
        coalesce(accreditation_stats.accreditation_count, 0) as accreditation_count,
        accreditation_stats.expiry_date_of_first_accreditation,
        coalesce(
            accreditation_stats.last_valid_until >= {{ as_of_date() }}, false
        ) as is_currently_accredited
    from facilities
    left join accreditation_stats
        on facilities.facility_id = accreditation_stats.facility_id
    where {{ input_gate() }}

)

select * from final
