"""Faults moto cannot produce on its own, injected with botocore event hooks on the client.

Throttling, 5xx and failed batch entries are injected in-process; everything else is the real
moto server. Each test asserts that every alert arrives exactly once, after the run plus at most
one clean rerun, and that the exit code and summary say what happened.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from notifier_testing import Aws, Project, alert_counts, make_project, run_cli, send_args

FACILITIES = 30  # three PublishBatch calls of ten messages with --group-by facility
EXPECTED = {(f"F{i:02}", f"N{i:02}", "critical"): 1 for i in range(FACILITIES)}


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def error_response(request: AWSPreparedRequest, status: int, code: str) -> AWSResponse:
    body = (
        f"<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code>"
        f"<Message>injected</Message></Error><RequestId>x</RequestId></ErrorResponse>"
    ).encode()
    return AWSResponse(request.url, status, {}, _Body(body))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    rows = [
        (f"F{i:02}", f"Facility {i}", "TX", "NCQA", f"N{i:02}", "2025-05-20") for i in range(30)
    ]
    return make_project(tmp_path, rows, "2025-05-15")


def send(project: Project, topic: str, *args: str) -> tuple[int, dict[str, Any]]:
    summary = project.root / "summary.json"
    result = run_cli(
        *send_args(project, "--topic-arn", topic, "--group-by", "facility"),
        "--summary-json",
        summary,
        *args,
    )
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(summary.read_text())


def test_throttling_and_5xx_are_retried(aws: Aws, project: Project) -> None:
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    calls = {"n": 0, "injected": 0}

    def flaky(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        calls["n"] += 1
        if calls["n"] % 3 == 0:
            return None
        calls["injected"] += 1
        if calls["n"] % 3 == 1:
            return error_response(request, 400, "Throttling")
        return error_response(request, 500, "InternalFailure")

    boto3.DEFAULT_SESSION.events.register("before-send.sns.PublishBatch", flaky)  # type: ignore[union-attr]
    code, summary = send(project, topic)
    assert code == 0, summary
    assert calls["injected"] == 6  # two failures before each of the three batches went through
    assert alert_counts(aws.drain(queue)) == EXPECTED
    assert summary["totals"]["published"] == FACILITIES


def test_failed_entries_are_resent_alone(aws: Aws, project: Project) -> None:
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    withheld: list[str] = []
    sizes: list[int] = []

    def withhold_first_entry(params: dict[str, Any], **_: Any) -> None:
        entries = params["PublishBatchRequestEntries"]
        sizes.append(len(entries))
        if len(entries) == 10:  # only first attempts: the re-send of one entry goes through
            withheld.append(entries.pop(0)["Id"])

    def report_withheld(parsed: dict[str, Any], **_: Any) -> None:
        parsed.setdefault("Failed", []).extend(
            {"Id": entry_id, "Code": "InternalError", "SenderFault": False, "Message": "x"}
            for entry_id in withheld
        )
        withheld.clear()

    events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
    events.register("provide-client-params.sns.PublishBatch", withhold_first_entry)
    events.register("after-call.sns.PublishBatch", report_withheld)
    code, summary = send(project, topic)
    assert code == 0, summary
    assert sizes == [10, 1, 10, 1, 10, 1]
    assert alert_counts(aws.drain(queue)) == EXPECTED


def test_persistent_failures_are_reported_and_sent_next_run(aws: Aws, project: Project) -> None:
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    withheld: list[str] = []

    def withhold_f07(params: dict[str, Any], **_: Any) -> None:
        entries = params["PublishBatchRequestEntries"]
        for entry in list(entries):
            if "(F07)" in entry["Message"]:
                entries.remove(entry)
                withheld.append(entry["Id"])

    def report_withheld(parsed: dict[str, Any], **_: Any) -> None:
        parsed.setdefault("Failed", []).extend(
            {"Id": entry_id, "Code": "InternalError", "SenderFault": False, "Message": "down"}
            for entry_id in withheld
        )
        withheld.clear()

    events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
    events.register("provide-client-params.sns.PublishBatch", withhold_f07)
    events.register("after-call.sns.PublishBatch", report_withheld)
    code, summary = send(project, topic, "--max-attempts", "2")
    assert code == 1
    assert summary["status"] == "failed"
    assert [(f["facility_id"], f["code"]) for f in summary["failed_alerts"]] == [
        ("F07", "InternalError")
    ]
    assert summary["totals"] == {"alerts": 30, "published": 29, "suppressed": 0, "failed": 1}
    assert "F07" not in project.ledger.read_text()
    first_run = aws.drain(queue)

    boto3.setup_default_session()  # the outage is over
    code, summary = send(project, topic)
    assert code == 0
    assert summary["totals"] == {"alerts": 30, "published": 1, "suppressed": 29, "failed": 0}
    assert alert_counts(first_run + aws.drain(queue)) == EXPECTED


def test_a_run_failing_half_way_never_repeats_an_alert(aws: Aws, project: Project) -> None:
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    seen_batches: list[str] = []

    def second_batch_down(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        # The batch is known by the first facility id in it (the body is form-encoded JSON).
        first_entry = re.findall(r"F\d\d", unquote_plus(str(request.body)))[0]
        if first_entry not in seen_batches:
            seen_batches.append(first_entry)
        if seen_batches.index(first_entry) == 1:
            return error_response(request, 503, "ServiceUnavailable")
        return None

    boto3.DEFAULT_SESSION.events.register("before-send.sns.PublishBatch", second_batch_down)  # type: ignore[union-attr]
    code, summary = send(project, topic, "--max-attempts", "2")
    assert code == 1
    assert summary["totals"]["published"] == 20 and summary["totals"]["failed"] == 10
    first_run = aws.drain(queue)
    assert len(alert_counts(first_run)) == 20

    boto3.setup_default_session()
    code, summary = send(project, topic)
    assert code == 0
    assert summary["totals"]["published"] == 10
    assert alert_counts(first_run + aws.drain(queue)) == EXPECTED
