"""Print the headline rows of each mart after `dbt build` (the last step of `make demo`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

SECTIONS = [
    (
        "Line accounting: every non-blank input line is a facility or a rejected record",
        """
        select
            count(*) as lines_read,
            count(*) filter (where reject_reason is null) as facilities,
            count(reject_reason) as rejected,
            count(*) filter (where reject_reason = 'invalid_json') as invalid_json,
            count(*) filter (where reject_reason = 'not_an_object') as not_an_object,
            count(*) filter (where reject_reason = 'missing_facility_id') as missing_id,
            count(*) filter (where reject_reason = 'duplicate_superseded') as superseded
        from main.stg_facility_records
        """,
    ),
    (
        "Stage 1 - top_expiring_facilities (facility_summary v2, first 10 by expiry_rank)",
        """
        select expiry_rank, facility_id, facility_name, state, accreditation_count,
            expiry_date_of_first_accreditation
        from main.top_expiring_facilities
        order by expiry_rank
        limit 10
        """,
    ),
    (
        "Stage 2 - expiring_accreditations v2 (current accreditations expiring within 6 months)",
        """
        select status, count(*) as accreditations, min(days_until_expiry) as min_days,
            max(days_until_expiry) as max_days, any_value(as_of_date) as as_of_date
        from main.expiring_accreditations_v2
        group by status
        order by status
        """,
    ),
    (
        "Stage 2 - the 10 that lapse soonest from the as-of date on",
        """
        select facility_id, facility_name, state, accreditation_body, accreditation_id,
            valid_until, days_until_expiry
        from main.expiring_accreditations_v2
        where status = 'expiring'
        order by days_until_expiry, facility_id
        limit 10
        """,
    ),
    (
        "Stage 4 - accredited_facilities_by_state v2 (10 largest states)",
        """
        select state, facility_count, accredited_facility_count,
            currently_accredited_facility_count, as_of_date
        from main.accredited_facilities_by_state_v2
        order by facility_count desc, state
        limit 10
        """,
    ),
]


def main() -> int:
    database = Path(os.environ.get("DUCKDB_PATH", "target/accreditation_monitor.duckdb"))
    if not database.exists():
        print(f"No database at {database}: run `make demo` (or `dbt build`) first.", file=sys.stderr)
        return 2
    with duckdb.connect(str(database), read_only=True) as con:
        for title, sql in SECTIONS:
            print(f"\n{title}")
            con.sql(sql).show(max_width=160)
    return 0


if __name__ == "__main__":
    sys.exit(main())
