{#-
    One row per entry of a kept facility's accreditations array, in array order (position is
    1-based). An entry that is not an object, or whose valid_until is not a real calendar date
    written YYYY-MM-DD, carries a reject_reason and takes no part in date logic.
-#}
with

facilities as (

    select
        facility_id,
        accreditations
    from {{ ref('stg_facility_records') }}
    where reject_reason is null
        and accreditation_entry_count > 0

),

entries as (

    {{ unnest_json_array('facilities', ['facility_id'], 'accreditations', 'entry', 'position') }}

),

entry_fields as (

    select
        facility_id,
        position,
        entry,
        {{ json_extract_fields('entry', {
            'accreditation_body_json': '$.accreditation_body',
            'accreditation_id_json': '$.accreditation_id',
            'valid_until_json': '$.valid_until',
        }) }}
    from entries

),

field_types as (

    select
        *,
        {{ json_field_types('entry', {
            'entry_type': ['entry', '$'],
            'accreditation_body_type': ['accreditation_body_json', '$.accreditation_body'],
            'accreditation_id_type': ['accreditation_id_json', '$.accreditation_id'],
            'valid_until_type': ['valid_until_json', '$.valid_until'],
        }) }}
    from entry_fields

),

typed as (

    select
        facility_id,
        position,
        entry,
        entry_type,
        case
            when accreditation_body_type = 'string'
                then {{ json_scalar_text('accreditation_body_json') }}
        end as accreditation_body,
        case
            when accreditation_id_type in ('string', 'integer', 'number')
                then {{ json_scalar_text('accreditation_id_json') }}
        end as accreditation_id,
        case
            when valid_until_type = 'string' then {{ json_scalar_text('valid_until_json') }}
        end as valid_until_text
    from field_types

),

validated as (

    select
        facility_id,
        position,
        entry,
        entry_type,
        accreditation_body,
        accreditation_id,
        case
            when {{ matches_pattern('valid_until_text', '[0-9]{4}-[0-9]{2}-[0-9]{2}') }}
                then try_cast(valid_until_text as date)
        end as valid_until
    from typed

),

final as (

    select
        facility_id,
        position,
        case when entry_type = 'object' then accreditation_body end as accreditation_body,
        case when entry_type = 'object' then accreditation_id end as accreditation_id,
        valid_until,
        case
            when entry_type <> 'object' then 'not_an_object'
            when valid_until is null then 'invalid_valid_until'
        end as reject_reason,
        case
            when entry_type <> 'object' or valid_until is null
                then substr({{ json_to_text('entry') }}, 1, 1000)
        end as raw_value
    from validated

)

select * from final
