{#-
    One row per entry of a kept facility's accreditations array, in array order (position is
    1-based). An entry that is not an object, or whose valid_until is not a real calendar date
    written YYYY-MM-DD, carries a reject_reason and takes no part in date logic.
-#}
{#- The JSON fields an entry is read for, each declared once: where it is, and the JSON type
    it must have to be used (anything else reads as null). -#}
{%- set entry_fields = [
    {'name': 'entry_object', 'path': '$', 'type': 'object'},
    {'name': 'accreditation_body_json', 'path': '$.accreditation_body', 'type': 'string'},
    {
        'name': 'accreditation_id_json',
        'path': '$.accreditation_id',
        'type': ['string', 'integer', 'number'],
    },
    {'name': 'valid_until_json', 'path': '$.valid_until', 'type': 'string'},
] -%}

with

facilities as (

    select
        facility_id,
        accreditations
    from {{ ref('base_facility_records') }}
    where reject_reason is null
        and accreditation_entry_count > 0

),

entries as (

    {{ unnest_json_array('facilities', ['facility_id'], 'accreditations', 'entry', 'position') }}

),

entry_fields as (

    {{ json_fields('entries', ['facility_id', 'position', 'entry'], 'entry', entry_fields) }}

),

typed as (

    select
        facility_id,
        position,
        entry,
        entry_object,
        {{ json_scalar_text('accreditation_body_json') }} as accreditation_body,
        {{ json_scalar_text('accreditation_id_json') }} as accreditation_id,
        {{ json_scalar_text('valid_until_json') }} as valid_until_text
    from entry_fields

),

validated as (

    select
        facility_id,
        position,
        entry,
        entry_object,
        accreditation_body,
        accreditation_id,
        case
            when {{ matches_pattern('valid_until_text', '[0-9]{4}-[0-9]{2}-[0-9]{2}') }}
                then {{ try_cast('valid_until_text', 'date') }}
        end as valid_until
    from typed

),

final as (

    select
        facility_id,
        position,
        case when entry_object is not null then accreditation_body end as accreditation_body,
        case when entry_object is not null then accreditation_id end as accreditation_id,
        valid_until,
        case
            -- A JSON null in the array reaches here as a null entry on DuckDB: no JSON type,
            -- so not counted as not_an_object.
            when entry is not null and entry_object is null then 'not_an_object'
            when valid_until is null then 'invalid_valid_until'
        end as reject_reason,
        case
            when entry_object is null or valid_until is null
                then substr({{ json_to_text('entry') }}, 1, 1000)
        end as raw_value
    from validated

)

select * from final
