{#-
    Fails the build when more than var('max_rejected_share') of the non-blank lines could not
    be read: a few bad lines are data, that many is a broken feed. A record superseded by a later
    one of the same facility is an update, not a bad line: a daily file that restates most
    facilities is the normal way a feed renews them.
-#}
{{ config(severity='error') }}

with

records as (

    select * from {{ ref('base_facility_records') }}

),

shares as (

    select
        count(*) as lines_read,
        count(
            case when reject_reason <> 'duplicate_superseded' then reject_reason end
        ) as lines_rejected
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
