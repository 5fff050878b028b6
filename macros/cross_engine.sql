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


{#-
    The TRIM characters as a regular-expression character class: exactly those for which
    Python's str.isspace() is true, plus U+200B (zero-width space) and U+FEFF (BOM). The ASCII
    ones are written \xHH (RE2 and Joni read it alike below 0x80); the others are the characters
    themselves (Jinja decodes the \u escapes), since RE2 knows \x{...} and Joni (Trino, Java
    syntax) \uHHHH, and neither knows the other's. No pattern here uses \s, which differs.
-#}
{% macro trim_character_class() -%}
    {{- return('[\\x09-\\x0D\\x1C-\\x20\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]') -}}
{%- endmacro %}


{#- Text without leading and trailing TRIM characters (trim_character_class); inside kept. -#}
{% macro trim_whitespace(text) -%}
    {%- set trim = trim_character_class() -%}
    {{ replace_pattern(text, '^' ~ trim ~ '+|' ~ trim ~ '+$', "''") }}
{%- endmacro %}


{#- What a model stores of a raw value it reports: its first 1,000 characters. Engine-neutral. -#}
{% macro stored_excerpt(text) -%}
    substr({{ text }}, 1, 1000)
{%- endmacro %}


{#- Whether a raw line is blank: null, empty, or TRIM characters only. Engine-neutral. -#}
{% macro is_blank_line(text) -%}
    ({{ text }} is null or {{ matches_pattern(text, trim_character_class() ~ '*') }})
{%- endmacro %}


{#- How many bytes the text takes in UTF-8. -#}
{% macro utf8_byte_length(text) -%}
    {{ return(adapter.dispatch('utf8_byte_length', 'accreditation_monitor')(text)) }}
{%- endmacro %}

{% macro default__utf8_byte_length(text) -%}
    {{ _no_portable_sql('utf8_byte_length') }}
{%- endmacro %}

{% macro duckdb__utf8_byte_length(text) -%}
    strlen({{ text }})
{%- endmacro %}

{% macro athena__utf8_byte_length(text) -%}
    length(to_utf8({{ text }}))
{%- endmacro %}


{#- Replace every match of a regular expression (RE2 / Joni alike) with a constant. -#}
{% macro replace_pattern(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('replace_pattern', 'accreditation_monitor')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__replace_pattern(text, pattern, replacement) -%}
    {{ _no_portable_sql('replace_pattern') }}
{%- endmacro %}

{% macro duckdb__replace_pattern(text, pattern, replacement) -%}
    regexp_replace({{ text }}, '{{ pattern }}', {{ replacement }}, 'g')
{%- endmacro %}

{% macro athena__replace_pattern(text, pattern, replacement) -%}
    regexp_replace({{ text }}, '{{ pattern }}', {{ replacement }})
{%- endmacro %}


{#-
    How deep the strict JSON check follows nesting: a line whose arrays and objects nest deeper
    than this is invalid_json. The facility records nest 4 deep (record, labs, lab,
    certifications).
-#}
{% macro strict_json_max_depth() -%}
    {{- return(32) -}}
{%- endmacro %}

{#-
    Whether the text is exactly one JSON value under RFC 8259, with no lone surrogate escape
    (RFC 7493), nested at most strict_json_max_depth() deep; JSON white space (space, tab, LF,
    CR) around it allowed. `parsed`: parse_json(text), computed by the caller (DuckDB uses it). The same regular-expression reduction on both engines
    (_strict_json_reduction); DuckDB first tries a cheap check that gives the same answer.
-#}
{% macro is_strict_json(text, parsed) -%}
    {{ return(adapter.dispatch('is_strict_json', 'accreditation_monitor')(text, parsed)) }}
{%- endmacro %}

{% macro default__is_strict_json(text, parsed) -%}
    {{ _no_portable_sql('is_strict_json') }}
{%- endmacro %}

{#-
    DuckDB: the reduction costs about 10x DuckDB's own parse (one replacement per string), so a
    line takes it only when the cheap check cannot decide. The cheap check: DuckDB's parser
    (yyjson) accepts the text, the text nowhere contains `nan` or `inf` in any case, nor a
    comma followed by JSON white space and `]` or `}`, and it has at most max-depth `[` and `{`
    characters in all. DuckDB's parser is strict RFC 8259 except that it accepts trailing commas
    and NaN/Infinity (measured: it refuses lone surrogates, control characters, leading zeros,
    comments, single quotes, trailing text); a text that contains neither construct anywhere,
    even inside a string, and cannot nest too deep is strict JSON exactly when that parser
    accepts it. Every other line (refused by the parser, or merely mentioning "Infection") takes
    the reduction, so the answer is the reduction's on every line. `parsed` is parse_json(text),
    so the text is parsed once. The two words and the comma are three searches, not one
    alternation: DuckDB ran `(?i:nan|inf)|...` at a fifth of the speed of each part alone
    (0.76 s against 0.15 s over the 1M bench's lines).
-#}
{% macro duckdb__is_strict_json(text, parsed) -%}
    case
        when {{ parsed }} is not null
            and not regexp_matches({{ text }}, '(?i:nan)')
            and not regexp_matches({{ text }}, '(?i:inf)')
            and not regexp_matches({{ text }}, ',[ \x09\x0A\x0D]*[\]}]')
            and strlen({{ text }}) - strlen(replace(replace({{ text }}, '[', ''), '{', '')) <= {{ strict_json_max_depth() }}
            then true
        else {{ _strict_json_reduction(text) }}
    end
{%- endmacro %}

{% macro athena__is_strict_json(text, parsed) -%}
    {{ _strict_json_reduction(text) }}
{%- endmacro %}

{#-
    The engine-neutral strict JSON check, a boolean SQL expression:
    1. a raw control character other than tab anywhere makes the text invalid (JSON allows none
       inside strings, and only tab, LF, CR as white space; this also frees \x01 and \x02 to be
       tokens below);
    2. every valid string literal becomes \x01 (one left-to-right pass: a string is `"`, then
       characters other than `"`, `\` and controls, or the escapes \" \\ \/ \b \f \n \r \t,
       \uXXXX that is no surrogate, or a high-surrogate \uXXXX directly followed by a
       low-surrogate one, then `"`);
    3. max-depth times, every innermost array or object (its elements \x01, \x02, a number or
       true/false/null, with JSON white space around them; an object's keys \x01) becomes \x02;
    4. valid when what is left is one such element.
    Only a text that really is one JSON value can come out as one element: what steps 2 and 3
    replace are exactly JSON's string, scalar, array and object productions, and anything else
    (a stray quote, a letter, a second value, a trailing comma) is left over and stops the
    reduction. Patterns use explicit character classes only (no \s, no dot), so RE2 and Joni
    match the same.
-#}
{% macro _strict_json_reduction(text) -%}
    {%- set string = '"(?:[^"\\\\\\x00-\\x1F]|\\\\["\\\\/bfnrt]|\\\\u(?:[dD][89abAB][0-9a-fA-F]{2}\\\\u[dD][c-fC-F][0-9a-fA-F]{2}|[0-9a-cA-Ce-fE-F][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}))*"' -%}
    {%- set ws = '[ \\x09\\x0A\\x0D]*' -%}
    {%- set scalar = '-?(?:0|[1-9][0-9]*)(?:[.][0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null' -%}
    {%- set element = ws ~ '(?:\\x01|\\x02|' ~ scalar ~ ')' ~ ws -%}
    {%- set member = ws ~ '\\x01' ~ ws ~ ':' ~ element -%}
    {%- set container = '\\[(?:' ~ element ~ '(?:,' ~ element ~ ')*|' ~ ws ~ ')\\]|\\{(?:' ~ member ~ '(?:,' ~ member ~ ')*|' ~ ws ~ ')\\}' -%}
    {%- set reduced = namespace(sql=replace_pattern(text, string, 'chr(1)')) -%}
    {%- for _ in range(strict_json_max_depth()) -%}
        {%- set reduced.sql = replace_pattern(reduced.sql, container, 'chr(2)') -%}
    {%- endfor -%}
    (
        {{ matches_pattern(text, '[^\\x00-\\x08\\x0A-\\x1F]*') }}
        and {{ matches_pattern(reduced.sql, element) }}
    )
{%- endmacro %}


{#-
    Whether the JSON object at `path` of a JSON text has a member name twice (names compared
    after unescaping, as the engine's parser reads them). `value` is the engine's JSON value at
    that path, which the caller has made sure is an object: DuckDB reads it (its JSON values keep
    repeated names), Athena reads the text (its parsed values keep one of them).
-#}
{% macro json_object_has_duplicate_keys(json_text, path, value) -%}
    {{ return(adapter.dispatch('json_object_has_duplicate_keys', 'accreditation_monitor')(json_text, path, value)) }}
{%- endmacro %}

{% macro default__json_object_has_duplicate_keys(json_text, path, value) -%}
    {{ _no_portable_sql('json_object_has_duplicate_keys') }}
{%- endmacro %}

{#-
    DuckDB: json_keys lists every member name, repeated ones included (the list is made once: a
    one-element list_transform binds it to a name).
-#}
{% macro duckdb__json_object_has_duplicate_keys(json_text, path, value) -%}
    list_transform(
        [json_keys({{ value }})],
        lambda member_names: {{ _duckdb_has_repeated_name('member_names') }}
    )[1]
{%- endmacro %}

{#-
    Athena: json_size over the text (varchar, read as a stream) counts every member, repeated
    ones included; a map(varchar, json) holds each name once (Trino's json_parse keeps the last
    of a repeated name, and a cast of JSON with a repeated name to a map fails, hence try: -1).
-#}
{% macro athena__json_object_has_duplicate_keys(json_text, path, value) -%}
    (coalesce(cardinality(try(cast(json_extract({{ json_text }}, '{{ path }}') as map(varchar, json)))), -1) < json_size({{ json_text }}, '{{ path }}'))
{%- endmacro %}

{#-
    Whether a DuckDB list of member names holds one twice. A short list is searched pairwise (a
    name is repeated when its first position is not its own): list_unique builds a set for
    every list and took twice as long over the 1M bench's records (0.65 s against 0.36 s). A
    list longer than 32 names takes list_unique, whose time grows with the length, not its
    square.
-#}
{% macro _duckdb_has_repeated_name(names) -%}
    case
        when len({{ names }}) <= 32
            then len(list_filter(
                {{ names }}, lambda name, name_position: list_position({{ names }}, name) <> name_position
            )) > 0
        else len({{ names }}) <> list_unique({{ names }})
    end
{%- endmacro %}


{#-
    The 1-based positions of the elements of the JSON array at `path` of a JSON text that are
    objects with a member name twice, as text `,2,5,`; null when there is none. `value` is the
    engine's JSON value at that path, an array: read as in json_object_has_duplicate_keys.
-#}
{% macro json_array_duplicate_key_positions(json_text, path, value) -%}
    {{ return(adapter.dispatch('json_array_duplicate_key_positions', 'accreditation_monitor')(json_text, path, value)) }}
{%- endmacro %}

{% macro default__json_array_duplicate_key_positions(json_text, path, value) -%}
    {{ _no_portable_sql('json_array_duplicate_key_positions') }}
{%- endmacro %}

{#- DuckDB: each element's member names in one pass (none for an element that is no object). -#}
{% macro duckdb__json_array_duplicate_key_positions(json_text, path, value) -%}
    nullif(',' || array_to_string(list_filter(list_transform(
        json_keys({{ value }}, '$[*]'),
        lambda member_names, element_position: case
            when {{ _duckdb_has_repeated_name('member_names') }} then element_position
        end
    ), lambda element_position: element_position is not null), ',') || ',', ',,')
{%- endmacro %}

{#-
    Athena: the array's elements as JSON (json_extract over the text copies them as written,
    repeated names included); an element is an object with a repeated name when json_size of
    its text counts more members than its map has names (see the macro above).
-#}
{% macro athena__json_array_duplicate_key_positions(json_text, path, value) -%}
    nullif(',' || array_join(filter(
        sequence(1, greatest(coalesce(json_array_length(json_extract({{ json_text }}, '{{ path }}')), 0), 1)),
        element_position -> element_position <= coalesce(json_array_length(json_extract({{ json_text }}, '{{ path }}')), 0)
            and substr(json_format(element_at(cast(json_extract({{ json_text }}, '{{ path }}') as array(json)), element_position)), 1, 1) = '{'
            and coalesce(cardinality(try(cast(element_at(cast(json_extract({{ json_text }}, '{{ path }}') as array(json)), element_position) as map(varchar, json)))), -1)
                < json_size(json_format(element_at(cast(json_extract({{ json_text }}, '{{ path }}') as array(json)), element_position)), '$')
    ), ',') || ',', ',,')
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
    facilities. The text is cast to a list once, in a subquery: written in both calls, it was
    parsed twice (stg_accreditations alone over the 10M bench's facilities: 15.9 s -> 12.0 s).
-#}
{% macro duckdb__unnest_json_array(relation, columns, json_array_text, element, position) -%}
    select
        {%- for column in columns %}
        json_arrays.{{ column }},
        {%- endfor %}
        unnest(json_arrays.json_array) as {{ element }},
        generate_subscripts(json_arrays.json_array, 1) as {{ position }}
    from (
        select
            {%- for column in columns %}
            {{ relation }}.{{ column }},
            {%- endfor %}
            cast(cast({{ relation }}.{{ json_array_text }} as json) as json[]) as json_array
        from {{ relation }}
    ) as json_arrays
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


{#-
    A select over `relation`: the `columns` listed, of its rows whose `key_columns` equal those
    of a row of `keys_relation` (a semi-join: a row is kept once, however many keys match it).
    For a set of keys much smaller than the relation, e.g. a few lines out of all of them.
-#}
{% macro rows_with_keys(relation, columns, keys_relation, key_columns) -%}
    {{ return(adapter.dispatch('rows_with_keys', 'accreditation_monitor')(relation, columns, keys_relation, key_columns)) }}
{%- endmacro %}

{% macro default__rows_with_keys(relation, columns, keys_relation, key_columns) -%}
    {{ _no_portable_sql('rows_with_keys') }}
{%- endmacro %}

{#-
    DuckDB builds its hash table on the side it estimates smaller, and it estimates the lines of
    the raw files at one row per piece (the lines come out of an unnest): joined to the
    superseded lines' keys, it hashed all the lines (10M bench: 11.7 s of the 14.4 s
    rejected_records took, 0.9 GB spilled). The keys are passed as one list and unnested, which
    DuckDB estimates at one row, so they are what it hashes.
-#}
{% macro duckdb__rows_with_keys(relation, columns, keys_relation, key_columns) -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    semi join (
        select unnest(key_list.keys, recursive := true)
        from (
            select list(struct_pack(
                {%- for key in key_columns %}
                {{ key }} := {{ keys_relation }}.{{ key }}{{ ',' if not loop.last }}
                {%- endfor %}
            )) as keys
            from {{ keys_relation }}
        ) as key_list
    ) as listed_keys
        on {% for key in key_columns -%}
            {{ relation }}.{{ key }} = listed_keys.{{ key }}{{ ' and ' if not loop.last }}
        {%- endfor %}
{%- endmacro %}

{% macro athena__rows_with_keys(relation, columns, keys_relation, key_columns) -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    where exists (
        select 1
        from {{ keys_relation }}
        where {% for key in key_columns -%}
            {{ keys_relation }}.{{ key }} = {{ relation }}.{{ key }}{{ ' and ' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
