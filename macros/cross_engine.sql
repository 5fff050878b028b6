{#
    Every difference between DuckDB and Athena (Trino) that dbt's own cross-database macros do
    not cover lives here, behind adapter.dispatch, so the models read the same on both engines.
    Each public macro dispatches to a `duckdb__` and an `athena__` body; its `default__` body
    stops compilation with the adapter's name, since none of these has a portable SQL form.
    JSON values are handled as the engine's JSON type; JSON types are named object, array,
    string, integer, number, boolean, null.
#}

{#- Stops compilation in the default__ body of a macro this project implements per engine. -#}
{% macro _no_portable_sql(macro_name) -%}
    {{ exceptions.raise_compiler_error(
        macro_name ~ ' has no implementation for the "' ~ target.type ~ '" adapter: this project'
        ~ ' runs on duckdb and athena (an ' ~ target.type ~ '__' ~ macro_name ~ ' macro would add it).'
    ) }}
{%- endmacro %}


{#- The value cast to `type`, null when it does not convert (dbt.safe_cast raises on DuckDB). -#}
{% macro try_cast(expression, type) -%}
    {{ return(adapter.dispatch('try_cast', 'accreditation_monitor')(expression, type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, type) -%}
    {{ _no_portable_sql('try_cast') }}
{%- endmacro %}

{% macro duckdb__try_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{% macro athena__try_cast(expression, type) -%}
    {{ dbt.safe_cast(expression, type) }}
{%- endmacro %}


{% macro parse_json(text) -%}
    {{ return(adapter.dispatch('parse_json', 'accreditation_monitor')(text)) }}
{%- endmacro %}

{% macro default__parse_json(text) -%}
    {{ _no_portable_sql('parse_json') }}
{%- endmacro %}

{% macro duckdb__parse_json(text) -%}
    try_cast({{ text }} as json)
{%- endmacro %}

{% macro athena__parse_json(text) -%}
    try(json_parse({{ text }}))
{%- endmacro %}


{#-
    A select over `relation`: the `columns` listed, then members of its JSON column
    `json_value`, each declared once as {'name', 'path', 'type'} and given as `<name>`: the
    member as a JSON value when its JSON type is `type` (a type name or a list of them), else
    null (absent, or of another type). The path '$' is the value itself. Checks the
    declarations, then dispatches.
-#}
{% macro json_fields(relation, columns, json_value, fields) -%}
    {%- set known = ['object', 'array', 'string', 'integer', 'number', 'boolean', 'null'] -%}
    {%- set declared = [] -%}
    {%- for field in fields -%}
        {%- set types = [field['type']] if field['type'] is string else field['type'] | list -%}
        {%- for type in types if type not in known -%}
            {{- exceptions.raise_compiler_error('json_fields: field "' ~ field['name'] ~ '" declares the unknown JSON type "' ~ type ~ '"; use ' ~ known | join(', ')) -}}
        {%- endfor -%}
        {%- do declared.append({'name': field['name'], 'path': field['path'], 'type': types}) -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('json_fields', 'accreditation_monitor')(relation, columns, json_value, declared)) }}
{%- endmacro %}

{% macro default__json_fields(relation, columns, json_value, fields) -%}
    {{ _no_portable_sql('json_fields') }}
{%- endmacro %}

{#-
    DuckDB parses the value once for all members: json_type(value, [every path]) and
    json_extract(value, [member paths]) are computed once per row in a subquery, and each member
    reads its place in them. (Written inside each member's `case` instead, the lists would be
    computed once per member: DuckDB does not share subexpressions inside a `case`.)
-#}
{% macro duckdb__json_fields(relation, columns, json_value, fields) -%}
    {%- set duckdb_types = {
        'object': ['OBJECT'],
        'array': ['ARRAY'],
        'string': ['VARCHAR'],
        'integer': ['BIGINT', 'UBIGINT'],
        'number': ['DOUBLE'],
        'boolean': ['BOOLEAN'],
        'null': ['NULL'],
    } -%}
    {%- set all_paths = fields | map(attribute='path') | list -%}
    {%- set member_paths = all_paths | reject('equalto', '$') | list -%}
    select
        {%- for column in columns %}
        json_fields.{{ column }},
        {%- endfor %}
        {%- for field in fields %}
        {%- set type_names = [] -%}
        {%- for type in field['type'] -%}
            {%- do type_names.extend(duckdb_types[type]) -%}
        {%- endfor -%}
        {%- if field['path'] == '$' -%}
            {%- set member = 'json_fields.' ~ json_value -%}
        {%- else -%}
            {%- set member = 'json_fields.json_members[' ~ (member_paths.index(field['path']) + 1) ~ ']' -%}
        {%- endif %}
        case
            when json_fields.json_types[{{ loop.index }}] in ('{{ type_names | join("', '") }}')
                then {{ member }}
        end as {{ field['name'] }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ relation }}.*,
            {%- if member_paths %}
            json_extract({{ relation }}.{{ json_value }}, ['{{ member_paths | join("', '") }}']) as json_members,
            {%- endif %}
            json_type({{ relation }}.{{ json_value }}, ['{{ all_paths | join("', '") }}']) as json_types
        from {{ relation }}
    ) as json_fields
{%- endmacro %}

{#- Athena (Trino): json_extract(value, path) per member, typed by _athena_json_type. -#}
{% macro athena__json_fields(relation, columns, json_value, fields) -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }},
        {%- endfor %}
        {%- for field in fields %}
        {%- if field['path'] == '$' -%}
            {%- set member = relation ~ '.' ~ json_value -%}
        {%- else -%}
            {%- set member = 'json_extract(' ~ relation ~ '.' ~ json_value ~ ", '" ~ field['path'] ~ "')" -%}
        {%- endif %}
        case
            when {{ _athena_json_type(member) }} in ('{{ field['type'] | join("', '") }}')
                then {{ member }}
        end as {{ field['name'] }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
{%- endmacro %}

{#-
    Athena's JSON type name of one JSON value (null for a SQL null), read from json_format(): its
    first character, or the literal true, false, null; a number written with digits only is an
    integer.
-#}
{% macro _athena_json_type(json_value) -%}
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
    {{ _no_portable_sql('json_scalar_text') }}
{%- endmacro %}

{% macro duckdb__json_scalar_text(json_value) -%}
    json_extract_string({{ json_value }}, '$')
{%- endmacro %}

{% macro athena__json_scalar_text(json_value) -%}
    json_extract_scalar({{ json_value }}, '$')
{%- endmacro %}


{#- How many elements of a JSON array are JSON strings. -#}
{% macro count_json_array_strings(json_array) -%}
    {{ return(adapter.dispatch('count_json_array_strings', 'accreditation_monitor')(json_array)) }}
{%- endmacro %}

{% macro default__count_json_array_strings(json_array) -%}
    {{ _no_portable_sql('count_json_array_strings') }}
{%- endmacro %}

{% macro duckdb__count_json_array_strings(json_array) -%}
    len(list_filter(json_type({{ json_array }}, '$[*]'), lambda element_type: element_type = 'VARCHAR'))
{%- endmacro %}

{% macro athena__count_json_array_strings(json_array) -%}
    cardinality(filter(cast({{ json_array }} as array(json)), element -> is_json_scalar(element) and substr(json_format(element), 1, 1) = '"'))
{%- endmacro %}


{#- How many elements a JSON array written as text holds; null when the text is null. -#}
{% macro json_array_length(json_array_text) -%}
    {{ return(adapter.dispatch('json_array_length', 'accreditation_monitor')(json_array_text)) }}
{%- endmacro %}

{% macro default__json_array_length(json_array_text) -%}
    {{ _no_portable_sql('json_array_length') }}
{%- endmacro %}

{% macro duckdb__json_array_length(json_array_text) -%}
    json_array_length({{ json_array_text }})
{%- endmacro %}

{% macro athena__json_array_length(json_array_text) -%}
    json_array_length({{ json_array_text }})
{%- endmacro %}


{#- Whether the whole text matches a regular expression (RE2 on DuckDB, Java-style on Trino). -#}
{% macro matches_pattern(text, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'accreditation_monitor')(text, pattern)) }}
{%- endmacro %}

{% macro default__matches_pattern(text, pattern) -%}
    {{ _no_portable_sql('matches_pattern') }}
{%- endmacro %}

{% macro duckdb__matches_pattern(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro athena__matches_pattern(text, pattern) -%}
    regexp_like({{ text }}, '^(?:{{ pattern }})$')
{%- endmacro %}


{#- Text without leading and trailing whitespace, not only the spaces SQL's trim removes. -#}
{% macro trim_whitespace(text) -%}
    {{ return(adapter.dispatch('trim_whitespace', 'accreditation_monitor')(text)) }}
{%- endmacro %}

{% macro default__trim_whitespace(text) -%}
    {{ _no_portable_sql('trim_whitespace') }}
{%- endmacro %}

{% macro duckdb__trim_whitespace(text) -%}
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
    {{ _no_portable_sql('json_to_text') }}
{%- endmacro %}

{% macro duckdb__json_to_text(json_value) -%}
    cast({{ json_value }} as varchar)
{%- endmacro %}

{% macro athena__json_to_text(json_value) -%}
    json_format({{ json_value }})
{%- endmacro %}


{#-
    A select over `relation` with one row per element of a JSON array stored as text (written
    by json_to_text): the `columns` listed, the element (JSON) as `element` and its 1-based
    array position as `position`. Rows whose array is empty or null give no row.
-#}
{% macro unnest_json_array(relation, columns, json_array_text, element, position) -%}
    {{ return(adapter.dispatch('unnest_json_array', 'accreditation_monitor')(relation, columns, json_array_text, element, position)) }}
{%- endmacro %}

{% macro default__unnest_json_array(relation, columns, json_array_text, element, position) -%}
    {{ _no_portable_sql('unnest_json_array') }}
{%- endmacro %}

{#-
    DuckDB unnests in the select list (unnest and generate_subscripts advance together): a
    lateral `cross join unnest(...) with ordinality` is planned there as a delim join (hash
    aggregate + hash join of every row), which took most of stg_accreditations' time on 1M
    facilities.
-#}
{% macro duckdb__unnest_json_array(relation, columns, json_array_text, element, position) -%}
    {%- set json_array = 'cast(cast(' ~ relation ~ '.' ~ json_array_text ~ ' as json) as json[])' -%}
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
        cast(json_parse({{ relation }}.{{ json_array_text }}) as array(json))
    ) with ordinality as json_array_elements ({{ element }}, {{ position }})
{%- endmacro %}
