{#- Warns, with the count, when any input line was rejected; rejected_records says why. -#}
{{ config(severity='warn') }}

select * from {{ ref('rejected_records') }}
