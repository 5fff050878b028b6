"""`notifier run`, the container's entry command, end to end: real dbt, DuckDB, moto over HTTP.

The image cannot be built here (no container engine), so these tests run the Dockerfile's own
ENTRYPOINT with the Dockerfile's own ENV from the venv, the project standing where /app is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shlex
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
from click.testing import Result
from dbt_testing import CHALLENGE_SAMPLE, DBT, REPO_ROOT, dbt_env
from notifier_testing import Aws, Project, Received, alert_counts, run_cli

from notifier.audit import LoadTotals, read_load_totals
from notifier.export import SUCCESS_MARKER, LocalDestination, export_marts
from notifier.pipeline import dbt_commands
from notifier.profile import AthenaTarget, DuckDBTarget
from notifier.run_report import Phase, RunReport
from notifier.summary import Summary

AS_OF = "2025-05-15"
NAMESPACE = "AccreditationMonitorTest"
CRITICAL_LAPSED = ("FAC54321", "JC2002", "critical")
HIGH_46_DAYS = ("FAC12345", "NCQA500", "high")
VENV_BIN = Path(DBT).parent
EXPORTED_TABLES = (
    "facility_summary_v2",
    "expiring_accreditations_v3",
    "accredited_facilities_by_state_v2",
)


def _dockerfile_instructions() -> Iterator[tuple[str, str]]:
    text = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, rest = line.strip().partition(" ")
            yield instruction.upper(), rest.strip()


def image_entry() -> tuple[list[str], dict[str, str]]:
    """The Dockerfile's ENTRYPOINT and the environment its ENV lines give the final stage."""
    entrypoint: list[str] = []
    env: dict[str, str] = {}
    for instruction, rest in _dockerfile_instructions():
        if instruction == "FROM":
            env = {}  # each stage starts afresh; the last one is the image
        elif instruction == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = value
        elif instruction == "ENTRYPOINT":
            entrypoint = json.loads(rest)
    return entrypoint, env


def entry_command(project_dir: Path) -> tuple[list[str], dict[str, str]]:
    """The image's command and environment; the venv is /opt/venv, `project_dir` is /app."""
    entrypoint, image_env = image_entry()
    env = dbt_env()
    for name, value in image_env.items():
        if name == "PATH":
            env[name] = f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"
        else:
            env[name] = value.replace("/app", str(project_dir))
    return [str(VENV_BIN / entrypoint[0]), *entrypoint[1:]], env


@pytest.fixture
def topics(aws: Aws) -> dict[str, str]:
    alerts = aws.topic("accreditation-alerts")
    ops = aws.topic("accreditation-ops")
    return {
        "alerts": alerts,
        "ops": ops,
        "alerts_queue": aws.queue(alerts, "alerts"),
        # Not raw: the SNS envelope keeps the subject.
        "ops_queue": aws.queue(ops, "ops", raw=False),
    }


def run_env(project_dir: Path, workdir: Path, topics: dict[str, str]) -> dict[str, str]:
    # The challenge's three records and one line that is not JSON: a warning, not a failure.
    facilities = workdir / "facilities.ndjson"
    facilities.write_text(CHALLENGE_SAMPLE.read_text() + "this line is not JSON\n")
    _, env = entry_command(project_dir)
    env.update(
        FACILITIES_PATH=str(facilities),
        DUCKDB_PATH=str(workdir / "warehouse.duckdb"),
        DUCKDB_TEMP_DIR=str(workdir / "duckdb_tmp"),
        DBT_TARGET_PATH=str(workdir / "target"),
        DBT_LOG_PATH=str(workdir / "logs"),
        NOTIFIER_LEDGER=str(workdir / "ledger.json"),
        NOTIFIER_TOPIC_ARN=topics["alerts"],
        NOTIFIER_OPS_TOPIC_ARN=topics["ops"],
        NOTIFIER_DBT_VARS=f'{{as_of_date: "{AS_OF}", max_rejected_share: 0.5}}',
    )
    return env


