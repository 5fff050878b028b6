"""`notifier preview`: formats, the freshness guard, bad input, and the Athena reader."""

from __future__ import annotations

import csv
import io
import json
import urllib.request

import pytest
from notifier_testing import Aws, Project, run_cli

EXPECTED_JSON = [
    {
        "event": "new",
        "tier": "critical",
        "facility_id": "FAC54321",
        "facility_name": "Green Valley Clinic",
        "state": "CA",
        "accreditation_body": "Joint Commission",
        "accreditation_id": "JC2002",
        "valid_until": "2024-09-30",
        "as_of_date": "2025-05-15",
        "days_until_expiry": -227,
        "lapsed": True,
        "owner": None,
        "acknowledged_until": None,
        "resolution": None,
        "renewed_until": None,
    },
    {
        "event": "new",
        "tier": "high",
        "facility_id": "FAC12345",
        "facility_name": "City Hospital",
        "state": "TX",
        "accreditation_body": "NCQA",
        "accreditation_id": "NCQA500",
        "valid_until": "2025-06-30",
        "as_of_date": "2025-05-15",
        "days_until_expiry": 46,
        "lapsed": False,
        "owner": None,
        "acknowledged_until": None,
        "resolution": None,
        "renewed_until": None,
    },
]


def preview(project: Project, *args: str) -> tuple[int, str, str]:
    result = run_cli("preview", "--project-dir", project.root, *args)
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_json_is_one_object_per_notice(reference_project: Project) -> None:
    code, out, _ = preview(reference_project, "--format", "json")
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == EXPECTED_JSON
    # Field order too: a reader of the NDJSON sees the event and tier first.
    assert list(json.loads(out.splitlines()[0])) == list(EXPECTED_JSON[0])


def test_csv_has_the_same_records(reference_project: Project) -> None:
    code, out, _ = preview(reference_project, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["facility_id"], r["tier"], r["days_until_expiry"], r["lapsed"]) for r in rows] == [
        ("FAC54321", "critical", "-227", "True"),
        ("FAC12345", "high", "46", "False"),
    ]


def test_table_groups_by_event_and_tier(reference_project: Project) -> None:
    code, out, _ = preview(reference_project)
    assert code == 0
    critical = out.index("NEW, critical: lapsed or expiring within 30 days")
    high = out.index("NEW, high: expiring in 31-60 days")
    assert critical < out.index("FAC54321") < high < out.index("FAC12345")
    assert "-227  LAPSED" in out
    assert out.rstrip().endswith(
        "2 notices as of 2025-05-15: lapsed 0, escalated 0, new 2, reminder 0, resolved 0; "
        "0 due alerts with nothing new to say today"
    )


def test_thresholds_from_options(reference_project: Project) -> None:
    code, out, _ = preview(
        reference_project,
        "--format",
        "json",
        "--critical-days",
        "50",
        "--high-days",
        "55",
        "--medium-days",
        "60",
    )
    assert code == 0
    assert [json.loads(line)["tier"] for line in out.splitlines()] == ["critical", "critical"]


def test_a_medium_bound_past_the_horizon_is_a_warning(reference_project: Project) -> None:
    """The mart stops at six months (181 days at the least): a longer bound cannot see more."""
    code, _, err = preview(reference_project, "--format", "json", "--medium-days", "181")
    assert code == 0 and "horizon" not in err
    code, out, err = preview(reference_project, "--format", "json", "--medium-days", "365")
    assert code == 0
    assert "the medium bound reaches past the mart's six-month horizon" in err
    assert "medium_days=365 horizon_days_at_least=181" in err
    assert len(out.splitlines()) == 2


def test_preview_shows_each_event_against_a_ledger_of_the_old_format(
    reference_project: Project,
) -> None:
    """A ledger written before the lifecycle (one line per alert and tier) is read as sent."""
    record = {
        "facility_id": "FAC54321",
        "accreditation_body": "Joint Commission",
        "accreditation_id": "JC2002",
        "valid_until": "2024-09-30",
        "tier": "critical",
        "sent_at": "2025-05-14T06:00:00+00:00",
        "message_id": "m-1",
        "topic": "arn:aws:sns:us-east-1:123456789012:alerts",
    }
    reference_project.ledger.write_text(json.dumps(record) + "\n")

    def events() -> list[tuple[str, str]]:
        code, out, err = preview(reference_project, "--format", "json")
        assert code == 0, err
        return [
            (json.loads(line)["event"], json.loads(line)["facility_id"])
            for line in out.splitlines()
        ]

    # Sent (already lapsed) the day before: nothing new for it.
    assert events() == [("new", "FAC12345")]
    # Sent 14 days before: the weekly critical reminder is due.
    reference_project.ledger.write_text(
        json.dumps({**record, "sent_at": "2025-05-01T06:00:00+00:00"}) + "\n"
    )
    assert events() == [("new", "FAC12345"), ("reminder", "FAC54321")]
    code, out, _ = preview(reference_project, "--format", "json", "--resend")
    assert code == 0
    assert [json.loads(line)["event"] for line in out.splitlines()] == ["new", "new"]


