"""Print the headline rows of each mart after `dbt build` (the last step of `make demo`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

SECTIONS = [
    (
        "Load audit (load_audit): every non-blank line is a kept facility or a rejected record",
        """
        with audit as (
            select
                parse_filename(source_file) as file,
                lines_read,
                facilities_kept as kept,
                records_rejected as rejected,
                rejected_invalid_json as invalid_json,
                rejected_not_an_object as not_object,
                rejected_missing_facility_id as missing_id,
                rejected_duplicate_superseded as superseded,
                accreditation_entries as accr_entries,
                accreditations_rejected as accr_rejected
            from main.load_audit
        )
        select * from (select * from audit order by file)
        union all
        select
            'total: ' || count(*) || ' files',
            sum(lines_read)::bigint, sum(kept)::bigint, sum(rejected)::bigint,
            sum(invalid_json)::bigint, sum(not_object)::bigint, sum(missing_id)::bigint,
            sum(superseded)::bigint, sum(accr_entries)::bigint, sum(accr_rejected)::bigint
        from audit
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
        "Stage 2 - expiring_accreditations v3 (current accreditations expiring within 6 months)",
        """
        select status, count(*) as accreditations, min(days_until_expiry) as min_days,
            max(days_until_expiry) as max_days, any_value(as_of_date) as as_of_date,
            count(owner) as owned, count(acknowledged_until) as acknowledged
        from main.expiring_accreditations_v3
        group by status
        order by status
        """,
    ),
    (
        "Stage 2 - the 10 that lapse soonest from the as-of date on",
        """
        select facility_id, facility_name, state, accreditation_body, accreditation_id,
            valid_until, days_until_expiry, owner
        from main.expiring_accreditations_v3
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
        print(f"No database at {database}: run `make demo` (or `dbt build`).", file=sys.stderr)
        return 2
    with duckdb.connect(str(database), read_only=True) as con:
        for title, sql in SECTIONS:
            print(f"\n{title}")
            con.sql(sql).show(max_width=160)
    return 0


if __name__ == "__main__":
    sys.exit(main())
