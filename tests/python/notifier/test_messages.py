"""Messages built from notices: what a person reads, what a machine parses, and SNS's limits."""

from __future__ import annotations

import json

from notifier.audit import Unevaluated
from notifier.lifecycle import Event, Notice, Resolution
from notifier.messages import (
    MAX_MESSAGE_BYTES,
    MAX_SUBJECT_CHARS,
    GroupBy,
    Layout,
    build_messages,
    render_messages,
)
from notifier.publisher import batches
from notifier.routing import Routing
from notifier.tiers import Thresholds, Tier

AS_OF = "2026-03-01"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
OWNER_TOPIC = "arn:aws:sns:us-east-1:123456789012:north-team"
ROUTING = Routing.from_options(TOPIC, {})


def notice(
    facility: str,
    days: int,
    event: Event = Event.NEW,
    *,
    tier: Tier = Tier.CRITICAL,
    state: str | None = "TX",
    owner: str | None = None,
    topic: str | None = None,
    valid_until: str = "2026-03-11",
    acknowledged_until: str | None = None,
    resolution: Resolution | None = None,
    renewed_until: str | None = None,
    name: str = "City Hospital",
) -> Notice:
    return Notice(
        event=event,
        tier=tier,
        key=(facility, "Joint Commission", f"{facility}-JC", valid_until),
        facility_name=name,
        state=state,
        owner=owner,
        days_until_expiry=days,
        lapsed=days < 0,
        topic_arn=topic,
        acknowledged_until=acknowledged_until,
        previous=None,
        resolution=resolution,
        renewed_until=renewed_until,
    )


def layout(**changes: object) -> Layout:
    options: dict[str, object] = {
        "group_by": GroupBy.TIER,
        "routing": ROUTING,
        "thresholds": Thresholds(),
    }
    options.update(changes)
    return Layout(**options)  # type: ignore[arg-type]


def test_each_line_says_what_to_do() -> None:
    notices = [
        notice("F1", 10, valid_until="2026-03-11"),
        notice("F2", 0, valid_until="2026-03-01"),
        notice("F3", -3, Event.LAPSED, valid_until="2026-02-26"),
        notice("F4", 12, Event.REMINDER, valid_until="2026-03-13", acknowledged_until="2026-03-05"),
        notice(
            "F5",
            5,
            Event.RESOLVED,
            valid_until="2026-03-06",
            resolution=Resolution.RENEWED,
            renewed_until="2029-03-06",
        ),
        notice("F6", -1, Event.RESOLVED, valid_until="2026-02-28", resolution=Resolution.REMOVED),
    ]
    messages = build_messages(notices, layout(), AS_OF, Unevaluated())
    texts = {m.event: m.text for m in messages}
    assert [m.event for m in messages] == [
        Event.LAPSED,
        Event.NEW,
        Event.REMINDER,
        Event.RESOLVED,
    ]
    assert texts[Event.NEW] == (
        "NEW: 2 accreditations CRITICAL, lapsed or expiring within 30 days (as of 2026-03-01)\n"
        "\n"
        "- F2 / F2-JC (Joint Commission) at City Hospital, TX: expires today, 2026-03-01. "
        "Renew today.\n"
        "- F1 / F1-JC (Joint Commission) at City Hospital, TX: expires in 10 days. "
        "Renew by 2026-03-11.\n"
        "\n--\nEvery input line and accreditation entry was read.\n"
    )
    assert (
        "- F3 / F3-JC (Joint Commission) at City Hospital, TX: LAPSED since 2026-02-27 "
        "(valid until 2026-02-26, 3 days ago). Renew now.\n"
    ) in texts[Event.LAPSED]
    assert texts[Event.REMINDER].startswith(
        "REMINDER: 1 accreditation still CRITICAL, lapsed or expiring within 30 days"
    )
    assert "Renew by 2026-03-13. Acknowledged until 2026-03-05.\n" in texts[Event.REMINDER]
    assert texts[Event.RESOLVED].splitlines()[2:4] == [
        "- F5 / F5-JC (Joint Commission) at City Hospital, TX: renewed until 2029-03-06 "
        "(was valid until 2026-03-06). No action needed.",
        "- F6 / F6-JC (Joint Commission) at City Hospital, TX: no longer in the data as of "
        "2026-03-01 (was valid until 2026-02-28). Check that it was removed on purpose.",
    ]
    subjects = [m.subject for m in messages]
    assert subjects == [
        "1 lapsed critical accreditation alert, as of 2026-03-01",
        "2 new critical accreditation alerts, as of 2026-03-01",
        "1 reminder critical accreditation alert, as of 2026-03-01",
        "2 resolved critical accreditation alerts, as of 2026-03-01",
    ]


