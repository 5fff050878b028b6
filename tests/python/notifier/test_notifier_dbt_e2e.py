"""The real chain: `dbt build` on the challenge sample, then `notifier send` to moto's SNS.

Runs whenever the test suite runs: the dbt project is part of the repository, so a missing or
broken mart fails here instead of being skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from dbt_testing import CHALLENGE_SAMPLE, REPO_ROOT, DbtRun
from notifier_testing import Aws, Received, alert_counts, run_cli

SAMPLE = CHALLENGE_SAMPLE


def events(messages: list[Received]) -> Counter[tuple[str, str, str]]:
    return Counter(event for message in messages for event in message.events)


def send(run: DbtRun, ledger: Path, topics: dict[str, str], *args: str) -> None:
    """`notifier send` after a real build; it must succeed (exit 0) without a traceback."""
    result = run_cli(
        "send",
        "--project-dir",
        REPO_ROOT,
        "--target",
        "local",
        "--target-path",
        run.target_path,
        "--ledger",
        ledger,
        *[arg for tier, arn in topics.items() for arg in (f"--{tier}-topic-arn", arn)],
        *args,
    )
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output


def test_dbt_build_then_send(
    aws: Aws,
    dbt_build: Callable[..., DbtRun],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBT_PROFILES_DIR", str(REPO_ROOT))
    topics = {tier: aws.topic(f"accreditation-{tier}") for tier in ("critical", "high", "medium")}
    queues = {tier: aws.queue(arn, f"q-{tier}") for tier, arn in topics.items()}
    ledger = tmp_path / "ledger.json"

    may = dbt_build(SAMPLE, "2025-05-15")
    monkeypatch.setenv("DUCKDB_PATH", str(may.duckdb_path))
    preview = run_cli(
        "preview",
        "--project-dir",
        REPO_ROOT,
        "--target-path",
        may.target_path,
        "--format",
        "json",
        "--ledger",
        ledger,
    )
    assert preview.exit_code == 0, preview.output
    assert len(preview.stdout.splitlines()) == 2

    # The build read the repository's own made-up records: nothing goes to a real topic.
    refused = run_cli(
        "send",
        "--project-dir",
        REPO_ROOT,
        "--target-path",
        may.target_path,
        "--ledger",
        ledger,
        *[arg for tier, arn in topics.items() for arg in (f"--{tier}-topic-arn", arn)],
    )
    assert refused.exit_code == 2
    assert (
        f"the mart was built from the repository's made-up sample data ({SAMPLE}): refusing to"
        " publish its alerts."
    ) in refused.stderr
    assert [aws.drain(queue) for queue in queues.values()] == [[], [], []]

    send(may, ledger, topics, "--allow-sample-data")
    assert alert_counts(aws.drain(queues["critical"])) == {("FAC54321", "JC2002", "critical"): 1}
    assert alert_counts(aws.drain(queues["high"])) == {("FAC12345", "NCQA500", "high"): 1}
    assert aws.drain(queues["medium"]) == []

    send(may, ledger, topics, "--allow-sample-data")
    assert [aws.drain(queue) for queue in queues.values()] == [[], [], []]

    # Three weeks on, NCQA500 has 25 days left and turns critical; JC2002, still lapsed, gets
    # its weekly reminder.
    june = dbt_build(SAMPLE, "2025-06-05")
    monkeypatch.setenv("DUCKDB_PATH", str(june.duckdb_path))
    send(june, ledger, topics, "--allow-sample-data")
    assert events(aws.drain(queues["critical"])) == {
        ("escalated", "FAC12345", "NCQA500"): 1,
        ("reminder", "FAC54321", "JC2002"): 1,
    }
    assert aws.drain(queues["high"]) == [] and aws.drain(queues["medium"]) == []


RENEWAL = {
    "facility_id": "FAC12345",
    "facility_name": "City Hospital",
    "location": {"state": "TX"},
    "accreditations": [
        {
            "accreditation_body": "Joint Commission",
            "accreditation_id": "JC1001",
            "valid_until": "2026-12-31",
        },
        {
            "accreditation_body": "NCQA",
            "accreditation_id": "NCQA500-R",
            "valid_until": "2028-06-30",
        },
    ],
}


def test_time_travel_on_the_challenge_sample(
    aws: Aws,
    dbt_build: Callable[..., DbtRun],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Real builds at a sequence of as-of dates, then a renewal file: the exact events per key."""
    monkeypatch.setenv("DBT_PROFILES_DIR", str(REPO_ROOT))
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    ledger = tmp_path / "ledger.json"
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "2025-05-01_facilities.ndjson").write_text(SAMPLE.read_text())
    files = str(feed / "*.ndjson")

    def events_on(as_of: str) -> dict[tuple[str, str, str], int]:
        run = dbt_build(files, as_of)
        monkeypatch.setenv("DUCKDB_PATH", str(run.duckdb_path))
        send(run, ledger, {}, "--topic-arn", topic)
        return dict(events(aws.drain(queue)))

    # Day 0: JC2002 lapsed long ago, NCQA500 has 46 days (high).
    assert events_on("2025-05-15") == {
        ("new", "FAC54321", "JC2002"): 1,
        ("new", "FAC12345", "NCQA500"): 1,
    }
    assert events_on("2025-05-15") == {}  # the same day again
    # +7: the lapsed one is reminded weekly; a high one every 14 days.
    assert events_on("2025-05-22") == {("reminder", "FAC54321", "JC2002"): 1}
    # +14: both reminded (NCQA500 still high, 32 days left).
    assert events_on("2025-05-29") == {
        ("reminder", "FAC54321", "JC2002"): 1,
        ("reminder", "FAC12345", "NCQA500"): 1,
    }
    # NCQA500 lapsed on 2025-07-01 (valid until 2025-06-30): lapsed beats escalated.
    assert events_on("2025-07-01") == {
        ("lapsed", "FAC12345", "NCQA500"): 1,
        ("reminder", "FAC54321", "JC2002"): 1,
    }
    # The renewal arrives in a later file, which supersedes the facility's record.
    (feed / "2025-07-02_renewal.ndjson").write_text(json.dumps(RENEWAL) + "\n")
    assert events_on("2025-07-03") == {("resolved", "FAC12345", "NCQA500"): 1}
    assert events_on("2025-07-03") == {}
    listing = run_cli("ledger", "--ledger", ledger, "--closed", "--format", "json")
    (closed,) = [json.loads(line) for line in listing.stdout.splitlines()]
    assert (closed["accreditation_id"], closed["resolution"], closed["renewed_until"]) == (
        "NCQA500",
        "renewed",
        "2028-06-30",
    )


