{#
    Every difference between DuckDB and Athena (Trino) lives here, behind adapter.dispatch, so
    the models read the same on both engines. JSON values are handled as the engine's JSON type;
    json_field_types() normalises type names to: object, array, string, integer, number,
    boolean, null.
#}

{% macro parse_json(text) -%}
    {{ return(adapter.dispatch('parse_json', 'accreditation_monitor')(text)) }}
{%- endmacro %}

{% macro default__parse_json(text) -%}
    try_cast({{ text }} as json)
{%- endmacro %}

{% macro athena__parse_json(text) -%}
    try(json_parse({{ text }}))
{%- endmacro %}


{#- Athena's normalised type of one JSON value; athena__json_field_types uses it per field. -#}
{% macro athena__json_value_type(json_value) -%}
    case
        when {{ json_value }} is null then null
        when substr(json_format({{ json_value }}), 1, 1) = '{' then 'object'
        when substr(json_format({{ json_value }}), 1, 1) = '[' then 'array'
        when substr(json_format({{ json_value }}), 1, 1) = '"' then 'string'
        when json_format({{ json_value }}) in ('true', 'false') then 'boolean'
        when json_format({{ json_value }}) = 'null' then 'null'
        when regexp_like(json_format({{ json_value }}), '^-?[0-9]+$') then 'integer'
        else 'number'
    end
{%- endmacro %}


{#- The text of a JSON scalar (string or number), without quotes; callers check the type. -#}
{% macro json_scalar_text(json_value) -%}
    {{ return(adapter.dispatch('json_scalar_text', 'accreditation_monitor')(json_value)) }}
{%- endmacro %}

{% macro default__json_scalar_text(json_value) -%}
    json_extract_string({{ json_value }}, '$')
{%- endmacro %}

{% macro athena__json_scalar_text(json_value) -%}
    json_extract_scalar({{ json_value }}, '$')
{%- endmacro %}


{#- The SQL type of an array of JSON values, for cast(... as <type>) before unnest. -#}
{% macro json_array_type() -%}
    {{ return(adapter.dispatch('json_array_type', 'accreditation_monitor')()) }}
{%- endmacro %}

{% macro default__json_array_type() -%}
    json[]
{%- endmacro %}

{% macro athena__json_array_type() -%}
    array(json)
{%- endmacro %}


{#- How many elements of a JSON array are JSON strings. -#}
{% macro count_json_array_strings(json_array) -%}
    {{ return(adapter.dispatch('count_json_array_strings', 'accreditation_monitor')(json_array)) }}
{%- endmacro %}

{% macro default__count_json_array_strings(json_array) -%}
    len(list_filter(json_type({{ json_array }}, '$[*]'), lambda element_type: element_type = 'VARCHAR'))
{%- endmacro %}

{% macro athena__count_json_array_strings(json_array) -%}
    cardinality(filter(cast({{ json_array }} as array(json)), element -> is_json_scalar(element) and substr(json_format(element), 1, 1) = '"'))
{%- endmacro %}


{#- Calendar months with end-of-month clamping: 2025-08-31 + 6 months = 2026-02-28. -#}
{% macro add_months(date_expression, months) -%}
    {{ return(adapter.dispatch('add_months', 'accreditation_monitor')(date_expression, months)) }}
{%- endmacro %}

{% macro default__add_months(date_expression, months) -%}
    cast({{ date_expression }} + interval ({{ months }}) month as date)
{%- endmacro %}

{% macro athena__add_months(date_expression, months) -%}
    date_add('month', {{ months }}, {{ date_expression }})
{%- endmacro %}


{#- Whether the whole text matches a regular expression (RE2 on DuckDB, Java-style on Trino). -#}
{% macro matches_pattern(text, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'accreditation_monitor')(text, pattern)) }}
{%- endmacro %}

{% macro default__matches_pattern(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro athena__matches_pattern(text, pattern) -%}
    regexp_like({{ text }}, '^(?:{{ pattern }})$')
{%- endmacro %}


{#- Text without leading and trailing whitespace (space, tab, CR, LF). -#}
{% macro trim_whitespace(text) -%}
    {{ return(adapter.dispatch('trim_whitespace', 'accreditation_monitor')(text)) }}
{%- endmacro %}

{% macro default__trim_whitespace(text) -%}
    trim({{ text }}, chr(9) || chr(10) || chr(12) || chr(13) || ' ')
{%- endmacro %}

{% macro athena__trim_whitespace(text) -%}
    regexp_replace({{ text }}, '^\s+|\s+$', '')
{%- endmacro %}


{#- JSON value -> its text, to store in a table column (Parquet has no JSON type). -#}
{% macro json_to_text(json_value) -%}
    {{ return(adapter.dispatch('json_to_text', 'accreditation_monitor')(json_value)) }}
{%- endmacro %}

{% macro default__json_to_text(json_value) -%}
    cast({{ json_value }} as varchar)
{%- endmacro %}

{% macro athena__json_to_text(json_value) -%}
    json_format({{ json_value }})
{%- endmacro %}


{#- Text known to be valid JSON (written by json_to_text) -> JSON value. -#}
{% macro json_from_text(text) -%}
    {{ return(adapter.dispatch('json_from_text', 'accreditation_monitor')(text)) }}
{%- endmacro %}

{% macro default__json_from_text(text) -%}
    cast({{ text }} as json)
{%- endmacro %}

{% macro athena__json_from_text(text) -%}
    json_parse({{ text }})
{%- endmacro %}


{#-
    Several members of one JSON value, each as a JSON value (null where the path is absent), as
    select-list items `<expression> as <name>`; `fields` maps each name to a JSONPath. DuckDB
    parses the value once for all of them (json_extract with a list of paths; the repeated
    expression is computed once by the optimizer), instead of once per member.
-#}
{% macro json_extract_fields(json_value, fields) -%}
    {{ return(adapter.dispatch('json_extract_fields', 'accreditation_monitor')(json_value, fields)) }}
{%- endmacro %}

{% macro default__json_extract_fields(json_value, fields) -%}
    {%- set paths = "['" ~ (fields.values() | join("', '")) ~ "']" -%}
    {%- for name, path in fields.items() %}
        json_extract({{ json_value }}, {{ paths }})[{{ loop.index }}] as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro athena__json_extract_fields(json_value, fields) -%}
    {%- for name, path in fields.items() %}
        json_extract({{ json_value }}, '{{ path }}') as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#-
    The normalised types (object, array, string, integer, number, boolean, null) of members that json_extract_fields extracted, as
    select-list items `<expression> as <name>`; `fields` maps each name to a pair
    [extracted column, JSONPath]. DuckDB reads all types from the whole value in one parse
    (json_type with a list of paths); Athena types each extracted column.
-#}
{% macro json_field_types(json_value, fields) -%}
    {{ return(adapter.dispatch('json_field_types', 'accreditation_monitor')(json_value, fields)) }}
{%- endmacro %}

{% macro default__json_field_types(json_value, fields) -%}
    {%- set path_list = [] -%}
    {%- for column_and_path in fields.values() -%}
        {%- do path_list.append(column_and_path[1]) -%}
    {%- endfor -%}
    {%- set paths = "['" ~ (path_list | join("', '")) ~ "']" -%}
    {%- for name in fields.keys() %}
        case json_type({{ json_value }}, {{ paths }})[{{ loop.index }}]
            when 'OBJECT' then 'object'
            when 'ARRAY' then 'array'
            when 'VARCHAR' then 'string'
            when 'BIGINT' then 'integer'
            when 'UBIGINT' then 'integer'
            when 'DOUBLE' then 'number'
            when 'BOOLEAN' then 'boolean'
            when 'NULL' then 'null'
        end as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro athena__json_field_types(json_value, fields) -%}
    {%- for name, column_and_path in fields.items() %}
        {{ athena__json_value_type(column_and_path[0]) }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#-
    A select over `relation` with one row per element of a JSON array stored as text: the
    `columns` listed, the element (JSON) as `element` and its 1-based array position as
    `position`. Rows whose array is empty or null give no row. DuckDB unnests in the select list
    (unnest and generate_subscripts advance together): a lateral `cross join unnest(...) with
    ordinality` is planned there as a delim join (hash aggregate + hash join of every row),
    which took most of stg_accreditations' time on 1M facilities.
-#}
{% macro unnest_json_array(relation, columns, json_array_text, element, position) -%}
    {{ return(adapter.dispatch('unnest_json_array', 'accreditation_monitor')(relation, columns, json_array_text, element, position)) }}
{%- endmacro %}

{% macro default__unnest_json_array(relation, columns, json_array_text, element, position) -%}
    {%- set json_array = 'cast(' ~ json_from_text(relation ~ '.' ~ json_array_text) ~ ' as ' ~ json_array_type() ~ ')' -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }},
        {%- endfor %}
        unnest({{ json_array }}) as {{ element }},
        generate_subscripts({{ json_array }}, 1) as {{ position }}
    from {{ relation }}
{%- endmacro %}

{% macro athena__unnest_json_array(relation, columns, json_array_text, element, position) -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }},
        {%- endfor %}
        json_array_elements.{{ element }},
        json_array_elements.{{ position }}
    from {{ relation }}
    cross join unnest(
        cast({{ json_from_text(relation ~ '.' ~ json_array_text) }} as {{ json_array_type() }})
    ) with ordinality as json_array_elements ({{ element }}, {{ position }})
{%- endmacro %}
