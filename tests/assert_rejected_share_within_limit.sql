{#-
    Fails the build when more than var('max_rejected_share') of the non-blank lines were
    rejected: a few bad lines are data, that many is a broken feed.
-#}
{{ config(severity='error') }}

with

records as (

    select * from {{ ref('base_facility_records') }}

),

shares as (

    select
        count(*) as lines_read,
        count(reject_reason) as lines_rejected
    from records

),

final as (

    select
        lines_read,
        lines_rejected,
        cast(lines_rejected as double) / lines_read as rejected_share
    from shares
    where lines_read > 0
        and cast(lines_rejected as double) / lines_read > {{ max_rejected_share() }}

)

select * from final
