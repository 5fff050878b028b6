"""Today's events for an opened mart: the lifecycle rules fed from the warehouse."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping

from notifier.current import current_lookup, latest_as_of_date
from notifier.errors import BadInputError
from notifier.ledger import LedgerRecord
from notifier.lifecycle import CurrentEntry, CurrentLookup, Evaluation, RepeatIntervals, evaluate
from notifier.mart import OpenMart
from notifier.tiers import AlertKey

log = logging.getLogger(__name__)


def evaluate_mart(
    mart: OpenMart, open_alerts: Mapping[AlertKey, LedgerRecord], repeat: RepeatIntervals
) -> Evaluation:
    lookup = _guarded(
        current_lookup(mart.target, mart.target_path),
        lambda: latest_as_of_date(mart.target, mart.target_path) is not None,
    )
    return evaluate(mart.alerts, open_alerts, _as_of_fallback(mart), repeat, lookup)


def _as_of_fallback(mart: OpenMart) -> Callable[[], str]:
    def as_of_date() -> str:
        found = latest_as_of_date(mart.target, mart.target_path)
        if found is not None:
            return found
        today = dt.datetime.now(dt.UTC).date().isoformat()
        log.warning(
            "the build holds no accreditation: using today's UTC date as the as-of date",
            extra={"fields": {"as_of_date": today}},
        )
        return today

    return as_of_date


def _guarded(lookup: CurrentLookup, has_accreditations: Callable[[], bool]) -> CurrentLookup:
    """Refuse to close every open alert as removed because the input came in empty."""

    def guarded(facility_ids: set[str]) -> Iterable[CurrentEntry]:
        entries = list(lookup(facility_ids))
        if not entries and not has_accreditations():
            raise BadInputError(
                f"the build holds no accreditation at all, but {len(facility_ids)} facilities "
                "have open alerts: that looks like missing input, not renewals, so nothing is "
                "resolved or sent. Check the input files (FACILITIES_PATH or the raw S3 prefix)."
            )
        return entries

    return guarded