@pytest.mark.parametrize(
    ("artifacts", "message"),
    [
        ({"model_status": "error"}, "ended with status 'error'"),
        ({"test_status": "fail"}, "ended with status 'fail'"),
        ({"model_status": None}, "was not part of the last dbt run"),
        ({"command": "generate"}, "which does not build the mart"),
    ],
)
def test_stale_artifacts_are_refused_unless_allowed(
    reference_project: Project, artifacts: dict[str, str], message: str
) -> None:
    reference_project.write_artifacts(**artifacts)  # type: ignore[arg-type]
    code, out, err = preview(reference_project, "--format", "json")
    assert code == 3
    assert message in err and "--allow-stale" in err and out == ""
    code, out, err = preview(reference_project, "--format", "json", "--allow-stale")
    assert code == 0
    assert len(out.splitlines()) == 2
    assert "ALLOW-STALE" in err and message in err


def test_missing_artifacts_are_refused(reference_project: Project) -> None:
    (reference_project.target_path / "run_results.json").unlink()
    code, _, err = preview(reference_project)
    assert code == 3 and "run_results.json is missing" in err
    (reference_project.target_path / "manifest.json").unlink()
    code, _, err = preview(reference_project, "--allow-stale")
    assert code == 3 and "manifest.json is missing" in err


def test_bad_input_is_exit_2(reference_project: Project) -> None:
    cases = {
        "target 'prod' not found": ["--target", "prod"],
        "no profiles.yml found": ["--profiles-dir", str(reference_project.root / "nowhere")],
        "does not exist": ["--target-path", "target"],
    }
    (reference_project.root / "accreditation_monitor.duckdb").rename(
        reference_project.root / "moved.duckdb"
    )
    for message, args in cases.items():
        code, _, err = preview(reference_project, *args)
        assert code == 2, (message, err)
        assert message in err
    reference_project.write_artifacts(relation_name='"db"."main"."t"; drop table t')
    code, _, err = preview(reference_project)
    assert code == 2 and "is not a table name" in err


def test_athena_target_streams_query_results(aws: Aws, reference_project: Project) -> None:
    """pyathena against moto's Athena: the endpoint override reaches it and pages are read."""
    columns = [
        ("facility_id", "varchar"),
        ("facility_name", "varchar"),
        ("state", "varchar"),
        ("accreditation_body", "varchar"),
        ("accreditation_id", "varchar"),
        ("valid_until", "varchar"),
        ("as_of_date", "varchar"),
        ("days_until_expiry", "bigint"),
        ("owner", "varchar"),
        ("owner_topic_arn", "varchar"),
        ("acknowledged_until", "varchar"),
    ]
    header = [name for name, _ in columns]
    values = [
        [
            f"F{i:04}",
            f"Facility {i}",
            "TX",
            "NCQA",
            f"N{i}",
            "2025-06-01",
            "2025-05-15",
            str(i % 120 - 10),
            None,  # Athena leaves a null's VarCharValue out
            None,
            None,
        ]
        for i in range(1500)
    ]
    results = {
        "results": [
            {
                "rows": [
                    {"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
                    for row in [header, *values]
                ],
                "column_info": [
                    {
                        "Name": n,
                        "Label": n,
                        "Type": t,
                        "CatalogName": "",
                        "SchemaName": "",
                        "TableName": "",
                        "Nullable": "UNKNOWN",
                        "CaseSensitive": False,
                        "Precision": 0,
                        "Scale": 0,
                    }
                    for n, t in columns
                ],
            }
        ]
    }
    request = urllib.request.Request(
        f"{aws.url}/moto-api/static/athena/query-results",
        data=json.dumps(results).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request).close()
    aws.s3.create_bucket(Bucket="athena-results")
    reference_project.write_artifacts(
        relation_name='"awsdatacatalog"."accreditation_monitor"."expiring_accreditations_v3"'
    )
    reference_project.target_path.joinpath("run_results.json").write_text(
        json.dumps(
            {
                "args": {"which": "build", "target": "athena"},
                "results": [
                    {"unique_id": uid, "status": s}
                    for uid, s in [
                        ("model.accreditation_monitor.expiring_accreditations.v3", "success"),
                        (
                            "test.accreditation_monitor.not_null_expiring_accreditations_v3_facility_id.1",
                            "pass",
                        ),
                    ]
                ],
            }
        )
    )
    code, out, err = preview(reference_project, "--target", "athena", "--format", "json")
    assert code == 0, err
    alerts = [json.loads(line) for line in out.splitlines()]
    # moto does not run the query, so its filter is not applied: tiering still drops > 90 days.
    assert len(alerts) == sum(1 for row in values if int(str(row[7])) <= 90)
    # Most urgent first: due today, then tomorrow, ..., then the newly lapsed.
    assert [(a["facility_id"], a["days_until_expiry"]) for a in alerts[:3]] == [
        ("F0010", 0),
        ("F0130", 0),
        ("F0250", 0),
    ]
    lapsed = [a for a in alerts if a["lapsed"]]
    assert (lapsed[0]["days_until_expiry"], lapsed[-1]["days_until_expiry"]) == (-1, -10)
    assert {(a["event"], a["owner"], a["acknowledged_until"]) for a in alerts} == {
        ("new", None, None)
    }
