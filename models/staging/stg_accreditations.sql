{#-
    One row per entry of a kept facility's accreditations array, in array order (position is
    1-based). An entry that is not an object (a JSON null included), names a member twice, or
    whose valid_until is not a real calendar date in an accepted form, carries a reject_reason
    and takes no part in date logic. An accreditations value that is there but no array (one
    accreditation not wrapped in [], a string, a number) is one row at position 0, not_an_array,
    so that it is seen rather than lost. Accepted forms: YYYY-MM-DD, or an RFC 3339 date-time whose date part is taken as
    written (no time-zone conversion), either with white space around it; years 0001 to 9999.
    A slash or dotted date is refused: 03/04/2026 is a different day in the US and in Europe.
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
{#- YYYY-MM-DD, optionally followed by an RFC 3339 time and offset. -#}
{%- set valid_until_forms = (
    '[0-9]{4}-[0-9]{2}-[0-9]{2}'
    ~ '([Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)([.][0-9]+)?'
    ~ '([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?'
) -%}

with

facilities as (

    select
        facility_id,
        accreditations,
        accreditation_duplicate_key_positions
    from {{ ref('base_facility_records') }}
    where reject_reason is null
        and accreditation_entry_count > 0

),

not_an_array as (

    select
        facility_id,
        0 as position,
        cast(null as varchar) as accreditation_body,
        cast(null as varchar) as accreditation_id,
        cast(null as date) as valid_until,
        'not_an_array' as reject_reason,
        accreditations_not_an_array as raw_value
    from {{ ref('base_facility_records') }}
    where reject_reason is null
        and accreditations_not_an_array is not null

),

entries as (

    {{ unnest_json_array(
        'facilities',
        ['facility_id', 'accreditation_duplicate_key_positions'],
        'accreditations',
        'entry',
        'position'
    ) }}

),

entry_fields as (

    {{ json_fields(
        'entries',
        ['facility_id', 'accreditation_duplicate_key_positions', 'position', 'entry'],
        'entry',
        entry_fields
    ) }}

),

typed as (

    select
        facility_id,
        position,
        entry,
        entry_object,
        coalesce(
            strpos(
                accreditation_duplicate_key_positions, ',' || cast(position as varchar) || ','
            ) > 0,
            false
        ) as has_duplicate_key,
        {{ json_scalar_text('accreditation_body_json') }} as accreditation_body,
        {{ json_scalar_text('accreditation_id_json') }} as accreditation_id,
        {{ trim_whitespace(json_scalar_text('valid_until_json')) }} as valid_until_text
    from entry_fields

),

validated as (

    select
        facility_id,
        position,
        entry,
        entry_object,
        has_duplicate_key,
        accreditation_body,
        accreditation_id,
        case
            when {{ matches_pattern('valid_until_text', valid_until_forms) }}
                and substr(valid_until_text, 1, 4) <> '0000'
                then {{ try_cast('substr(valid_until_text, 1, 10)', 'date') }}
        end as valid_until
    from typed

),

classified as (

    select
        facility_id,
        position,
        entry,
        case when entry_object is not null then accreditation_body end as accreditation_body,
        case when entry_object is not null then accreditation_id end as accreditation_id,
        valid_until,
        case
            -- A JSON null in the array is no object either (on DuckDB it arrives as a null).
            when entry_object is null then 'not_an_object'
            when has_duplicate_key then 'duplicate_key'
            when valid_until is null then 'invalid_valid_until'
        end as reject_reason
    from validated

),

final as (

    select
        facility_id,
        position,
        accreditation_body,
        accreditation_id,
        case when reject_reason is null then valid_until end as valid_until,
        reject_reason,
        case
            when reject_reason is not null
                then coalesce({{ stored_excerpt(json_to_text('entry')) }}, 'null')
        end as raw_value
    from classified

    union all

    select
        facility_id,
        position,
        accreditation_body,
        accreditation_id,
        valid_until,
        reject_reason,
        raw_value
    from not_an_array

)

select * from final
