{#-
    Stage 2, v2: one row per current accreditation (current_accreditations: the latest entry per
    facility and accreditation body) that expires by the horizon, expired ones included.
-#}
with

current_accreditations as (

    select * from {{ ref('current_accreditations') }}

),

final as (

    select
        facility_id,
        facility_name,
        state,
        accreditation_body,
        accreditation_id,
        valid_until,
        as_of_date,
        days_until_expiry,
        status
    from current_accreditations
    where valid_until <= {{ expiry_horizon() }}

)

select * from final
