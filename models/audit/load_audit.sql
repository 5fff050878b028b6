{#-
    Per source file, every file read (one without a non-blank line too, with zeros): lines
    read, facilities kept, records rejected by reason, and the accreditation entries of its kept
    facilities, rejected ones by reason. Reads staging only,
    in engine-neutral SQL, so it runs unchanged on DuckDB and Athena.
-#}
with

files as (

    select * from {{ ref('base_facility_files') }}

),

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
        count(case when reject_reason = 'line_too_long' then 1 end) as rejected_line_too_long,
        count(case when reject_reason = 'invalid_encoding' then 1 end) as rejected_invalid_encoding,
        count(case when reject_reason = 'invalid_json' then 1 end) as rejected_invalid_json,
        count(case when reject_reason = 'not_an_object' then 1 end) as rejected_not_an_object,
        count(case when reject_reason = 'duplicate_key' then 1 end) as rejected_duplicate_key,
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
        count(case when accreditations.reject_reason = 'not_an_array' then 1 end)
            as accreditations_rejected_not_an_array,
        count(case when accreditations.reject_reason = 'not_an_object' then 1 end)
            as accreditations_rejected_not_an_object,
        count(case when accreditations.reject_reason = 'duplicate_key' then 1 end)
            as accreditations_rejected_duplicate_key,
        count(case when accreditations.reject_reason = 'invalid_valid_until' then 1 end)
            as accreditations_rejected_invalid_valid_until
    from accreditations
    inner join facilities
        on accreditations.facility_id = facilities.facility_id
    group by facilities.source_file

),

final as (

    select
        files.source_file,
        coalesce(record_counts.lines_read, 0) as lines_read,
        coalesce(record_counts.facilities_kept, 0) as facilities_kept,
        coalesce(record_counts.records_rejected, 0) as records_rejected,
        coalesce(record_counts.rejected_line_too_long, 0) as rejected_line_too_long,
        coalesce(record_counts.rejected_invalid_encoding, 0) as rejected_invalid_encoding,
        coalesce(record_counts.rejected_invalid_json, 0) as rejected_invalid_json,
        coalesce(record_counts.rejected_not_an_object, 0) as rejected_not_an_object,
        coalesce(record_counts.rejected_duplicate_key, 0) as rejected_duplicate_key,
        coalesce(record_counts.rejected_missing_facility_id, 0) as rejected_missing_facility_id,
        coalesce(record_counts.rejected_duplicate_superseded, 0) as rejected_duplicate_superseded,
        coalesce(accreditation_counts.accreditation_entries, 0) as accreditation_entries,
        coalesce(accreditation_counts.accreditations_rejected, 0) as accreditations_rejected,
        coalesce(accreditation_counts.accreditations_rejected_not_an_array, 0)
            as accreditations_rejected_not_an_array,
        coalesce(accreditation_counts.accreditations_rejected_not_an_object, 0)
            as accreditations_rejected_not_an_object,
        coalesce(accreditation_counts.accreditations_rejected_duplicate_key, 0)
            as accreditations_rejected_duplicate_key,
        coalesce(accreditation_counts.accreditations_rejected_invalid_valid_until, 0)
            as accreditations_rejected_invalid_valid_until
    from files
    left join record_counts
        on files.source_file = record_counts.source_file
    left join accreditation_counts
        on files.source_file = accreditation_counts.source_file

)

select * from final
