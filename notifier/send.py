"""One send: read, tier, drop what the ledger has, publish, record as SNS accepts."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from mypy_boto3_sns import SNSClient

from notifier.aws import error_code, sns_client
from notifier.errors import BadInputError, NotifierError
from notifier.ledger import LedgerEntry, open_ledger
from notifier.mart import MartOptions, open_mart
from notifier.messages import GroupBy, build_messages
from notifier.metrics import put_metrics, send_metrics
from notifier.publisher import Accepted, Publisher
from notifier.routing import Routing, Topic
from notifier.summary import Summary
from notifier.tiers import Alert, AlertKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOptions:
    mart: MartOptions
    routing: Routing
    group_by: GroupBy
    ledger: str
    resend: bool
    dry_run: bool
    max_attempts: int
    lock_timeout: float
    # Concurrent PublishBatch calls: SNS answers in tens of milliseconds, nearly all waiting.
    workers: int = 1
    summary_json: Path | None = None
    cloudwatch_namespace: str | None = None


class SnsClients:
    def __init__(self, max_attempts: int) -> None:
        self._max_attempts = max_attempts
        self._by_region: dict[str, SNSClient] = {}

    def __call__(self, region: str) -> SNSClient:
        # A topic can only be published to through its own region's endpoint.
        if region not in self._by_region:
            self._by_region[region] = sns_client(region, self._max_attempts)
        return self._by_region[region]


def check_topics(topics: Iterable[Topic], clients: SnsClients) -> None:
    """Fail on a missing topic or missing credentials before anything is read or locked."""
    for topic in topics:
        try:
            clients(topic.region).get_topic_attributes(TopicArn=topic.arn)
        except NoCredentialsError as exc:
            raise BadInputError(f"no AWS credentials found: {exc}") from exc
        except ClientError as exc:
            code = error_code(exc)
            if code in {"NotFound", "NotFoundException"}:
                raise BadInputError(f"SNS topic {topic.arn} does not exist") from exc
            if code in {"AuthorizationError", "AccessDenied", "InvalidClientTokenId"}:
                raise BadInputError(f"not allowed to use SNS topic {topic.arn}: {exc}") from exc
            raise NotifierError(f"cannot check SNS topic {topic.arn}: {exc}") from exc
        except BotoCoreError as exc:
            raise NotifierError(f"cannot reach SNS for {topic.arn}: {exc}") from exc


def _check_writable(path: Path) -> None:
    """The summary file must be writable before anything is published, not after."""
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise BadInputError(f"cannot write the summary to {path}: {exc}") from exc


def run_send(options: SendOptions) -> Summary:
    started = time.monotonic()
    clients = SnsClients(options.max_attempts)
    if options.summary_json is not None:
        _check_writable(options.summary_json)
    if not options.dry_run:
        check_topics(options.routing.distinct(), clients)
    ledger = open_ledger(options.ledger)
    mart = open_mart(options.mart)
    summary = Summary(
        dry_run=options.dry_run,
        group_by=options.group_by.value,
        relation=mart.node.relation.sql,
        ledger=ledger.location,
        allow_stale_overrides=mart.overridden,
    )
    lock: AbstractContextManager[None] = (
        nullcontext() if options.dry_run else ledger.lock(options.lock_timeout)
    )
    with lock:
        sent = set() if options.resend else ledger.load()
        to_send: list[Alert] = []
        queued: set[AlertKey] = set()
        for alert in mart.alerts:
            summary.as_of_date = alert.as_of_date
            if alert.key in queued:
                continue  # an exact duplicate row is one alert
            queued.add(alert.key)
            counts = summary.tiers[alert.tier]
            counts.alerts += 1
            if alert.key in sent:
                counts.suppressed += 1
            else:
                to_send.append(alert)
        messages = build_messages(
            to_send, options.group_by, options.routing, options.mart.thresholds
        )
        if options.dry_run:
            for alert in to_send:
                summary.tiers[alert.tier].published += 1
            summary.messages_published = len(messages)
        else:

            def on_accepted(accepted: Accepted) -> None:
                sent_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                ledger.record(
                    [
                        LedgerEntry(alert, message_id, message.topic.arn, sent_at)
                        for message, message_id in accepted
                        for alert in message.alerts
                    ]
                )
                for message, message_id in accepted:
                    summary.messages_published += 1
                    for alert in message.alerts:
                        summary.tiers[alert.tier].published += 1
                    log.info(
                        "published",
                        extra={
                            "fields": {
                                "topic": message.topic.arn,
                                "message_id": message_id,
                                "alerts": len(message.alerts),
                                "bytes": message.size,
                            }
                        },
                    )

            publisher = Publisher(clients, options.max_attempts, workers=options.workers)
            for failure in publisher.publish(messages, on_accepted):
                summary.messages_failed += 1
                for alert in failure.message.alerts:
                    summary.tiers[alert.tier].failed += 1
                    summary.failed_alerts.append(
                        {
                            "facility_id": alert.facility_id,
                            "accreditation_body": alert.accreditation_body,
                            "accreditation_id": alert.accreditation_id,
                            "valid_until": alert.valid_until,
                            "tier": alert.tier.value,
                            "topic": failure.message.topic.arn,
                            "code": failure.code,
                            "reason": failure.reason,
                        }
                    )
    summary.elapsed_seconds = time.monotonic() - started
    if options.summary_json is not None:
        text = json.dumps(summary.as_json(), indent=2) + "\n"
        options.summary_json.write_text(text, encoding="utf-8")
    if options.cloudwatch_namespace and not options.dry_run:
        put_metrics(options.cloudwatch_namespace, send_metrics(summary))
    return summary
