"""One send: read the mart, decide each alert's event against the ledger, publish, record each
notice as SNS accepts it, compact the ledger."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from mypy_boto3_sns import SNSClient

from notifier.audit import bundled_sample_files, read_unevaluated
from notifier.aws import error_code, sns_client
from notifier.errors import BadInputError, NotifierError
from notifier.evaluation import evaluate_mart
from notifier.ledger import DEFAULT_RETENTION_DAYS, Ledger, open_ledger
from notifier.lifecycle import Evaluation, Event, Notice, RepeatIntervals
from notifier.mart import MartOptions, open_mart
from notifier.messages import Layout, Message, build_messages
from notifier.metrics import put_metrics, send_metrics
from notifier.profile import Target
from notifier.publisher import Accepted, Failure, Publisher
from notifier.routing import Topic
from notifier.summary import Summary
from notifier.tiers import Tier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOptions:
    mart: MartOptions
    layout: Layout
    ledger: str
    resend: bool
    dry_run: bool
    max_attempts: int
    lock_timeout: float
    repeat: RepeatIntervals = field(default_factory=RepeatIntervals)
    ledger_retention_days: int = DEFAULT_RETENTION_DAYS
    # Publish alerts built from the repository's made-up sample data (demos, tests).
    allow_sample_data: bool = False
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


def _refuse_sample_data(target: Target, target_path: Path, project_dir: Path) -> None:
    sample = bundled_sample_files(target, target_path, project_dir)
    if sample:
        raise BadInputError(
            "the mart was built from the repository's made-up sample data ("
            + ", ".join(sample[:3])
            + (", ..." if len(sample) > 3 else "")
            + "): refusing to publish its alerts. Build on your own files (FACILITIES_PATH, "
            "or the raw S3 prefix), or pass --allow-sample-data for a demo topic."
        )


def _failure(notice: Notice, failure: Failure) -> dict[str, Any]:
    return {
        "event": notice.event.value,
        "facility_id": notice.facility_id,
        "accreditation_body": notice.accreditation_body,
        "accreditation_id": notice.accreditation_id,
        "valid_until": notice.valid_until,
        "tier": notice.tier.value,
        "topic": failure.message.topic.arn,
        "code": failure.code,
        "reason": failure.reason,
    }


def _count_evaluation(summary: Summary, evaluation: Evaluation) -> None:
    summary.as_of_date = evaluation.as_of_date
    summary.acknowledged = evaluation.acknowledged
    for tier in Tier:
        summary.tiers[tier].alerts = evaluation.due[tier]
        summary.tiers[tier].suppressed = evaluation.quiet[tier]


def _count_outcome(summary: Summary, notices: Iterable[Notice], *, published: bool) -> None:
    for notice in notices:
        events = summary.events[notice.event]
        if published:
            events.published += 1
        else:
            events.failed += 1
        if notice.event is not Event.RESOLVED:
            tier = summary.tiers[notice.tier]
            if published:
                tier.published += 1
            else:
                tier.failed += 1


@dataclass(frozen=True)
class SendResult:
    summary: Summary
    # Every message built, published or not: what --dry-run --show-messages prints.
    messages: list[Message]


def run_send(options: SendOptions) -> SendResult:
    started = time.monotonic()
    clients = SnsClients(options.max_attempts)
    if options.summary_json is not None:
        _check_writable(options.summary_json)
    if not options.dry_run:
        check_topics(options.layout.routing.distinct(), clients)
    ledger = open_ledger(options.ledger, options.ledger_retention_days)
    mart = open_mart(options.mart)
    target_path = mart.target_path
    if not options.dry_run and not options.allow_sample_data:
        _refuse_sample_data(mart.target, target_path, options.mart.project_dir)
    summary = Summary(
        dry_run=options.dry_run,
        group_by=options.layout.group_by.value,
        relation=mart.node.relation.sql,
        ledger=ledger.location,
        allow_stale_overrides=mart.overridden,
        unevaluated=read_unevaluated(mart.target, target_path),
    )
    lock: AbstractContextManager[None] = (
        nullcontext() if options.dry_run else ledger.lock(options.lock_timeout)
    )
    with lock:
        open_alerts = {} if options.resend else ledger.load()
        evaluation = evaluate_mart(mart, open_alerts, options.repeat)
        _count_evaluation(summary, evaluation)
        as_of = evaluation.as_of_date
        messages = build_messages(evaluation.notices, options.layout, as_of, summary.unevaluated)
        if options.dry_run:
            _count_outcome(summary, evaluation.notices, published=True)
            summary.messages_published = len(messages)
        else:
            # Owners' own topics and the topics resolved alerts were last sent to are known only
            # now; check them before anything goes out.
            known = set(options.layout.routing.distinct())
            check_topics(dict.fromkeys(m.topic for m in messages if m.topic not in known), clients)
            try:
                _publish(options, clients, ledger, messages, as_of, summary)
            finally:
                stats = ledger.compact(dt.date.fromisoformat(as_of))
                log.info("ledger compacted", extra={"fields": asdict(stats)})
    summary.elapsed_seconds = time.monotonic() - started
    if options.summary_json is not None:
        text = json.dumps(summary.as_json(), indent=2) + "\n"
        options.summary_json.write_text(text, encoding="utf-8")
    if options.cloudwatch_namespace and not options.dry_run:
        put_metrics(options.cloudwatch_namespace, send_metrics(summary))
    return SendResult(summary, messages)


def _publish(
    options: SendOptions,
    clients: SnsClients,
    ledger: Ledger,
    messages: list[Message],
    as_of: str,
    summary: Summary,
) -> None:
    def on_accepted(accepted: Accepted) -> None:
        sent_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        ledger.record(
            [
                notice.record(as_of, message_id, message.topic.arn, sent_at)
                for message, message_id in accepted
                for notice in message.notices
            ]
        )
        for message, message_id in accepted:
            summary.messages_published += 1
            _count_outcome(summary, message.notices, published=True)
            log.info(
                "published",
                extra={
                    "fields": {
                        "topic": message.topic.arn,
                        "message_id": message_id,
                        "event": message.event.value,
                        "tier": message.tier.value,
                        "alerts": len(message.notices),
                        "bytes": message.size,
                    }
                },
            )

    publisher = Publisher(clients, options.max_attempts, workers=options.workers)
    for failure in publisher.publish(messages, on_accepted):
        summary.messages_failed += 1
        _count_outcome(summary, failure.message.notices, published=False)
        summary.failed_alerts.extend(
            _failure(notice, failure) for notice in failure.message.notices
        )
