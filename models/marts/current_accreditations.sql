{#-
    One row per current accreditation, whenever it expires: for each (facility,
    accreditation_body) only the entry with the latest valid_until counts, so a renewed
    accreditation shows its renewal; on a tie the later array entry wins. Entries with a null
    body stand alone. expiring_accreditations (v2, v3) keeps the rows up to the horizon. The
    input gate (macros/input_gate.sql) stops the build here on an empty or unreadable feed.
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

latest_per_body as (

    select * from ranked
    where recency_rank = 1

),

final as (

    select
        facilities.facility_id,
        facilities.facility_name,
        facilities.state,
        latest_per_body.accreditation_body,
        latest_per_body.accreditation_id,
        latest_per_body.valid_until,
        {{ as_of_date() }} as as_of_date,
        {{ days_from_as_of_date('latest_per_body.valid_until') }} as days_until_expiry,
        case
            when latest_per_body.valid_until < {{ as_of_date() }} then 'expired'
            else 'expiring'
        end as status
    from latest_per_body
    inner join facilities
        on latest_per_body.facility_id = facilities.facility_id
    where {{ input_gate() }}

)

select * from final
