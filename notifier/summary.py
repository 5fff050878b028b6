"""What a send did: due alerts per tier, notices per event, failures, timing; as text and JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from notifier.audit import Unevaluated
from notifier.lifecycle import Event
from notifier.tiers import Tier


@dataclass
class TierCounts:
    """Due alerts: each one is published (it had news today), suppressed (nothing new to say:
    already told, no reminder due) or failed."""

    alerts: int = 0
    published: int = 0
    suppressed: int = 0
    failed: int = 0


@dataclass
class EventCounts:
    published: int = 0
    failed: int = 0


@dataclass
class Summary:
    dry_run: bool
    group_by: str
    relation: str
    ledger: str
    as_of_date: str | None = None
    tiers: dict[Tier, TierCounts] = field(default_factory=lambda: {t: TierCounts() for t in Tier})
    events: dict[Event, EventCounts] = field(
        default_factory=lambda: {e: EventCounts() for e in Event}
    )
    # Reminders due but held back by an acknowledgement.
    acknowledged: int = 0
    unevaluated: Unevaluated = field(default_factory=Unevaluated)
    messages_published: int = 0
    messages_failed: int = 0
    failed_alerts: list[dict[str, Any]] = field(default_factory=list)
    allow_stale_overrides: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed_alerts

    def totals(self) -> TierCounts:
        total = TierCounts()
        for counts in self.tiers.values():
            total.alerts += counts.alerts
            total.published += counts.published
            total.suppressed += counts.suppressed
            total.failed += counts.failed
        return total

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "failed",
            "dry_run": self.dry_run,
            "as_of_date": self.as_of_date,
            "relation": self.relation,
            "group_by": self.group_by,
            "ledger": self.ledger,
            "tiers": {tier.value: asdict(counts) for tier, counts in self.tiers.items()},
            "totals": asdict(self.totals()),
            "events": {event.value: asdict(counts) for event, counts in self.events.items()},
            "reminders_acknowledged": self.acknowledged,
            "could_not_evaluate": self.unevaluated.as_json(),
            "messages": {"published": self.messages_published, "failed": self.messages_failed},
            "failed_alerts": self.failed_alerts,
            "allow_stale_overrides": self.allow_stale_overrides,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }

    def render(self) -> str:
        verb = "would publish" if self.dry_run else "published"
        rows = [f"{'tier':<9}{'alerts':>8}{verb:>15}{'suppressed':>12}{'failed':>8}"]
        for name, counts in [
            *((t.value, c) for t, c in self.tiers.items()),
            ("total", self.totals()),
        ]:
            rows.append(
                f"{name:<9}{counts.alerts:>8}{counts.published:>15}"
                f"{counts.suppressed:>12}{counts.failed:>8}"
            )
        head = (
            f"notifier send{' (dry run: nothing published)' * self.dry_run}: "
            f"{self.relation}, as of {self.as_of_date or 'n/a'}, group by {self.group_by}"
        )
        events = ", ".join(
            f"{event.value} {counts.published}"
            + (f" ({counts.failed} failed)" * bool(counts.failed))
            for event, counts in self.events.items()
        )
        tail = [
            f"events {verb}: {events}; reminders held back by an acknowledgement: "
            f"{self.acknowledged}",
            self.unevaluated.footer(),
            f"messages {verb}: {self.messages_published}, failed: {self.messages_failed}; "
            f"elapsed {self.elapsed_seconds:.2f} s; ledger {self.ledger}",
        ]
        tail += [
            f"FAILED {f['event']} {f['facility_id']} / {f['accreditation_id']} ({f['tier']}): "
            f"{f['code']}: {f['reason']}"
            for f in self.failed_alerts
        ]
        if self.allow_stale_overrides:
            tail.append(
                "WARNING: sent with --allow-stale despite: " + "; ".join(self.allow_stale_overrides)
            )
        return "\n".join([head, *rows, *tail])
