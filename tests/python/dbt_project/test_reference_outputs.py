"""The original challenge's three records give exactly the reference rows of docs/contract.md."""

from __future__ import annotations

import json
from datetime import date

import pytest
from dbt_testing import CHALLENGE_SAMPLE, DbtRun

SAMPLE = CHALLENGE_SAMPLE


@pytest.fixture(scope="module")
def january(dbt_build) -> DbtRun:  # type: ignore[no-untyped-def]
    return dbt_build(SAMPLE, "2025-01-15")


@pytest.fixture(scope="module")
def may(dbt_build) -> DbtRun:  # type: ignore[no-untyped-def]
    return dbt_build(SAMPLE, "2025-05-15")


def test_stage_1_v1_earliest_not_first_accreditation(january: DbtRun) -> None:
    assert january.rows("select * from main.facility_summary_v1 order by facility_id") == [
        ("FAC12345", "City Hospital", 250, 5, date(2025, 6, 30)),
        ("FAC54321", "Green Valley Clinic", 85, 2, date(2024, 9, 30)),
        ("FAC67890", "Lakeside Medical Center", 320, 4, date(2025, 12, 31)),
    ]


def test_stage_1_v2_adds_state_count_and_rank(january: DbtRun) -> None:
    rows = january.rows(
        "select facility_id, state, accreditation_count, expiry_rank"
        " from main.facility_summary_v2 order by expiry_rank"
    )
    assert rows == [("FAC54321", "CA", 1, 1), ("FAC12345", "TX", 2, 2), ("FAC67890", "FL", 1, 3)]
    top = january.rows("select facility_id from main.top_expiring_facilities order by expiry_rank")
    assert [row[0] for row in top] == ["FAC54321", "FAC12345", "FAC67890"]


def test_stage_2_january(january: DbtRun) -> None:
    assert january.rows("select * from main.expiring_accreditations_v1") == [
        ("FAC12345", "City Hospital", "TX", 250, date(2025, 6, 30), 1)
    ]
    assert january.rows(
        "select facility_id, accreditation_id, valid_until, as_of_date, days_until_expiry, status"
        " from main.expiring_accreditations_v2 order by facility_id"
    ) == [
        ("FAC12345", "NCQA500", date(2025, 6, 30), date(2025, 1, 15), 166, "expiring"),
        ("FAC54321", "JC2002", date(2024, 9, 30), date(2025, 1, 15), -107, "expired"),
    ]


def test_stage_2_may(may: DbtRun) -> None:
    assert may.rows(
        "select facility_id, accreditation_body, accreditation_id, days_until_expiry, status"
        " from main.expiring_accreditations_v2 order by facility_id"
    ) == [
        ("FAC12345", "NCQA", "NCQA500", 46, "expiring"),
        ("FAC54321", "Joint Commission", "JC2002", -227, "expired"),
    ]


def test_stage_2_v3_is_v2_with_the_lifecycle_columns(january: DbtRun, may: DbtRun) -> None:
    # The repo's seeds are empty: no owner, no acknowledgement.
    for run in (january, may):
        assert run.rows(
            "select facility_id, facility_name, state, accreditation_body, accreditation_id,"
            " valid_until, as_of_date, days_until_expiry, status, null, null, null"
            " from main.expiring_accreditations_v2 order by facility_id"
        ) == run.rows("select * from main.expiring_accreditations_v3 order by facility_id")
    assert may.rows(
        "select facility_id, accreditation_id, days_until_expiry, owner, owner_topic_arn,"
        " acknowledged_until from main.expiring_accreditations_v3 order by facility_id"
    ) == [
        ("FAC12345", "NCQA500", 46, None, None, None),
        ("FAC54321", "JC2002", -227, None, None, None),
    ]


def test_current_accreditations_have_no_horizon(january: DbtRun) -> None:
    assert january.rows(
        "select facility_id, accreditation_body, accreditation_id, valid_until,"
        " days_until_expiry, status from main.current_accreditations"
        " order by facility_id, valid_until"
    ) == [
        ("FAC12345", "NCQA", "NCQA500", date(2025, 6, 30), 166, "expiring"),
        ("FAC12345", "Joint Commission", "JC1001", date(2026, 12, 31), 715, "expiring"),
        ("FAC54321", "Joint Commission", "JC2002", date(2024, 9, 30), -107, "expired"),
        ("FAC67890", "NCQA", "NCQA700", date(2025, 12, 31), 350, "expiring"),
    ]


def test_stage_4_v1_and_v2(january: DbtRun) -> None:
    assert sorted(january.rows("select * from main.accredited_facilities_by_state_v1")) == [
        ("CA", 1),
        ("FL", 1),
        ("TX", 1),
    ]
    assert january.rows("select * from main.accredited_facilities_by_state_v2 order by state") == [
        ("CA", 1, 1, 0, date(2025, 1, 15)),
        ("FL", 1, 1, 1, date(2025, 1, 15)),
        ("TX", 1, 1, 1, date(2025, 1, 15)),
    ]


def test_clean_input_rejects_nothing_and_every_node_passes(january: DbtRun) -> None:
    assert january.rows("select count(*) from main.rejected_records") == [(0,)]
    statuses = {
        name: status
        for name, status in january.results_by_name().items()
        # The exposure (listed as no-op) and the on-run-start check of the as-of date.
        if not name.startswith(("notifier", "accreditation_monitor-on-run-start"))
    }
    # Every seed, model (but the ephemeral one, compiled into its reader), data test and unit
    # test of the project ran, named as results_by_name names them.
    manifest = json.loads((january.target_path / "manifest.json").read_text())
    built = [
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["package_name"] == "accreditation_monitor"
        and node["resource_type"] in {"seed", "model", "test"}
        and node["config"]["materialized"] != "ephemeral"
    ]
    built += list(manifest["unit_tests"])
    assert sorted(statuses) == sorted(unique_id.split(".", 2)[2] for unique_id in built)
    assert set(statuses.values()) == {"pass", "success"}, statuses
