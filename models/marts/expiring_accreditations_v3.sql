{#-
    Stage 2, v3: v2's rows and columns (current accreditations expiring by the horizon, expired
    ones included), plus who owns each one and until when it is acknowledged.
    - owner, owner_topic_arn: the alert_owners rule for the facility, else the rule for its
      state, else null; the topic is the matching rule's own (no fallback between rules).
    - acknowledged_until: the latest alert_acknowledgements date for the same facility, body and
      id (null-safe: an entry without a body matches a row without a body), else null.
    The seeds' tests keep at most one rule per facility and per state, and acknowledgements are
    grouped per accreditation before the join, so the joins add no row.
-#}
with

current_accreditations as (

    select * from {{ ref('current_accreditations') }}

),

alert_owners as (

    select * from {{ ref('alert_owners') }}

),

alert_acknowledgements as (

    select * from {{ ref('alert_acknowledgements') }}

),

expiring as (

    select * from current_accreditations
    where valid_until <= {{ expiry_horizon() }}

),

facility_rules as (

    select
        facility_id,
        owner,
        topic_arn
    from alert_owners
    where facility_id is not null

),

state_rules as (

    select
        state,
        owner,
        topic_arn
    from alert_owners
    where facility_id is null
        and state is not null

),

acknowledgements as (

    select
        facility_id,
        accreditation_body,
        accreditation_id,
        max(acknowledged_until) as acknowledged_until
    from alert_acknowledgements
    group by facility_id, accreditation_body, accreditation_id

),

final as (

    select
        expiring.facility_id,
        expiring.facility_name,
        expiring.state,
        expiring.accreditation_body,
        expiring.accreditation_id,
        expiring.valid_until,
        expiring.as_of_date,
        expiring.days_until_expiry,
        expiring.status,
        case
            when facility_rules.facility_id is not null then facility_rules.owner
            else state_rules.owner
        end as owner,
        case
            when facility_rules.facility_id is not null then facility_rules.topic_arn
            else state_rules.topic_arn
        end as owner_topic_arn,
        acknowledgements.acknowledged_until
    from expiring
    left join facility_rules
        on expiring.facility_id = facility_rules.facility_id
    left join state_rules
        on expiring.state = state_rules.state
    left join acknowledgements
        on expiring.facility_id = acknowledgements.facility_id
            and expiring.accreditation_body is not distinct from acknowledgements.accreditation_body
            and expiring.accreditation_id is not distinct from acknowledgements.accreditation_id

)

select * from final
