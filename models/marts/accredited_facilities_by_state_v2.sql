{#-
    Stage 4, v2: per state (a null state is its own row), all facilities, those with at least
    one valid accreditation, and those with one still valid on the as-of date.
-#}
with

facility_stats as (

    select * from {{ ref('int_facility_accreditation_stats') }}

),

final as (

    select
        state,
        count(*) as facility_count,
        count(case when accreditation_count > 0 then 1 end) as accredited_facility_count,
        count(case when is_currently_accredited then 1 end)
            as currently_accredited_facility_count,
        {{ as_of_date() }} as as_of_date
    from facility_stats
    group by state

)

select * from final
order by facility_count desc, state asc
