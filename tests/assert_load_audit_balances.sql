{#-
    The load audit balances: in every file, lines read = facilities kept + records rejected and
    each reject count is the sum of its reasons; over all files, the lines read are the rows of
    base_facility_records, the facilities kept the rows of stg_facilities and the accreditation
    entries (rejected ones too) those of stg_accreditations. A row returned is a
    broken balance, named by `check_name`.
-#}
{{ config(severity='error') }}

with

load_audit as (

    select * from {{ ref('load_audit') }}

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

per_file as (

    select
        'lines_read = facilities_kept + records_rejected' as check_name,
        source_file,
        lines_read as expected,
        facilities_kept + records_rejected as actual
    from load_audit

    union all

    select
        'records_rejected = sum of its reasons' as check_name,
        source_file,
        records_rejected as expected,
        rejected_line_too_long
        + rejected_invalid_encoding
        + rejected_invalid_json
        + rejected_not_an_object
        + rejected_duplicate_key
        + rejected_missing_facility_id
        + rejected_duplicate_superseded as actual
    from load_audit

    union all

    select
        'accreditations_rejected = sum of its reasons' as check_name,
        source_file,
        accreditations_rejected as expected,
        accreditations_rejected_not_an_array
        + accreditations_rejected_not_an_object
        + accreditations_rejected_duplicate_key
        + accreditations_rejected_invalid_valid_until as actual
    from load_audit

),

audit_totals as (

    select
        coalesce(sum(lines_read), 0) as lines_read,
        coalesce(sum(facilities_kept), 0) as facilities_kept,
        coalesce(sum(accreditation_entries), 0) as accreditation_entries,
        coalesce(sum(accreditations_rejected), 0) as accreditations_rejected
    from load_audit

),

record_total as (

    select count(*) as record_count from records

),

facility_total as (

    select count(*) as facility_count from facilities

),

accreditation_total as (

    select
        count(*) as entry_count,
        count(reject_reason) as rejected_entry_count
    from accreditations

),

staging_totals as (

    select
        record_total.record_count,
        facility_total.facility_count,
        accreditation_total.entry_count,
        accreditation_total.rejected_entry_count
    from record_total
    cross join facility_total
    cross join accreditation_total

),

totals as (

    select
        'sum of lines_read = rows of base_facility_records' as check_name,
        cast(null as varchar) as source_file,
        staging_totals.record_count as expected,
        audit_totals.lines_read as actual
    from audit_totals
    cross join staging_totals

    union all

    select
        'sum of facilities_kept = rows of stg_facilities' as check_name,
        cast(null as varchar) as source_file,
        staging_totals.facility_count as expected,
        audit_totals.facilities_kept as actual
    from audit_totals
    cross join staging_totals

    union all

    select
        'sum of accreditation_entries = rows of stg_accreditations' as check_name,
        cast(null as varchar) as source_file,
        staging_totals.entry_count as expected,
        audit_totals.accreditation_entries as actual
    from audit_totals
    cross join staging_totals

    union all

    select
        'sum of accreditations_rejected = rejected entries' as check_name,
        cast(null as varchar) as source_file,
        staging_totals.rejected_entry_count as expected,
        audit_totals.accreditations_rejected as actual
    from audit_totals
    cross join staging_totals

),

final as (

    select * from per_file
    where expected <> actual

    union all

    select * from totals
    where expected <> actual

)

select * from final
