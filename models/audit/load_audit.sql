{#-
    Per source file: lines read, facilities kept, records rejected by reason, and the
    accreditation entries of its kept facilities, rejected ones by reason. Reads staging only,
    in engine-neutral SQL, so it runs unchanged on DuckDB and Athena.
-#}
with

records as (

    select * from {{ ref('base_facility_records') }}

),

facilities as (

    select * from {{ ref('stg_facilities') }}

),

accreditations as (

    select * from {{ ref('stg_accreditations') }}

),

record_counts as (

    select
        source_file,
        count(*) as lines_read,
        count(case when reject_reason is null then 1 end) as facilities_kept,
        count(reject_reason) as records_rejected,
        count(case when reject_reason = 'invalid_json' then 1 end) as rejected_invalid_json,
        count(case when reject_reason = 'not_an_object' then 1 end) as rejected_not_an_object,
        count(case when reject_reason = 'missing_facility_id' then 1 end)
            as rejected_missing_facility_id,
        count(case when reject_reason = 'duplicate_superseded' then 1 end)
            as rejected_duplicate_superseded
    from records
    group by source_file

),

-- stg_accreditations has no source_file: a kept facility's entries belong to its record's file.
accreditation_counts as (

    select
        facilities.source_file,
        count(*) as accreditation_entries,
        count(accreditations.reject_reason) as accreditations_rejected,
        count(case when accreditations.reject_reason = 'not_an_object' then 1 end)
            as accreditations_rejected_not_an_object,
        count(case when accreditations.reject_reason = 'invalid_valid_until' then 1 end)
            as accreditations_rejected_invalid_valid_until
    from accreditations
    inner join facilities
        on accreditations.facility_id = facilities.facility_id
    group by facilities.source_file

),

final as (

    select
        record_counts.source_file,
        record_counts.lines_read,
        record_counts.facilities_kept,
        record_counts.records_rejected,
        record_counts.rejected_invalid_json,
        record_counts.rejected_not_an_object,
        record_counts.rejected_missing_facility_id,
        record_counts.rejected_duplicate_superseded,
        coalesce(accreditation_counts.accreditation_entries, 0) as accreditation_entries,
        coalesce(accreditation_counts.accreditations_rejected, 0) as accreditations_rejected,
        coalesce(accreditation_counts.accreditations_rejected_not_an_object, 0)
            as accreditations_rejected_not_an_object,
        coalesce(accreditation_counts.accreditations_rejected_invalid_valid_until, 0)
            as accreditations_rejected_invalid_valid_until
    from record_counts
    left join accreditation_counts
        on record_counts.source_file = accreditation_counts.source_file

)

select * from final
