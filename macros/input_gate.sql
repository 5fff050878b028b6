{#
    The input gate, as a boolean SQL expression in the where clause of
    int_facility_accreditation_stats, current_accreditations and expiring_accreditations_v1
    (every mart is one of them or built from one). It is true, or it fails the query with a message, so dbt skips
    every mart and the notifier sends nothing, while the audit models, which read
    base_facility_records directly, are still built and explain the failure. An uncorrelated
    scalar subquery: evaluated once, also when there is no row to filter. It fails when:
    - fewer than var('min_facilities') facilities were read (default 1): an empty or blank-only
      input, or a glob over files without a facility, is a missing feed, not an all-clear;
    - more than var('max_rejected_share') of the non-blank lines are unreadable (rejected for any
      reason but duplicate_superseded: a later file that restates a facility is how a feed
      renews it, so a superseded record was read). The message names the share, the limit and
      the worst file.
#}
{% macro input_gate() -%}
    {%- set unreadable = "reject_reason <> 'duplicate_superseded'" -%}
    {%- set limit_percent = '%.2f' | format(max_rejected_share() * 100) -%}
    (
        select
            case
                when coalesce(sum(per_file.facilities), 0) < {{ min_facilities() }}
                    then {{ raise_error(
                        "'the build read ' || cast(coalesce(sum(per_file.facilities), 0) as varchar)"
                        ~ " || ' facilities from ' || cast(coalesce(sum(per_file.lines_read), 0) as varchar)"
                        ~ " || ' non-blank lines, fewer than min_facilities = " ~ min_facilities()
                        ~ ": an empty feed is not an all-clear (load_audit lists the files read)'"
                    ) }}
                when coalesce(sum(per_file.unreadable), 0)
                    > {{ max_rejected_share() }} * coalesce(sum(per_file.lines_read), 0)
                    then {{ raise_error(
                        "cast(cast(round(100.0 * sum(per_file.unreadable) / sum(per_file.lines_read), 2) as decimal(9, 2)) as varchar)"
                        ~ " || '% of ' || cast(sum(per_file.lines_read) as varchar)"
                        ~ " || ' non-blank lines are unreadable, above max_rejected_share = " ~ limit_percent ~ "%; worst file: '"
                        ~ " || max_by(per_file.source_file, 1.0 * per_file.unreadable / per_file.lines_read)"
                        ~ " || ' (' || cast(cast(round(max(100.0 * per_file.unreadable / per_file.lines_read), 2) as decimal(9, 2)) as varchar)"
                        ~ " || '%). rejected_records and load_audit hold the details.'"
                    ) }}
                else true
            end
        from (
            select
                source_file,
                count(*) as lines_read,
                count(case when {{ unreadable }} then 1 end) as unreadable,
                count(case when reject_reason is null then 1 end) as facilities
            from {{ ref('base_facility_records') }}
            group by source_file
        ) as per_file
    )
{%- endmacro %}

{#- Fails the query with `message` (a SQL text expression). -#}
{% macro raise_error(message) -%}
    {{ return(adapter.dispatch('raise_error', 'accreditation_monitor')(message)) }}
{%- endmacro %}

{% macro default__raise_error(message) -%}
    {{ _no_portable_sql('raise_error') }}
{%- endmacro %}

{% macro duckdb__raise_error(message) -%}
    error({{ message }})
{%- endmacro %}

{% macro athena__raise_error(message) -%}
    fail({{ message }})
{%- endmacro %}
