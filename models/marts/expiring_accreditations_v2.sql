{#-
    Stage 2, v2: one row per current accreditation that expires by the horizon, expired ones
    included. Current = for each (facility, accreditation_body) only the entry with the latest
    valid_until counts, so a renewed accreditation is not a risk; on a tie the later array entry
    wins. Entries with a null body stand alone.
-#}
with

facilities as (

    select * from {{ ref('stg_facilities') }}

),

valid_accreditations as (

    select * from {{ ref('stg_accreditations') }}
    where reject_reason is null

),

ranked as (

    select
        facility_id,
        accreditation_body,
        accreditation_id,
        valid_until,
        row_number() over (
            partition by
                facility_id,
                accreditation_body,
                case when accreditation_body is null then position end
            order by valid_until desc, position desc
        ) as recency_rank
    from valid_accreditations

),

current_accreditations as (

    select * from ranked
    where recency_rank = 1

),

final as (

    select
        facilities.facility_id,
        facilities.facility_name,
        facilities.state,
        current_accreditations.accreditation_body,
        current_accreditations.accreditation_id,
        current_accreditations.valid_until,
        {{ as_of_date() }} as as_of_date,
        {{ days_from_as_of_date('current_accreditations.valid_until') }} as days_until_expiry,
        case
            when current_accreditations.valid_until < {{ as_of_date() }} then 'expired'
            else 'expiring'
        end as status
    from current_accreditations
    inner join facilities
        on current_accreditations.facility_id = facilities.facility_id
    where current_accreditations.valid_until <= {{ expiry_horizon() }}

)

select * from final
