{#-
    The line accounting invariant: non-blank lines read from the files = facilities kept +
    records rejected. The lines are counted straight from the files again, independently of
    staging, so a line lost anywhere in between shows up here.
-#}
{{ config(severity='error') }}

with

raw_lines as (

    {{ raw_facility_lines() }}

),

lines_read as (

    select count(*) as line_count
    from raw_lines
    where not {{ is_blank_line('raw_line') }}

),

facilities as (

    select count(*) as facility_count from {{ ref('stg_facilities') }}

),

rejected as (

    select count(*) as rejected_count from {{ ref('rejected_records') }}

),

final as (

    select
        lines_read.line_count,
        facilities.facility_count,
        rejected.rejected_count
    from lines_read
    cross join facilities
    cross join rejected
    where lines_read.line_count <> facilities.facility_count + rejected.rejected_count

)

select * from final
