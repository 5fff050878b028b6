"""Helpers for the notifier tests: a stand-in dbt project, SNS/SQS plumbing, CLI runs."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import duckdb
from click.testing import CliRunner, Result

from notifier.audit import UNREADABLE_REASONS
from notifier.cli import cli

MODEL_ID = "model.accreditation_monitor.expiring_accreditations.v3"
TEST_ID = "test.accreditation_monitor.not_null_expiring_accreditations_v3_facility_id.1"
# facility_id, facility_name, state, accreditation_body, accreditation_id, valid_until, and
# optionally owner, owner_topic_arn, acknowledged_until
Fixture = tuple[str | None, ...]
_OTHER_MODELS = ("current_accreditations", "load_audit", "rejected_accreditations")

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
        self,
        topic_arn: str,
        name: str,
        *,
        raw: bool = True,
        tiers: Sequence[str] = (),
        policy: dict[str, list[str]] | None = None,
    ) -> str:
        """An SQS queue subscribed to the topic, optionally with a filter policy (`tiers` is
        short for one on the tier attribute)."""
        attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
        url = str(self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        subscription: dict[str, str] = {"RawMessageDelivery": str(raw).lower()}
        if tiers:
            policy = {"tier": list(tiers), **(policy or {})}
        if policy:
            subscription["FilterPolicy"] = json.dumps(policy)
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


@dataclass
class Received:
    """One message as an SQS subscriber gets it: the JSON document (SNS's `default`)."""

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
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def alerts(self) -> list[tuple[str, str]]:
        return [(a["facility_id"], a["accreditation_id"]) for a in self.document["alerts"]]

    @property
    def events(self) -> list[tuple[str, str, str]]:
        """(event, facility_id, accreditation_id) of every notice in the message."""
        event = self.document["event"]
        return [(event, a["facility_id"], a["accreditation_id"]) for a in self.document["alerts"]]


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

    def write_mart(
        self,
        rows: Sequence[Fixture],
        as_of: str,
        *,
        current: Sequence[Fixture] = (),
        rejected_entries: Sequence[tuple[str, int]] = (),
        rejected_lines: dict[str, int] | None = None,
    ) -> None:
        """The mart holds `rows`; current_accreditations holds them plus `current` (entries
        beyond the horizon, such as renewals); the audit tables hold the given rejects."""
        as_of_date = dt.date.fromisoformat(as_of)
        path = self.root / f"{self.db_name}.duckdb"
        path.unlink(missing_ok=True)
        with duckdb.connect(str(path)) as connection:
            base = (
                "facility_id varchar, facility_name varchar, state varchar, accreditation_body"
                " varchar, accreditation_id varchar, valid_until date, as_of_date date,"
                " days_until_expiry integer, status varchar"
            )
            connection.execute(
                f"create table expiring_accreditations_v3 ({base}, owner varchar,"
                " owner_topic_arn varchar, acknowledged_until date)"
            )
            connection.execute(f"create table current_accreditations ({base})")
            marts, currents = [], []
            for row in [*rows, *current]:
                padded = (*row, None, None, None)[:9]
                days = (dt.date.fromisoformat(str(padded[5])) - as_of_date).days
                computed = (as_of, days, "expired" if days < 0 else "expiring")
                currents.append((*padded[:6], *computed))
                if len(marts) < len(rows):
                    marts.append((*padded[:6], *computed, *padded[6:]))
            if marts:
                connection.executemany(
                    f"insert into expiring_accreditations_v3 values ({', '.join('?' * 12)})", marts
                )
            if currents:
                connection.executemany(
                    f"insert into current_accreditations values ({', '.join('?' * 9)})", currents
                )
            lines = rejected_lines or {}
            connection.execute(
                "create table load_audit as select 'facilities.ndjson' as source_file, "
                + "".join(f"?::integer as rejected_{reason}, " for reason in UNREADABLE_REASONS)
                + "?::integer as accreditations_rejected",
                [*(lines.get(reason, 0) for reason in UNREADABLE_REASONS), len(rejected_entries)],
            )
            connection.execute(
                "create table rejected_accreditations (facility_id varchar, position integer)"
            )
            if rejected_entries:
                connection.executemany(
                    "insert into rejected_accreditations values (?, ?)", rejected_entries
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
        relation = relation_name or f'"{self.db_name}"."main"."expiring_accreditations_v3"'
        model = {
            "unique_id": MODEL_ID,
            "resource_type": "model",
            "name": "expiring_accreditations",
            "package_name": "accreditation_monitor",
            "version": 3,
            "latest_version": 3,
            "relation_name": relation,
            "depends_on": {"nodes": []},
        }
        old = dict(model, unique_id=MODEL_ID[:-1] + "2", version=2, relation_name='"x"."y"."z"')
        others = {
            f"model.accreditation_monitor.{name}": {
                "unique_id": f"model.accreditation_monitor.{name}",
                "resource_type": "model",
                "name": name,
                "package_name": "accreditation_monitor",
                "relation_name": f'"{self.db_name}"."main"."{name}"',
                "depends_on": {"nodes": []},
            }
            for name in _OTHER_MODELS
        }
        test = {
            "unique_id": TEST_ID,
            "resource_type": "test",
            "name": "not_null",
            "attached_node": MODEL_ID,
            "depends_on": {"nodes": [MODEL_ID]},
        }
        manifest = {
            "metadata": {"project_name": "accreditation_monitor"},
            "nodes": {MODEL_ID: model, old["unique_id"]: old, TEST_ID: test, **others},
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
