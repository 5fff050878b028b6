{#
    The as-of date every date computation uses: var('as_of_date') as YYYY-MM-DD, or today's
    date in UTC when it is empty. It is checked here, in Jinja, so that a malformed value fails
    compilation with a clear message and never reaches SQL unchecked.
#}
{% macro as_of_date_string() %}
    {%- set raw = var('as_of_date', '') -%}
    {%- set text = ('' if raw is none else raw | string) | trim -%}
    {%- if text == '' -%}
        {{- return(modules.datetime.datetime.utcnow().strftime('%Y-%m-%d')) -}}
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
    date '{{ as_of_date_string() }}'
{%- endmacro %}

{#- The end of the six-month window that stage 2 watches. -#}
{% macro expiry_horizon() -%}
    {{ add_months(as_of_date(), 6) }}
{%- endmacro %}
