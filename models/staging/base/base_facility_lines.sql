{#-
    Every physical line of the raw files, numbered, whole and unparsed. raw_facility_lines knows
    each engine's reader. Ephemeral: compiled into base_facility_records, so the files are still
    read in the same single query, and base_facility_records' unit tests can give it lines.
-#}
with

raw_lines as (

    {{ raw_facility_lines() }}

),

final as (

    select
        source_file,
        line_number,
        raw_line
    from raw_lines

)

select * from final
