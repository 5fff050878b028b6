"""Tier accreditations by days to expiry."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from typing import NamedTuple, cast

from notifier.errors import BadInputError


class Tier(StrEnum):
    # Declaration order is severity order: messages and tables list critical first.
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"

    def more_urgent_than(self, other: Tier) -> bool:
        return _SEVERITY[self] < _SEVERITY[other]


_SEVERITY = {tier: rank for rank, tier in enumerate(Tier)}


@dataclass(frozen=True)
class Thresholds:
    """Inclusive upper bounds in days; anything already expired is critical."""

    critical: int = 30
    high: int = 60
    medium: int = 90

    def __post_init__(self) -> None:
        if not 0 <= self.critical < self.high < self.medium:
            raise BadInputError(
                "thresholds must satisfy 0 <= critical < high < medium days, got "
                f"{self.critical}, {self.high}, {self.medium}"
            )

    def bound(self, tier: Tier) -> int:
        return {Tier.CRITICAL: self.critical, Tier.HIGH: self.high, Tier.MEDIUM: self.medium}[tier]


# What identifies an alert, from its first notice until it is resolved: the ledger's key fields
# and Alert.key, from this one tuple. The body is part of the key because accreditation_id may be
# null, and the mart's grain is one row per body. The tier is state, not identity: an alert that
# moves from high to critical is the same alert, escalated.
ALERT_KEY_FIELDS = ("facility_id", "accreditation_body", "accreditation_id", "valid_until")
AlertKey = tuple[str, str | None, str | None, str]
_alert_key = attrgetter(*ALERT_KEY_FIELDS)


class Alert(NamedTuple):
    # A tuple, not a dataclass: a big mart makes a million of these, and tuples build fastest.
    facility_id: str
    facility_name: str | None
    state: str | None
    accreditation_body: str | None
    accreditation_id: str | None
    valid_until: str  # ISO date, as the reader casts it
    as_of_date: str
    days_until_expiry: int
    owner: str | None
    owner_topic_arn: str | None
    acknowledged_until: str | None  # ISO date
    tier: Tier

    @property
    def lapsed(self) -> bool:
        return self.days_until_expiry < 0

    @property
    def key(self) -> AlertKey:
        return cast(AlertKey, _alert_key(self))

    def acknowledged_on(self, as_of_date: str) -> bool:
        # ISO dates compare as text.
        return self.acknowledged_until is not None and self.acknowledged_until >= as_of_date


# Column order of the rows the reader yields: the latest mart version's, which carries the owner
# and acknowledgement columns.
MART_COLUMNS = (
    "facility_id",
    "facility_name",
    "state",
    "accreditation_body",
    "accreditation_id",
    "valid_until",
    "as_of_date",
    "days_until_expiry",
    "owner",
    "owner_topic_arn",
    "acknowledged_until",
)

Row = tuple[
    str,
    str | None,
    str | None,
    str | None,
    str | None,
    str,
    str,
    int,
    str | None,
    str | None,
    str | None,
]


def to_alerts(rows: Iterable[Row], thresholds: Thresholds) -> Iterator[Alert]:
    # Bounds read once: this loop runs once per mart row.
    critical, high, medium = thresholds.critical, thresholds.high, thresholds.medium
    for row in rows:
        days = row[7]  # days_until_expiry
        if days <= critical:
            yield Alert(*row, Tier.CRITICAL)
        elif days <= high:
            yield Alert(*row, Tier.HIGH)
        elif days <= medium:
            yield Alert(*row, Tier.MEDIUM)
