"""The alert lifecycle through the CLI on the moto server, with SQS queues subscribed: time
travel over a quarter, acknowledgements, owner and state routing, filter policies, and a kill -9
at the worst moment."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from notifier_testing import Aws, Fixture, Received, make_project, run_cli, send_args

DAY0 = dt.date(2026, 1, 5)


def day(offset: int) -> str:
    return (DAY0 + dt.timedelta(days=offset)).isoformat()


# facility_id, facility_name, state, accreditation_body, accreditation_id, valid_until, owner,
# owner_topic_arn, acknowledged_until
A = ("F1", "Alpha Hospital", "TX", "NCQA", "N1", day(20), None, None, day(10))
B = ("F2", "Beta Clinic", "CA", "DNV", "D2", day(45), "north", None, None)
C = ("F3", "Gamma Center", "TX", "Joint Commission", "J3", day(75), None, None, None)
D = ("F4", "Delta Lab", "FL", "NCQA", "N4", day(-3), None, None, None)
RENEWED_A = ("F1", "Alpha Hospital", "TX", "NCQA", "N1-2029", "2029-01-20")


def events(messages: list[Received]) -> Counter[tuple[str, str, str]]:
    return Counter(event for message in messages for event in message.events)


def test_a_quarter_of_notices_one_per_change(aws: Aws, tmp_path: Path) -> None:
    topic = aws.topic("accreditation-alerts")
    everything = aws.queue(topic, "everything")
    north_only = aws.queue(topic, "north-only", policy={"owner": ["north"]})
    lapsed_only = aws.queue(topic, "lapsed-only", policy={"event": ["lapsed"]})
    project = make_project(tmp_path, [A, B, C, D], day(0))

    def send_on(offset: int, rows: list[Fixture], current: list[Fixture] | None = None) -> None:
        project.write_mart(rows, day(offset), current=current or [])
        result = run_cli(*send_args(project, "--topic-arn", topic))
        assert result.exit_code == 0, result.output

    timeline: list[tuple[int, list[Fixture], list[Fixture], dict[tuple[str, str, str], int]]] = [
        (
            0,
            [A, B, C, D],
            [],
            {
                ("new", "F1", "N1"): 1,
                ("new", "F2", "D2"): 1,
                ("new", "F3", "J3"): 1,
                ("new", "F4", "N4"): 1,
            },
        ),
        (0, [A, B, C, D], [], {}),  # the same day again: nothing
        # F1's weekly reminder is held back by its acknowledgement (until day 10); F4 lapsed
        # all along gets its weekly reminder.
        (7, [A, B, C, D], [], {("reminder", "F4", "N4"): 1}),
        (
            14,
            [A, B, C, D],
            [],
            {
                ("reminder", "F1", "N1"): 1,
                ("reminder", "F4", "N4"): 1,
                ("reminder", "F2", "D2"): 1,  # high, 14 days after its first notice
            },
        ),
        # F2 has 30 days left (critical), F3 60 (high): both escalate.
        (15, [A, B, C, D], [], {("escalated", "F2", "D2"): 1, ("escalated", "F3", "J3"): 1}),
        # F1 expired on day 20: announced once, on the first run after.
        (21, [A, B, C, D], [], {("lapsed", "F1", "N1"): 1, ("reminder", "F4", "N4"): 1}),
        # The renewal file arrives: F1's entry is superseded, F4 left the feed.
        (
            22,
            [B, C],
            [RENEWED_A],
            {
                ("resolved", "F1", "N1"): 1,
                ("resolved", "F4", "N4"): 1,
                ("reminder", "F2", "D2"): 1,
            },
        ),
        (22, [B, C], [RENEWED_A], {}),
    ]
    seen_north: Counter[tuple[str, str, str]] = Counter()
    for offset, rows, current, expected in timeline:
        send_on(offset, rows, current)
        assert events(aws.drain(everything)) == expected, day(offset)
        north = aws.drain(north_only)
        assert all(m.attributes["owner"] == "north" for m in north)
        seen_north += events(north)
        lapsed = aws.drain(lapsed_only)
        assert all(m.attributes["event"] == "lapsed" for m in lapsed)
        assert events(lapsed) == {k: v for k, v in expected.items() if k[0] == "lapsed"}
    assert seen_north == {
        ("new", "F2", "D2"): 1,
        ("reminder", "F2", "D2"): 2,
        ("escalated", "F2", "D2"): 1,
    }
    listing = run_cli("ledger", "--project-dir", project.root, "--format", "json")
    open_alerts = [json.loads(line) for line in listing.stdout.splitlines()]
    assert [(r["facility_id"], r["tier"], r["event"], r["sent_on"]) for r in open_alerts] == [
        ("F2", "critical", "reminder", day(22)),
        ("F3", "high", "escalated", day(15)),
    ]
    closed = run_cli("ledger", "--project-dir", project.root, "--closed", "--format", "json")
    assert sorted(
        (r["facility_id"], r["resolution"], r["renewed_until"])
        for r in map(json.loads, closed.stdout.splitlines())
    ) == [("F1", "renewed", "2029-01-20"), ("F4", "removed", None)]


def test_resolved_message_says_which(aws: Aws, tmp_path: Path) -> None:
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    project = make_project(tmp_path, [A, D], day(0))
    assert run_cli(*send_args(project, "--topic-arn", topic)).exit_code == 0
    aws.drain(queue)
    project.write_mart([], day(1), current=[RENEWED_A])
    result = run_cli(*send_args(project, "--topic-arn", topic, "--show-messages"))
    assert result.exit_code == 0, result.output
    assert (
        "- F1 / N1 (NCQA) at Alpha Hospital, TX: renewed until 2029-01-20 (was valid until "
        f"{day(20)}). No action needed.\n"
    ) in result.stdout
    assert (
        f"- F4 / N4 (NCQA) at Delta Lab, FL: no longer in the data as of {day(1)} (was valid "
        f"until {day(-3)}). Check that it was removed on purpose.\n"
    ) in result.stdout
    (message,) = aws.drain(queue)
    assert message.attributes["event"] == "resolved"
    assert [
        (a["facility_id"], a["resolution"], a["action"]) for a in message.document["alerts"]
    ] == [("F1", "renewed", "none"), ("F4", "removed", "check_removal")]


def test_missing_input_does_not_resolve_everything(aws: Aws, tmp_path: Path) -> None:
    topic = aws.topic("accreditation-alerts")
    queue = aws.queue(topic, "everything")
    project = make_project(tmp_path, [A, B], day(0))
    assert run_cli(*send_args(project, "--topic-arn", topic)).exit_code == 0
    aws.drain(queue)
    project.write_mart([], day(1))  # the build read no accreditation at all
    result = run_cli(*send_args(project, "--topic-arn", topic))
    assert result.exit_code == 2
    assert "the build holds no accreditation at all, but 2 facilities have open alerts" in (
        result.stderr
    )
    assert aws.drain(queue) == []
    listing = run_cli("ledger", "--project-dir", project.root, "--format", "csv")
    assert len(listing.stdout.splitlines()) == 1 + 2  # both still open


def test_owner_topic_and_state_split_on_a_generated_set(aws: Aws, tmp_path: Path) -> None:
    """300 generated accreditations over four states and three owners, one with its own topic:
    a subscriber filtering on state gets its state only, the owner topic its owner only."""
    shared = aws.topic("accreditation-alerts")
    east_topic = aws.topic("east-team")
    texas = aws.queue(shared, "texas", policy={"state": ["TX"]})
    everything = aws.queue(shared, "everything")
    east = aws.queue(east_topic, "east")
    rng = random.Random(20260105)
    rows: list[Fixture] = []
    for index in range(300):
        owner = rng.choice([None, "west", "east"])
        rows.append(
            (
                f"G{index:03}",
                f"Generated {index}",
                rng.choice(["TX", "CA", "NY", None]),
                rng.choice(["NCQA", "DNV", "Joint Commission"]),
                f"A{index:03}",
                day(rng.randint(-20, 120)),
                owner,
                east_topic if owner == "east" else None,
                None,
            )
        )
    project = make_project(tmp_path, rows, day(0))
    result = run_cli(*send_args(project, "--topic-arn", shared, "--split-by-state"))
    assert result.exit_code == 0, result.output
    due = {row[0]: row for row in rows if (dt.date.fromisoformat(str(row[5])) - DAY0).days <= 90}

    got_texas = aws.drain(texas)
    assert got_texas and all(m.attributes["state"] == "TX" for m in got_texas)
    assert sorted(f for m in got_texas for f, _ in m.alerts) == sorted(
        f for f, row in due.items() if row[2] == "TX" and row[6] != "east"
    )
    got_east = aws.drain(east)
    assert all(m.attributes["owner"] == "east" for m in got_east)
    assert sorted(f for m in got_east for f, _ in m.alerts) == sorted(
        f for f, row in due.items() if row[6] == "east"
    )
    got_all = aws.drain(everything)
    assert sorted(f for m in got_all for f, _ in m.alerts) == sorted(
        f for f, row in due.items() if row[6] != "east"
    )
    # One owner and one state per digest, so each message is one (event, tier, owner, state).
    groups = Counter(
        (
            m.attributes["event"],
            m.attributes["tier"],
            m.attributes.get("owner"),
            m.attributes["state"],
        )
        for m in got_all + got_east
    )
    assert set(groups.values()) == {1}


_KILL_BEFORE_RECORD = """
import os, signal, sys
import notifier.ledger
from notifier.cli import main

