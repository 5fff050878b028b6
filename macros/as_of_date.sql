{#
    The as-of date every date computation uses, YYYY-MM-DD: var('as_of_date') when given, else
    the environment variable AS_OF_DATE, else the UTC date on which this dbt invocation started
    (dbt's run_started_at, read once per invocation), so that every model of one build gets the
    same date even when the build runs past midnight. A given value is checked here, in Jinja,
    so that a malformed one fails compilation with a clear message and never reaches SQL
    unchecked.

    Why an environment variable as well as the var: dbt re-parses the whole project whenever
    `--vars` change (about 2.5 s here), so a daily build passing each new date as a var pays that
    every day; the environment variable is read only at execution, so a new date re-parses
    nothing.
#}
{% macro _as_of_date_string() %}
    {%- set raw = var('as_of_date', '') -%}
    {%- set from_var = ('' if raw is none else raw | string) | trim -%}
    {#- Read only when executing: while parsing, the date changes nothing, and an env_var read
        then would tie each file to it, so that every new date re-parsed them (about 1 s). -#}
    {%- set from_env = (env_var('AS_OF_DATE', '') | trim) if execute else '' -%}
    {%- set text = from_var or from_env -%}
    {%- if text == '' -%}
        {%- if run_started_at is none -%}
            {{- exceptions.raise_compiler_error('as_of_date: dbt gave no run_started_at to take the date from; set AS_OF_DATE=2025-08-31 or pass --vars \'{as_of_date: "2025-08-31"}\'') -}}
        {%- endif -%}
        {#- dbt's run_started_at is in UTC. -#}
        {{- return(run_started_at.strftime('%Y-%m-%d')) -}}
    {%- endif -%}
    {%- set problem = 'as_of_date must be a real calendar date written YYYY-MM-DD, got "' ~ text ~ '"' -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{- exceptions.raise_compiler_error(problem) -}}
    {%- endif -%}
    {%- set year = text[0:4] | int -%}
    {%- set month = text[5:7] | int -%}
    {%- set day = text[8:10] | int -%}
    {%- if year < 1 or month < 1 or month > 12 or day < 1 -%}
        {{- exceptions.raise_compiler_error(problem) -}}
    {%- endif -%}
    {%- set first_of_next_month = modules.datetime.date(year + (month // 12), (month % 12) + 1, 1) -%}
    {%- set days_in_month = (first_of_next_month - modules.datetime.timedelta(days=1)).day -%}
    {%- if day > days_in_month -%}
        {{- exceptions.raise_compiler_error(problem) -}}
    {%- endif -%}
    {{- return(text) -}}
{% endmacro %}

{% macro as_of_date() -%}
    date '{{ _as_of_date_string() }}'
{%- endmacro %}

{#-
    The end of the six-month window that stage 2 watches, as a date: calendar months with the
    end of the month clamped (2025-08-31 gives 2026-02-28). dbt's dateadd is `d + n * interval
    1 month` on DuckDB and `date_add('month', n, d)` on Athena; both clamp.
-#}
{% macro expiry_horizon() -%}
    {{ dbt.cast(dbt.dateadd('month', 6, as_of_date()), 'date') | trim }}
{%- endmacro %}

{#- Days from the as-of date to a date (date - as_of_date): 0 that day, negative before it. -#}
{% macro days_from_as_of_date(date_expression) -%}
    {{ dbt.datediff(as_of_date(), date_expression, 'day') | trim }}
{%- endmacro %}

{#-
    Run before any node (on-run-start): a malformed date stops the build at once, before staging
    runs, even when it comes from AS_OF_DATE, which dbt reads only at execution. Renders no SQL.
-#}
{% macro check_as_of_date() -%}
    {%- do _as_of_date_string() -%}
{%- endmacro %}
