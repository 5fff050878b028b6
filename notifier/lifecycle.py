"""Which event each alert gets on a send at as-of date D: new, escalated, lapsed, reminder,
resolved, or nothing to say today.

An alert follows one accreditation (AlertKey) from its first notice until it is resolved; the
ledger holds the state after the last notice. At most one event per key and day; when several
apply, resolved beats lapsed beats escalated beats reminder.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from notifier.errors import BadInputError
from notifier.ledger import LedgerRecord
from notifier.tiers import Alert, AlertKey, Tier


class Event(StrEnum):
    # Declaration order is the order digests go out in: the news first, reminders last.
    LAPSED = "lapsed"
    ESCALATED = "escalated"
    NEW = "new"
    REMINDER = "reminder"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    RENEWED = "renewed"  # the current entry for that facility and body has a later valid_until
    REMOVED = "removed"  # the accreditation no longer appears in the data
    NO_LONGER_DUE = "no_longer_due"  # still there, but outside the alert window (thresholds)


@dataclass(frozen=True)
class RepeatIntervals:
    """Days between reminders while an alert stays in a tier; 0 = never remind."""

    critical: int = 7
    high: int = 14
    medium: int = 0

    def __post_init__(self) -> None:
        for tier in Tier:
            if self.days(tier) < 0:
                raise BadInputError(
                    f"--{tier.value}-repeat-days must be 0 (never) or more, got {self.days(tier)}"
                )

    def days(self, tier: Tier) -> int:
        return {Tier.CRITICAL: self.critical, Tier.HIGH: self.high, Tier.MEDIUM: self.medium}[tier]


# (facility_id, accreditation_body, accreditation_id, valid_until) of a current accreditation.
CurrentEntry = tuple[str, str | None, str | None, str]
# Given facility ids, the current accreditations of those facilities (any order, any superset).
CurrentLookup = Callable[[set[str]], Iterable[CurrentEntry]]


@dataclass(frozen=True, slots=True)
class Notice:
    """One event to publish for one key."""

    event: Event
    tier: Tier
    key: AlertKey
    facility_name: str | None
    state: str | None
    owner: str | None
    days_until_expiry: int
    lapsed: bool
    # The owner's own topic for a due alert; for a resolved one, the topic it was last sent to,
    # so the people who were warned hear that it is over.
    topic_arn: str | None
    acknowledged_until: str | None
    previous: LedgerRecord | None
    resolution: Resolution | None = None
    renewed_until: str | None = None

    @property
    def facility_id(self) -> str:
        return self.key[0]

    @property
    def accreditation_body(self) -> str | None:
        return self.key[1]

    @property
    def accreditation_id(self) -> str | None:
        return self.key[2]

    @property
    def valid_until(self) -> str:
        return self.key[3]

    def urgency(self) -> tuple[bool, int, AlertKey]:
        """Due soonest first, then newly lapsed, then long lapsed."""
        return self.lapsed, abs(self.days_until_expiry), self.key

    def record(self, as_of_date: str, message_id: str, topic: str, sent_at: str) -> LedgerRecord:
        """The key's ledger state once SNS accepted this notice."""
        facility_id, body, accreditation_id, valid_until = self.key
        return LedgerRecord(
            facility_id=facility_id,
            accreditation_body=body,
            accreditation_id=accreditation_id,
            valid_until=valid_until,
            event=self.event.value,
            tier=self.tier.value,
            lapsed=self.lapsed,
            sent_on=as_of_date,
            first_sent_on=self.previous.first_sent_on if self.previous else as_of_date,
            sent_at=sent_at,
            message_id=message_id,
            topic=topic,
            facility_name=self.facility_name,
            state=self.state,
            owner=self.owner,
            days_until_expiry=self.days_until_expiry,
            acknowledged_until=self.acknowledged_until,
            resolution=self.resolution.value if self.resolution else None,
            renewed_until=self.renewed_until,
        )


@dataclass
class Evaluation:
    as_of_date: str
    notices: list[Notice] = field(default_factory=list)
    # Due alerts per tier (one per key), and those that got no event today.
    due: Counter[Tier] = field(default_factory=Counter)
    quiet: Counter[Tier] = field(default_factory=Counter)
    # Reminders an acknowledgement held back.
    acknowledged: int = 0


