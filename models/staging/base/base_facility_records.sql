{#-
    One row per non-blank line of the raw files: either a facility (reject_reason is null) or a
    rejected record with its reason. The JSON is parsed here, once; staging and the audit read
    this table, not the files. Reasons, first that applies: line_too_long, invalid_encoding (the
    reader put U+FFFD for bytes that are not UTF-8), invalid_json (not exactly one strict RFC
    8259 value), not_an_object, duplicate_key (a member name twice in the record or its
    location), missing_facility_id, duplicate_superseded.
    raw_line is kept for the lines rejected here for a parse reason only: a superseded line is a
    whole record, and carrying every line's text through the recency window tripled what the
    10M build spilled (bench/README.md, sixth step). rejected_records reads those lines again.
    For the same reason the lines carry file_order, a number on DuckDB, instead of the path,
    which is named again after the window (the 10M bench's paths are 66 bytes a line:
    bench/README.md, eleventh step).
-#}
{#- The JSON fields a record is read for, each declared once: where it is, and the JSON type
    it must have to be used (anything else reads as null). -#}
{%- set record_fields = [
    {'name': 'record_object', 'path': '$', 'type': 'object'},
    {'name': 'facility_id_json', 'path': '$.facility_id', 'type': 'string'},
    {'name': 'facility_name_json', 'path': '$.facility_name', 'type': 'string'},
    {'name': 'location_object', 'path': '$.location', 'type': 'object'},
    {'name': 'state_json', 'path': '$.location.state', 'type': 'string'},
    {'name': 'employee_count_json', 'path': '$.employee_count', 'type': 'integer'},
    {'name': 'services_json', 'path': '$.services', 'type': 'array'},
    {'name': 'accreditations_json', 'path': '$.accreditations', 'type': 'array'},
    {
        'name': 'accreditations_not_an_array_json',
        'path': '$.accreditations',
        'type': ['object', 'string', 'integer', 'number', 'boolean'],
    },
] -%}
{#- A line longer than this many bytes of UTF-8 is line_too_long (16 MiB). -#}
{%- set max_line_bytes = 16777216 -%}
{%- set file_names = facility_file_names() -%}

with

lines as (

    select * from {{ ref('base_facility_lines') }}

),

non_blank_lines as (

    select
        {{ checked_file_order('file_order', 'source_file', file_names) }} as file_order,
        line_number,
        raw_line,
        {{ utf8_byte_length('raw_line') }} > {{ max_line_bytes }} as is_too_long,
        strpos(raw_line, chr(65533)) > 0 as has_invalid_encoding
    from lines
    where not {{ is_blank_line('raw_line') }}

),

checked as (

    select
        file_order,
        line_number,
        raw_line,
        is_too_long,
        has_invalid_encoding,
        case
            when not is_too_long and not has_invalid_encoding then {{ parse_json('raw_line') }}
        end as any_json
    from non_blank_lines

),

parsed as (

    select
        file_order,
        line_number,
        raw_line,
        is_too_long,
        has_invalid_encoding,
        case
            when not is_too_long and not has_invalid_encoding
                and {{ is_strict_json('raw_line', 'any_json') }}
                then any_json
        end as record
    from checked

),

record_fields as (

    {{ json_fields(
        'parsed',
        ['file_order', 'line_number', 'raw_line', 'is_too_long', 'has_invalid_encoding', 'record'],
        'record',
        record_fields
    ) }}

),

typed as (

    select
        file_order,
        line_number,
        raw_line,
        is_too_long,
        has_invalid_encoding,
        record,
        record_object,
        case
            when record_object is not null
                then {{ json_object_has_duplicate_keys('raw_line', '$', 'record') }}
        end as has_duplicate_top_level_key,
        case
            when location_object is not null
                then {{ json_object_has_duplicate_keys(
                    'raw_line', '$.location', 'location_object'
                ) }}
        end as has_duplicate_location_key,
        {{ trim_whitespace(json_scalar_text('facility_id_json')) }} as facility_id,
        {{ json_scalar_text('facility_name_json') }} as facility_name,
        upper({{ trim_whitespace(json_scalar_text('state_json')) }}) as state,
        {{ try_cast('employee_count_json', 'bigint') }} as employee_count,
        coalesce({{ count_json_array_strings('services_json') }}, 0) as number_of_offered_services,
        {{ json_to_text('accreditations_json') }} as accreditations,
        {{ json_to_text('accreditations_not_an_array_json') }} as accreditations_not_an_array,
        case
            when accreditations_json is not null
                then {{ json_array_duplicate_key_positions(
                    'raw_line', '$.accreditations', 'accreditations_json'
                ) }}
        end as accreditation_duplicate_key_positions
    from record_fields

),

classified as (

    select
        file_order,
        line_number,
        case
            when is_too_long then 'line_too_long'
            when has_invalid_encoding then 'invalid_encoding'
            when record is null then 'invalid_json'
            when record_object is null then 'not_an_object'
            when has_duplicate_top_level_key or has_duplicate_location_key then 'duplicate_key'
            when facility_id is null or facility_id = '' then 'missing_facility_id'
        end as parse_reject_reason,
        facility_id,
        facility_name,
        nullif(state, '') as state,
        employee_count,
        number_of_offered_services,
        accreditations,
        accreditations_not_an_array,
        accreditation_duplicate_key_positions,
        raw_line
    from typed

),

excerpted as (

    -- Its own step, before the window: the window's rows then hold the excerpt only where it
    -- is kept, not every whole line (bench/README.md, sixth step).
    select
        file_order,
        line_number,
        parse_reject_reason,
        facility_id,
        facility_name,
        state,
        employee_count,
        number_of_offered_services,
        accreditations,
        accreditations_not_an_array,
        accreditation_duplicate_key_positions,
        case
            when parse_reject_reason is not null then {{ stored_excerpt('raw_line') }}
        end as raw_line
    from classified

),

ranked as (

    select
        *,
        -- Order is (file path, line number): a later file wins, and within a file a later line.
        -- file_order sorts as the path does.
        row_number() over (
            partition by case when parse_reject_reason is null then facility_id end
            order by file_order desc, line_number desc
        ) as recency_rank
    from excerpted

),

final as (

    select
        {{ file_of_order('file_order', file_names) }} as source_file,
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
        {{ stored_excerpt('accreditations_not_an_array') }} as accreditations_not_an_array,
        accreditation_duplicate_key_positions,
        raw_line
    from ranked

)

select * from final
