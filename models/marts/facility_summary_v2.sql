{#-
    Stage 1, v2: v1 plus state, the count of valid accreditations and the expiry rank.
    expiry_rank is row_number() over (order by expiry_date_of_first_accreditation asc nulls
    last, facility_id asc), computed in two parts: the rank within the facility's expiry date,
    plus the number of facilities whose date comes earlier. One window over every facility is a
    single partition, which DuckDB sorts on one thread; one partition per date spreads the sort
    over both, and the dates are a few thousand rows (bench/README.md, tenth step: the same
    ranks in about 60% of the time at 1M). Facilities without a date are one partition, last.
-#}
with

facility_stats as (

    select * from {{ ref('int_facility_accreditation_stats') }}

),

ranked_within_date as (

    select
        *,
        row_number() over (
            partition by expiry_date_of_first_accreditation
            order by facility_id asc
        ) as rank_within_date
    from facility_stats

),

facilities_per_date as (

    select
        expiry_date_of_first_accreditation,
        count(*) as facility_count
    from facility_stats
    group by expiry_date_of_first_accreditation

),

facilities_before_date as (

    select
        expiry_date_of_first_accreditation,
        -- DuckDB sums bigints into a hugeint; the contract's expiry_rank is a bigint.
        cast(
            coalesce(
                sum(facility_count) over (
                    order by expiry_date_of_first_accreditation asc nulls last
                    rows between unbounded preceding and 1 preceding
                ),
                0
            ) as bigint
        ) as facilities_before
    from facilities_per_date

),

final as (

    select
        ranked_within_date.facility_id,
        ranked_within_date.facility_name,
        ranked_within_date.employee_count,
        ranked_within_date.number_of_offered_services,
        ranked_within_date.expiry_date_of_first_accreditation,
        ranked_within_date.state,
        ranked_within_date.accreditation_count,
        facilities_before_date.facilities_before
        + ranked_within_date.rank_within_date as expiry_rank
    from ranked_within_date
    inner join facilities_before_date
        on ranked_within_date.expiry_date_of_first_accreditation
            is not distinct from facilities_before_date.expiry_date_of_first_accreditation

)

select * from final
