"""Checks on the feed as a whole, and field forms feeds really send.

- The input gate stops the build before any mart, with a message naming the share, the limit and
  the worst file, while rejected_records and load_audit are built from the new data and explain
  the failure. An empty feed is a loud error, not an all-clear.
- A state written as its USPS name becomes the code; valid_until as a timestamp or padded with
  white space is read, ambiguous or impossible dates are rejected; a null entry is not an object.
- DUCKDB_PATH may point into a folder that does not exist yet.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from dbt_testing import DbtRun, run_dbt

AS_OF = "2026-12-01"


def record(facility_id: str, **fields: object) -> str:
    return json.dumps({"facility_id": facility_id, **fields}) + "\n"


def entry(body: str, accreditation_id: str, valid_until: object) -> dict[str, object]:
    return {
        "accreditation_body": body,
        "accreditation_id": accreditation_id,
        "valid_until": valid_until,
    }


def rejected(body: str, accreditation_id: str, valid_until: str) -> tuple[object, ...]:
    """A rejected entry's row: no date, the reason, the entry's JSON as the engine writes it."""
    text = json.dumps(entry(body, accreditation_id, valid_until), separators=(",", ":"))
    return (None, "invalid_valid_until", text)


def test_state_names_and_valid_until_forms(
    dbt_build: Callable[..., DbtRun], tmp_path: Path
) -> None:
    path = tmp_path / "forms.ndjson"
    path.write_text(
        record("F1", location={"state": "Texas"})
        + record("F2", location={"state": " new york "})
        + record("F3", location={"state": "District of Columbia"})
        + record("F4", location={"state": "tx"})
        + record("F5", location={"state": "Texas Republic"})
        + record(
            "F6",
            accreditations=[
                entry("NCQA", "A1", "2026-12-31T00:00:00Z"),
                entry("DNV", "A2", "2026-12-30t23:59:59.250+05:30"),
                entry("JC", "A3", " 2026-12-29 "),
                entry("B4", "A4", "12/31/2026"),
                entry("B5", "A5", "31.12.2026"),
                entry("B6", "A6", "0000-01-01"),
                entry("B7", "A7", "2025-02-29"),
                entry("B8", "A8", "2024-02-29"),
                entry("B9", "A9", "2026-12-31T25:00:00Z"),
                entry("B10", "A10", "2026-12-31T10:00:00"),
                None,
            ],
        )
    )
    run = dbt_build(path, AS_OF)
    assert run.rows("select facility_id, state from stg_facilities order by facility_id") == [
        ("F1", "TX"),
        ("F2", "NY"),
        ("F3", "DC"),
        ("F4", "TX"),
        ("F5", "TEXAS REPUBLIC"),
        ("F6", None),
    ]
    assert run.rows(
        "select position, cast(valid_until as varchar), reject_reason, raw_value"
        " from stg_accreditations order by position"
    ) == [
        (1, "2026-12-31", None, None),
        (2, "2026-12-30", None, None),  # the date as written, no time-zone conversion
        (3, "2026-12-29", None, None),
        (4, *rejected("B4", "A4", "12/31/2026")),
        (5, *rejected("B5", "A5", "31.12.2026")),
        (6, *rejected("B6", "A6", "0000-01-01")),
        (7, *rejected("B7", "A7", "2025-02-29")),
        (8, "2024-02-29", None, None),
        (9, *rejected("B9", "A9", "2026-12-31T25:00:00Z")),
        # A date-time without an offset is not RFC 3339: which day it is depends on a zone.
        (10, *rejected("B10", "A10", "2026-12-31T10:00:00")),
        (11, None, "not_an_object", "null"),
    ]
    # The states group as codes in stage 4.
    assert run.rows(
        "select state, facility_count from accredited_facilities_by_state_v2"
        " where state in ('TX', 'NY', 'DC') order by state"
    ) == [("DC", 1), ("NY", 1), ("TX", 2)]


def test_too_many_unreadable_lines_stop_the_marts_after_the_audit(tmp_path: Path) -> None:
    good = tmp_path / "a_good.ndjson"
    good.write_text("".join(record(f"G{i}") for i in range(18)))
    bad = tmp_path / "b_bad.ndjson"
    bad.write_text(record("B1") + "not json\n[1, 2]\n" + record("") + record("G0"))
    run = run_dbt(
        tmp_path / "run", "build", facilities_path=tmp_path / "*.ndjson", as_of_date=AS_OF
    )
    assert run.returncode == 1
    # 3 unreadable lines of 23 (the superseded G0 is an update, not a bad line).
    assert (
        "13.04% of 23 non-blank lines are unreadable, above max_rejected_share = 5.00%; "
        f"worst file: {bad} (60.00%). rejected_records and load_audit hold the details."
    ) in run.output
    statuses = run.results_by_name()
    assert statuses["load_audit"] == "success" and statuses["rejected_records"] == "success"
    assert statuses["int_facility_accreditation_stats"] == "error"
    assert statuses["current_accreditations"] == "error"
    # v1 reads staging and checks the gate itself; v2 and v3 are built from current_accreditations.
    assert statuses["expiring_accreditations.v1"] == "error"
    assert {statuses[f"expiring_accreditations.v{v}"] for v in (2, 3)} == {"skipped"}
    assert run.rows(
        "select source_file, lines_read, records_rejected from load_audit order by source_file"
    ) == [(str(good), 18, 1), (str(bad), 5, 3)]
    assert run.rows(
        "select source_file, line_number, reason from rejected_records"
        " order by source_file, line_number"
    ) == [
        (str(good), 1, "duplicate_superseded"),
        (str(bad), 2, "invalid_json"),
        (str(bad), 3, "not_an_object"),
        (str(bad), 4, "missing_facility_id"),
    ]


def test_an_empty_feed_is_an_error_not_an_all_clear(tmp_path: Path) -> None:
    (tmp_path / "empty.ndjson").write_text("")
    (tmp_path / "blank.ndjson").write_text("\n   \n\t\n")
    run = run_dbt(
        tmp_path / "run", "build", facilities_path=tmp_path / "*.ndjson", as_of_date=AS_OF
    )
    assert run.returncode == 1
    assert (
        "the build read 0 facilities from 0 non-blank lines, fewer than min_facilities = 1: "
        "an empty feed is not an all-clear (load_audit lists the files read)"
    ) in run.output
    assert run.results_by_name()["expiring_accreditations.v3"] == "skipped"
    # min_facilities: 0 accepts it (a feed that may be empty on purpose).
    allowed = run_dbt(
        tmp_path / "allowed",
        "build",
        facilities_path=tmp_path / "*.ndjson",
        as_of_date=AS_OF,
        extra_vars={"min_facilities": 0},
    )
    assert allowed.returncode == 0, allowed.output[-3000:]
    assert allowed.rows("select count(*) from expiring_accreditations_v3") == [(0,)]
    # Every file read has a row, an empty or blank-only one too: the empty delivery is seen.
    assert allowed.rows(
        "select source_file, lines_read, facilities_kept, records_rejected from load_audit"
        " order by source_file"
    ) == [(str(tmp_path / "blank.ndjson"), 0, 0, 0), (str(tmp_path / "empty.ndjson"), 0, 0, 0)]
    malformed = run_dbt(
        tmp_path / "malformed",
        "build",
        facilities_path=tmp_path / "*.ndjson",
        as_of_date=AS_OF,
        extra_vars={"min_facilities": "some"},
    )
    assert malformed.returncode != 0
    assert 'min_facilities must be a whole number of facilities, 0 or more, got "some"' in (
        malformed.output
    )


def test_duckdb_path_in_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    facilities = tmp_path / "one.ndjson"
    facilities.write_text(record("F1"))
    database = tmp_path / "not" / "yet" / "there" / "warehouse.duckdb"
    run = run_dbt(
        tmp_path / "run",
        "build",
        "--select",
        "+stg_facilities",
        "--resource-type",
        "model",
        "--resource-type",
        "seed",
        facilities_path=facilities,
        as_of_date=AS_OF,
        duckdb_path=database,
    )
    assert run.returncode == 0, run.output[-3000:]
    assert "Traceback" not in run.output
    assert run.rows("select facility_id from stg_facilities") == [("F1",)]
