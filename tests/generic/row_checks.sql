{#-
    Several row-level checks of one model in one test and one scan: each column in `not_null`
    must hold a value, and each SQL expression in `expressions` must be true (null counts as a
    failure, as in expression_is_true). It returns one row per check that fails, naming the check
    and how many rows fail it, and its failure count is the sum of those rows.

    Why grouped: dbt spends about 40 ms of its own on every test node, whatever the data, and
    one scan answers all of these checks. Separate not_null and expression_is_true tests on the
    marts made 84 of the build's 127 data tests; as row_checks they are 20.
    To see which check failed: `dbt test --select <test name> --store-failures`.
-#}
{% test row_checks(model, not_null=[], expressions=[]) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set checks = [] -%}
{%- for column_name in not_null -%}
    {%- do checks.append({'name': 'not_null: ' ~ column_name, 'holds': column_name ~ ' is not null'}) -%}
{%- endfor -%}
{%- for expression in expressions -%}
    {%- set name = modules.re.sub('\\s+', ' ', expression | trim) -%}
    {%- do checks.append({'name': name, 'holds': 'coalesce(' ~ expression ~ ', false)'}) -%}
{%- endfor -%}
{%- if checks | length == 0 -%}
    {{ exceptions.raise_compiler_error('row_checks on ' ~ model ~ ' names no check: give not_null or expressions') }}
{%- endif -%}

with

failing_rows_per_check as (

    select
        {%- for check in checks %}
        sum(case when {{ check.holds }} then 0 else 1 end) as check_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}

),

checks as (

    {%- for check in checks %}
    select
        '{{ check.name | replace("'", "''") }}' as failed_check,
        check_{{ loop.index }} as failing_rows
    from failing_rows_per_check
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from checks
where failing_rows > 0

{% endtest %}
