{#- The facilities whose first accreditation expires soonest: facility_summary v2, top N. -#}
with

facility_summary as (

    select * from {{ ref('facility_summary', v=2) }}

),

final as (

    select *
    from facility_summary
    where expiry_rank <= {{ top_n() }}

)

select * from final
