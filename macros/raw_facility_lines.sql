{#
    Every physical line of the raw files, whole and unparsed:
    source_file, file_order (sorts as source_file does), line_number (1-based physical line),
    raw_line (null or blank for blank lines).
#}
{% macro raw_facility_lines() -%}
    {{ return(adapter.dispatch('raw_facility_lines', 'accreditation_monitor')()) }}
{%- endmacro %}

{% macro default__raw_facility_lines() -%}
    {{ _no_portable_sql('raw_facility_lines') }}
{%- endmacro %}

{#
    DuckDB. The files matching FACILITIES_PATH are listed when the query is compiled and cut
    into pieces of whole lines, about var('raw_file_piece_bytes') each, by functions the
    project's dbt-duckdb plugin registers (notifier/file_pieces.py): a piece is one value and
    one source of the query, so memory stays near the piece size however large a file is,
    DuckDB reads the pieces in parallel, and the line numbers each piece starts at are known
    before it is read. A .gz file is one piece, decompressed by gunzip_file(), since it cannot
    be read from the middle; DuckDB decompresses only in its CSV and JSON readers, neither of
    which can read every line. Each piece is split here: LF, CRLF and a lone CR each end a line
    (Hadoop's LineReader's rule, what Athena's text reader does), a final line end adds no
    line, and no byte is lost. A piece that is valid UTF-8 (DuckDB's decode) is split as text;
    any other is split in DuckDB's escaped blob text (\xHH for every byte that is no printable
    ASCII, \x5C for the backslash), and each line decoded on its own: a valid line as it is, an
    invalid one with each maximal ill-formed subsequence replaced by U+FFFD (the Unicode
    recommendation, what Python's errors='replace' and Java's decoder do), so only that line is
    invalid_encoding and the rest of the file is read normally. A BOM at the start of a file
    (line 1) is removed; anywhere else it stays.
#}
{% macro duckdb__raw_facility_lines() -%}
    {%- set path = _duckdb_facilities_path() -%}
    {%- set pieces = [] -%}
    {%- if execute -%}
        {%- set listed = run_query("select file from " ~ _duckdb_glob(path)) -%}
        {%- if listed.rows | length == 0 -%}
            {{- exceptions.raise_compiler_error('FACILITIES_PATH "' ~ path ~ '" matches no file. Set FACILITIES_PATH to a file or a glob of NDJSON files, e.g. FACILITIES_PATH="data/incoming/*.ndjson".') -}}
        {%- endif -%}
        {%- set pieces = run_query(
            "select file, dense_rank() over (order by file) as file_order,"
            ~ " piece.start, piece.length, piece.first_line"
            ~ " from (select file, unnest(facility_file_pieces(file, " ~ raw_file_piece_bytes() ~ ")) as piece"
            ~ " from " ~ _duckdb_glob(path) ~ ")"
            ~ " order by file, piece.start"
        ).rows -%}
    {%- endif -%}
    select
        source_file,
        file_order,
        line_number,
        case
            when line_number = 1 and starts_with(raw_line, chr(65279)) then substr(raw_line, 2)
            else raw_line
        end as raw_line
    from (
        select
            source_file,
            file_order,
            first_line + line_index - 1 as line_number,
            case
                when is_utf8 then line
                else {{ _duckdb_decode_escaped_bytes('line') }}
            end as raw_line
        from (
            select
                source_file,
                file_order,
                first_line,
                is_utf8,
                line_count,
                unnest(split_lines) as line,
                generate_subscripts(split_lines, 1) as line_index
            from (
                select
                    source_file,
                    file_order,
                    first_line,
                    is_utf8,
                    split_lines,
                    -- A final line end ends the last line; it does not start an empty one. The
                    -- empty element is filtered out after the unnest: a list_slice copied every
                    -- line's text (4.3 s of CPU over the 10M bench's lines).
                    len(split_lines) - case when split_lines[-1] = '' then 1 else 0 end as line_count
                from (
                    select
                        source_file,
                        file_order,
                        first_line,
                        piece_text is not null as is_utf8,
                        case
                            -- Most pieces have no CR: a plain split is five times faster.
                            when piece_text is not null and not contains(piece_text, chr(13))
                                then string_split(piece_text, chr(10))
                            when piece_text is not null
                                then string_split_regex(piece_text, '\r\n|\r|\n')
                            else string_split_regex(cast(content as varchar), '\\x0D\\x0A|\\x0D|\\x0A')
                        end as split_lines
                    from (
                        select
                            source_file,
                            file_order,
                            first_line,
                            content,
                            try(decode(content)) as piece_text
                        from (
                            {%- for file, file_order, start, length, first_line in pieces %}
                            {%- set quoted = file | replace("'", "''") %}
                            select
                                '{{ quoted }}' as source_file,
                                cast({{ file_order }} as bigint) as file_order,
                                cast({{ first_line }} as bigint) as first_line,
                                {%- if file.lower().endswith('.gz') %}
                                gunzip_file(read_facility_file_piece('{{ quoted }}', {{ start }}, {{ length }}), '{{ quoted }}') as content
                                {%- else %}
                                read_facility_file_piece('{{ quoted }}', {{ start }}, {{ length }}) as content
                                {%- endif %}
                            union all
                            {%- endfor %}
                            -- Keeps the query whole when every file is empty.
                            select
                                cast(null as varchar) as source_file,
                                cast(null as bigint) as file_order,
                                cast(null as bigint) as first_line,
                                cast(null as blob) as content
                            where false
                        ) as pieces
                    ) as decoded_pieces
                ) as split_pieces
            ) as pieces_lines
        ) as numbered_lines
        where line_index <= line_count
    ) as lines
{%- endmacro %}

{#-
    DuckDB's escaped blob text of one line's bytes, decoded: as it is when valid UTF-8, else
    with each maximal ill-formed subsequence (a byte that starts no valid sequence, or the
    longest start of one that breaks off) replaced by U+FFFD. The tokens are: a run of escapes
    forming valid multi-byte sequences or ASCII, a broken-off start of a sequence, or one byte.
-#}
{% macro _duckdb_decode_escaped_bytes(escaped) -%}
    {%- set c = '\\\\x[89AB][0-9A-F]' -%}
    {%- set valid = '(?:\\\\x[0-7][0-9A-F]|[^\\\\]|\\\\x(?:C[2-9A-F]|D[0-9A-F])' ~ c
        ~ '|\\\\xE0\\\\x[AB][0-9A-F]' ~ c ~ '|\\\\x(?:E[1-9A-CEF])' ~ c ~ c
        ~ '|\\\\xED\\\\x[89][0-9A-F]' ~ c ~ '|\\\\xF0\\\\x[9AB][0-9A-F]' ~ c ~ c
        ~ '|\\\\xF[1-3]' ~ c ~ c ~ c ~ '|\\\\xF4\\\\x8[0-9A-F]' ~ c ~ c ~ ')+' -%}
    {%- set broken = '\\\\xE0\\\\x[AB][0-9A-F]|\\\\xE[1-9A-CEF]' ~ c
        ~ '|\\\\xED\\\\x[89][0-9A-F]|\\\\xF0\\\\x[9AB][0-9A-F](?:' ~ c ~ ')?'
        ~ '|\\\\xF[1-3](?:' ~ c ~ '){1,2}|\\\\xF4\\\\x8[0-9A-F](?:' ~ c ~ ')?|\\\\x[0-9A-F]{2}' -%}
    coalesce(
        try(decode(cast({{ escaped }} as blob))),
        decode(cast(array_to_string(list_transform(
            regexp_extract_all({{ escaped }}, '{{ valid }}|{{ broken }}'),
            lambda token: case when regexp_full_match(token, '{{ valid }}') then token else '\xEF\xBF\xBD' end
        ), '') as blob))
    )
{%- endmacro %}

{#
    Athena reads the external text table that create_raw_facility_lines() makes: one string
    column per line, "$path" naming the file, lines ended by LF, CRLF or a lone CR (Hadoop's
    LineReader), .gz files decompressed by extension. Athena has no line numbers: line_number is
    the line's position in the order Athena read its file, which is the physical line number
    when the file is read as one split (a file below the split size, or a gzip-compressed file,
    which cannot be split). from_utf8(to_utf8(line)) replaces any byte sequence that is not
    UTF-8 with U+FFFD (a no-op when the reader already did), so such a line is
    invalid_encoding. A BOM at the start of a file (line 1) is removed; anywhere else it stays.
#}
{% macro athena__raw_facility_lines() -%}
    select
        source_file,
        source_file as file_order,
        line_number,
        case
            when line_number = 1 and starts_with(raw_line, chr(65279)) then substr(raw_line, 2)
            else raw_line
        end as raw_line
    from (
        select
            source_file,
            row_number() over (partition by source_file) as line_number,
            from_utf8(to_utf8(line)) as raw_line
        from (
            select
                "$path" as source_file,
                line
            from {{ source('facility_files', 'facility_lines') }}
        ) as scanned
    ) as numbered
{%- endmacro %}

{#-
    The files the build reads, one row each (source_file), named as raw_facility_lines names
    them. DuckDB: the glob's matches, listed without reading them, so a file of zero bytes is
    one too. Athena: the files the raw table gives at least one row for: a blank line is a row,
    but an object of zero bytes has none and cannot be listed from SQL.
-#}
{% macro facility_files() -%}
    {{ return(adapter.dispatch('facility_files', 'accreditation_monitor')()) }}
{%- endmacro %}

{% macro default__facility_files() -%}
    {{ _no_portable_sql('facility_files') }}
{%- endmacro %}

{% macro duckdb__facility_files() -%}
    {%- set path = _duckdb_facilities_path() -%}
    select file as source_file
    from {{ _duckdb_glob(path) }}
{%- endmacro %}

{% macro athena__facility_files() -%}
    select distinct "$path" as source_file
    from {{ source('facility_files', 'facility_lines') }}
{%- endmacro %}

{#- DuckDB's glob() table function over a path or pattern, quoted for SQL. -#}
{% macro _duckdb_glob(path) -%}
    glob('{{ path | replace("'", "''") }}')
{%- endmacro %}

{#-
    The FACILITIES_PATH glob the local target reads (the source's meta). The source is what
    the reading macros read, for lineage; on DuckDB its relation is never queried.
-#}
{% macro _duckdb_facilities_path() -%}
    {%- set source_relation = source('facility_files', 'facility_lines') -%}
    {{- return(graph.sources['source.accreditation_monitor.facility_files.facility_lines'].meta.facilities_path if execute else '') -}}
{%- endmacro %}

{#-
    The files the build reads, as a list of paths in the order of raw_facility_lines'
    file_order, for the models that carry file_order in place of the path and name the file
    again later (base_facility_records: its recency window then holds a number, not the path,
    for every line). DuckDB: the matches of FACILITIES_PATH, listed when the model is compiled
    and sorted as DuckDB sorts text, as the reader sorts them. Athena: none, since its
    file_order is the path itself. A unit test gives the files of its rows instead
    (overrides: macros: facility_file_names).
-#}
{% macro facility_file_names() -%}
    {{ return(adapter.dispatch('facility_file_names', 'accreditation_monitor')()) }}
{%- endmacro %}

{% macro default__facility_file_names() -%}
    {{ _no_portable_sql('facility_file_names') }}
{%- endmacro %}

{% macro duckdb__facility_file_names() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set path = _duckdb_facilities_path() -%}
    {%- set listed = run_query("select file from " ~ _duckdb_glob(path) ~ " order by file") -%}
    {{ return(listed.columns[0].values() | list) }}
{%- endmacro %}

{% macro athena__facility_file_names() -%}
    {{ return([]) }}
{%- endmacro %}

{#-
    file_order as it is, once its file is known to be the one facility_file_names() lists at
    that place: the reader and the model list the files at two moments, so a file added or
    removed in between would shift the numbers, and would name the wrong file. That stops the
    build instead. Athena: file_order is the path, nothing to check.
-#}
{% macro checked_file_order(file_order, source_file, file_names) -%}
    {{ return(adapter.dispatch('checked_file_order', 'accreditation_monitor')(file_order, source_file, file_names)) }}
{%- endmacro %}

{% macro default__checked_file_order(file_order, source_file, file_names) -%}
    {{ _no_portable_sql('checked_file_order') }}
{%- endmacro %}

{% macro duckdb__checked_file_order(file_order, source_file, file_names) -%}
    case
        when {{ duckdb__file_of_order(file_order, file_names) }} = {{ source_file }} then {{ file_order }}
        else error(
            'The facility files changed while the build was reading them (FACILITIES_PATH matched other files a moment later): run the build again.'
        )
    end
{%- endmacro %}

{% macro athena__checked_file_order(file_order, source_file, file_names) -%}
    {{ file_order }}
{%- endmacro %}

{#- The path of the file at file_order in facility_file_names(). Athena: file_order is the path. -#}
{% macro file_of_order(file_order, file_names) -%}
    {{ return(adapter.dispatch('file_of_order', 'accreditation_monitor')(file_order, file_names)) }}
{%- endmacro %}

{% macro default__file_of_order(file_order, file_names) -%}
    {{ _no_portable_sql('file_of_order') }}
{%- endmacro %}

{% macro duckdb__file_of_order(file_order, file_names) -%}
    {{ _duckdb_text_list(file_names) }}[{{ file_order }}]
{%- endmacro %}

{% macro athena__file_of_order(file_order, file_names) -%}
    {{ file_order }}
{%- endmacro %}

{#- A DuckDB list literal of text values, typed even when empty. -#}
{% macro _duckdb_text_list(values) -%}
    cast([
        {%- for value in values -%}
            '{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    ] as varchar[])
{%- endmacro %}
