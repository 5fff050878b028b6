{#-
    Every non-blank line that did not become a facility, with the one reason why.
    base_facility_records keeps the raw line of the lines it rejected for a parse reason only,
    so the lines of superseded records are read from the files again here: those lines and no
    other are matched, by file and line number (rows_with_keys).
-#}
with

records as (

    select * from {{ ref('base_facility_records') }}

),

lines as (

    select * from {{ ref('base_facility_lines') }}

),

rejected as (

    select
        source_file,
        line_number,
        reject_reason,
        raw_line
    from records
    where reject_reason is not null

),

superseded as (

    select
        source_file,
        line_number
    from rejected
    where reject_reason = 'duplicate_superseded'

),

superseded_lines as (

    {{ rows_with_keys(
        'lines',
        ['source_file', 'line_number', 'raw_line'],
        'superseded',
        ['source_file', 'line_number']
    ) }}

),

final as (

    select
        rejected.source_file,
        rejected.line_number,
        rejected.reject_reason as reason,
        coalesce(rejected.raw_line, {{ stored_excerpt('superseded_lines.raw_line') }}) as raw_line
    from rejected
    left join superseded_lines
        on rejected.source_file = superseded_lines.source_file
            and rejected.line_number = superseded_lines.line_number

)

select * from final
