"""`notifier send` through the CLI against a real moto server: what each queue receives."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
from notifier_testing import (
    REFERENCE_ROWS,
    Aws,
    Project,
    alert_counts,
    make_project,
    run_cli,
    send_args,
)

from notifier.messages import MAX_MESSAGE_BYTES, MAX_SUBJECT_CHARS

CRITICAL_LAPSED = ("FAC54321", "JC2002", "critical")
HIGH_46_DAYS = ("FAC12345", "NCQA500", "high")


def test_send_rerun_and_tier_change(aws: Aws, reference_project: Project) -> None:
    topic = aws.topic("accreditation-alerts")
    everything = aws.queue(topic, "everything")
    critical_only = aws.queue(topic, "critical-only", tiers=["critical"])
    envelope = aws.queue(topic, "envelope", raw=False)
    summary_path = reference_project.root / "summary.json"

    first = run_cli(
        *send_args(reference_project, "--topic-arn", topic, "--summary-json", summary_path)
    )
    assert first.exit_code == 0, first.output
    received = aws.drain(everything)
    assert alert_counts(received) == {CRITICAL_LAPSED: 1, HIGH_46_DAYS: 1}
    assert len(received) == 2  # one digest per tier
    assert alert_counts(aws.drain(critical_only)) == {CRITICAL_LAPSED: 1}
    wrapped = aws.drain(envelope)
    assert sorted(m.subject or "" for m in wrapped) == [
        "1 new critical accreditation alert, as of 2025-05-15",
        "1 new high accreditation alert, as of 2025-05-15",
    ]
    assert {m.attributes["days_until_expiry"] for m in wrapped} == {"-227", "46"}
    assert {m.attributes["event"] for m in wrapped} == {"new"}
    lapsed = next(m.document for m in wrapped if "JC2002" in m.body)
    assert (lapsed["alerts"][0]["action"], lapsed["alerts"][0]["lapsed_since"]) == (
        "renew_now",
        "2024-10-01",
    )
    summary = json.loads(summary_path.read_text())
    assert summary["status"] == "ok"
    assert summary["tiers"]["critical"] == {
        "alerts": 1,
        "published": 1,
        "suppressed": 0,
        "failed": 0,
    }
    assert summary["totals"]["published"] == 2 and summary["messages"]["published"] == 2
    assert summary["events"]["new"] == {"published": 2, "failed": 0}
    assert "published" in first.stdout and "total" in first.stdout

    rerun = run_cli(
        *send_args(reference_project, "--topic-arn", topic, "--summary-json", summary_path)
    )
    assert rerun.exit_code == 0, rerun.output
    assert aws.drain(everything) == []
    assert json.loads(summary_path.read_text())["totals"] == {
        "alerts": 2,
        "published": 0,
        "suppressed": 2,
        "failed": 0,
    }

    # Three weeks later NCQA500 has 25 days left: it moves from high to critical. JC2002, lapsed
    # all along, is due its weekly reminder.
    reference_project.write_mart(REFERENCE_ROWS, "2025-06-05")
    moved = run_cli(*send_args(reference_project, "--topic-arn", topic))
    assert moved.exit_code == 0, moved.output
    later = aws.drain(everything)
    assert sorted(event for m in later for event in m.events) == [
        ("escalated", "FAC12345", "NCQA500"),
        ("reminder", "FAC54321", "JC2002"),
    ]
    assert alert_counts(aws.drain(critical_only)) == {
        ("FAC12345", "NCQA500", "critical"): 1,
        CRITICAL_LAPSED: 1,
    }

    resend = run_cli(*send_args(reference_project, "--topic-arn", topic, "--resend"))
    assert resend.exit_code == 0, resend.output
    assert alert_counts(aws.drain(everything)) == {
        CRITICAL_LAPSED: 1,
        ("FAC12345", "NCQA500", "critical"): 1,
    }


def test_per_tier_topics_one_message_per_facility(aws: Aws, tmp_path: Path) -> None:
    rows = [
        ("F1", "Alpha", "TX", "NCQA", "N1", "2025-05-20"),
        ("F1", "Alpha", "TX", "DNV", "D1", "2025-05-25"),
        ("F2", "Beta", None, "NCQA", "N2", "2025-06-30"),
        ("F3", "Gamma", "FL", "NCQA", "N3", "2025-07-20"),
        ("F4", "Delta", "FL", "NCQA", "N4", "2025-09-01"),  # 109 days: no alert
    ]
    project = make_project(tmp_path, rows, "2025-05-15")
    topics = {tier: aws.topic(f"accreditation-{tier}") for tier in ("critical", "high", "medium")}
    queues = {tier: aws.queue(arn, f"q-{tier}") for tier, arn in topics.items()}
    result = run_cli(
        *send_args(project, "--group-by", "facility"),
        *[arg for tier, arn in topics.items() for arg in (f"--{tier}-topic-arn", arn)],
    )
    assert result.exit_code == 0, result.output
    critical = aws.drain(queues["critical"])
    assert len(critical) == 1  # both of F1's critical accreditations in one message
    assert alert_counts(critical) == {("F1", "N1", "critical"): 1, ("F1", "D1", "critical"): 1}
    high = aws.drain(queues["high"])
    assert alert_counts(high) == {("F2", "N2", "high"): 1}
    assert high[0].attributes["state"] == "unknown"
    assert alert_counts(aws.drain(queues["medium"])) == {("F3", "N3", "medium"): 1}


def test_fifo_topic(aws: Aws, reference_project: Project) -> None:
    topic = aws.topic("accreditation-alerts.fifo")
    queue = aws.queue(topic, "alerts.fifo")
    result = run_cli(*send_args(reference_project, "--topic-arn", topic))
    assert result.exit_code == 0, result.output
    assert alert_counts(aws.drain(queue)) == {CRITICAL_LAPSED: 1, HIGH_46_DAYS: 1}


def test_oversized_digest_arrives_in_parts(aws: Aws, tmp_path: Path) -> None:
    name = "Saint Ünïcode Memorial Hospital and Regional Medical Center " * 4
    rows = [(f"F{i:05}", f"{i} {name}", "TX", "NCQA", f"N{i}", "2025-05-30") for i in range(1500)]
    project = make_project(tmp_path, rows, "2025-05-15")
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything", raw=False)
    result = run_cli(*send_args(project, "--topic-arn", topic))
    assert result.exit_code == 0, result.output
    received = aws.drain(queue)
    # Each alert costs about 276 bytes of email text plus 700 of JSON document, escaped: 1,500
    # of them fill 5.6 messages' worth.
    assert len(received) == 6
    assert alert_counts(received) == {(f"F{i:05}", f"N{i}", "critical"): 1 for i in range(1500)}
    parts = len(received)
    counts = sorted(m.document["count"] for m in received)
    assert sum(counts) == 1500
    assert sorted(m.subject or "" for m in received) == sorted(
        f"{m.document['count']} new critical accreditation alerts, as of 2025-05-15"
        f" [{m.document['part']}/{parts}]"
        for m in received
    )
    for message in received:
        assert len(message.body.encode()) < MAX_MESSAGE_BYTES
        assert len(message.subject or "") <= MAX_SUBJECT_CHARS


def test_dry_run_publishes_and_records_nothing(aws: Aws, reference_project: Project) -> None:
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    summary = reference_project.root / "summary.json"
    result = run_cli(
        *send_args(
            reference_project,
            "--topic-arn",
            topic,
            "--dry-run",
            "--show-messages",
            "--summary-json",
            summary,
        )
    )
    assert result.exit_code == 0, result.output
    assert "dry run: nothing published" in result.stdout
    assert result.stdout.startswith(
        f"=== message 1 of 2 to {topic}\n"
        "Subject: 1 new critical accreditation alert, as of 2025-05-15\n"
        'Attributes: event=new, tier=critical, state=["CA"], days_until_expiry=-227\n\n'
        "NEW: 1 accreditation CRITICAL, lapsed or expiring within 30 days (as of 2025-05-15)\n\n"
        "- FAC54321 / JC2002 (Joint Commission) at Green Valley Clinic, CA: LAPSED since "
        "2024-10-01 (valid until 2024-09-30, 227 days ago). Renew now.\n"
    )
    assert json.loads(summary.read_text())["totals"]["published"] == 2
    assert aws.drain(queue) == []
    assert not reference_project.ledger.exists()


def test_cloudwatch_metrics_and_json_logs(aws: Aws, reference_project: Project) -> None:
    topic = aws.topic("accreditation-alerts")
    result = run_cli(
        *send_args(
            reference_project,
            "--topic-arn",
            topic,
            "--cloudwatch-namespace",
            "AccreditationMonitor",
            "--log-format",
            "json",
        )
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert [e["message"] for e in events].count("published") == 2
    assert all(e["level"] in {"info", "warning"} for e in events)
    cloudwatch = boto3.client("cloudwatch")
    metrics = cloudwatch.list_metrics(Namespace="AccreditationMonitor")["Metrics"]
    names = {(m["MetricName"], tuple(d["Value"] for d in m.get("Dimensions", []))) for m in metrics}
    assert {
        ("Published", ("critical",)),
        ("Suppressed", ("high",)),
        ("NoticesPublished", ("new",)),
        ("MessagesPublished", ()),
    } <= names


def test_s3_ledger(aws: Aws, reference_project: Project) -> None:
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    aws.s3.create_bucket(Bucket="notifier-state")
    ledger = "s3://notifier-state/ledgers/accreditation.json"
    for _ in range(2):
        result = run_cli(*send_args(reference_project, "--topic-arn", topic, "--ledger", ledger))
        assert result.exit_code == 0, result.output
    assert alert_counts(aws.drain(queue)) == {CRITICAL_LAPSED: 1, HIGH_46_DAYS: 1}
    listing = run_cli("ledger", "--ledger", ledger, "--format", "json")
    assert listing.exit_code == 0, listing.output
    records = [json.loads(line) for line in listing.stdout.splitlines()]
    assert sorted((r["facility_id"], r["tier"]) for r in records) == [
        ("FAC12345", "high"),
        ("FAC54321", "critical"),
    ]
    listed = aws.s3.list_objects_v2(Bucket="notifier-state")["Contents"]
    assert [o["Key"] for o in listed] == ["ledgers/accreditation.json"]  # lock released


def test_bad_input_exits_2_without_traceback(aws: Aws, reference_project: Project) -> None:
    topic = aws.topic("accreditation-alerts")
    missing = topic.replace("accreditation-alerts", "does-not-exist")
    cases = {
        "not an SNS topic ARN": ["--topic-arn", "arn:aws:sns:us-east-1:123:alerts"],
        "does not exist": ["--topic-arn", missing],
        "no topic for tier": ["--critical-topic-arn", topic],
        "target 'prod' not found": ["--topic-arn", topic, "--target", "prod"],
        "NoSuchBucket": ["--topic-arn", topic, "--ledger", "s3://no-such-bucket/ledger.json"],
    }
    for message, args in cases.items():
        result = run_cli(*send_args(reference_project, *args))
        assert result.exit_code == 2, (message, result.output)
        assert message in result.stderr
        assert "Traceback" not in result.output
    reference_project.ledger.write_text("{broken\n")
    result = run_cli(*send_args(reference_project, "--topic-arn", topic))
    assert result.exit_code == 2
    assert "is unreadable: line 1 is not a ledger record" in result.stderr
    assert aws.drain(aws.queue(topic, "after")) == []


def test_concurrent_workers_publish_each_alert_once(aws: Aws, tmp_path: Path) -> None:
    """--workers: PublishBatch calls in flight at once; every alert still goes out once."""
    rows = [(f"F{i:03}", f"Facility {i}", "TX", "NCQA", f"N{i}", "2025-05-20") for i in range(95)]
    project = make_project(tmp_path, rows, "2025-05-15")
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    summary_path = tmp_path / "summary.json"
    args = ["--topic-arn", topic, "--group-by", "facility", "--workers", "4"]

    result = run_cli(*send_args(project, *args, "--summary-json", summary_path))

    assert result.exit_code == 0, result.output
    assert alert_counts(aws.drain(queue)) == {
        (f"F{i:03}", f"N{i}", "critical"): 1 for i in range(95)
    }
    summary = json.loads(summary_path.read_text())
    assert summary["messages"] == {"published": 95, "failed": 0}
    listing = run_cli("ledger", "--project-dir", project.root, "--format", "csv")
    assert len(listing.stdout.splitlines()) == 1 + 95
    rerun = run_cli(*send_args(project, *args))
    assert rerun.exit_code == 0 and aws.drain(queue) == []


def test_unwritable_summary_is_refused_before_publishing(
    aws: Aws, reference_project: Project
) -> None:
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    blocker = reference_project.root / "a-file"
    blocker.write_text("not a directory\n")
    result = run_cli(
        *send_args(reference_project, "--topic-arn", topic, "--summary-json", blocker / "s.json")
    )
    assert result.exit_code == 2
    assert f"cannot write the summary to {blocker / 's.json'}" in result.stderr
    assert aws.drain(queue) == []
    assert not reference_project.ledger.exists()
