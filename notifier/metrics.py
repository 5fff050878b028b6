"""The counts of a send and of a run as CloudWatch metrics, put on a best-effort basis."""

from __future__ import annotations

import logging
from dataclasses import asdict

from botocore.exceptions import BotoCoreError, ClientError
from mypy_boto3_cloudwatch.type_defs import MetricDatumTypeDef

from notifier.audit import LoadTotals
from notifier.aws import cloudwatch_client, error_code
from notifier.summary import Summary

log = logging.getLogger(__name__)


def send_metrics(summary: Summary) -> list[MetricDatumTypeDef]:
    data: list[MetricDatumTypeDef] = [
        {
            "MetricName": metric.capitalize(),
            "Dimensions": [{"Name": "Tier", "Value": tier.value}],
            "Value": value,
            "Unit": "Count",
        }
        for tier, counts in summary.tiers.items()
        for metric, value in asdict(counts).items()
    ]
    data += [
        {
            "MetricName": f"Notices{outcome.capitalize()}",
            "Dimensions": [{"Name": "Event", "Value": event.value}],
            "Value": value,
            "Unit": "Count",
        }
        for event, counts in summary.events.items()
        for outcome, value in asdict(counts).items()
    ]
    data += [
        {"MetricName": "RemindersAcknowledged", "Value": summary.acknowledged, "Unit": "Count"},
        {"MetricName": "MessagesPublished", "Value": summary.messages_published, "Unit": "Count"},
        {"MetricName": "MessagesFailed", "Value": summary.messages_failed, "Unit": "Count"},
        {"MetricName": "ElapsedTime", "Value": summary.elapsed_seconds, "Unit": "Seconds"},
    ]
    return data


def load_metrics(totals: LoadTotals) -> list[MetricDatumTypeDef]:
    return [
        {"MetricName": "LinesRead", "Value": totals.lines_read, "Unit": "Count"},
        {"MetricName": "Facilities", "Value": totals.facilities, "Unit": "Count"},
        {"MetricName": "RecordsRejected", "Value": totals.records_rejected, "Unit": "Count"},
        {
            "MetricName": "AccreditationsRejected",
            "Value": totals.accreditations_rejected,
            "Unit": "Count",
        },
        {
            "MetricName": "RejectedSharePercent",
            "Value": totals.rejected_share_percent,
            "Unit": "Percent",
        },
    ]


def put_metrics(namespace: str, data: list[MetricDatumTypeDef]) -> None:
    """Best effort: the alerts are out either way, so a metrics failure is logged, not fatal."""
    try:
        cloudwatch_client().put_metric_data(Namespace=namespace, MetricData=data)
    except (ClientError, BotoCoreError) as exc:
        log.error(
            "could not put CloudWatch metrics",
            extra={"fields": {"namespace": namespace, "error": error_code(exc)}},
        )
