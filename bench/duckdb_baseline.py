#!/usr/bin/env python3
"""Hand-written DuckDB baseline: the three latest marts straight from NDJSON, no dbt.

This is the "fastest reasonable" version the dbt build is measured against, so it reads with a
typed `read_json` (DuckDB parses only the fields it needs into native types) instead of the
raw-line reading the dbt project uses to account for every line. That shortcut is only correct on
data without line-level defects: typed `read_json` cannot report bad lines, turns a numeric
`facility_id` into a string, and drops a whole facility whose `accreditations` array holds a
non-object. The benchmark therefore generates its data with only the defects this baseline does
handle (see bench/README.md): re-sent facilities (later line wins), invalid `valid_until` strings
and blank lines. Field quirks the generator always produces (`"unknown"` employee counts,
non-array or mixed `services`, missing location, sloppy state codes, null bodies) are handled
exactly as docs/contract.md says.

"Later line wins" without line numbers: `row_number() over ()` over the scan follows the order
the files are read in (glob order, then line order) when insertion order is preserved, as
tests/python/dbt_project/test_line_numbers.py shows; the benchmark's agreement check against
the pure-Python baseline (which counts lines itself) re-proves it on every run's data.

Writes tables facility_summary_v2, expiring_accreditations_v2 and
accredited_facilities_by_state_v2 into schema main of the DuckDB file given, like dbt does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import duckdb

COLUMNS = (
    "{facility_id: 'VARCHAR', facility_name: 'VARCHAR', location: 'STRUCT(state VARCHAR)', "
    # JSON-typed: these vary in type between records and the rules depend on the JSON type.
    "employee_count: 'JSON', services: 'JSON', "
    "accreditations: 'STRUCT(accreditation_body VARCHAR, accreditation_id VARCHAR, "
    "valid_until VARCHAR)[]'}"
)

# `facilities`: one row per kept facility (latest line per trimmed facility_id) with its valid
# accreditation entries as a list; every mart is a cheap pass over it.
FACILITIES_SQL = f"""
create temp table facilities as
with src as (
    select
        row_number() over () as rn,
        filename,
        trim(facility_id) as facility_id,
        -- Reduce each line to the mart fields before deduplicating: arg_max then carries a
        -- small struct instead of the raw JSON columns (about 15% less CPU at 1M).
        {{
            'facility_name': facility_name,
            -- Positive JSON integers are typed UBIGINT, negative ones BIGINT; else null.
            'employee_count': case
                when json_type(employee_count) in ('BIGINT', 'UBIGINT')
                    then employee_count::bigint
            end,
            'number_of_offered_services': case
                when json_type(services) = 'ARRAY' then len(list_filter(
                    json_extract(services, '$[*]'), lambda x: json_type(x) = 'VARCHAR'
                ))
                else 0
            end,
            'state': nullif(upper(trim(location.state)), ''),
            'accs': coalesce(list_filter(
                list_transform(accreditations, lambda a: {{
                    body: a.accreditation_body,
                    id: a.accreditation_id,
                    -- try_cast alone would accept 2025-6-1; the contract wants YYYY-MM-DD.
                    d: case
                        when regexp_full_match(a.valid_until, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')
                            then try_cast(a.valid_until as date)
                    end
                }}),
                lambda a: a.d is not null
            ), [])
        }} as f
    from read_json($glob, format = 'newline_delimited', columns = {COLUMNS}, filename = true)
),
latest as (
    -- arg_max per id is a hash aggregate; a window partitioned by id would sort every row.
    select facility_id, arg_max(f, (filename, rn)) as r
    from src
    where facility_id <> ''
    group by facility_id
)
select
    facility_id,
    r.facility_name as facility_name,
    r.employee_count as employee_count,
    r.number_of_offered_services as number_of_offered_services,
    r.state as state,
    r.accs as accs
from latest
"""

FACILITY_SUMMARY_SQL = """
create or replace table main.facility_summary_v2 as
select
    facility_id,
    facility_name,
    employee_count,
    number_of_offered_services,
    list_min(list_transform(accs, lambda a: a.d)) as expiry_date_of_first_accreditation,
    state,
    len(accs) as accreditation_count,
    row_number() over (
        order by expiry_date_of_first_accreditation asc nulls last, facility_id
    ) as expiry_rank
from facilities
"""

# Current = exactly one entry per (facility, body): the latest valid_until, and on a tie the later
# array entry (as the dbt model's row_number); null bodies stand alone. `accs` keeps array order
# (invalid entries removed), so a later list index is a later array position. An entry is current
# when no same-body entry beats it. Facilities hold a handful of entries, so the quadratic list
# test beats a window over every entry.
EXPIRING_SQL = """
create or replace table main.expiring_accreditations_v2 as
with cur as (
    select
        facility_id,
        facility_name,
        state,
        unnest(list_filter(accs, lambda a, i:
            a.d <= $horizon
            and (a.body is null or len(list_filter(accs, lambda b, j:
                b.body = a.body and (b.d > a.d or (b.d = a.d and j > i))
            )) = 0)
        )) as a
    from facilities
)
select
    facility_id,
    facility_name,
    state,
    a.body as accreditation_body,
    a.id as accreditation_id,
    a.d as valid_until,
    $as_of as as_of_date,
    (a.d - $as_of)::integer as days_until_expiry,
    case when a.d < $as_of then 'expired' else 'expiring' end as status
from cur
"""

BY_STATE_SQL = """
create or replace table main.accredited_facilities_by_state_v2 as
select
    state,
    count(*) as facility_count,
    count_if(len(accs) > 0)::bigint as accredited_facility_count,
    -- count_if over only NULLs is NULL, not 0: a state whose facilities have no entries.
    count_if(coalesce(list_max(list_transform(accs, lambda a: a.d)) >= $as_of, false))::bigint
        as currently_accredited_facility_count,
    $as_of as as_of_date
from facilities
group by state
"""


def six_months_later(d: dt.date) -> dt.date:
    """Calendar months with end-of-month clamping, as docs/contract.md specifies."""
    month0 = d.month - 1 + 6
    year, month = d.year + month0 // 12, month0 % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def run(glob: str, as_of: dt.date, database: Path, threads: int, memory_limit: str) -> None:
    con = duckdb.connect(
        str(database),
        config={
            "threads": threads,
            "memory_limit": memory_limit,
            # Same as the dbt profile; row_number() over () relies on it for scan order.
            "preserve_insertion_order": True,
        },
    )
    try:
        con.execute(FACILITIES_SQL, {"glob": glob})
        params = {"as_of": as_of, "horizon": six_months_later(as_of)}
        con.execute(FACILITY_SUMMARY_SQL)
        con.execute(EXPIRING_SQL, params)
        con.execute(BY_STATE_SQL, {"as_of": as_of})
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True, help="glob of NDJSON files")
    ap.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    ap.add_argument("--database", required=True, type=Path, help="DuckDB file to write")
    ap.add_argument("--threads", type=int, default=2, help="as the dbt profile (default 2)")
    ap.add_argument(
        "--memory-limit",
        default=os.environ.get("DUCKDB_MEMORY_LIMIT", "3GB"),
        help="as the dbt profile: env DUCKDB_MEMORY_LIMIT, default 3GB",
    )
    args = ap.parse_args(argv)
    started = time.perf_counter()
    run(args.input, args.as_of, args.database, args.threads, args.memory_limit)
    print(f"duckdb baseline: {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