# In-process stand-in for a fault no real part produces on cue: the process dies after SNS
# accepted the second PublishBatch and before the ledger recorded it.
calls = 0
real_record = notifier.ledger.Ledger.record

def record_then_die(self, records):
    global calls
    calls += 1
    if calls == int(os.environ["KILL_ON_RECORD"]):
        os.kill(os.getpid(), signal.SIGKILL)
    real_record(self, records)

notifier.ledger.Ledger.record = record_then_die
sys.argv = ["notifier", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(
    ("topic_name", "duplicates"),
    [
        # A FIFO topic's deduplication id is the same for the same notices on the same day, so
        # SNS drops the rerun's copy of the batch the ledger never heard of.
        ("accreditation-alerts.fifo", 0),
        # A standard topic cannot know: the one batch in flight at the kill goes out again.
        ("accreditation-alerts", 10),
    ],
)
def test_kill_9_between_publish_and_record(
    aws: Aws, tmp_path: Path, topic_name: str, duplicates: int
) -> None:
    rows: list[Fixture] = [
        (f"K{i:02}", f"Facility {i}", "TX", "NCQA", f"N{i:02}", day(5)) for i in range(30)
    ]
    project = make_project(tmp_path, rows, day(0))
    topic = aws.topic(topic_name)
    queue = aws.queue(topic, "everything.fifo" if topic_name.endswith(".fifo") else "everything")
    args = [*send_args(project, "--topic-arn", topic, "--group-by", "facility")]
    killed = subprocess.run(
        [sys.executable, "-c", _KILL_BEFORE_RECORD, *map(str, args)],
        env={**os.environ, "KILL_ON_RECORD": "2"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL
    waiting = aws.sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"]
    assert waiting == "20"  # two batches of ten went out; only the first was recorded
    # The rerun comes before anyone reads the queue (moto deduplicates FIFO messages against
    # those still queued; SNS itself does it per topic for five minutes).
    rerun = run_cli(*args)
    assert rerun.exit_code == 0, rerun.output
    arrived = Counter(f for m in aws.drain(queue) for f, _ in m.alerts)
    assert set(arrived) == {row[0] for row in rows}
    assert sum(arrived.values()) - len(rows) == duplicates
    again = run_cli(*args)
    assert again.exit_code == 0 and aws.drain(queue) == []
