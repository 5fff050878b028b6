{#
    Athena only: creates (idempotently) the external table that the source facility_files.
    facility_lines reads, over the S3 prefix holding the NDJSON files (env ATHENA_RAW_LOCATION).
    One string column per line, the whole line: RegexSerDe with (?s)(.*) takes every character
    of it, where a delimited row format would cut the line at its field delimiter (\001, which a
    bad line can hold). Lines end at LF, CRLF or a lone CR (Hadoop's LineReader); a .gz file is
    decompressed by its extension; bytes that are not UTF-8 arrive as U+FFFD.

        dbt run-operation create_raw_facility_lines --target athena
#}
{% macro create_raw_facility_lines(location=none) %}
    {%- if target.type != 'athena' -%}
        {{ exceptions.raise_compiler_error('create_raw_facility_lines is for the athena target; the local target reads FACILITIES_PATH directly.') }}
    {%- endif -%}
    {%- set location = location or env_var('ATHENA_RAW_LOCATION', '') -%}
    {%- if not modules.re.fullmatch('s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\'\\\\]*)?', location) -%}
        {{ exceptions.raise_compiler_error('ATHENA_RAW_LOCATION must be the s3:// prefix holding the NDJSON files, e.g. s3://my-bucket/facilities/raw/; got "' ~ location ~ '"') }}
    {%- endif -%}
    {%- set prefix = location if location.endswith('/') else location ~ '/' -%}
    {%- set source_relation = source('facility_files', 'facility_lines') -%}
    {%- set create_schema -%}
        create database if not exists `{{ source_relation.schema }}`
    {%- endset -%}
    {%- set create_table -%}
        create external table if not exists `{{ source_relation.schema }}`.`{{ source_relation.identifier }}` (
            `line` string
        )
        row format serde 'org.apache.hadoop.hive.serde2.RegexSerDe'
            with serdeproperties ('input.regex' = '(?s)(.*)')
        stored as textfile
        location '{{ prefix }}'
    {%- endset -%}
    {% do run_query(create_schema) %}
    {% do run_query(create_table) %}
    {{ log('Raw table ' ~ source_relation.schema ~ '.' ~ source_relation.identifier ~ ' reads ' ~ prefix, info=true) }}
{% endmacro %}
