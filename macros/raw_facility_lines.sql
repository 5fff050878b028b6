{#
    Every physical line of the raw files, whole and unparsed:
    source_file, line_number (1-based physical line), raw_line (null or blank for blank lines).
#}
{% macro raw_facility_lines() -%}
    {{ return(adapter.dispatch('raw_facility_lines', 'accreditation_monitor')()) }}
{%- endmacro %}

{% macro default__raw_facility_lines() -%}
    {{ _no_portable_sql('raw_facility_lines') }}
{%- endmacro %}

{#
    DuckDB reads the files with read_csv (see the source's external_location): one VARCHAR column
    per line, BOM stripped, CRLF accepted, blank lines kept as null rows so that physical line
    numbers survive. row_number() over () follows scan order across files even when a file is
    read in parallel, while row_number() over (partition by filename) does not; a file's line
    number is its scan position minus that of its first line. The first positions come from a
    second, narrow scan (filename only, same files, same order, so the same positions) grouped by
    file and joined back: a window `min(scan_position) over (partition by filename)` buffers and
    sorts every raw line (1.8 to 5.8 s on 1M lines, and the whole input in memory) where the extra
    scan and a join with a one-row-per-file side cost about 1.7 s. A left join, so a query that
    needs no line numbers (the line-accounting test) still prunes it. Files must not change
    during a run (neither may they for the single scan: a line would be missed or counted twice).
#}
{% macro duckdb__raw_facility_lines() -%}
    {%- if execute -%}
        {%- set path = graph.sources['source.accreditation_monitor.facility_files.facility_lines'].meta.facilities_path -%}
        {%- set matched = run_query("select count(*) from glob('" ~ (path | replace("'", "''")) ~ "')").columns[0].values()[0] -%}
        {%- if matched == 0 -%}
            {{- exceptions.raise_compiler_error('FACILITIES_PATH "' ~ path ~ '" matches no file. Set FACILITIES_PATH to a file or a glob of NDJSON files, e.g. FACILITIES_PATH="data/incoming/*.ndjson".') -}}
        {%- endif -%}
    {%- endif -%}
    select
        scanned.source_file,
        scanned.scan_position - file_starts.first_position + 1 as line_number,
        scanned.raw_line
    from (
        select
            filename as source_file,
            line as raw_line,
            row_number() over () as scan_position
        from {{ source('facility_files', 'facility_lines') }}
    ) as scanned
    left join (
        select
            source_file,
            min(scan_position) as first_position
        from (
            select
                filename as source_file,
                row_number() over () as scan_position
            from {{ source('facility_files', 'facility_lines') }}
        ) as positions
        group by source_file
    ) as file_starts
        on scanned.source_file = file_starts.source_file
{%- endmacro %}

{#
    Athena reads the external text table that create_raw_facility_lines() makes: one string
    column per line, "$path" naming the file. Athena has no line numbers: line_number is the
    line's position in the order Athena read its file, which is the physical line number when
    the file is read as one split (a file below the split size, or a gzip-compressed file, which
    cannot be split). A BOM at the start of a file and the CR of a CRLF line end are removed
    here, as DuckDB's reader does.
#}
{% macro athena__raw_facility_lines() -%}
    select
        source_file,
        row_number() over (partition by source_file) as line_number,
        regexp_replace(
            case when starts_with(line, chr(65279)) then substr(line, 2) else line end,
            '\r$',
            ''
        ) as raw_line
    from (
        select
            "$path" as source_file,
            line
        from {{ source('facility_files', 'facility_lines') }}
    ) as scanned
{%- endmacro %}