def run_entry(
    project_dir: Path, workdir: Path, topics: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    command, _ = entry_command(project_dir)
    return subprocess.run(
        [*command, *args],
        env=run_env(project_dir, workdir, topics),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def details(status: Received) -> dict[str, Any]:
    return dict(json.loads(status.body.split("Details (JSON):\n", 1)[1]))


def text_rows(duckdb_path: Path, table: str) -> list[list[str]]:
    """A table's rows as the CSV export writes them: ISO dates, empty for null."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        result = connection.execute(f"select * from {table}")
        columns = [column[0] for column in result.description]
        rows = [["" if v is None else str(v) for v in row] for row in result.fetchall()]
    return [columns, *rows]


def metric_sums(namespace: str) -> dict[str, float]:
    """The sum of every dimensionless count metric the run put into `namespace`."""
    cloudwatch = boto3.client("cloudwatch")
    names = {
        metric["MetricName"]
        for metric in cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
        if not metric.get("Dimensions") and metric["MetricName"] != "ElapsedTime"
    }
    now = dt.datetime.now(dt.UTC)
    sums = {}
    for name in names:
        datapoints = cloudwatch.get_metric_statistics(
            Namespace=namespace,
            MetricName=name,
            StartTime=now - dt.timedelta(hours=1),
            EndTime=now + dt.timedelta(minutes=5),
            Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]
        sums[name] = sum(point["Sum"] for point in datapoints)
    return sums


def copy_project(destination: Path) -> Path:
    """The dbt project's files, as the image copies them (see .dockerignore)."""
    destination.mkdir()
    for name in ("dbt_project.yml",):
        shutil.copy(REPO_ROOT / name, destination / name)
    shutil.copy(REPO_ROOT / "profiles.example.yml", destination / "profiles.yml")
    for folder in ("macros", "models", "seeds"):
        shutil.copytree(REPO_ROOT / folder, destination / folder)
    (destination / "tests").mkdir()
    shutil.copytree(REPO_ROOT / "tests" / "generic", destination / "tests" / "generic")
    for path in (REPO_ROOT / "tests").glob("*.sql"):
        shutil.copy(path, destination / "tests" / path.name)
    shutil.copy(
        REPO_ROOT / "tests" / "_singular_tests__properties.yml",
        destination / "tests" / "_singular_tests__properties.yml",
    )
    return destination


def test_entrypoint_is_notifier_run() -> None:
    entrypoint, env = image_entry()
    assert entrypoint == ["notifier", "run"]
    assert env["DBT_PROJECT_DIR"] == env["DBT_PROFILES_DIR"] == "/app"
    assert env["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"


def test_run_builds_sends_exports_and_reports(
    aws: Aws, topics: dict[str, str], tmp_path: Path
) -> None:
    aws.s3.create_bucket(Bucket="accreditation-results")
    export = "s3://accreditation-results/production/"

    first = run_entry(
        REPO_ROOT, tmp_path, topics, "--export", export, "--cloudwatch-namespace", NAMESPACE
    )

    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "Traceback" not in first.stderr
    alerts = aws.drain(topics["alerts_queue"])
    assert alert_counts(alerts) == {CRITICAL_LAPSED: 1, HIGH_46_DAYS: 1}
    assert len(alerts) == 2  # one digest per tier
    [status] = aws.drain(topics["ops_queue"])
    assert status.subject == f"Accreditation monitor run SUCCEEDED for {AS_OF}: 2 notices sent"
    assert status.attributes == {"status": "succeeded", "as_of_date": AS_OF}
    assert "Input: 4 lines read in 1 file(s), 3 facilities, 1 lines rejected (25.00%)" in (
        status.body
    )
    # What could not be read is said with the alerts, so no alert never hides could not read.
    unreadable = "Not evaluated, so no alert covers them: 1 unreadable line (1 invalid JSON)"
    assert unreadable in status.body
    assert all(m.document["could_not_evaluate"]["invalid_json"] == 1 for m in alerts)
    report = details(status)
    assert report["status"] == "succeeded" and report["problems"] == []
    assert report["target"] == "local" and report["stopped_in_phase"] is None
    assert report["load"] == {
        "files": 1,
        "lines_read": 4,
        "facilities": 3,
        "records_rejected": 1,
        "accreditations_rejected": 0,
        "rejected_share_percent": 25.0,
    }
    assert report["alerts"]["tiers"] == {
        "critical": {"alerts": 1, "published": 1, "suppressed": 0, "failed": 0},
        "high": {"alerts": 1, "published": 1, "suppressed": 0, "failed": 0},
        "medium": {"alerts": 0, "published": 0, "suppressed": 0, "failed": 0},
    }
    assert report["alerts"]["messages"] == {"published": 2, "failed": 0}
    assert report["build"]["failures"] == [] and report["build"]["errors"] == []
    # The rejected line warns (warn_on_rejected_records) and the build goes on.
    assert report["build"]["statuses"]["warn"] == 1
    assert set(report["build"]["statuses"]) == {"success", "pass", "warn", "no-op"}

    def exported(name: str) -> str:
        key = f"production/run_date={AS_OF}/{name}"
        body = aws.s3.get_object(Bucket="accreditation-results", Key=key)["Body"].read()
        return str(body.decode("utf-8"))

    for table in EXPORTED_TABLES:
        rows = list(csv.reader(io.StringIO(exported(f"{table}.csv"))))
        assert rows == text_rows(tmp_path / "warehouse.duckdb", table), table
    expiring = list(csv.reader(io.StringIO(exported("expiring_accreditations_v3.csv"))))
    assert sorted(expiring[1:]) == [
        [
            "FAC12345",
            "City Hospital",
            "TX",
            "NCQA",
            "NCQA500",
            "2025-06-30",
            AS_OF,
            "46",
            "expiring",
            "",
            "",
            "",
        ],
        [
            "FAC54321",
            "Green Valley Clinic",
            "CA",
            "Joint Commission",
            "JC2002",
            "2024-09-30",
            AS_OF,
            "-227",
            "expired",
            "",
            "",
            "",
        ],
    ]
    by_state = list(csv.reader(io.StringIO(exported("accredited_facilities_by_state_v2.csv"))))
    assert sorted(by_state[1:]) == [
        ["CA", "1", "1", "0", AS_OF],
        ["FL", "1", "1", "1", AS_OF],
        ["TX", "1", "1", "1", AS_OF],
    ]
    assert metric_sums(NAMESPACE) == {
        "AccreditationsRejected": 0.0,
        "Facilities": 3.0,
        "LinesRead": 4.0,
        "RecordsRejected": 1.0,
        "RejectedSharePercent": 25.0,
        "MessagesPublished": 2.0,
        "MessagesFailed": 0.0,
        "RemindersAcknowledged": 0.0,
    }
    marker = json.loads(exported(SUCCESS_MARKER))
    assert [(f["model"], f["rows"]) for f in marker["files"]] == [
        ("facility_summary", 3),
        ("expiring_accreditations", 2),
        ("accredited_facilities_by_state", 3),
    ]

    # The same day again: the ledger has both alerts, so the run sends none and says so. As a
    # retry that is not the last attempt: a success is reported all the same.
    rerun = run_entry(
        REPO_ROOT, tmp_path, topics, "--export", export, "--retry-count", "1", "--max-retries", "2"
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert aws.drain(topics["alerts_queue"]) == []
    [again] = aws.drain(topics["ops_queue"])
    assert again.subject == f"Accreditation monitor run SUCCEEDED for {AS_OF}: 0 notices sent"
    assert details(again)["alerts"]["totals"] == {
        "alerts": 2,
        "published": 0,
        "suppressed": 2,
        "failed": 0,
    }


def test_failed_build_sends_no_alert_and_one_failure_status(
    aws: Aws, topics: dict[str, str], tmp_path: Path
) -> None:
    project = copy_project(tmp_path / "project")
    (project / "tests" / "assert_broken_on_purpose.sql").write_text(
        "-- Broken on purpose: the column does not exist, so this test errors at run time.\n"
        "select * from {{ ref('expiring_accreditations') }} where no_such_column is not null\n"
    )
    export_dir = tmp_path / "export"

    failed = run_entry(project, tmp_path, topics, "--export", str(export_dir))

    assert failed.returncode == 4, failed.stdout[-3000:] + failed.stderr[-3000:]
    assert "Traceback" not in failed.stderr
    assert aws.drain(topics["alerts_queue"]) == []
    [status] = aws.drain(topics["ops_queue"])
    assert status.subject == f"Accreditation monitor run FAILED for {AS_OF}"
    assert status.attributes["status"] == "failed"
    node = "test.accreditation_monitor.assert_broken_on_purpose"
    assert f"- {node} (error): " in status.body
    assert "no_such_column" in status.body
    report = details(status)
    assert [failure["unique_id"] for failure in report["build"]["failures"]] == [node]
    assert report["stopped_in_phase"] == "build"
    assert report["not_sent"].startswith("no alert was sent")
    assert report["alerts"] is None and report["export"]["files"] == []
    assert not (tmp_path / "ledger.json").exists()
    assert list(export_dir.rglob("*")) == []


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_mid_build_stops_cleanly(
    aws: Aws, topics: dict[str, str], tmp_path: Path, stop_signal: signal.Signals
) -> None:
    """Ctrl-C at a terminal, or SIGTERM as ECS sends when it stops a task."""
    command, _ = entry_command(REPO_ROOT)
    process = subprocess.Popen(
        command,
        env=run_env(REPO_ROOT, tmp_path, topics),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # dbt writes its log as soon as it starts: from then on the run is in its build phase.
    log_file = tmp_path / "logs" / "dbt.log"
    deadline = time.monotonic() + 60
    while not (log_file.exists() and log_file.stat().st_size > 0):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "dbt did not start within 60 s"
        time.sleep(0.05)
    process.send_signal(stop_signal)
    stdout, stderr = process.communicate(timeout=120)

    assert process.returncode == 130, stdout[-2000:] + stderr[-2000:]
    assert "Traceback" not in stderr
    assert "interrupted during build: no alert was sent" in stderr
    assert aws.drain(topics["alerts_queue"]) == []
    assert not (tmp_path / "ledger.json").exists()
    [status] = aws.drain(topics["ops_queue"])
    assert status.attributes["status"] == "interrupted"
    assert details(status)["problems"] == ["build: interrupted"]


def test_dbt_missing_is_a_clear_error(aws: Aws, topics: dict[str, str], tmp_path: Path) -> None:
    # A fault the real stack cannot produce while dbt is installed: a `dbt` package earlier on
    # the path without dbt-core's modules is what an environment without dbt-core looks like.
    shadow = tmp_path / "shadow" / "dbt"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    command, _ = entry_command(REPO_ROOT)
    env = run_env(REPO_ROOT, tmp_path, topics) | {"PYTHONPATH": str(shadow.parent)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "dbt is not installed in this Python environment" in done.stderr
    assert aws.drain(topics["alerts_queue"]) == []
    [status] = aws.drain(topics["ops_queue"])
    assert details(status)["problems"][0].startswith("build: dbt is not installed")


def run_args(project: Project, *args: str) -> list[str | Path]:
    return ["run", "--project-dir", project.root, "--ledger", project.ledger, *args]


def run_with_topics(project: Project, topics: dict[str, str], *args: str) -> Result:
    """`notifier run` in-process, with the alert and ops topics given."""
    return run_cli(
        *run_args(project, "--topic-arn", topics["alerts"], "--ops-topic-arn", topics["ops"], *args)
    )


def test_missing_ops_topic_is_refused(
    aws: Aws, topics: dict[str, str], reference_project: Project
) -> None:
    result = run_cli(*run_args(reference_project, "--topic-arn", topics["alerts"]))
    assert result.exit_code == 2
    assert "give --ops-topic-arn (or NOTIFIER_OPS_TOPIC_ARN)" in result.stderr
    assert aws.drain(topics["alerts_queue"]) == []
    assert aws.drain(topics["ops_queue"]) == []


@pytest.mark.parametrize(("retry_count", "reported"), [(2, True), (0, False)])
def test_unwritable_export_stops_before_the_build(
    aws: Aws,
    topics: dict[str, str],
    reference_project: Project,
    retry_count: int,
    reported: bool,
) -> None:
    """Checked before anything is built or sent; reported to ops on the final attempt only."""
    blocker = reference_project.root / "a-file"
    blocker.write_text("a file where the export directory would go\n")
    result = run_with_topics(
        reference_project,
        topics,
        *("--export", str(blocker / "export")),
        *("--retry-count", str(retry_count), "--max-retries", "2"),
    )
    assert result.exit_code == 2, result.output
    assert f"export location {blocker / 'export'} is not writable" in result.stderr
    assert aws.drain(topics["alerts_queue"]) == []
    assert not reference_project.ledger.exists()
    statuses = aws.drain(topics["ops_queue"])
    if not reported:
        assert statuses == []
        return
    [status] = statuses
    report = details(status)
    assert report["attempt"] == 3 and report["attempts"] == 3
    assert report["stopped_in_phase"] == "checks" and report["build"] is None
    assert report["not_sent"].startswith("no alert was sent")


def test_export_to_a_missing_bucket_is_refused(
    aws: Aws, topics: dict[str, str], reference_project: Project
) -> None:
    result = run_with_topics(
        reference_project, topics, "--export", "s3://no-such-bucket/production/"
    )
    assert result.exit_code == 2
    assert "export location s3://no-such-bucket/production/ is not writable" in result.stderr
    assert "NoSuchBucket" in result.stderr
    assert aws.drain(topics["alerts_queue"]) == []


def test_bad_vars_are_refused(aws: Aws, topics: dict[str, str], reference_project: Project) -> None:
    result = run_with_topics(reference_project, topics, "--vars", "[2025-05-15]")
    assert result.exit_code == 2
    assert "--vars must be a YAML mapping" in result.stderr
    assert aws.drain(topics["ops_queue"]) == []


def test_dbt_commands_per_engine(tmp_path: Path) -> None:
    athena = AthenaTarget("athena", "us-east-1", "s3://athena-results/", "primary", None)
    build = ["build", "--exclude-resource-type", "unit_test"]
    assert dbt_commands(athena) == [["run-operation", "create_raw_facility_lines"], build]
    assert dbt_commands(DuckDBTarget("local", tmp_path / "w.duckdb")) == [build]


def _athena_result(columns: list[tuple[str, str]], rows: list[list[str | None]]) -> dict[str, Any]:
    header: list[str | None] = [name for name, _ in columns]
    return {
        "rows": [
            {"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
            for row in [header, *rows]
        ],
        "column_info": [
            # As Athena describes a column (pyathena reads every field).
            {
                "Name": name,
                "Label": name,
                "Type": kind,
                "Nullable": "UNKNOWN",
                "Precision": 0,
                "Scale": 0,
                "CaseSensitive": False,
                "CatalogName": "",
                "SchemaName": "",
                "TableName": "",
            }
            for name, kind in columns
        ],
    }


def test_athena_totals_and_export_through_pyathena(aws: Aws, tmp_path: Path) -> None:
    """The Athena half of a run's audit and export, over HTTP to moto's Athena.

    moto does not execute queries (so `dbt build` cannot run there: its tests need result rows);
    it answers each new query with the next result queued through its API, in the order the run
    sends them: load totals, then the three marts.
    """
    queued = [
        _athena_result([(f"_col{i}", "bigint") for i in range(5)], [["2", "10", "8", "2", "1"]]),
        _athena_result(
            [("facility_id", "varchar"), ("employee_count", "integer"), ("first", "date")],
            [["F1", "250", "2025-06-30"], ["F2", None, None]],
        ),
        _athena_result(
            [("facility_id", "varchar"), ("valid_until", "date"), ("days_until_expiry", "integer")],
            [["F1", "2025-06-30", "46"]],
        ),
        _athena_result(
            [("state", "varchar"), ("facility_count", "bigint")], [["TX", "1"], [None, "1"]]
        ),
    ]
    request = urllib.request.Request(
        f"{aws.url}/moto-api/static/athena/query-results",
        data=json.dumps({"results": queued}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request).close()
    aws.s3.create_bucket(Bucket="athena-results")
    target = AthenaTarget("athena", "us-east-1", "s3://athena-results/", "primary", None)
    target_path = tmp_path / "target"
    target_path.mkdir()
    nodes = {}
    for name, version in [
        ("load_audit", None),
        ("facility_summary", 2),
        ("expiring_accreditations", 2),
        ("accredited_facilities_by_state", 2),
    ]:
        table = name if version is None else f"{name}_v{version}"
        unique_id = f"model.accreditation_monitor.{name}" + ("" if version is None else ".v2")
        nodes[unique_id] = {
            "unique_id": unique_id,
            "resource_type": "model",
            "name": name,
            "package_name": "accreditation_monitor",
            "version": version,
            "latest_version": version,
            "relation_name": f'"awsdatacatalog"."accreditation_monitor"."{table}"',
        }
    manifest = {"metadata": {"project_name": "accreditation_monitor"}, "nodes": nodes}
    (target_path / "manifest.json").write_text(json.dumps(manifest))

    assert read_load_totals(target, target_path) == LoadTotals(2, 10, 8, 2, 1)
    files = export_marts(LocalDestination(tmp_path / "export"), target, target_path, AS_OF)

    run_dir = tmp_path / "export" / f"run_date={AS_OF}"
    assert [(file.model, file.rows) for file in files] == [
        ("facility_summary", 2),
        ("expiring_accreditations", 1),
        ("accredited_facilities_by_state", 2),
    ]
    assert (run_dir / "facility_summary_v2.csv").read_text() == (
        "facility_id,employee_count,first\nF1,250,2025-06-30\nF2,,\n"
    )
    assert (run_dir / "expiring_accreditations_v2.csv").read_text() == (
        "facility_id,valid_until,days_until_expiry\nF1,2025-06-30,46\n"
    )
    assert (run_dir / "accredited_facilities_by_state_v2.csv").read_text() == (
        "state,facility_count\nTX,1\n,1\n"
    )
    assert sorted(path.name for path in run_dir.iterdir()) == [
        SUCCESS_MARKER,
        "accredited_facilities_by_state_v2.csv",
        "expiring_accreditations_v2.csv",
        "facility_summary_v2.csv",
    ]
    # Every query went to moto's Athena, which recorded them.
    athena = boto3.client("athena")
    assert len(athena.list_query_executions()["QueryExecutionIds"]) == 4


def test_what_was_not_sent_follows_where_the_run_stopped() -> None:
    report = RunReport(
        as_of_date=AS_OF,
        target="local",
        trigger=None,
        retry_count=0,
        max_retries=0,
        export_location=None,
    )
    assert report.not_sent() is None  # nothing went wrong
    report.problems.append("build: 1 dbt node(s) or command(s) failed")
    report.phase = Phase.BUILD
    assert report.not_sent() == (
        "no alert was sent: the run stopped before sending; "
        "alerts due go out on the next run that builds the marts"
    )
    # Stopped inside the send: some batches may have gone out, and the ledger has them.
    report.phase = Phase.SEND
    assert report.not_sent() == (
        "the send did not finish: the alerts SNS accepted are in the ledger, "
        "the rest go out on the next run"
    )
    report.phase = Phase.EXPORT
    report.send = Summary(dry_run=False, group_by="tier", relation="r", ledger="l")
    report.send.failed_alerts.append({"facility_id": "F1"})
    assert report.not_sent() == "1 alert(s) were not published; they go out on the next run"
