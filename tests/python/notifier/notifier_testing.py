"""Helpers for the notifier tests: a stand-in dbt project, SNS/SQS plumbing, CLI runs."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import duckdb
from click.testing import CliRunner, Result

from notifier.cli import cli

MODEL_ID = "model.accreditation_monitor.expiring_accreditations.v2"
TEST_ID = "test.accreditation_monitor.not_null_expiring_accreditations_v2_facility_id.1"
# facility_id, facility_name, state, accreditation_body, accreditation_id, valid_until
Fixture = tuple[str, str | None, str | None, str | None, str | None, str]

# The two challenge records that reach the v2 mart at as-of 2025-05-15 (FAC67890 is beyond
# the horizon).
REFERENCE_ROWS: list[Fixture] = [
    ("FAC12345", "City Hospital", "TX", "NCQA", "NCQA500", "2025-06-30"),
    ("FAC54321", "Green Valley Clinic", "CA", "Joint Commission", "JC2002", "2024-09-30"),
]


@dataclass
class Aws:
    url: str
    sns: Any = field(init=False)
    sqs: Any = field(init=False)
    s3: Any = field(init=False)

    def __post_init__(self) -> None:
        self.sns = boto3.client("sns")
        self.sqs = boto3.client("sqs")
        self.s3 = boto3.client("s3")

    def topic(self, name: str) -> str:
        attributes = {"FifoTopic": "true"} if name.endswith(".fifo") else {}
        return str(self.sns.create_topic(Name=name, Attributes=attributes)["TopicArn"])

    def queue(
        self, topic_arn: str, name: str, *, raw: bool = True, tiers: Sequence[str] = ()
    ) -> str:
        """An SQS queue subscribed to the topic, optionally filtering on the tier attribute."""
        attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
        url = str(self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        subscription: dict[str, str] = {"RawMessageDelivery": str(raw).lower()}
        if tiers:
            subscription["FilterPolicy"] = json.dumps({"tier": list(tiers)})
        self.sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=subscription
        )
        return url

    def drain(self, queue_url: str) -> list[Received]:
        received = []
        while True:
            response = self.sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            )
            messages = response.get("Messages", [])
            if not messages:
                return received
            for message in messages:
                received.append(Received.parse(message))
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


_LINE = re.compile(r"^- (?P<facility>\S+) / (?P<accreditation>\S+) ", re.MULTILINE)


@dataclass
class Received:
    body: str
    subject: str | None
    attributes: dict[str, str]

    @classmethod
    def parse(cls, message: dict[str, Any]) -> Received:
        body = message["Body"]
        if "MessageAttributes" in message:  # raw delivery: SNS attributes are SQS attributes
            attributes = {
                name: value["StringValue"] for name, value in message["MessageAttributes"].items()
            }
            return cls(body, None, attributes)
        envelope = json.loads(body)
        attributes = {
            name: value["Value"] for name, value in envelope.get("MessageAttributes", {}).items()
        }
        return cls(envelope["Message"], envelope.get("Subject"), attributes)

    @property
    def alerts(self) -> list[tuple[str, str]]:
        return [(m["facility"], m["accreditation"]) for m in _LINE.finditer(self.body)]


def alert_counts(messages: Sequence[Received]) -> Counter[tuple[str, str, str]]:
    """(facility, accreditation, tier) -> how often it arrived."""
    return Counter(
        (facility, accreditation, message.attributes["tier"])
        for message in messages
        for facility, accreditation in message.alerts
    )


@dataclass
class Project:
    """A stand-in for a built dbt project: the mart in DuckDB plus the two artifacts."""

    root: Path
    db_name: str = "accreditation_monitor"

    @property
    def target_path(self) -> Path:
        return self.root / "target"

    @property
    def ledger(self) -> Path:
        return self.root / ".notifier-ledger.json"

    def write_mart(self, rows: Sequence[Fixture], as_of: str) -> None:
        as_of_date = dt.date.fromisoformat(as_of)
        path = self.root / f"{self.db_name}.duckdb"
        path.unlink(missing_ok=True)
        with duckdb.connect(str(path)) as connection:
            connection.execute(
                "create table expiring_accreditations_v2 (facility_id varchar, facility_name"
                " varchar, state varchar, accreditation_body varchar, accreditation_id varchar,"
                " valid_until date, as_of_date date, days_until_expiry integer, status varchar)"
            )
            records = []
            for row in rows:
                days = (dt.date.fromisoformat(row[5]) - as_of_date).days
                records.append((*row, as_of, days, "expired" if days < 0 else "expiring"))
            if records:
                connection.executemany(
                    "insert into expiring_accreditations_v2 values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    records,
                )

    def write_artifacts(
        self,
        *,
        model_status: str | None = "success",
        test_status: str | None = "pass",
        command: str = "build",
        relation_name: str | None = None,
    ) -> None:
        self.target_path.mkdir(exist_ok=True)
        relation = relation_name or f'"{self.db_name}"."main"."expiring_accreditations_v2"'
        model = {
            "unique_id": MODEL_ID,
            "resource_type": "model",
            "name": "expiring_accreditations",
            "package_name": "accreditation_monitor",
            "version": 2,
            "latest_version": 2,
            "relation_name": relation,
            "depends_on": {"nodes": []},
        }
        old = dict(model, unique_id=MODEL_ID[:-1] + "1", version=1, relation_name='"x"."y"."z"')
        test = {
            "unique_id": TEST_ID,
            "resource_type": "test",
            "name": "not_null",
            "attached_node": MODEL_ID,
            "depends_on": {"nodes": [MODEL_ID]},
        }
        manifest = {
            "metadata": {"project_name": "accreditation_monitor"},
            "nodes": {MODEL_ID: model, old["unique_id"]: old, TEST_ID: test},
        }
        (self.target_path / "manifest.json").write_text(json.dumps(manifest))
        results = [
            {"unique_id": unique_id, "status": status}
            for unique_id, status in ((MODEL_ID, model_status), (TEST_ID, test_status))
            if status is not None
        ]
        run_results = {"args": {"which": command, "target": None}, "results": results}
        (self.target_path / "run_results.json").write_text(json.dumps(run_results))


def make_project(root: Path, rows: Sequence[Fixture], as_of: str) -> Project:
    (root / "dbt_project.yml").write_text(
        "name: accreditation_monitor\nprofile: accreditation_monitor\n"
    )
    (root / "profiles.yml").write_text(
        "accreditation_monitor:\n"
        "  target: local\n"
        "  outputs:\n"
        "    local:\n"
        "      type: duckdb\n"
        "      path: \"{{ env_var('NOTIFIER_TEST_DUCKDB', 'accreditation_monitor.duckdb') }}\"\n"
        "    athena:\n"
        "      type: athena\n"
        "      region_name: us-east-1\n"
        "      s3_staging_dir: s3://athena-results/\n"
        "      work_group: primary\n"
    )
    project = Project(root)
    project.write_mart(rows, as_of)
    project.write_artifacts()
    return project


def run_cli(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)


def send_args(project: Project, *args: str | Path) -> list[str | Path]:
    return ["send", "--project-dir", project.root, *args]
