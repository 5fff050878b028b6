{#-
    The checks of one model in one test node: each column in `not_null` must hold a value; each
    key in `unique` (a column or a list of columns) must not repeat, leaving out rows whose key
    columns are all null, as dbt's `unique` leaves out null; each column in `accepted_values`
    must be null or one of its values; each SQL expression in `expressions` must be true (null
    counts as a failure, as in expression_is_true). The row checks share one scan, each unique
    key adds one grouping. It returns one row per check that fails, naming the check and how
    many rows (for a key: how many repeated values) fail it, and its failure count is the sum
    of those rows.

    Why grouped: dbt spends 15-70 ms of its own on every test node, whatever the data. With
    separate not_null, unique, accepted_values and expression_is_true tests the build had 127
    data tests; grouped per model (19 row_checks) it has 34.
    To see which check failed: `dbt test --select <test name> --store-failures`.
-#}
{% test row_checks(model, not_null=[], unique=[], accepted_values={}, expressions=[]) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set row_checks = [] -%}
{%- for column_name in not_null -%}
    {%- do row_checks.append({'name': 'not_null: ' ~ column_name, 'holds': column_name ~ ' is not null'}) -%}
{%- endfor -%}
{%- for column_name, values in accepted_values.items() -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {%- do row_checks.append({
        'name': 'accepted_values: ' ~ column_name,
        'holds': column_name ~ ' is null or ' ~ column_name ~ ' in (' ~ quoted | join(', ') ~ ')',
    }) -%}
{%- endfor -%}
{%- for expression in expressions -%}
    {%- set name = modules.re.sub('\\s+', ' ', expression | trim) -%}
    {%- do row_checks.append({'name': name, 'holds': 'coalesce(' ~ expression ~ ', false)'}) -%}
{%- endfor -%}
{%- set unique_keys = [] -%}
{%- for key in unique -%}
    {%- do unique_keys.append([key] if key is string else key) -%}
{%- endfor -%}
{%- if row_checks | length + unique_keys | length == 0 -%}
    {{ exceptions.raise_compiler_error('row_checks on ' ~ model ~ ' names no check: give not_null, unique, accepted_values or expressions') }}
{%- endif -%}

with
{% if row_checks %}
failing_rows_per_check as (

    select
        {%- for check in row_checks %}
        sum(case when {{ check.holds }} then 0 else 1 end) as check_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}

),
{% endif %}
{%- for key in unique_keys %}
repeated_key_{{ loop.index }} as (

    select count(*) as repeated_values
    from (
        select 1 as repeated
        from {{ model }}
        where not ({{ key | join(' is null and ') }} is null)
        group by {{ key | join(', ') }}
        having count(*) > 1
    ) as repeated_keys

),
{% endfor %}
checks as (

    {%- for check in row_checks %}
    select
        '{{ check.name | replace("'", "''") }}' as failed_check,
        check_{{ loop.index }} as failing_rows
    from failing_rows_per_check
    {%- if not loop.last or unique_keys %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- for key in unique_keys %}
    select
        'unique: {{ key | join(", ") }}' as failed_check,
        repeated_values as failing_rows
    from repeated_key_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from checks
where failing_rows > 0

{% endtest %}