def test_time_travel_on_a_generated_set(
    aws: Aws,
    dbt_build: Callable[..., DbtRun],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """200 generated facilities, day 0 and day 7, against a closed-form reading of the rules:
    on day 7 a key is lapsed if it expired in between, escalated if it crossed 30 or 60 days
    left, new if it came within 90, reminded if it stayed critical; nothing else."""
    monkeypatch.setenv("DBT_PROFILES_DIR", str(REPO_ROOT))
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    ledger = tmp_path / "ledger.json"
    facilities = tmp_path / "generated.ndjson"
    subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "generate_facilities.py"),
            "--count",
            "200",
            "--seed",
            "11",
            "--as-of",
            "2026-03-02",
            "--output",
            str(facilities),
        ],
        check=True,
    )
    day0 = dbt_build(facilities, "2026-03-02")
    with duckdb.connect(str(day0.duckdb_path), read_only=True) as connection:
        mart = connection.execute(
            "select facility_id, accreditation_id, days_until_expiry"
            " from expiring_accreditations_v3"
        ).fetchall()
    days0 = {(facility, accreditation): days for facility, accreditation, days in mart}
    assert len(days0) == len(mart)  # one accreditation id per key in this generated set

    monkeypatch.setenv("DUCKDB_PATH", str(day0.duckdb_path))
    send(day0, ledger, {}, "--topic-arn", topic)
    first = events(aws.drain(queue))
    assert first == {("new", f, a): 1 for (f, a), days in days0.items() if days <= 90}

    def tier(days: int) -> int:
        return 0 if days <= 30 else 1 if days <= 60 else 2

    expected: dict[tuple[str, str, str], int] = {}
    for (facility, accreditation), days in days0.items():
        later = days - 7
        if days > 90:
            event = "new" if later <= 90 else None
        elif later < 0 <= days:
            event = "lapsed"
        elif tier(later) < tier(days):
            event = "escalated"
        elif tier(days) == 0:
            event = "reminder"  # critical, lapsed ones included, every 7 days
        else:
            event = None  # high: 14 days; medium: never
        if event:
            expected[(event, facility, accreditation)] = 1
    day7 = dbt_build(facilities, "2026-03-09")
    monkeypatch.setenv("DUCKDB_PATH", str(day7.duckdb_path))
    send(day7, ledger, {}, "--topic-arn", topic)
    assert events(aws.drain(queue)) == expected
    assert {event for event, _, _ in expected} == {"new", "lapsed", "escalated", "reminder"}
    send(day7, ledger, {}, "--topic-arn", topic)
    assert aws.drain(queue) == []