def _days_between(earlier: str, later: str) -> int:
    return (dt.date.fromisoformat(later) - dt.date.fromisoformat(earlier)).days


def _due_event(
    alert: Alert, previous: LedgerRecord | None, as_of_date: str, repeat: RepeatIntervals
) -> tuple[Event | None, bool]:
    """The event for a due alert, and whether an acknowledgement held back its reminder."""
    if previous is None:
        return Event.NEW, False
    if alert.lapsed and not previous.lapsed:
        return Event.LAPSED, False
    last_tier = Tier(previous.tier)
    if alert.tier.more_urgent_than(last_tier):
        return Event.ESCALATED, False
    interval = repeat.days(alert.tier)
    if (
        alert.tier is last_tier
        and interval > 0
        and _days_between(previous.sent_on, as_of_date) >= interval
    ):
        if alert.acknowledged_on(as_of_date):
            return None, True
        return Event.REMINDER, False
    # A less urgent tier than last sent (the thresholds changed) is no news either.
    return None, False


def _resolutions(
    stale: dict[AlertKey, LedgerRecord], lookup: CurrentLookup
) -> dict[AlertKey, tuple[Resolution, str | None]]:
    current_keys: set[AlertKey] = set()
    latest_by_body: dict[tuple[str, str], str] = {}
    for facility_id, body, accreditation_id, valid_until in lookup({key[0] for key in stale}):
        current_keys.add((facility_id, body, accreditation_id, valid_until))
        if body is not None:
            pair = (facility_id, body)
            if valid_until > latest_by_body.get(pair, ""):
                latest_by_body[pair] = valid_until
    resolved: dict[AlertKey, tuple[Resolution, str | None]] = {}
    for key in stale:
        facility_id, body, _, valid_until = key
        renewed_until = latest_by_body.get((facility_id, body)) if body is not None else None
        if renewed_until is not None and renewed_until > valid_until:
            resolved[key] = (Resolution.RENEWED, renewed_until)
        elif key in current_keys:
            resolved[key] = (Resolution.NO_LONGER_DUE, None)
        else:
            resolved[key] = (Resolution.REMOVED, None)
    return resolved


def evaluate(
    alerts: Iterable[Alert],
    open_alerts: Mapping[AlertKey, LedgerRecord],
    as_of_date: Callable[[], str],
    repeat: RepeatIntervals,
    lookup: CurrentLookup,
) -> Evaluation:
    """Every due alert and every open ledger key, each with its event for today (or none).

    `as_of_date` is asked only when no alert row carries the date (an empty mart).
    """
    notices: list[Notice] = []
    due: Counter[Tier] = Counter()
    quiet: Counter[Tier] = Counter()
    seen: set[AlertKey] = set()
    acknowledged = 0
    day: str | None = None
    for alert in alerts:
        key = alert.key
        if key in seen:
            continue  # an exact duplicate row is one alert
        seen.add(key)
        day = alert.as_of_date
        due[alert.tier] += 1
        previous = open_alerts.get(key)
        event, held_back = _due_event(alert, previous, day, repeat)
        acknowledged += held_back
        if event is None:
            quiet[alert.tier] += 1
            continue
        notices.append(
            Notice(
                event=event,
                tier=alert.tier,
                key=key,
                facility_name=alert.facility_name,
                state=alert.state,
                owner=alert.owner,
                days_until_expiry=alert.days_until_expiry,
                lapsed=alert.lapsed,
                topic_arn=alert.owner_topic_arn,
                acknowledged_until=alert.acknowledged_until,
                previous=previous,
            )
        )
    day = day or as_of_date()
    stale = {key: record for key, record in open_alerts.items() if key not in seen}
    if stale:
        for key, (resolution, renewed_until) in sorted(_resolutions(stale, lookup).items()):
            previous = stale[key]
            days = _days_between(day, key[3])
            notices.append(
                Notice(
                    event=Event.RESOLVED,
                    tier=Tier(previous.tier),
                    key=key,
                    facility_name=previous.facility_name,
                    state=previous.state,
                    owner=previous.owner,
                    days_until_expiry=days,
                    lapsed=days < 0,
                    topic_arn=previous.topic,
                    acknowledged_until=previous.acknowledged_until,
                    previous=previous,
                    resolution=resolution,
                    renewed_until=renewed_until,
                )
            )
    return Evaluation(day, notices, due, quiet, acknowledged)
