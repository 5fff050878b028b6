"""Two sends at once on one ledger, as separate processes: each alert is published once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from notifier_testing import Aws, Project, alert_counts, make_project

from notifier.ledger import open_ledger

NOTIFIER = str(Path(sys.executable).with_name("notifier"))
FACILITIES = 40
EXPECTED = {(f"F{i:02}", f"N{i:02}", "critical"): 1 for i in range(FACILITIES)}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    rows = [
        (f"F{i:02}", f"Facility {i}", "TX", "NCQA", f"N{i:02}", "2025-05-20")
        for i in range(FACILITIES)
    ]
    return make_project(tmp_path, rows, "2025-05-15")


def start_send(project: Project, topic: str, ledger: str, name: str) -> subprocess.Popen[str]:
    # The child keeps its own copy of the log's descriptor; the test reads the file.
    with (project.root / f"{name}.log").open("w") as log:
        return subprocess.Popen(
            [
                NOTIFIER,
                "send",
                "--project-dir",
                str(project.root),
                "--topic-arn",
                topic,
                "--group-by",
                "facility",
                "--ledger",
                ledger,
                "--lock-timeout",
                "60",
                "--summary-json",
                str(project.root / f"{name}.json"),
                "--log-format",
                "json",
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )


def wait_until_both_wait_for_the_lock(project: Project, sends: list[subprocess.Popen[str]]) -> None:
    """Each send logs once that it found the ledger locked; poll for both, with a deadline."""
    deadline = time.monotonic() + 60
    logs = [project.root / f"send{index}.log" for index in range(len(sends))]
    while not all("waiting for the ledger lock" in log.read_text() for log in logs):
        assert [process.poll() for process in sends] == [None] * len(sends)
        assert time.monotonic() < deadline, "the sends did not reach the lock within 60 s"
        time.sleep(0.05)


def finish(project: Project, sends: list[subprocess.Popen[str]]) -> list[dict[str, int]]:
    totals = []
    for index, process in enumerate(sends):
        stdout, _ = process.communicate(timeout=120)
        log = (project.root / f"send{index}.log").read_text()
        assert process.returncode == 0, stdout + log
        totals.append(json.loads((project.root / f"send{index}.json").read_text())["totals"])
    return totals


def assert_published_once(aws: Aws, queue: str, totals: list[dict[str, int]]) -> None:
    assert alert_counts(aws.drain(queue)) == EXPECTED
    # Whoever got the lock second found everything in the ledger.
    assert sorted(t["published"] for t in totals) == [0, FACILITIES]
    assert sorted(t["suppressed"] for t in totals) == [0, FACILITIES]


def test_concurrent_sends_with_a_file_ledger(aws: Aws, project: Project) -> None:
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    # Hold the lock while both start, so they really contend for it when it is released.
    with open_ledger(str(project.ledger)).lock(timeout=1):
        sends = [start_send(project, topic, str(project.ledger), f"send{i}") for i in range(2)]
        wait_until_both_wait_for_the_lock(project, sends)
    assert_published_once(aws, queue, finish(project, sends))


def test_concurrent_sends_with_an_s3_ledger(aws: Aws, project: Project) -> None:
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    aws.s3.create_bucket(Bucket="notifier-state")
    lock = {"Bucket": "notifier-state", "Key": "ledger.json.lock"}
    aws.s3.put_object(**lock, Body=json.dumps({"owner": "test", "expires_at": time.time() + 60}))
    sends = [
        start_send(project, topic, "s3://notifier-state/ledger.json", f"send{i}") for i in range(2)
    ]
    wait_until_both_wait_for_the_lock(project, sends)
    aws.s3.delete_object(**lock)
    assert_published_once(aws, queue, finish(project, sends))
