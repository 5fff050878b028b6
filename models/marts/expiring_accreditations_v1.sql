{#-
    Stage 2, v1: one row per facility with any valid accreditation expiring between the as-of
    date and the horizon (six months later), both included. Expired ones are left out, as the
    original challenge's query did. It reads staging directly, so it checks the input gate
    (macros/input_gate.sql) itself.
-#}
with

facilities as (

    select * from {{ ref('stg_facilities') }}

),

valid_accreditations as (

    select * from {{ ref('stg_accreditations') }}
    where reject_reason is null

),

in_window as (

    select
        facility_id,
        min(valid_until) as next_expiry_date,
        count(*) as expiring_accreditation_count
    from valid_accreditations
    where valid_until >= {{ as_of_date() }}
        and valid_until <= {{ expiry_horizon() }}
    group by facility_id

),

final as (

    select
        facilities.facility_id,
        facilities.facility_name,
        facilities.state,
        facilities.employee_count,
        in_window.next_expiry_date,
        in_window.expiring_accreditation_count
    from in_window
    inner join facilities
        on in_window.facility_id = facilities.facility_id
    where {{ input_gate() }}

)

select * from final
