{#-
    One row per non-blank line of the raw files: either a facility (reject_reason is null) or a
    rejected record with its reason. The JSON is parsed here, once; staging and the audit read
    this table, not the files.
-#}
{#- The JSON fields a record is read for, each declared once: where it is, and the JSON type
    it must have to be used (anything else reads as null). -#}
{%- set record_fields = [
    {'name': 'record_object', 'path': '$', 'type': 'object'},
    {'name': 'facility_id_json', 'path': '$.facility_id', 'type': 'string'},
    {'name': 'facility_name_json', 'path': '$.facility_name', 'type': 'string'},
    {'name': 'state_json', 'path': '$.location.state', 'type': 'string'},
    {'name': 'employee_count_json', 'path': '$.employee_count', 'type': 'integer'},
    {'name': 'services_json', 'path': '$.services', 'type': 'array'},
    {'name': 'accreditations_json', 'path': '$.accreditations', 'type': 'array'},
] -%}

with

lines as (

    select * from {{ ref('base_facility_lines') }}

),

non_blank_lines as (

    select
        source_file,
        line_number,
        raw_line
    from lines
    where raw_line is not null
        and not {{ matches_pattern('raw_line', '\\s*') }}

),

parsed as (

    select
        source_file,
        line_number,
        raw_line,
        {{ parse_json('raw_line') }} as record
    from non_blank_lines

),

record_fields as (

    {{ json_fields(
        'parsed', ['source_file', 'line_number', 'raw_line', 'record'], 'record', record_fields
    ) }}

),

typed as (

    select
        source_file,
        line_number,
        raw_line,
        record,
        record_object,
        {{ trim_whitespace(json_scalar_text('facility_id_json')) }} as facility_id,
        {{ json_scalar_text('facility_name_json') }} as facility_name,
        upper({{ trim_whitespace(json_scalar_text('state_json')) }}) as state,
        {{ try_cast('employee_count_json', 'bigint') }} as employee_count,
        coalesce({{ count_json_array_strings('services_json') }}, 0) as number_of_offered_services,
        {{ json_to_text('accreditations_json') }} as accreditations
    from record_fields

),

classified as (

    select
        source_file,
        line_number,
        raw_line,
        case
            when record is null then 'invalid_json'
            when record_object is null then 'not_an_object'
            when facility_id is null or facility_id = '' then 'missing_facility_id'
        end as parse_reject_reason,
        facility_id,
        facility_name,
        nullif(state, '') as state,
        employee_count,
        number_of_offered_services,
        accreditations
    from typed

),

ranked as (

    select
        *,
        -- Order is (file path, line number): a later file wins, and within a file a later line.
        row_number() over (
            partition by case when parse_reject_reason is null then facility_id end
            order by source_file desc, line_number desc
        ) as recency_rank
    from classified

),

final as (

    select
        source_file,
        line_number,
        case when parse_reject_reason is null then facility_id end as facility_id,
        coalesce(
            parse_reject_reason,
            case when recency_rank > 1 then 'duplicate_superseded' end
        ) as reject_reason,
        facility_name,
        state,
        employee_count,
        number_of_offered_services,
        accreditations,
        coalesce({{ json_array_length('accreditations') }}, 0) as accreditation_entry_count,
        case
            when parse_reject_reason is not null or recency_rank > 1
                then substr(raw_line, 1, 1000)
        end as raw_line
    from ranked

)

select * from final
