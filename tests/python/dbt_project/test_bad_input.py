"""Every bad input docs/contract.md names lands where it says, the build succeeds, no line lost."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from dbt_testing import FIXTURES_DIR, DbtRun

BAD_INPUT = FIXTURES_DIR / "bad_input"
FIRST = str(BAD_INPUT / "01_first.ndjson")
LATER = str(BAD_INPUT / "02_later.ndjson")
AS_OF = date(2025, 1, 15)


@pytest.fixture(scope="module")
def bad(dbt_build) -> DbtRun:  # type: ignore[no-untyped-def]
    # Most of this fixture's lines are bad on purpose, so lift the share that fails the build.
    return dbt_build(BAD_INPUT / "*.ndjson", AS_OF.isoformat(), {"max_rejected_share": 1})


def test_every_non_blank_line_is_a_facility_or_a_rejected_record(bad: DbtRun) -> None:
    non_blank = sum(
        1
        for path in (FIRST, LATER)
        for line in Path(path).read_text(encoding="utf-8-sig").splitlines()
        if line.strip()
    )
    assert non_blank == 18
    [(facilities,)] = bad.rows("select count(*) from main.stg_facilities")
    [(rejected,)] = bad.rows("select count(*) from main.rejected_records")
    assert (facilities, rejected) == (7, 11)
    assert facilities + rejected == non_blank


def test_each_bad_line_has_its_reason_and_physical_line_number(bad: DbtRun) -> None:
    rows = bad.rows(
        "select source_file, line_number, reason from main.rejected_records"
        " order by source_file, line_number"
    )
    assert rows == [
        (FIRST, 1, "duplicate_superseded"),  # FAC001 again in the later file
        (FIRST, 3, "invalid_json"),  # truncated
        (FIRST, 4, "invalid_json"),  # free text
        (FIRST, 5, "not_an_object"),  # array
        (FIRST, 6, "not_an_object"),  # string
        (FIRST, 7, "missing_facility_id"),  # absent
        (FIRST, 8, "missing_facility_id"),  # blank after trimming
        (FIRST, 9, "missing_facility_id"),  # a number
        (FIRST, 12, "duplicate_superseded"),  # FAC004 again two lines on
        (FIRST, 16, "invalid_json"),  # long and truncated
        (FIRST, 17, "not_an_object"),  # JSON null
    ]


def test_raw_lines_are_kept_bom_free_and_cut_to_1000_characters(bad: DbtRun) -> None:
    raw = dict(
        bad.rows(
            "select line_number, raw_line from main.rejected_records where source_file = ?", [FIRST]
        )
    )
    assert raw[1].startswith('{"facility_id": "FAC001"')
    assert raw[4] == "this is not json at all"
    assert len(raw[16]) == 1000
    assert raw[16].startswith('{"facility_id": "FAC999"')


def test_kept_facilities_follow_the_field_rules(bad: DbtRun) -> None:
    rows = {row["facility_id"]: row for row in bad.dicts("select * from main.stg_facilities")}
    assert sorted(rows) == ["FAC001", "FAC003", "FAC004", "FAC005", "FAC006", "FAC007", "FAC008"]
    # A later file wins over an earlier one; a later line over an earlier line.
    assert (rows["FAC001"]["facility_name"], rows["FAC001"]["source_file"]) == (
        "Second Version",
        LATER,
    )
    assert (rows["FAC004"]["facility_name"], rows["FAC004"]["line_number"]) == ("New Four", 13)
    # Trimmed id, upper-cased trimmed state, "unknown" employees, services not an array.
    assert (rows["FAC003"]["state"], rows["FAC003"]["employee_count"]) == ("TX", None)
    assert rows["FAC003"]["number_of_offered_services"] == 0
    # Missing location, a float employee count, only string services counted, non-ASCII name.
    assert rows["FAC005"]["facility_name"] == "Clínica São José — Zürich 医院"
    assert (rows["FAC005"]["state"], rows["FAC005"]["employee_count"]) == (None, None)
    assert rows["FAC005"]["number_of_offered_services"] == 2
    # A very long name is kept whole; an empty state is null; "250" is not an integer.
    line_15 = Path(FIRST).read_text(encoding="utf-8-sig").splitlines()[14]
    long_name = json.loads(line_15)["facility_name"]
    assert len(long_name) == 6014  # the fixture's: longer than the 1,000 characters raw_line keeps
    assert rows["FAC006"]["facility_name"] == long_name
    assert (rows["FAC006"]["state"], rows["FAC006"]["employee_count"]) == (None, None)
    assert rows["FAC006"]["accreditation_entry_count"] == 0
    assert (rows["FAC007"]["state"], rows["FAC008"]["state"]) == ("FL", "ZZ")
    # A file without a final newline still gives its last line.
    assert rows["FAC008"]["line_number"] == 2


def test_bad_accreditation_entries_are_rejected_without_dropping_the_facility(bad: DbtRun) -> None:
    assert bad.rows(
        "select facility_id, position, reason, raw_value from main.rejected_accreditations"
        " order by facility_id, position"
    ) == [
        (
            "FAC003",
            1,
            "invalid_valid_until",
            '{"accreditation_body":"Joint Commission","accreditation_id":"JC3",'
            '"valid_until":"2025-02-30"}',
        ),
        ("FAC003", 2, "not_an_object", '"JC-free-text"'),
        (
            "FAC003",
            3,
            "invalid_valid_until",
            '{"accreditation_body":"DNV","accreditation_id":"DNV3","valid_until":"31/12/2025"}',
        ),
        (
            "FAC003",
            5,
            "invalid_valid_until",
            '{"accreditation_body":"CARF","accreditation_id":"C3","valid_until":""}',
        ),
        # "accreditations": "none" is no array: one row at position 0, not a silent loss.
        ("FAC006", 0, "not_an_array", '"none"'),
    ]
    assert bad.rows(
        "select facility_id, accreditation_count, expiry_date_of_first_accreditation"
        " from main.facility_summary_v2 order by facility_id"
    ) == [
        ("FAC001", 2, date(2025, 7, 15)),
        ("FAC003", 1, date(2025, 4, 1)),
        ("FAC004", 0, None),
        ("FAC005", 1, date(2025, 1, 20)),
        ("FAC006", 0, None),
        ("FAC007", 5, date(2025, 1, 10)),
        ("FAC008", 1, date(2024, 12, 31)),
    ]


def test_stage_2_v2_keeps_current_accreditations_up_to_the_horizon(bad: DbtRun) -> None:
    def days(valid_until: date) -> int:
        return (valid_until - AS_OF).days

    expected = [
        # The horizon day itself (2025-07-15) is in; DNV on 2025-07-16 is out.
        ("FAC001", "NCQA", "N1", date(2025, 7, 15)),
        ("FAC003", "NCQA", "N3", date(2025, 4, 1)),
        ("FAC005", "NCQA", "N5", date(2025, 1, 20)),
        # NCQA N7-OLD was renewed by N7-NEW (2027): no risk. Entries without a body stand alone.
        ("FAC007", None, "NOBODY-1", date(2025, 2, 1)),
        ("FAC007", None, "NOBODY-2", date(2025, 3, 1)),
        ("FAC007", "DNV", "D7", date(2025, 1, 15)),
        ("FAC008", "NCQA", "N8", date(2024, 12, 31)),
    ]
    rows = bad.rows(
        "select facility_id, accreditation_body, accreditation_id, valid_until, days_until_expiry,"
        " status from main.expiring_accreditations_v2 order by facility_id, accreditation_id"
    )
    assert rows == sorted(
        [(*row, days(row[3]), "expired" if days(row[3]) < 0 else "expiring") for row in expected],
        key=lambda row: (row[0], row[2]),
    )


def test_stage_2_v1_and_stage_4_with_null_states(bad: DbtRun) -> None:
    assert bad.rows(
        "select facility_id, next_expiry_date, expiring_accreditation_count"
        " from main.expiring_accreditations_v1 order by facility_id"
    ) == [
        ("FAC001", date(2025, 7, 15), 1),
        ("FAC003", date(2025, 4, 1), 1),
        ("FAC005", date(2025, 1, 20), 1),
        ("FAC007", date(2025, 1, 15), 3),
    ]
    assert sorted(
        bad.rows("select * from main.accredited_facilities_by_state_v1"), key=str
    ) == sorted([("TX", 2), (None, 1), ("FL", 1), ("ZZ", 1)], key=str)
    assert sorted(
        bad.rows(
            "select state, facility_count, accredited_facility_count,"
            " currently_accredited_facility_count from main.accredited_facilities_by_state_v2"
        ),
        key=str,
    ) == sorted(
        [("TX", 2, 2, 2), ("NY", 1, 0, 0), (None, 2, 1, 1), ("FL", 1, 1, 1), ("ZZ", 1, 1, 0)],
        key=str,
    )


def test_build_warns_on_rejects_and_unknown_states_but_does_not_fail(bad: DbtRun) -> None:
    statuses = bad.results_by_name()
    assert statuses["warn_on_rejected_records"] == "warn"
    assert statuses["warn_on_rejected_accreditations"] == "warn"
    [unknown_state_test] = [
        name for name in statuses if name.startswith("relationships_stg_facilities_state")
    ]
    assert statuses[unknown_state_test] == "warn"
    assert statuses["assert_every_line_accounted_for"] == "pass"
    assert "error" not in statuses.values() and "fail" not in statuses.values()