def test_machine_body_and_protocol_bodies() -> None:
    (message,) = build_messages(
        [notice("F1", -2, Event.LAPSED, valid_until="2026-02-27")],
        layout(),
        AS_OF,
        Unevaluated(invalid_json=2, entries_rejected=1, facility_count=1, facilities=("F9",)),
    )
    envelope = json.loads(message.body)
    assert set(envelope) == {"default", "email", "sms"}
    assert envelope["email"] == message.text
    assert envelope["sms"].startswith("1 lapsed critical accreditation alert")
    document = json.loads(envelope["default"])
    assert document == message.document
    assert document["alerts"] == [
        {
            "facility_id": "F1",
            "facility_name": "City Hospital",
            "state": "TX",
            "accreditation_body": "Joint Commission",
            "accreditation_id": "F1-JC",
            "valid_until": "2026-02-27",
            "days_until_expiry": -2,
            "lapsed": True,
            "owner": None,
            "acknowledged_until": None,
            "action": "renew_now",
            "lapsed_since": "2026-02-28",
        }
    ]
    assert document["could_not_evaluate"]["lines_rejected"] == 2
    assert message.text.endswith(
        "--\nNot evaluated, so no alert covers them: 2 unreadable lines (2 invalid JSON) in "
        "rejected_records; 1 rejected accreditation entry at 1 facility (F9) in "
        "rejected_accreditations.\n"
    )
    entry = message.entry("m0")
    assert entry["MessageStructure"] == "json"
    assert {name: value["StringValue"] for name, value in message.attributes.items()} == {
        "event": "lapsed",
        "tier": "critical",
        "state": '["TX"]',
        "days_until_expiry": "-2",
    }


def test_owner_splits_digests_routes_to_its_topic_and_sets_the_attribute() -> None:
    notices = [
        notice("F1", 10, owner="north", topic=OWNER_TOPIC),
        notice("F2", 11, owner="south"),
        notice("F3", 12),
    ]
    messages = build_messages(notices, layout(), AS_OF, Unevaluated())
    found = [
        (
            m.topic.arn,
            m.attributes.get("owner", {}).get("StringValue"),
            [n.facility_id for n in m.notices],
        )
        for m in messages
    ]
    assert found == [
        (TOPIC, None, ["F3"]),
        (OWNER_TOPIC, "north", ["F1"]),
        (TOPIC, "south", ["F2"]),
    ]
    assert {m.subject for m in messages} == {
        "1 new critical accreditation alert, as of 2026-03-01",
        "1 new critical accreditation alert (north), as of 2026-03-01",
        "1 new critical accreditation alert (south), as of 2026-03-01",
    }
    north = next(m for m in messages if m.topic.arn == OWNER_TOPIC)
    assert "\nOwner: north\n" in north.text


