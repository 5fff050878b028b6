{#
    Athena only: creates (idempotently) the external table that the source facility_files.
    facility_lines reads, over the S3 prefix holding the NDJSON files (env ATHENA_RAW_LOCATION).
    One string column per line: Hive's default field delimiter \001 never occurs in JSON text,
    so every line arrives whole, including the ones that are not valid JSON.

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
        row format delimited
            fields terminated by '\001'
            lines terminated by '\n'
        stored as textfile
        location '{{ prefix }}'
    {%- endset -%}
    {% do run_query(create_schema) %}
    {% do run_query(create_table) %}
    {{ log('Raw table ' ~ source_relation.schema ~ '.' ~ source_relation.identifier ~ ' reads ' ~ prefix, info=true) }}
{% endmacro %}
