{#-
    Stage 4, v1: facilities whose accreditations array has at least one entry, valid or not,
    per state (a null state is its own row), most first.
-#}
with

facility_stats as (

    select * from {{ ref('int_facility_accreditation_stats') }}

),

final as (

    select
        state,
        count(*) as accredited_facilities_count
    from facility_stats
    where accreditation_entry_count > 0
    group by state

)

select * from final
order by accredited_facilities_count desc, state asc
