"""What one `notifier run` did, as text and JSON, and the one status message it sends to ops."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from mypy_boto3_sns import SNSClient
from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

from notifier.audit import LoadTotals
from notifier.dbt_build import BuildOutcome
from notifier.export import ExportedFile
from notifier.messages import MAX_MESSAGE_BYTES, ascii_subject
from notifier.routing import Topic
from notifier.summary import Summary

# A failing node's message can be a whole SQL error with the query; the status names the node and
# keeps the start of the message (the full text is in dbt's logs and run_results.json).
_MAX_NODE_MESSAGE_CHARS = 1_000
# Room for the subject and attributes, which count towards SNS's message size limit.
_BODY_BUDGET_BYTES = MAX_MESSAGE_BYTES - 4_096


class Phase(StrEnum):
    CHECKS = "checks"
    BUILD = "build"
    SEND = "send"
    AUDIT = "audit"
    EXPORT = "export"
    METRICS = "metrics"
    DONE = "done"


@dataclass
class RunReport:
    as_of_date: str
    target: str
    trigger: str | None
    # 0-based, as Step Functions counts retries; the final attempt is the one that reports failure.
    retry_count: int
    max_retries: int
    export_location: str | None
    phase: Phase = Phase.CHECKS
    build: BuildOutcome | None = None
    load: LoadTotals | None = None
    send: Summary | None = None
    exported: list[ExportedFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    interrupted: bool = False
    elapsed_seconds: float = 0.0
    exit_code: int = 0

    @property
    def status(self) -> str:
        if self.interrupted:
            return "interrupted"
        return "failed" if self.problems else "succeeded"

    @property
    def final_attempt(self) -> bool:
        return self.retry_count >= self.max_retries

    def as_json(self) -> dict[str, Any]:
        build = None
        if self.build is not None:
            build = {
                "success": self.build.success,
                "statuses": dict(sorted(self.build.statuses.items())),
                "failures": [asdict(failure) for failure in self.build.failures],
                "errors": self.build.errors,
            }
        return {
            "status": self.status,
            "as_of_date": self.as_of_date,
            "target": self.target,
            "trigger": self.trigger,
            "attempt": self.retry_count + 1,
            "attempts": self.max_retries + 1,
            "stopped_in_phase": None if self.phase is Phase.DONE else self.phase.value,
            "problems": self.problems,
            "not_sent": self.not_sent(),
            "build": build,
            "load": None if self.load is None else self.load.as_json(),
            "alerts": None if self.send is None else self.send.as_json(),
            "export": {
                "location": self.export_location,
                "files": [asdict(file) for file in self.exported],
            },
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }

    def not_sent(self) -> str | None:
        if self.send is None and self.status != "succeeded":
            if self.phase is Phase.SEND:
                return (
                    "the send did not finish: the alerts SNS accepted are in the ledger, "
                    "the rest go out on the next run"
                )
            if self.phase in (Phase.CHECKS, Phase.BUILD):
                return (
                    "no alert was sent: the run stopped before sending; "
                    "alerts due go out on the next run that builds the marts"
                )
        if self.send is None:
            return None
        failed = len(self.send.failed_alerts)
        if failed:
            return f"{failed} alert(s) were not published; they go out on the next run"
        return None

    def render(self) -> str:
        lines = [
            f"Accreditation monitor: run {self.status.upper()}",
            f"as of {self.as_of_date}, target {self.target}, trigger {self.trigger or 'manual'}, "
            f"attempt {self.retry_count + 1} of {self.max_retries + 1}, "
            f"{self.elapsed_seconds:.1f} s",
        ]
        if self.problems:
            lines += ["", "Problems:", *(f"- {problem}" for problem in self.problems)]
        if self.build is not None and (self.build.failures or self.build.errors):
            lines += ["", "Failing dbt nodes:"]
            lines += [
                f"- {failure.unique_id} ({failure.status}): "
                f"{_clip(failure.message, _MAX_NODE_MESSAGE_CHARS)}"
                for failure in self.build.failures
            ]
            lines += [f"- {_clip(error, _MAX_NODE_MESSAGE_CHARS)}" for error in self.build.errors]
        if not_sent := self.not_sent():
            lines += ["", f"Not sent: {not_sent}"]
        lines += ["", *self._counts()]
        return "\n".join(lines)

    def _counts(self) -> list[str]:
        lines = []
        if self.load is not None:
            load = self.load
            lines.append(
                f"Input: {load.lines_read} lines read in {load.files} file(s), "
                f"{load.facilities} facilities, {load.records_rejected} lines rejected "
                f"({load.rejected_share_percent:.2f}%), "
                f"{load.accreditations_rejected} accreditation entries rejected"
            )
        if self.build is not None:
            statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.build.statuses.items()))
            lines.append(f"Build: {sum(self.build.statuses.values())} nodes ({statuses})")
        if self.send is not None:
            tiers = ", ".join(
                f"{tier.value} {counts.alerts}" for tier, counts in self.send.tiers.items()
            )
            totals = self.send.totals()
            events = ", ".join(
                f"{event.value} {counts.published}" for event, counts in self.send.events.items()
            )
            lines.append(
                f"Alerts due: {tiers}; {totals.published} with news today, "
                f"{totals.suppressed} with nothing new, {totals.failed} failed; "
                f"notices sent: {events}, in {self.send.messages_published} message(s)"
            )
            lines.append(self.send.unevaluated.footer())
        if self.exported:
            files = ", ".join(f"{file.location} ({file.rows} rows)" for file in self.exported)
            lines.append(f"Export: {files}")
        elif self.export_location:
            lines.append(f"Export: not written to {self.export_location}")
        return lines


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_message(report: RunReport) -> tuple[str, str]:
    """Subject and body: the text a person reads, then the same facts as JSON for machines."""
    notices = (
        ""
        if report.send is None
        else f": {sum(c.published for c in report.send.events.values())} notices sent"
    )
    subject = ascii_subject(
        f"Accreditation monitor run {report.status.upper()} for {report.as_of_date}{notices}"
    )
    text = report.render()
    details = json.dumps(report.as_json(), indent=2, default=str)
    body = f"{text}\n\nDetails (JSON):\n{details}\n"
    if len(body.encode()) > _BODY_BUDGET_BYTES:
        body = text.encode()[:_BODY_BUDGET_BYTES].decode(errors="ignore") + "\n"
    return subject, body


def publish_status(report: RunReport, topic: Topic, client: SNSClient) -> str:
    subject, body = status_message(report)
    attributes: dict[str, MessageAttributeValueTypeDef] = {
        "status": {"DataType": "String", "StringValue": report.status},
        "as_of_date": {"DataType": "String", "StringValue": report.as_of_date},
    }
    request: dict[str, Any] = {
        "TopicArn": topic.arn,
        "Subject": subject,
        "Message": body,
        "MessageAttributes": attributes,
    }
    if topic.fifo:
        request |= {"MessageGroupId": "run-status", "MessageDeduplicationId": uuid.uuid4().hex}
    return str(client.publish(**request)["MessageId"])
