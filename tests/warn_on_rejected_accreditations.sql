{#- Warns when any accreditation entry was rejected; rejected_accreditations says why. -#}
{{ config(severity='warn') }}

select * from {{ ref('rejected_accreditations') }}