def test_split_by_state_gives_one_state_per_message() -> None:
    notices = [
        notice("F1", 10, state="TX"),
        notice("F2", 11, state="CA"),
        notice("F3", 12, state=None),
    ]
    merged = build_messages(notices, layout(), AS_OF, Unevaluated())
    assert [m.attributes["state"] for m in merged] == [
        {"DataType": "String.Array", "StringValue": '["CA", "TX", "unknown"]'}
    ]
    split = build_messages(notices, layout(split_by_state=True), AS_OF, Unevaluated())
    assert [
        (m.attributes["state"]["DataType"], m.attributes["state"]["StringValue"]) for m in split
    ] == [
        ("String", "CA"),
        ("String", "TX"),
        ("String", "unknown"),
    ]


def test_digest_order_due_soonest_then_newly_lapsed_then_long_lapsed() -> None:
    notices = [notice("A", -40), notice("B", 3), notice("C", -1), notice("D", 0), notice("E", 29)]
    (message,) = build_messages(notices, layout(), AS_OF, Unevaluated())
    assert [n.facility_id for n in message.notices] == ["D", "B", "E", "C", "A"]
    assert message.attributes["days_until_expiry"]["StringValue"] == "-40"


def test_by_facility_one_message_per_facility_event_and_tier() -> None:
    notices = [
        notice("F1", 10),
        notice("F1", 20, valid_until="2026-03-21"),
        notice("F1", 45, Event.ESCALATED, tier=Tier.HIGH, valid_until="2026-04-15"),
        notice("F2", 5),
    ]
    messages = build_messages(notices, layout(group_by=GroupBy.FACILITY), AS_OF, Unevaluated())
    assert [(m.event, m.tier, [n.facility_id for n in m.notices]) for m in messages] == [
        (Event.ESCALATED, Tier.HIGH, ["F1"]),
        (Event.NEW, Tier.CRITICAL, ["F1", "F1"]),
        (Event.NEW, Tier.CRITICAL, ["F2"]),
    ]
    assert messages[1].subject == (
        "2 new critical accreditation alerts (City Hospital, TX), as of 2026-03-01"
    )
    assert messages[1].attributes["state"] == {"DataType": "String", "StringValue": "TX"}


def test_a_big_digest_is_split_within_the_limit_and_nothing_is_lost() -> None:
    # Long non-ASCII names make the escaped JSON bigger than the text: the estimate must hold.
    notices = [
        notice(f"F{index:05d}", index % 30, name="Clínica São José « " + "é" * 150 + " »")
        for index in range(6000)
    ]
    messages = build_messages(notices, layout(), AS_OF, Unevaluated())
    assert len(messages) > 5
    assert all(m.size <= MAX_MESSAGE_BYTES for m in messages)
    assert all(len(m.subject) <= MAX_SUBJECT_CHARS and m.subject.isascii() for m in messages)
    assert sorted(n.facility_id for m in messages for n in m.notices) == sorted(
        n.facility_id for n in notices
    )
    parts = [(m.document["part"], m.document["parts"]) for m in messages]
    assert parts == [(i, len(messages)) for i in range(1, len(messages) + 1)]
    assert messages[0].subject.endswith(f" [1/{len(messages)}]")
    # Not split needlessly: every part but the last is more than half full.
    assert all(m.size > MAX_MESSAGE_BYTES // 2 for m in messages[:-1])
    # PublishBatch caps a request at 256 KiB too, so near-limit parts go one per call.
    assert all(sum(m.size for m in batch) <= MAX_MESSAGE_BYTES for batch in batches(messages))


def test_render_messages_shows_what_a_person_gets() -> None:
    messages = build_messages([notice("F1", 10)], layout(), AS_OF, Unevaluated())
    rendered = render_messages(messages)
    assert rendered.startswith(
        f"=== message 1 of 1 to {TOPIC}\n"
        "Subject: 1 new critical accreditation alert, as of 2026-03-01\n"
        'Attributes: event=new, tier=critical, state=["TX"], days_until_expiry=10\n\n'
        "NEW: 1 accreditation CRITICAL"
    )
    assert render_messages([]) == ""
