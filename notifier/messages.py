"""Turn notices into SNS messages within SNS limits: digests per event and tier (split by owner,
and by state when asked), or one message per facility.

Each message is published with MessageStructure=json: email subscribers get plain text, SMS a
one-line summary, and everything else (SQS, Lambda, HTTP, email-json) a JSON document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mypy_boto3_sns.type_defs import (
    MessageAttributeValueTypeDef,
    PublishBatchRequestEntryTypeDef,
)

from notifier.audit import Unevaluated
from notifier.lifecycle import Event, Notice, Resolution
from notifier.routing import Routing, Topic
from notifier.tiers import Thresholds, Tier

# SNS counts the body and every attribute's name, type and value towards 256 KiB; the subject is
# counted too here, to be safe. PublishBatch applies the same limit to a whole request.
MAX_MESSAGE_BYTES = 262_144
MAX_SUBJECT_CHARS = 100
# A free-text field (a facility name) longer than this is cut, so one line never nears the limit.
_MAX_FIELD_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_FIFO_TOKEN = re.compile(r"[\x21-\x7e]{1,128}")
# Room for "Part 999 of 999." and the part numbers in the JSON document.
_PART_MARGIN = 96


class GroupBy(StrEnum):
    TIER = "tier"
    FACILITY = "facility"


@dataclass(frozen=True)
class Layout:
    """How notices are grouped into messages and where each goes."""

    group_by: GroupBy
    routing: Routing
    thresholds: Thresholds
    # One digest per state, so a subscription filtering on `state` gets only its state's alerts.
    split_by_state: bool = False


@dataclass(frozen=True)
class Message:
    topic: Topic
    subject: str
    text: str
    document: dict[str, Any]
    body: str  # the MessageStructure=json envelope of text, SMS line and document
    attributes: dict[str, MessageAttributeValueTypeDef]
    notices: tuple[Notice, ...]
    event: Event
    tier: Tier
    group_id: str
    dedup_id: str

    @property
    def size(self) -> int:
        return len(self.body.encode()) + len(self.subject) + _attributes_size(self.attributes)

    def entry(self, entry_id: str) -> PublishBatchRequestEntryTypeDef:
        entry: PublishBatchRequestEntryTypeDef = {
            "Id": entry_id,
            "Message": self.body,
            "MessageStructure": "json",
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


def _count(number: int, noun: str, plural: str) -> str:
    return f"{number} {noun if number == 1 else plural}"


def _day_after(iso_date: str) -> str:
    return (dt.date.fromisoformat(iso_date) + dt.timedelta(days=1)).isoformat()


def tier_phrase(tier: Tier, thresholds: Thresholds) -> str:
    if tier is Tier.CRITICAL:
        return f"lapsed or expiring within {thresholds.critical} days"
    lower = thresholds.critical if tier is Tier.HIGH else thresholds.high
    return f"expiring in {lower + 1}-{thresholds.bound(tier)} days"


def what_to_do(notice: Notice, as_of_date: str) -> str:
    """The state of the accreditation and the action it asks for, in words."""
    valid_until, days = notice.valid_until, notice.days_until_expiry
    if notice.event is Event.RESOLVED:
        if notice.resolution is Resolution.RENEWED:
            return (
                f"renewed until {notice.renewed_until} (was valid until {valid_until}). "
                "No action needed."
            )
        if notice.resolution is Resolution.NO_LONGER_DUE:
            return (
                f"outside the alert window as of {as_of_date} (valid until {valid_until}). "
                "No action needed now."
            )
        return (
            f"no longer in the data as of {as_of_date} (was valid until {valid_until}). "
            "Check that it was removed on purpose."
        )
    if notice.lapsed:
        ago = _count(-days, "day", "days")
        action = (
            f"LAPSED since {_day_after(valid_until)} (valid until {valid_until}, {ago} ago). "
            "Renew now."
        )
    elif days == 0:
        action = f"expires today, {valid_until}. Renew today."
    else:
        action = f"expires in {_count(days, 'day', 'days')}. Renew by {valid_until}."
    if notice.acknowledged_until is not None and notice.acknowledged_until >= as_of_date:
        action += f" Acknowledged until {notice.acknowledged_until}."
    return action


def format_line(notice: Notice, as_of_date: str) -> str:
    return (
        f"- {_text(notice.facility_id, '?')} / {_text(notice.accreditation_id, 'no id')}"
        f" ({_text(notice.accreditation_body, 'unknown body')})"
        f" at {_text(notice.facility_name, 'unnamed facility')},"
        f" {_text(notice.state, 'state unknown')}: {what_to_do(notice, as_of_date)}"
    )


def _action(notice: Notice) -> dict[str, Any]:
    if notice.event is Event.RESOLVED:
        fields: dict[str, Any] = {
            "action": "check_removal" if notice.resolution is Resolution.REMOVED else "none",
            "resolution": notice.resolution.value if notice.resolution else None,
        }
        if notice.renewed_until is not None:
            fields["renewed_until"] = notice.renewed_until
        return fields
    if notice.lapsed:
        return {"action": "renew_now", "lapsed_since": _day_after(notice.valid_until)}
    return {"action": "renew_by", "renew_by": notice.valid_until}


def notice_document(notice: Notice) -> dict[str, Any]:
    return {
        "facility_id": notice.facility_id,
        "facility_name": notice.facility_name,
        "state": notice.state,
        "accreditation_body": notice.accreditation_body,
        "accreditation_id": notice.accreditation_id,
        "valid_until": notice.valid_until,
        "days_until_expiry": notice.days_until_expiry,
        "lapsed": notice.lapsed,
        "owner": notice.owner,
        "acknowledged_until": notice.acknowledged_until,
        **_action(notice),
    }


def _headline(event: Event, tier: Tier, count: int, thresholds: Thresholds) -> str:
    accreditations = _count(count, "accreditation", "accreditations")
    phrase = tier_phrase(tier, thresholds)
    return {
        Event.LAPSED: f"LAPSED: {accreditations} lapsed",
        Event.ESCALATED: f"ESCALATED: {accreditations} now {tier.value.upper()}, {phrase}",
        Event.NEW: f"NEW: {accreditations} {tier.value.upper()}, {phrase}",
        Event.REMINDER: f"REMINDER: {accreditations} still {tier.value.upper()}, {phrase}",
        Event.RESOLVED: f"RESOLVED: {_count(count, 'alert', 'alerts')} closed",
    }[event]


def _fifo_token(value: str) -> str:
    return value if _FIFO_TOKEN.fullmatch(value) else hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class _Group:
    topic: Topic
    event: Event
    tier: Tier
    owner: str | None
    state: str | None  # set when the digest holds one state's notices only
    facility_id: str | None  # set when grouped by facility
    notices: list[Notice]


def _topic(notice: Notice, routing: Routing) -> Topic:
    if notice.topic_arn:
        return Topic.parse(notice.topic_arn, "topic_arn of the owner (alert_owners)")
    return routing.topics[notice.tier]


def _groups(notices: Iterable[Notice], layout: Layout) -> list[_Group]:
    by_facility = layout.group_by is GroupBy.FACILITY
    buckets: dict[tuple[Topic, Event, Tier, str | None, str | None, str | None], list[Notice]]
    buckets = {}
    for notice in notices:
        one_state = by_facility or layout.split_by_state
        state = (notice.state or "unknown") if one_state else None
        facility = notice.facility_id if by_facility else None
        key = (
            _topic(notice, layout.routing),
            notice.event,
            notice.tier,
            notice.owner,
            state,
            facility,
        )
        buckets.setdefault(key, []).append(notice)
    event_order = {event: rank for rank, event in enumerate(Event)}
    tier_order = {tier: rank for rank, tier in enumerate(Tier)}
    ordered = sorted(
        buckets.items(),
        key=lambda item: (
            event_order[item[0][1]],
            tier_order[item[0][2]],
            item[0][3] or "",
            item[0][4] or "",
            item[0][5] or "",
        ),
    )
    return [
        _Group(topic, event, tier, owner, state, facility, sorted(members, key=Notice.urgency))
        for (topic, event, tier, owner, state, facility), members in ordered
    ]


class _Digest:
    """Builds the messages of one group, split into parts that fit SNS's limit."""

    def __init__(self, group: _Group, layout: Layout, as_of_date: str, unevaluated: Unevaluated):
        self.group = group
        self.layout = layout
        self.as_of_date = as_of_date
        self.unevaluated = unevaluated

    def scope(self) -> list[str]:
        group = self.group
        lines = []
        if group.facility_id is not None:
            first = group.notices[0]
            name = _text(first.facility_name, "unnamed facility")
            lines.append(f"Facility: {name} ({_text(group.facility_id, '?')})")
        if group.state is not None:
            lines.append(f"State: {group.state}")
        if group.owner is not None:
            lines.append(f"Owner: {_text(group.owner, '?')}")
        return lines

    def subject(self, count: int) -> str:
        group = self.group
        what = f"{count} {group.event.value} {group.tier.value} accreditation alert" + "s" * (
            count != 1
        )
        where = []
        if group.facility_id is not None:
            where.append(_text(group.notices[0].facility_name, group.facility_id))
        if group.state is not None:
            where.append(group.state)
        if group.owner is not None:
            where.append(group.owner)
        place = f" ({', '.join(where)})" if where else ""
        return f"{what}{place}, as of {self.as_of_date}"

    def attributes(self, notices: Sequence[Notice]) -> dict[str, MessageAttributeValueTypeDef]:
        group = self.group
        # A digest over several states carries them as a String.Array, which filter policies
        # match by membership; with one state per message (by facility, or split by state) it is
        # a String, and a policy on state gets that state's alerts only.
        state: MessageAttributeValueTypeDef
        if group.state is not None:
            state = {"DataType": "String", "StringValue": group.state}
        else:
            states = sorted({notice.state or "unknown" for notice in notices})
            state = {"DataType": "String.Array", "StringValue": json.dumps(states)}
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            "event": {"DataType": "String", "StringValue": group.event.value},
            "tier": {"DataType": "String", "StringValue": group.tier.value},
            "state": state,
            # The most urgent alert in the message, so a policy like {"numeric": ["<", 0]} works.
            "days_until_expiry": {
                "DataType": "Number",
                "StringValue": str(min(notice.days_until_expiry for notice in notices)),
            },
        }
        if group.owner is not None:
            attributes["owner"] = {"DataType": "String", "StringValue": group.owner}
        return attributes

    def build(
        self, notices: Sequence[Notice], lines: Sequence[str], part: int, parts: int
    ) -> Message:
        group, thresholds = self.group, self.layout.thresholds
        headline = _headline(group.event, group.tier, len(notices), thresholds)
        part_note = [f"Part {part} of {parts}."] if parts > 1 else []
        text = "\n".join(
            [
                f"{headline} (as of {self.as_of_date})",
                *self.scope(),
                *part_note,
                "",
                *lines,
                "",
                "--",
                self.unevaluated.footer(),
                "",
            ]
        )
        document: dict[str, Any] = {
            "event": group.event.value,
            "tier": group.tier.value,
            "as_of_date": self.as_of_date,
            "owner": group.owner,
            "state": group.state,
            "facility_id": group.facility_id,
            "part": part,
            "parts": parts,
            "count": len(notices),
            "alerts": [notice_document(notice) for notice in notices],
            "could_not_evaluate": self.unevaluated.as_json(),
        }
        suffix = f" [{part}/{parts}]" if parts > 1 else ""
        subject = ascii_subject(self.subject(len(notices)), suffix)
        body = json.dumps(
            {
                "default": json.dumps(document, ensure_ascii=False),
                "email": text,
                "sms": f"{subject}: {headline}",
            },
            ensure_ascii=False,
        )
        keys = "\n".join(json.dumps(notice.key) for notice in notices)
        dedup = f"{group.topic.arn}\n{group.event.value}\n{self.as_of_date}\n{keys}"
        return Message(
            topic=group.topic,
            subject=subject,
            text=text,
            document=document,
            body=body,
            attributes=self.attributes(notices),
            notices=tuple(notices),
            event=group.event,
            tier=group.tier,
            group_id=_fifo_token(group.facility_id or group.tier.value),
            # Same notices of the same event, day and topic -> same id: a FIFO topic drops a
            # quick repeat.
            dedup_id=hashlib.sha256(dedup.encode()).hexdigest(),
        )

    def messages(self) -> list[Message]:
        notices = self.group.notices
        lines = [format_line(notice, self.as_of_date) for notice in notices]
        # What each notice adds to the envelope: its text line (escaped in the email string)
        # and its JSON object (escaped in the default string).
        costs = [
            len(json.dumps(line, ensure_ascii=False).encode())
            + len(json.dumps(json.dumps(notice_document(notice), ensure_ascii=False)).encode())
            for notice, line in zip(notices, lines, strict=True)
        ]
        empty = self.build(notices[:1], lines[:1], 999, 999)
        budget = MAX_MESSAGE_BYTES - (empty.size - costs[0]) - _PART_MARGIN
        ranges: list[tuple[int, int]] = []
        start, used = 0, 0
        for index, cost in enumerate(costs):
            if used + cost > budget and index > start:
                ranges.append((start, index))
                start, used = index, 0
            used += cost
        ranges.append((start, len(notices)))
        return self._fit(ranges, lines)

    def _fit(self, ranges: list[tuple[int, int]], lines: list[str]) -> list[Message]:
        """Build the parts; a part the estimate let grow too big is halved (never expected)."""
        notices = self.group.notices
        while True:
            messages = [
                self.build(notices[first:last], lines[first:last], number, len(ranges))
                for number, (first, last) in enumerate(ranges, start=1)
            ]
            oversize = [
                index
                for index, message in enumerate(messages)
                if message.size > MAX_MESSAGE_BYTES and ranges[index][1] - ranges[index][0] > 1
            ]
            if not oversize:
                return messages
            for index in reversed(oversize):
                first, last = ranges[index]
                middle = (first + last) // 2
                ranges[index : index + 1] = [(first, middle), (middle, last)]


def build_messages(
    notices: Iterable[Notice], layout: Layout, as_of_date: str, unevaluated: Unevaluated
) -> list[Message]:
    return [
        message
        for group in _groups(notices, layout)
        for message in _Digest(group, layout, as_of_date, unevaluated).messages()
    ]


def render_messages(messages: Sequence[Message]) -> str:
    """Each message as a person would review it: topic, subject, attributes, the email text."""
    blocks = []
    for number, message in enumerate(messages, start=1):
        attributes = ", ".join(
            f"{name}={value.get('StringValue', '')}" for name, value in message.attributes.items()
        )
        blocks.append(
            f"=== message {number} of {len(messages)} to {message.topic.arn}\n"
            f"Subject: {message.subject}\n"
            f"Attributes: {attributes}\n\n"
            f"{message.text}"
        )
    return "\n".join(blocks) + ("\n" if blocks else "")
