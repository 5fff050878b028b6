"""Tier accreditations by days to expiry."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from notifier.errors import BadInputError


class Tier(StrEnum):
    # Declaration order is severity order: messages and tables list critical first.
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"


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


def tier_for(days_until_expiry: int, thresholds: Thresholds) -> Tier | None:
    if days_until_expiry <= thresholds.critical:
        return Tier.CRITICAL
    if days_until_expiry <= thresholds.high:
        return Tier.HIGH
    if days_until_expiry <= thresholds.medium:
        return Tier.MEDIUM
    return None


# (facility_id, accreditation_body, accreditation_id, valid_until, tier). The body is part of the
# key because accreditation_id may be null, and the mart's grain is one row per body.
AlertKey = tuple[str, str | None, str | None, str, str]


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
    tier: Tier

    @property
    def lapsed(self) -> bool:
        return self.days_until_expiry < 0

    @property
    def key(self) -> AlertKey:
        return (
            self.facility_id,
            self.accreditation_body,
            self.accreditation_id,
            self.valid_until,
            self.tier.value,
        )


# Column order of the rows the reader yields.
MART_COLUMNS = (
    "facility_id",
    "facility_name",
    "state",
    "accreditation_body",
    "accreditation_id",
    "valid_until",
    "as_of_date",
    "days_until_expiry",
)

Row = tuple[str, str | None, str | None, str | None, str | None, str, str, int]


def to_alerts(rows: Iterable[Row], thresholds: Thresholds) -> Iterator[Alert]:
    # tier_for inlined: this loop runs once per mart row.
    critical, high, medium = thresholds.critical, thresholds.high, thresholds.medium
    for row in rows:
        days = row[7]
        if days <= critical:
            yield Alert(*row, Tier.CRITICAL)
        elif days <= high:
            yield Alert(*row, Tier.HIGH)
        elif days <= medium:
            yield Alert(*row, Tier.MEDIUM)
