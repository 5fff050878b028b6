{#-
    Every physical line of the raw files, numbered, whole and unparsed. raw_facility_lines knows
    each engine's reader. Ephemeral: compiled into each model that reads it, so no copy of the
    files is stored: base_facility_records reads every line, rejected_records the lines of
    superseded records again, for their text. base_facility_records' unit tests give it lines.
    file_order sorts as source_file does and is smaller: a number on DuckDB, the path on Athena.
-#}
with

raw_lines as (

    {{ raw_facility_lines() }}

),

final as (

    select
        source_file,
        file_order,
        line_number,
        raw_line
    from raw_lines

)

select * from final
