"""The alert-lifecycle seeds: declared types, owner and acknowledgement resolution, clear errors.

`alert_owners` and `alert_acknowledgements` are empty in the repo. Here a copy of the project
gets non-empty ones (tests/python/dbt_testing.py `project_copy`) and is built for real on the
challenge's three records plus one facility whose accreditation has no body: the seeds must
load with the types their properties declare, `expiring_accreditations` v3 must resolve owners
and acknowledgements exactly as docs/contract.md says, and broken seed files must stop the run
with a message that names what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from dbt_testing import (
    ACK_HEADER,
    CHALLENGE_SAMPLE,
    CITY_TOPIC,
    LIFECYCLE_SEEDS,
    OWNER_HEADER,
    TEXAS_TOPIC,
    DbtRun,
    lifecycle_facilities,
    project_copy,
    run_dbt,
)

AS_OF = "2025-07-01"  # horizon 2026-01-01: each challenge facility has one row in v2 and v3
ACK_TYPES = [
    ("facility_id", "VARCHAR"),
    ("accreditation_body", "VARCHAR"),
    ("accreditation_id", "VARCHAR"),
    ("acknowledged_until", "DATE"),
    ("acknowledged_by", "VARCHAR"),
    ("note", "VARCHAR"),
]
OWNER_TYPES = [
    ("facility_id", "VARCHAR"),
    ("state", "VARCHAR"),
    ("owner", "VARCHAR"),
    ("topic_arn", "VARCHAR"),
]


def column_types(run: DbtRun, table: str) -> list[tuple[str, str]]:
    return run.rows(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'main' and table_name = ? order by ordinal_position",
        [table],
    )


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    root = tmp_path_factory.mktemp("lifecycle")
    facilities = lifecycle_facilities(root / "facilities.ndjson")
    project = project_copy(root / "project", LIFECYCLE_SEEDS)
    run = run_dbt(
        root / "work", "build", facilities_path=facilities, as_of_date=AS_OF, project_dir=project
    )
    assert run.returncode == 0, run.output[-4000:]
    return run


def test_the_repo_seeds_are_empty_and_load_with_their_declared_types(
    dbt_build: Callable[..., DbtRun],
) -> None:
    run = dbt_build(CHALLENGE_SAMPLE, "2025-01-15")  # the reference build, shared
    assert column_types(run, "alert_acknowledgements") == ACK_TYPES
    assert column_types(run, "alert_owners") == OWNER_TYPES
    assert run.rows("select count(*) from alert_acknowledgements") == [(0,)]
    assert run.rows("select count(*) from alert_owners") == [(0,)]
    # With no rule and no acknowledgement, v3 is v2 with three null columns.
    assert run.rows(
        "select count(*) from expiring_accreditations_v3"
        " where owner is not null or owner_topic_arn is not null or acknowledged_until is not null"
    ) == [(0,)]


def test_non_empty_seeds_load_with_the_declared_types_and_values(lifecycle: DbtRun) -> None:
    assert column_types(lifecycle, "alert_acknowledgements") == ACK_TYPES
    assert column_types(lifecycle, "alert_owners") == OWNER_TYPES
    # An empty field is null; a quoted comma stays in its field.
    assert lifecycle.rows("select * from alert_owners order by owner") == [
        ("FAC99999", None, "Night rota, NY", None),
        (None, "CA", "california-team", None),
        ("FAC12345", None, "city-hospital-team", CITY_TOPIC),
        (None, "TX", "texas-team", TEXAS_TOPIC),
    ]
    assert lifecycle.rows(
        "select * from alert_acknowledgements order by facility_id, acknowledged_until"
    ) == [
        ("FAC12345", "NCQA", "NCQA500", date(2025, 7, 10), "jane.doe", "renewal filed, ticket 42"),
        ("FAC12345", "NCQA", "NCQA500", date(2025, 7, 20), "jane.doe", None),
        (
            "FAC12345",
            "Joint Commission",
            "NCQA500",
            date(2025, 12, 31),
            "ops",
            "wrong body: matches nothing",
        ),
        ("FAC54321", "Joint Commission", "JC2002", date(2025, 7, 5), "ops", None),
        ("FAC99999", None, "X1", date(2025, 7, 31), "ops", "no body: matched null-safe"),
    ]


def test_v3_resolves_owners_and_acknowledgements(lifecycle: DbtRun) -> None:
    assert column_types(lifecycle, "expiring_accreditations_v3")[-3:] == [
        ("owner", "VARCHAR"),
        ("owner_topic_arn", "VARCHAR"),
        ("acknowledged_until", "DATE"),
    ]
    assert lifecycle.rows(
        "select facility_id, accreditation_id, days_until_expiry, owner, owner_topic_arn,"
        " acknowledged_until from expiring_accreditations_v3 order by facility_id"
    ) == [
        # Facility rule beats the TX rule; the later of two acknowledgements; the one for another
        # body does not match.
        ("FAC12345", "NCQA500", -1, "city-hospital-team", CITY_TOPIC, date(2025, 7, 20)),
        # State rule without a topic.
        ("FAC54321", "JC2002", -274, "california-team", None, date(2025, 7, 5)),
        # FL: no rule, no acknowledgement.
        ("FAC67890", "NCQA700", 183, None, None, None),
        # Facility rule; a null body matched null-safe.
        ("FAC99999", "X1", 0, "Night rota, NY", None, date(2025, 7, 31)),
    ]


def test_v3_has_v2s_rows_and_current_accreditations_has_those_past_the_horizon(
    lifecycle: DbtRun,
) -> None:
    v2_columns = [name for name, _ in column_types(lifecycle, "expiring_accreditations_v2")]
    v3_columns = [name for name, _ in column_types(lifecycle, "expiring_accreditations_v3")]
    assert v3_columns == [*v2_columns, "owner", "owner_topic_arn", "acknowledged_until"]
    listed = ", ".join(v2_columns)
    assert (
        lifecycle.rows(
            f"(select {listed} from expiring_accreditations_v3"
            f" except all select {listed} from expiring_accreditations_v2)"
            f" union all (select {listed} from expiring_accreditations_v2"
            f" except all select {listed} from expiring_accreditations_v3)"
        )
        == []
    )
    assert lifecycle.rows(
        "select facility_id, accreditation_id, valid_until, days_until_expiry, status"
        " from current_accreditations order by facility_id, valid_until"
    ) == [
        ("FAC12345", "NCQA500", date(2025, 6, 30), -1, "expired"),
        ("FAC12345", "JC1001", date(2026, 12, 31), 548, "expiring"),  # past the horizon
        ("FAC54321", "JC2002", date(2024, 9, 30), -274, "expired"),
        ("FAC67890", "NCQA700", date(2025, 12, 31), 183, "expiring"),
        ("FAC99999", "X1", date(2025, 7, 1), 0, "expiring"),
    ]


def test_every_node_passes_with_non_empty_seeds(lifecycle: DbtRun) -> None:
    statuses = {
        name: status
        for name, status in lifecycle.results_by_name().items()
        if not name.startswith("notifier")  # the exposure: listed as no-op
    }
    assert "alert_owners" in statuses and "expiring_accreditations.v3" in statuses
    assert set(statuses.values()) == {"pass", "success"}, statuses


@pytest.mark.parametrize(
    ("bad_date", "reason"),
    [
        ("2026-13-01", 'date field value out of range: "2026-13-01"'),
        ("2025-02-30", 'date field value out of range: "2025-02-30"'),
        # DuckDB's CSV sniffer would read this one as 2025-12-31 (the seeds set `fast: false`).
        ("31/12/2025", 'invalid date field format: "31/12/2025", expected format is (YYYY-MM-DD)'),
    ],
)
def test_a_malformed_acknowledged_until_fails_the_seed_naming_it(
    tmp_path: Path, bad_date: str, reason: str
) -> None:
    project = project_copy(
        tmp_path / "project",
        {"alert_acknowledgements": ACK_HEADER + f"FAC12345,NCQA,NCQA500,{bad_date},ops,\n"},
    )
    run = run_dbt(tmp_path / "work", "seed", facilities_path=CHALLENGE_SAMPLE, project_dir=project)
    assert run.returncode == 1
    # dbt names the seed and its file, DuckDB the value and why it is no date.
    assert (
        "Runtime Error in seed alert_acknowledgements (seeds/alert_acknowledgements.csv)\n"
        f"  Conversion Error: {reason}" in run.output
    )
    assert "Traceback" not in run.output
    statuses = run.results_by_name()
    assert statuses["alert_acknowledgements"] == "error"
    assert statuses["alert_owners"] == statuses["usps_state_codes"] == "success"


def test_broken_owner_rules_and_acknowledgements_fail_their_tests(tmp_path: Path) -> None:
    owners = OWNER_HEADER + (
        "F1,TX,both-keys,\n"  # facility and state
        ",,no-key,\n"  # neither
        "F2,,dup-a,\n"
        "F2,,dup-b,\n"  # a second rule for F2
        ",NY,ny-a,\n"
        ",NY,ny-b,\n"  # a second rule for NY
        ",tx,lower-case,\n"  # not a USPS code as written: it would never match
        "F3,,,\n"  # no owner
        "F4,,bad-topic,arn:aws:sns:us-east-1:123:short\n"  # not an SNS topic ARN
    )
    acknowledgements = ACK_HEADER + ",NCQA,N1,2025-07-01,,\n"  # no facility, nobody
    project = project_copy(
        tmp_path / "project", {"alert_owners": owners, "alert_acknowledgements": acknowledgements}
    )
    run = run_dbt(
        tmp_path / "work",
        "build",
        "--select",
        "alert_owners alert_acknowledgements usps_state_codes",
        # Keeps each failing check's row (row_checks names the check) in a table.
        "--store-failures",
        facilities_path=CHALLENGE_SAMPLE,
        project_dir=project,
    )
    assert run.returncode == 1
    # The tests on the two seeds (usps_state_codes is selected for the relationships test).
    results = [
        result
        for result in json.loads((run.target_path / "run_results.json").read_text())["results"]
        if result["unique_id"].startswith("test.") and "_alert_" in result["unique_id"]
    ]
    failures = {result["unique_id"].split(".")[2]: result["failures"] for result in results}
    owner_checks = next(name for name in failures if name.startswith("row_checks_alert_owners"))
    acknowledgement_checks = next(
        name for name in failures if name.startswith("row_checks_alert_acknowledgements")
    )
    assert failures == {
        owner_checks: 6,
        acknowledgement_checks: 2,
        "relationships_alert_owners_state__state_code__ref_usps_state_codes_": 1,
    }
    relations = {result["unique_id"].split(".")[2]: result["relation_name"] for result in results}
    owner_failures = dict(
        run.rows(f"select failed_check, failing_rows from {relations[owner_checks]}")
    )
    # The ARN check is named by its SQL, which holds the engine's regex function.
    topic_check = next(name for name in owner_failures if name.startswith("topic_arn is null or "))
    assert owner_failures == {
        "(facility_id is null) <> (state is null)": 2,
        "unique: facility_id": 1,
        "unique: state": 1,
        "not_null: owner": 1,
        topic_check: 1,
    }
    # acknowledged_until is never null here: its check has no row.
    assert dict(
        run.rows(f"select failed_check, failing_rows from {relations[acknowledgement_checks]}")
    ) == {"not_null: facility_id": 1, "not_null: acknowledged_by": 1}
    assert {result["status"] for result in results} == {"fail"}
    assert "Traceback" not in run.output
