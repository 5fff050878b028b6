"""Turn alerts into SNS messages within SNS limits: digests per tier or one per facility."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from mypy_boto3_sns.type_defs import (
    MessageAttributeValueTypeDef,
    PublishBatchRequestEntryTypeDef,
)

from notifier.routing import Routing, Topic
from notifier.tiers import Alert, Thresholds, Tier

# SNS counts the body and every attribute's name, type and value towards 256 KiB; the subject is
# counted too here, to be safe. PublishBatch applies the same limit to a whole request.
MAX_MESSAGE_BYTES = 262_144
MAX_SUBJECT_CHARS = 100
# A free-text field (a facility name) longer than this is cut, so one line never nears the limit.
_MAX_FIELD_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_FIFO_TOKEN = re.compile(r"[\x21-\x7e]{1,128}")


class GroupBy(StrEnum):
    TIER = "tier"
    FACILITY = "facility"


@dataclass(frozen=True)
class Message:
    topic: Topic
    subject: str
    body: str
    attributes: dict[str, MessageAttributeValueTypeDef]
    alerts: tuple[Alert, ...]
    group_id: str
    dedup_id: str

    @property
    def size(self) -> int:
        return len(self.body.encode()) + len(self.subject) + _attributes_size(self.attributes)

    def entry(self, entry_id: str) -> PublishBatchRequestEntryTypeDef:
        entry: PublishBatchRequestEntryTypeDef = {
            "Id": entry_id,
            "Message": self.body,
            "Subject": self.subject,
            "MessageAttributes": self.attributes,
        }
        if self.topic.fifo:
            entry["MessageGroupId"] = self.group_id
            entry["MessageDeduplicationId"] = self.dedup_id
        return entry


def _attributes_size(attributes: dict[str, MessageAttributeValueTypeDef]) -> int:
    return sum(
        len(name.encode()) + len(value["DataType"]) + len(value.get("StringValue", "").encode())
        for name, value in attributes.items()
    )


def ascii_subject(text: str, suffix: str = "") -> str:
    """Printable ASCII, one line, at most 100 characters, as SNS requires of a subject.

    Accents are folded (São -> Sao) so names stay readable; other non-ASCII text is dropped.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    clean = " ".join(_CONTROL.sub(" ", folded).split())
    room = MAX_SUBJECT_CHARS - len(suffix)
    if len(clean) > room:
        clean = clean[: room - 3].rstrip() + "..."
    return clean + suffix


def _text(value: str | None, missing: str) -> str:
    if value is None or not value.strip():
        return missing
    clean = " ".join(_CONTROL.sub(" ", value).split())
    return clean if len(clean) <= _MAX_FIELD_CHARS else clean[: _MAX_FIELD_CHARS - 1] + "…"


def format_line(alert: Alert) -> str:
    days = alert.days_until_expiry
    if alert.lapsed:
        when = f"LAPSED {-days} day{'s' * (days != -1)} ago, valid until {alert.valid_until}"
    elif days == 0:
        when = f"expires today, {alert.valid_until}"
    else:
        when = f"expires in {days} day{'s' * (days != 1)}, on {alert.valid_until}"
    return (
        f"- {_text(alert.facility_id, '?')} / {_text(alert.accreditation_id, 'no id')}"
        f" ({_text(alert.accreditation_body, 'unknown body')})"
        f" at {_text(alert.facility_name, 'unnamed facility')},"
        f" {_text(alert.state, 'state unknown')}: {when}"
    )


def tier_phrase(tier: Tier, thresholds: Thresholds) -> str:
    if tier is Tier.CRITICAL:
        return f"lapsed or expiring within {thresholds.critical} days"
    lower = thresholds.critical if tier is Tier.HIGH else thresholds.high
    return f"expiring in {lower + 1}-{thresholds.bound(tier)} days"


def _count(number: int, noun: str, plural: str) -> str:
    return f"{number} {noun if number == 1 else plural}"


def _fifo_token(value: str) -> str:
    return value if _FIFO_TOKEN.fullmatch(value) else hashlib.sha256(value.encode()).hexdigest()


