{#-
    One row per non-blank line of the raw files: either a facility (reject_reason is null) or a
    rejected record with its reason. The JSON is parsed here, once; everything downstream reads
    this table, not the files.
-#}
with

raw_lines as (

    {{ raw_facility_lines() }}

),

non_blank_lines as (

    select
        source_file,
        line_number,
        raw_line
    from raw_lines
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

    select
        source_file,
        line_number,
        raw_line,
        record,
        {{ json_extract_fields('record', {
            'facility_id_json': '$.facility_id',
            'facility_name_json': '$.facility_name',
            'state_json': '$.location.state',
            'employee_count_json': '$.employee_count',
            'services_json': '$.services',
            'accreditations_json': '$.accreditations',
        }) }}
    from parsed

),

field_types as (

    select
        *,
        {{ json_field_types('record', {
            'record_type': ['record', '$'],
            'facility_id_type': ['facility_id_json', '$.facility_id'],
            'facility_name_type': ['facility_name_json', '$.facility_name'],
            'state_type': ['state_json', '$.location.state'],
            'employee_count_type': ['employee_count_json', '$.employee_count'],
            'services_type': ['services_json', '$.services'],
            'accreditations_type': ['accreditations_json', '$.accreditations'],
        }) }}
    from record_fields

),

typed as (

    select
        source_file,
        line_number,
        raw_line,
        record,
        record_type,
        case
            when facility_id_type = 'string'
                then {{ trim_whitespace(json_scalar_text('facility_id_json')) }}
        end as facility_id,
        case
            when facility_name_type = 'string' then {{ json_scalar_text('facility_name_json') }}
        end as facility_name,
        case
            when state_type = 'string'
                then upper({{ trim_whitespace(json_scalar_text('state_json')) }})
        end as state,
        case
            when employee_count_type = 'integer' then try_cast(employee_count_json as bigint)
        end as employee_count,
        case
            when services_type = 'array' then {{ count_json_array_strings('services_json') }}
            else 0
        end as number_of_offered_services,
        case
            when accreditations_type = 'array' then {{ json_to_text('accreditations_json') }}
        end as accreditations
    from field_types

),

classified as (

    select
        source_file,
        line_number,
        raw_line,
        case
            when record is null then 'invalid_json'
            when record_type <> 'object' then 'not_an_object'
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
        coalesce(json_array_length(accreditations), 0) as accreditation_entry_count,
        case
            when parse_reject_reason is not null or recency_rank > 1
                then substr(raw_line, 1, 1000)
        end as raw_line
    from ranked

)

select * from final
