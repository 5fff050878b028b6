"""The lifecycle rules on their own: which event each key gets on a day, without AWS or dbt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import pytest

from notifier.errors import BadInputError
from notifier.ledger import LedgerRecord
from notifier.lifecycle import (
    CurrentEntry,
    Evaluation,
    Event,
    Notice,
    RepeatIntervals,
    Resolution,
    evaluate,
)
from notifier.tiers import Alert, AlertKey, Thresholds, Tier, to_alerts

DAY0 = "2026-01-01"


def day(offset: int) -> str:
    return (dt.date.fromisoformat(DAY0) + dt.timedelta(days=offset)).isoformat()


def alert(
    facility: str,
    valid_until: str,
    as_of: str,
    *,
    body: str | None = "Joint Commission",
    acknowledged_until: str | None = None,
    owner: str | None = None,
) -> Alert:
    days = (dt.date.fromisoformat(valid_until) - dt.date.fromisoformat(as_of)).days
    row = (
        facility,
        f"{facility} Hospital",
        "TX",
        body,
        f"{facility}-A",
        valid_until,
        as_of,
        days,
        owner,
        None,
        acknowledged_until,
    )
    return next(iter(to_alerts([row], Thresholds())))


class World:
    """A ledger in memory that records every notice as a send would, one day after another."""

    def __init__(self, repeat: RepeatIntervals | None = None) -> None:
        self.open: dict[AlertKey, LedgerRecord] = {}
        self.current: list[CurrentEntry] = []
        self.repeat = repeat or RepeatIntervals()
        self.lookups: list[set[str]] = []

    def lookup(self, facility_ids: set[str]) -> Iterable[CurrentEntry]:
        self.lookups.append(facility_ids)
        return [entry for entry in self.current if entry[0] in facility_ids]

    def run(self, alerts: Sequence[Alert], as_of: str) -> Evaluation:
        evaluation = evaluate(alerts, self.open, lambda: as_of, self.repeat, self.lookup)
        for notice in evaluation.notices:
            record = notice.record(as_of, "m-1", "arn:aws:sns:us-east-1:123456789012:t", "now")
            if notice.event is Event.RESOLVED:
                self.open.pop(notice.key)
            else:
                self.open[notice.key] = record
        return evaluation

    def events(self, alerts: Sequence[Alert], as_of: str) -> list[tuple[str, str, str]]:
        return [
            (notice.event.value, notice.facility_id, notice.tier.value)
            for notice in self.run(alerts, as_of).notices
        ]


def test_a_quarter_of_one_accreditation_one_notice_per_change() -> None:
    """Due at day 0 as medium (80 days), through high and critical, lapsed, then renewed."""
    world = World()
    expires = day(80)
    timeline = {
        0: [("new", "F1", "medium")],
        1: [],  # a rerun the next day: nothing
        14: [],  # medium reminders are off by default
        20: [("escalated", "F1", "high")],  # 60 days left
        33: [],  # 13 days after the high notice: the 14-day reminder is not due yet
        34: [("reminder", "F1", "high")],
        50: [("escalated", "F1", "critical")],  # 30 days left
        56: [],
        57: [("reminder", "F1", "critical")],
        64: [("reminder", "F1", "critical")],
        71: [("reminder", "F1", "critical")],
        78: [("reminder", "F1", "critical")],
        80: [],  # expires today: still not lapsed, 2 days after the last reminder
        81: [("lapsed", "F1", "critical")],  # the first day after valid_until
        81 + 6: [],
        81 + 7: [("reminder", "F1", "critical")],  # lapsed ones are reminded too
    }
    for offset, expected in timeline.items():
        assert world.events([alert("F1", expires, day(offset))], day(offset)) == expected, offset
    # The renewal arrives: the old entry is no longer current, the new one is years away.
    world.current = [("F1", "Joint Commission", "F1-B", "2029-03-22")]
    evaluation = world.run([], day(90))
    assert [(n.event, n.resolution, n.renewed_until) for n in evaluation.notices] == [
        (Event.RESOLVED, Resolution.RENEWED, "2029-03-22")
    ]
    assert world.open == {}
    assert world.events([], day(91)) == []


def test_same_day_rerun_sends_nothing() -> None:
    world = World()
    alerts = [alert("F1", day(10), DAY0), alert("F2", day(45), DAY0), alert("F3", day(-3), DAY0)]
    assert world.events(alerts, DAY0) == [
        ("new", "F1", "critical"),
        ("new", "F2", "high"),
        ("new", "F3", "critical"),
    ]
    again = world.run(alerts, DAY0)
    assert again.notices == []
    assert again.due == {Tier.CRITICAL: 2, Tier.HIGH: 1}
    assert again.quiet == {Tier.CRITICAL: 2, Tier.HIGH: 1}


def test_already_lapsed_at_first_sight_is_new_and_never_lapsed_later() -> None:
    world = World()
    (notice,) = world.run([alert("F1", day(-5), DAY0)], DAY0).notices
    assert (notice.event, notice.lapsed, notice.days_until_expiry) == (Event.NEW, True, -5)
    assert world.open[notice.key].lapsed is True
    assert world.events([alert("F1", day(-5), day(1))], day(1)) == []


def test_lapsed_beats_escalated_and_reminder() -> None:
    """High last sent 20 days ago, lapsed today: one event, lapsed."""
    world = World()
    world.run([alert("F1", day(40), DAY0)], DAY0)
    assert world.events([alert("F1", day(40), day(41))], day(41)) == [("lapsed", "F1", "critical")]


def test_acknowledgement_silences_reminders_only() -> None:
    world = World()
    acked = {"acknowledged_until": day(30)}
    world.run([alert("F1", day(20), DAY0, **acked)], DAY0)
    held = world.run([alert("F1", day(20), day(7), **acked)], day(7))
    assert (held.notices, held.acknowledged) == ([], 1)
    assert world.events([alert("F1", day(20), day(21), **acked)], day(21)) == [
        ("lapsed", "F1", "critical")
    ]
    # The acknowledgement ran out on day 30 (inclusive): day 31 is reminded again, 10 days
    # after the lapsed notice.
    assert world.events([alert("F1", day(20), day(30), **acked)], day(30)) == []
    assert world.events([alert("F1", day(20), day(31), **acked)], day(31)) == [
        ("reminder", "F1", "critical")
    ]
    world.current = [("F1", "Joint Commission", "F1-B", day(400))]
    assert world.events([], day(32)) == [("resolved", "F1", "critical")]


def test_repeat_intervals_are_per_tier_and_zero_means_never() -> None:
    world = World(RepeatIntervals(critical=0, high=3, medium=2))
    world.run(
        [alert("F1", day(10), DAY0), alert("F2", day(50), DAY0), alert("F3", day(80), DAY0)], DAY0
    )
    found = world.events(
        [
            alert("F1", day(10), day(3)),
            alert("F2", day(50), day(3)),
            alert("F3", day(80), day(3)),
        ],
        day(3),
    )
    assert found == [("reminder", "F2", "high"), ("reminder", "F3", "medium")]
    with pytest.raises(BadInputError, match="--high-repeat-days must be 0"):
        RepeatIntervals(high=-1)


def test_resolution_reasons() -> None:
    world = World()
    alerts = [
        alert("F1", day(10), DAY0),  # renewed
        alert("F2", day(10), DAY0),  # gone from the data
        alert("F3", day(10), DAY0),  # still there, but the thresholds no longer cover it
        alert("F4", day(10), DAY0, body=None),  # a body-less entry cannot be renewed
        alert("F5", day(10), DAY0),  # current entry of the body has an EARLIER date: not renewed
    ]
    world.run(alerts, DAY0)
    world.current = [
        ("F1", "Joint Commission", "F1-B", day(800)),
        ("F3", "Joint Commission", "F3-A", day(10)),
        ("F4", None, "F4-B", day(900)),
        ("F5", "Joint Commission", "F5-A", day(5)),
    ]
    evaluation = world.run([], day(1))
    assert [
        (n.facility_id, n.event, n.resolution, n.renewed_until, n.days_until_expiry)
        for n in evaluation.notices
    ] == [
        ("F1", Event.RESOLVED, Resolution.RENEWED, day(800), 9),
        ("F2", Event.RESOLVED, Resolution.REMOVED, None, 9),
        ("F3", Event.RESOLVED, Resolution.NO_LONGER_DUE, None, 9),
        ("F4", Event.RESOLVED, Resolution.REMOVED, None, 9),
        ("F5", Event.RESOLVED, Resolution.REMOVED, None, 9),
    ]
    # One lookup for all five facilities.
    assert world.lookups == [{"F1", "F2", "F3", "F4", "F5"}]


def test_renewal_that_is_itself_due_resolves_the_old_key_and_opens_the_new() -> None:
    world = World()
    world.run([alert("F1", day(5), DAY0)], DAY0)
    renewed = alert("F1", day(70), day(6))._replace(accreditation_id="F1-B")
    world.current = [("F1", "Joint Commission", "F1-B", day(70))]
    found = world.run([renewed], day(6)).notices
    assert [(n.event, n.accreditation_id, n.tier) for n in found] == [
        (Event.NEW, "F1-B", Tier.MEDIUM),
        (Event.RESOLVED, "F1-A", Tier.CRITICAL),
    ]


def test_less_urgent_than_last_sent_is_quiet() -> None:
    """The thresholds were narrowed: a critical alert now reads as high. No news, no reminder."""
    world = World()
    world.run([alert("F1", day(25), DAY0)], DAY0)
    narrowed = next(iter(to_alerts([alert("F1", day(25), day(14))[:-1]], Thresholds(5, 20, 90))))
    assert narrowed.tier is Tier.HIGH
    assert world.run([narrowed], day(14)).notices == []


def test_duplicate_rows_are_one_alert_and_the_date_comes_from_the_rows() -> None:
    asked: list[bool] = []

    def as_of() -> str:
        asked.append(True)
        return "unused"

    row = alert("F1", day(10), DAY0)
    evaluation = evaluate([row, row], {}, as_of, RepeatIntervals(), lambda ids: [])
    assert [n.event for n in evaluation.notices] == [Event.NEW]
    assert (evaluation.as_of_date, asked) == (DAY0, [])
    empty = evaluate([], {}, as_of, RepeatIntervals(), lambda ids: [])
    assert (empty.as_of_date, asked) == ("unused", [True])


def test_notice_record_carries_first_sent_and_state() -> None:
    world = World()
    world.run([alert("F1", day(50), DAY0, owner="north")], DAY0)
    (escalated,) = world.run([alert("F1", day(50), day(25), owner="north")], day(25)).notices
    record = escalated.record(day(25), "m-9", "arn:aws:sns:us-east-1:123456789012:t", "ts")
    assert (record.event, record.tier, record.first_sent_on, record.sent_on, record.owner) == (
        "escalated",
        "critical",
        DAY0,
        day(25),
        "north",
    )
    assert record.key == escalated.key and isinstance(escalated, Notice)