def _attributes(
    tier: Tier, alerts: Sequence[Alert], by_facility: bool
) -> dict[str, MessageAttributeValueTypeDef]:
    states = sorted({alert.state or "unknown" for alert in alerts})
    # A digest spans states, so its state is a String.Array, which filter policies match by
    # membership; a facility message has exactly one state.
    state: MessageAttributeValueTypeDef = (
        {"DataType": "String", "StringValue": states[0]}
        if by_facility
        else {"DataType": "String.Array", "StringValue": json.dumps(states)}
    )
    return {
        "tier": {"DataType": "String", "StringValue": tier.value},
        "state": state,
        # The most urgent alert in the message, so a policy like {"numeric": ["<", 0]} works.
        "days_until_expiry": {
            "DataType": "Number",
            "StringValue": str(min(alert.days_until_expiry for alert in alerts)),
        },
    }


@dataclass(frozen=True)
class _Group:
    tier: Tier
    topic: Topic
    alerts: list[Alert]
    title: str
    subject: str
    group_id: str
    by_facility: bool


def _groups(
    alerts: Iterable[Alert], group_by: GroupBy, routing: Routing, thresholds: Thresholds
) -> list[_Group]:
    by_facility = group_by is GroupBy.FACILITY
    buckets: dict[tuple[Tier, str], list[Alert]] = {}
    # Alerts arrive most urgent first, so insertion order is severity order.
    for alert in alerts:
        buckets.setdefault((alert.tier, alert.facility_id if by_facility else ""), []).append(alert)
    groups = []
    for (tier, facility_id), members in buckets.items():
        phrase = tier_phrase(tier, thresholds)
        as_of = members[0].as_of_date
        n = len(members)
        if by_facility:
            first = members[0]
            name = _text(first.facility_name, "unnamed facility")
            where = _text(first.state, "state unknown")
            title = (
                f"{tier.value.upper()} accreditation alert for {name} ({facility_id}), {where},"
                f" as of {as_of}: {_count(n, 'accreditation', 'accreditations')} {phrase}"
            )
            subject_text = (
                f"Accreditation {tier.value.upper()}: {name} ({facility_id}), {n} {phrase}"
            )
        else:
            facilities = _count(
                len({alert.facility_id for alert in members}), "facility", "facilities"
            )
            title = (
                f"{tier.value.upper()} accreditation alerts as of {as_of}: {phrase}\n"
                f"{_count(n, 'accreditation', 'accreditations')} at {facilities}"
            )
            subject_text = f"Accreditations {tier.value.upper()}: {n} {phrase} (as of {as_of})"
        groups.append(
            _Group(
                tier=tier,
                topic=routing.topics[tier],
                alerts=members,
                title=title,
                subject=subject_text,
                group_id=_fifo_token(facility_id if by_facility else tier.value),
                by_facility=by_facility,
            )
        )
    return groups


def _split(group: _Group) -> list[Message]:
    lines = [format_line(alert) for alert in group.alerts]
    # Room for the title, a "part 999 of 999" line and the attributes of the whole group, which
    # are at least as large as any part's.
    overhead = (
        len(group.title.encode())
        + 64
        + MAX_SUBJECT_CHARS
        + _attributes_size(_attributes(group.tier, group.alerts, group.by_facility))
    )
    budget = MAX_MESSAGE_BYTES - overhead
    parts: list[tuple[int, int]] = []
    start, used = 0, 0
    for index, line in enumerate(lines):
        size = len(line.encode()) + 1
        if used + size > budget and index > start:
            parts.append((start, index))
            start, used = index, 0
        used += size
    parts.append((start, len(lines)))

    messages = []
    total = len(parts)
    for number, (first, last) in enumerate(parts, start=1):
        members = tuple(group.alerts[first:last])
        part_note = f"\nPart {number} of {total}." if total > 1 else ""
        body = f"{group.title}{part_note}\n\n" + "\n".join(lines[first:last]) + "\n"
        keys = "\n".join(json.dumps(alert.key) for alert in members)
        messages.append(
            Message(
                topic=group.topic,
                subject=ascii_subject(group.subject, f" [{number}/{total}]" if total > 1 else ""),
                body=body,
                attributes=_attributes(group.tier, members, group.by_facility),
                alerts=members,
                group_id=group.group_id,
                # Same alerts to the same topic -> same id, so a FIFO topic drops a quick repeat.
                dedup_id=hashlib.sha256(f"{group.topic.arn}\n{keys}".encode()).hexdigest(),
            )
        )
    return messages


def build_messages(
    alerts: Iterable[Alert], group_by: GroupBy, routing: Routing, thresholds: Thresholds
) -> list[Message]:
    return [
        message
        for group in _groups(alerts, group_by, routing, thresholds)
        for message in _split(group)
    ]
