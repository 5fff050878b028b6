"""The ledger as a state store: snapshot + journal + archive, on a local folder and on S3.

S3 runs against the session's moto server over HTTP (the `aws` fixture). "A crash between two
writes" is simulated in-process: a store wrapper raises `Crash` (a BaseException, so no
`except Exception` on the way catches it) at the chosen write, and a fresh Ledger, as the next
run would make, then reads what is stored.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from notifier.errors import BadInputError, NotifierError
from notifier.ledger import (
    DEFAULT_RETENTION_DAYS,
    CompactionStats,
    Ledger,
    LedgerRecord,
    open_ledger,
)
from notifier.ledger_store import FileStore, Listed, Opened, S3Store, Store, Written

BUCKET = "notifier-state"
KEY = "state/ledger.json"
TOPIC = "arn:aws:sns:us-east-1:123456789012:accreditation-alerts"
TODAY = dt.date(2025, 5, 15)


def rec(facility: str, event: str = "new", **changes: Any) -> LedgerRecord:
    base = LedgerRecord(
        facility_id=facility,
        accreditation_body="NCQA",
        accreditation_id=f"N-{facility}",
        valid_until="2025-06-30",
        event=event,
        tier="high",
        lapsed=False,
        sent_on="2025-05-15",
        first_sent_on="2025-05-15",
        sent_at="2025-05-15T06:00:00+00:00",
        message_id=f"m-{facility}-{event}",
        topic=TOPIC,
    )
    return replace(base, **changes)


@dataclass
class Backend:
    """One storage backend under test, and raw access to what it stores."""

    kind: str
    spec: str
    make_store: Callable[[], Store]
    names: Callable[[], list[str]]  # every object next to the ledger, relative to its folder
    read: Callable[[str], bytes]
    write: Callable[[str, bytes], None]
    put_bytes: list[tuple[str, int]] = field(default_factory=list)  # S3 PutObject key, size

    def ledger(self, retention_days: int = DEFAULT_RETENTION_DAYS) -> Ledger:
        return Ledger(self.make_store(), retention_days)

    def data_put_bytes(self) -> int:
        """PutObject body bytes, lock leases left out."""
        return sum(size for key, size in self.put_bytes if not key.endswith(".lock"))


def file_backend(tmp_path: Path) -> Backend:
    folder = tmp_path / "state"
    folder.mkdir()
    path = folder / "ledger.json"

    def names() -> list[str]:
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())

    def write(name: str, body: bytes) -> None:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(body)

    return Backend(
        "file",
        str(path),
        lambda: FileStore(path),
        names,
        lambda name: (folder / name).read_bytes(),
        write,
    )


def s3_backend() -> Backend:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    puts: list[tuple[str, int]] = []

    def count(request: Any, **_: Any) -> None:
        puts.append(
            (request.url.rsplit("/", 1)[1].split("?")[0], int(request.headers["Content-Length"]))
        )

    def make_store() -> Store:
        client = boto3.client("s3")
        client.meta.events.register("before-send.s3.PutObject", count)
        return S3Store(client, BUCKET, KEY)

    def names() -> list[str]:
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="state/").get("Contents", [])
        return sorted(item["Key"][len("state/") :] for item in listed)

    return Backend(
        "s3",
        f"s3://{BUCKET}/{KEY}",
        make_store,
        names,
        lambda name: s3.get_object(Bucket=BUCKET, Key=f"state/{name}")["Body"].read(),
        lambda name, body: s3.put_object(Bucket=BUCKET, Key=f"state/{name}", Body=body),
        puts,
    )


BOTH = [pytest.param("file"), pytest.param("s3", marks=pytest.mark.integration)]


@pytest.fixture(params=BOTH)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "file":
        return file_backend(tmp_path)
    request.getfixturevalue("aws")
    return s3_backend()


@pytest.fixture
def s3(aws: Any) -> Backend:
    return s3_backend()


def send(
    ledger: Ledger, *batches: Sequence[LedgerRecord], today: dt.date = TODAY
) -> CompactionStats:
    """What a send does: lock, load, one record() per PublishBatch response, compact."""
    with ledger.lock(timeout=1):
        ledger.load()
        for batch in batches:
            ledger.record(batch)
        return ledger.compact(today)


def segments(backend: Backend) -> list[str]:
    return [name for name in backend.names() if name.startswith("ledger.json.journal/")]


def header(backend: Backend) -> dict[str, Any]:
    first = backend.read("ledger.json").splitlines()[0]
    value: dict[str, Any] = json.loads(first)
    value.pop("written_at")
    return value


# --- records, fold, compaction ---------------------------------------------------------------


def test_records_round_trip_and_the_latest_record_per_key_wins(backend: Backend) -> None:
    full = rec(
        "F4",
        accreditation_id=None,
        facility_name="Zoë's Clinic",
        state="TX",
        owner="ops@example.org",
        days_until_expiry=-3,
        acknowledged_until="2025-05-20",
        lapsed=True,
        tier="critical",
    )
    ledger = backend.ledger()
    with ledger.lock(timeout=1):
        assert ledger.load() == {}
        ledger.record([rec("F1"), rec("F2"), rec("F3"), full])
        ledger.record(
            [rec("F1", "escalated", tier="critical"), rec("F3", "resolved", resolution="removed")]
        )
        ledger.record([])  # an empty batch writes nothing
        # Only the journal is written by record(): two segments, in write order.
        assert [name.split("-")[0:2] for name in segments(backend)] == [
            ["ledger.json.journal/g000000000001", "000000000"],
            ["ledger.json.journal/g000000000001", "000000001"],
        ]
        expected = {
            ("F1", "NCQA", "N-F1", "2025-06-30"): rec("F1", "escalated", tier="critical"),
            ("F2", "NCQA", "N-F2", "2025-06-30"): rec("F2"),
            ("F4", "NCQA", None, "2025-06-30"): full,
        }
        # A fresh reader (the next run, or preview) folds the journal the same way.
        assert backend.ledger().load() == expected
    assert full.key == ("F4", "NCQA", None, "2025-06-30")
    assert rec("F3", "resolved").closed and not rec("F3").closed


def test_compaction_keeps_open_alerts_in_the_snapshot_and_archives_closed_ones(
    backend: Backend,
) -> None:
    closed = rec("F3", "resolved", resolution="renewed", renewed_until="2026-06-30")
    stats = send(
        backend.ledger(),
        [rec("F1"), rec("F2"), rec("F3")],
        [rec("F2", "escalated", tier="critical"), closed],
    )
    assert stats == CompactionStats(
        open_alerts=2,
        closed_archived=1,
        closed_purged=0,
        segments_merged=2,
        bytes_written=stats.bytes_written,
    )
    archive = "ledger.json.closed/g000000000001-newest-2025-05-15-1-records.jsonl"
    assert backend.names() == ["ledger.json", archive] + (
        ["ledger.json.lock"] if backend.kind == "file" else []
    )
    snapshot = backend.read("ledger.json")
    assert header(backend) == {
        "ledger_format": 2,
        "generation": 1,
        "open_alerts": 2,
        "compacted_on": "2025-05-15",
    }
    assert [json.loads(line)["facility_id"] for line in snapshot.splitlines()[1:]] == ["F1", "F2"]
    assert stats.bytes_written == len(snapshot) + len(backend.read(archive))
    ledger = backend.ledger()
    assert ledger.load() == {
        rec("F1").key: rec("F1"),
        rec("F2").key: rec("F2", "escalated", tier="critical"),
    }
    assert list(ledger.closed_records()) == [closed]
    # A record's optional fields that are None are not stored.
    assert json.loads(snapshot.splitlines()[1]) == {
        "facility_id": "F1",
        "accreditation_body": "NCQA",
        "accreditation_id": "N-F1",
        "valid_until": "2025-06-30",
        "event": "new",
        "tier": "high",
        "lapsed": False,
        "sent_on": "2025-05-15",
        "first_sent_on": "2025-05-15",
        "sent_at": "2025-05-15T06:00:00+00:00",
        "message_id": "m-F1-new",
        "topic": TOPIC,
    }


def test_archives_are_purged_whole_once_their_newest_record_is_past_the_retention(
    backend: Backend,
) -> None:
    send(backend.ledger(30), [rec("F1"), rec("F2")])
    old = rec("F1", "resolved", sent_on="2025-05-10", resolution="removed")
    new = rec("F2", "resolved", sent_on="2025-05-20", resolution="no_longer_due")
    send(backend.ledger(30), [old])
    send(backend.ledger(30), [new], today=dt.date(2025, 5, 20))
    assert [name for name in backend.names() if ".closed/" in name] == [
        "ledger.json.closed/g000000000002-newest-2025-05-10-1-records.jsonl",
        "ledger.json.closed/g000000000003-newest-2025-05-20-1-records.jsonl",
    ]
    assert list(backend.ledger(30).closed_records()) == [old, new]
    # 30 days after its newest record an archive is still kept; the day after, it goes.
    assert send(backend.ledger(30), today=dt.date(2025, 6, 9)) == CompactionStats(0, 0, 0, 0, 0)
    assert send(backend.ledger(30), today=dt.date(2025, 6, 10)) == CompactionStats(0, 0, 1, 0, 0)
    assert list(backend.ledger(30).closed_records()) == [new]
    assert send(backend.ledger(30), today=dt.date(2025, 9, 1)) == CompactionStats(0, 0, 1, 0, 0)
    assert list(backend.ledger(30).closed_records()) == []
    assert header(backend)["generation"] == 3  # purging rewrites no snapshot


def test_a_small_change_to_a_big_ledger_stays_in_the_journal_until_worth_folding(
    backend: Backend,
) -> None:
    send(backend.ledger(), [rec(f"F{i:03}") for i in range(400)])
    snapshot = backend.read("ledger.json")
    # 10 changes are 2% of the snapshot's bytes: compaction leaves them in the journal.
    changes = [rec("F000", "reminder"), rec("F001", "resolved", resolution="removed")]
    changes += [rec(f"F{i:03}", "reminder") for i in range(2, 10)]
    assert send(backend.ledger(), changes) == CompactionStats(399, 0, 0, 0, 0)
    assert backend.read("ledger.json") == snapshot
    assert len(segments(backend)) == 1
    expected = {rec(f"F{i:03}").key: rec(f"F{i:03}") for i in range(400)}
    expected |= {r.key: r for r in changes}
    del expected[rec("F001").key]
    assert backend.ledger().load() == expected
    assert list(backend.ledger().closed_records()) == [changes[1]]
    # 150 more reach a quarter of the snapshot's bytes: folded, the closed one archived.
    stats = send(backend.ledger(), [rec(f"F{i:03}", "reminder") for i in range(100, 250)])
    assert (stats.open_alerts, stats.closed_archived, stats.segments_merged) == (399, 1, 2)
    assert segments(backend) == []
    assert list(backend.ledger().closed_records()) == [changes[1]]
    # Many small segments are folded too, whatever their size.
    ledger = Ledger(backend.make_store(), fold_segments=3)
    assert send(ledger, [rec("F300", "reminder")], [rec("F301", "reminder")]).segments_merged == 0
    ledger = Ledger(backend.make_store(), fold_segments=3)
    assert send(ledger, [rec("F302", "reminder")]).segments_merged == 3


def test_purging_while_the_journal_waits_counts_only_open_alerts(backend: Backend) -> None:
    send(backend.ledger(), [rec("F1"), rec("F2"), rec("F3")], [rec("F3", "resolved")])
    never_folds = Ledger(backend.make_store(), fold_ratio=1e9)
    closed = rec("F1", "resolved", sent_on="2025-09-01")
    stats = send(never_folds, [closed], today=dt.date(2025, 9, 1))
    # The archive of F3 is past the 90 days; F1's resolution waits in the journal.
    assert stats == CompactionStats(1, 0, 1, 0, 0)
    assert backend.ledger().load() == {rec("F2").key: rec("F2")}
    assert list(backend.ledger().closed_records()) == [closed]


def test_a_rerun_that_sends_nothing_writes_nothing(backend: Backend) -> None:
    send(backend.ledger(), [rec(f"F{i}") for i in range(50)], [rec("F0", "resolved")])
    before = {name: backend.read(name) for name in backend.names() if not name.endswith(".lock")}
    backend.put_bytes.clear()
    assert send(backend.ledger()) == CompactionStats(49, 0, 0, 0, 0)
    after = {name: backend.read(name) for name in backend.names() if not name.endswith(".lock")}
    assert after == before
    if backend.kind == "s3":
        # Only the lock's lease (a ~100-byte object, taken and released) was uploaded.
        assert [key for key, _ in backend.put_bytes] == ["ledger.json.lock"]
        assert backend.data_put_bytes() == 0


@pytest.mark.integration
def test_recording_costs_bytes_per_record_not_per_ledger_size(s3: Backend) -> None:
    big = [rec(f"F{i:05}") for i in range(20_000)]
    send(s3.ledger(), big)
    assert len(s3.read("ledger.json")) > 6_000_000
    ledger = s3.ledger()
    batch = [rec(f"F{i:05}", "reminder") for i in range(10)]
    with ledger.lock(timeout=1):
        assert len(ledger.load()) == 20_000
        s3.put_bytes.clear()
        ledger.record(batch)
        expected = sum(len(r.line().encode()) for r in batch)
        # One segment holding exactly the 10 records (3.5 KB of a 7 MB ledger), then the
        # lock's renewed lease.
        assert s3.data_put_bytes() == expected == 3_470
        assert [key.split("-")[0] for key, _ in s3.put_bytes] == [
            "g000000000002",
            "ledger.json.lock",
        ]


# --- migration from the old format -----------------------------------------------------------

OLD_LINES = [
    # F1 went out as high in April, then as critical in May.
    '{"facility_id": "F1", "accreditation_body": "NCQA", "accreditation_id": "N1", '
    '"valid_until": "2025-05-20", "tier": "high", "sent_at": "2025-04-01T06:00:00+00:00", '
    '"message_id": "m-april", "topic": "arn:aws:sns:us-east-1:123456789012:old"}',
    "",
    # F2 was sent once, already lapsed; its body has no id.
    '{"facility_id": "F2", "accreditation_body": "Joint Commission", "accreditation_id": null, '
    '"valid_until": "2024-09-30", "tier": "critical", "sent_at": "2025-05-15T06:00:00+00:00", '
    f'"message_id": "m-may-2", "topic": "{TOPIC}"}}',
    '{"facility_id": "F1", "accreditation_body": "NCQA", "accreditation_id": "N1", '
    '"valid_until": "2025-05-20", "tier": "critical", "sent_at": "2025-05-01T06:00:00+00:00", '
    f'"message_id": "m-may-1", "topic": "{TOPIC}"}}',
]
MIGRATED = {
    ("F1", "NCQA", "N1", "2025-05-20"): LedgerRecord(
        "F1", "NCQA", "N1", "2025-05-20", "migrated", "critical", False,
        "2025-05-01", "2025-04-01", "2025-05-01T06:00:00+00:00", "m-may-1", TOPIC,
    ),
    ("F2", "Joint Commission", None, "2024-09-30"): LedgerRecord(
        "F2", "Joint Commission", None, "2024-09-30", "migrated", "critical", True,
        "2025-05-15", "2025-05-15", "2025-05-15T06:00:00+00:00", "m-may-2", TOPIC,
    ),
}  # fmt: skip


def test_an_old_format_ledger_is_migrated_and_backed_up_once(backend: Backend) -> None:
    old = ("\n".join(OLD_LINES) + "\n").encode()
    backend.write("ledger.json", old)
    ledger = backend.ledger()
    with ledger.lock(timeout=1):
        assert ledger.load() == MIGRATED
        assert backend.read("ledger.json") == old  # reading changes nothing
        stats = ledger.compact(TODAY)
    assert stats == CompactionStats(2, 0, 0, 0, stats.bytes_written)
    assert backend.read("ledger.json.v1-backup") == old
    assert stats.bytes_written == len(old) + len(backend.read("ledger.json"))
    assert header(backend) == {
        "ledger_format": 2,
        "generation": 1,
        "open_alerts": 2,
        "compacted_on": "2025-05-15",
    }
    assert backend.ledger().load() == MIGRATED
    # Migrated once: the next run finds the new format and writes nothing.
    assert send(backend.ledger()) == CompactionStats(2, 0, 0, 0, 0)


def test_an_old_format_ledger_with_a_bad_line_is_bad_input(backend: Backend) -> None:
    bad = OLD_LINES[0].replace('"2025-04-01T06:00:00+00:00"', '"yesterday"')
    backend.write("ledger.json", (OLD_LINES[2] + "\n" + bad + "\n").encode())
    with pytest.raises(BadInputError) as caught:
        backend.ledger().load()
    assert str(caught.value) == (
        f"ledger {backend.spec} is unreadable: line 2 is not a ledger record (old format: "
        "ValueError(\"Invalid isoformat string: 'yesterday'\"))"
    )


# --- crash windows ---------------------------------------------------------------------------


class Crash(BaseException):
    """The process died here."""


class CrashingStore:
    """A store that dies at the first write `crash_on` accepts (after doing `partial` of it)."""

    def __init__(self, inner: Store, crash_on: Callable[[str, str], bool], partial: int = 0):
        self._inner = inner
        self._crash_on = crash_on
        self._partial = partial
        self.location = inner.location

    def lock(self, timeout: float) -> AbstractContextManager[None]:
        return self._inner.lock(timeout)

    def verify_lock(self) -> None:
        self._inner.verify_lock()

    def open(self, suffix: str) -> AbstractContextManager[Opened | None]:
        return self._inner.open(suffix)

    def list(self, prefix: str) -> list[Listed]:
        return self._inner.list(prefix)

    def _check(self, operation: str, suffix: str) -> None:
        if self._crash_on(operation, suffix):
            raise Crash(f"{operation} {suffix}")

    def create(self, suffix: str, chunks: Iterable[bytes]) -> Written:
        self._check("create", suffix)
        return self._inner.create(suffix, chunks)

    def replace(self, suffix: str, chunks: Iterable[bytes], version: str | None) -> Written:
        self._check("replace", suffix)
        return self._inner.replace(suffix, chunks, version)

    def put(self, suffix: str, chunks: Iterable[bytes]) -> Written:
        self._check("put", suffix)
        return self._inner.put(suffix, chunks)

    def delete(self, suffixes: Sequence[str]) -> None:
        if suffixes and self._crash_on("delete", suffixes[0]):
            self._inner.delete(suffixes[: self._partial])
            raise Crash("delete")
        self._inner.delete(suffixes)


def crashing(backend: Backend, crash_on: Callable[[str, str], bool], partial: int = 0) -> Ledger:
    return Ledger(CrashingStore(backend.make_store(), crash_on, partial))


RUN_1 = ([rec("F1"), rec("F2"), rec("F3")], [rec("F1", "escalated"), rec("F3", "resolved")])
OPEN_AFTER_RUN_1 = {rec("F1").key: rec("F1", "escalated"), rec("F2").key: rec("F2")}
ARCHIVE_1 = "ledger.json.closed/g000000000001-newest-2025-05-15-1-records.jsonl"


def test_crash_after_recording_before_compaction_loses_nothing(backend: Backend) -> None:
    with pytest.raises(Crash):
        send(crashing(backend, lambda op, name: op == "replace"), *RUN_1)
    assert len(segments(backend)) == 2
    assert backend.ledger().load() == OPEN_AFTER_RUN_1
    # The next run records on top of the crashed one's journal, then compacts both.
    stats = send(backend.ledger(), [rec("F2", "reminder")])
    assert (stats.open_alerts, stats.closed_archived, stats.segments_merged) == (2, 1, 3)
    assert backend.ledger().load() == OPEN_AFTER_RUN_1 | {rec("F2").key: rec("F2", "reminder")}
    assert list(backend.ledger().closed_records()) == [rec("F3", "resolved")]


def test_crash_after_the_snapshot_before_archiving_leaves_the_same_state(
    backend: Backend,
) -> None:
    with pytest.raises(Crash):
        send(crashing(backend, lambda op, name: op == "put"), *RUN_1)
    assert header(backend)["generation"] == 1
    assert len(segments(backend)) == 2  # already in the snapshot: ignored by readers
    assert backend.ledger().load() == OPEN_AFTER_RUN_1
    assert list(backend.ledger().closed_records()) == []
    # The next compaction archives what the crashed one did not, from the merged segments.
    assert send(backend.ledger()) == CompactionStats(2, 1, 0, 2, len(backend.read(ARCHIVE_1)))
    assert list(backend.ledger().closed_records()) == [rec("F3", "resolved")]
    assert segments(backend) == []


def test_merged_segments_applied_again_cannot_bring_back_an_older_state(
    backend: Backend,
) -> None:
    after_snapshot = lambda op, name: op in {"put", "delete"}  # noqa: E731
    with pytest.raises(Crash):
        send(crashing(backend, after_snapshot), *RUN_1)
    # Run 2 moves F1 on and crashes at the same point: generation 1's segments (F1 "new",
    # "escalated") and generation 2's (F1 "reminder") are all still there.
    with pytest.raises(Crash):
        send(crashing(backend, after_snapshot), [rec("F1", "reminder")])
    assert [name[:34] for name in segments(backend)] == [
        "ledger.json.journal/g000000000001-",
        "ledger.json.journal/g000000000001-",
        "ledger.json.journal/g000000000002-",
    ]
    expected = OPEN_AFTER_RUN_1 | {rec("F1").key: rec("F1", "reminder")}
    assert backend.ledger().load() == expected
    assert send(backend.ledger()) == CompactionStats(2, 1, 0, 3, len(backend.read(ARCHIVE_1)))
    assert backend.ledger().load() == expected
    assert list(backend.ledger().closed_records()) == [rec("F3", "resolved")]


def test_crash_after_archiving_or_half_way_through_deleting_archives_once(
    backend: Backend,
) -> None:
    # Dies after the archive is written, having deleted one of the two merged segments.
    with pytest.raises(Crash):
        send(crashing(backend, lambda op, name: op == "delete", partial=1), *RUN_1)
    assert len(segments(backend)) == 1
    assert backend.ledger().load() == OPEN_AFTER_RUN_1
    # The archive of generation 1 exists, so the leftover segment is not archived again (which,
    # from half the segments, would have replaced it with less).
    assert send(backend.ledger()) == CompactionStats(2, 0, 0, 1, 0)
    assert [name for name in backend.names() if ".closed/" in name] == [ARCHIVE_1]
    assert list(backend.ledger().closed_records()) == [rec("F3", "resolved")]


def test_crash_during_migration_leaves_the_old_ledger_in_place(backend: Backend) -> None:
    old = ("\n".join(OLD_LINES) + "\n").encode()
    backend.write("ledger.json", old)
    with pytest.raises(Crash):
        send(crashing(backend, lambda op, name: op == "replace"))
    assert backend.read("ledger.json") == old
    assert backend.read("ledger.json.v1-backup") == old
    assert backend.ledger().load() == MIGRATED
    send(backend.ledger())
    assert (header(backend)["generation"], backend.ledger().load()) == (1, MIGRATED)


def test_segments_another_send_wrote_are_folded_by_compaction(backend: Backend) -> None:
    # A send whose S3 lease ran out without it noticing still writes; the compaction of the
    # send that holds the lock must fold what is stored, not only what it remembers.
    send(backend.ledger(), [rec("F1")])
    ours, theirs = backend.ledger(), backend.ledger()
    with ours.lock(timeout=1):
        ours.load()
        theirs.load()
        if backend.kind == "s3":
            # It writes its segment, then finds the lock is not its own.
            with pytest.raises(NotifierError, match="lost the lock"):
                theirs.record([rec("F2")])
        else:
            theirs.record([rec("F2")])  # (a flock cannot be lost; a stand-in for the case)
        ours.record([rec("F3")])
        assert ours.compact(TODAY).open_alerts == 3
    assert set(backend.ledger().load()) == {rec("F1").key, rec("F2").key, rec("F3").key}


# --- locking, fencing, errors ----------------------------------------------------------------


def test_the_lock_excludes_a_second_holder(backend: Backend) -> None:
    first, second = backend.ledger(), backend.ledger()
    holder = "by another send" if backend.kind == "file" else "by "
    # flock conflicts between separate opens even within one process.
    with (
        first.lock(timeout=1),
        pytest.raises(NotifierError, match=f"is locked {holder}"),
        second.lock(timeout=0.3),
    ):
        pass
    with second.lock(timeout=0.3):
        pass  # released by the first holder


@pytest.mark.integration
def test_a_send_that_lost_its_lock_stops_after_recording(s3: Backend) -> None:
    ledger = s3.ledger()
    with ledger.lock(timeout=1):
        ledger.load()
        # Another send took the lock over (as after an expired lease).
        boto3.client("s3").put_object(
            Bucket=BUCKET, Key=KEY + ".lock", Body=b'{"owner": "other", "expires_at": 0}'
        )
        with pytest.raises(NotifierError) as caught:
            ledger.record([rec("F1")])
        assert str(caught.value) == f"lost the lock on ledger s3://{BUCKET}/{KEY} to another send"
    # What SNS accepted is recorded all the same.
    assert s3.ledger().load() == {rec("F1").key: rec("F1")}


@pytest.mark.integration
def test_the_snapshot_is_not_replaced_over_a_change_this_send_did_not_see(s3: Backend) -> None:
    ledger = s3.ledger()
    with ledger.lock(timeout=1):
        ledger.load()
        ledger.record([rec("F1")])
        s3.write("ledger.json", b"")  # someone else wrote a snapshot meanwhile
        with pytest.raises(NotifierError, match="was changed by another send while this one"):
            ledger.compact(TODAY)
    assert len(segments(s3)) == 1  # the journal is kept
    # The lock is gone once the holder leaves.
    with pytest.raises(ClientError):
        boto3.client("s3").head_object(Bucket=BUCKET, Key=KEY + ".lock")


@pytest.mark.integration
def test_an_expired_s3_lock_is_taken_over(s3: Backend) -> None:
    s3.write(
        "ledger.json.lock", json.dumps({"owner": "crashed", "expires_at": time.time() - 1}).encode()
    )
    with s3.ledger().lock(timeout=2):
        assert json.loads(s3.read("ledger.json.lock"))["owner"] != "crashed"


F1_LINE = rec("F1").line().encode()
MISSING = (
    "LedgerRecord.__init__() missing 11 required positional arguments: 'facility_id', "
    "'accreditation_body', 'accreditation_id', 'valid_until', 'tier', 'lapsed', 'sent_on', "
    "'first_sent_on', 'sent_at', 'message_id', and 'topic'"
)
GARBLED = {
    "not-json": (
        b"not json\n",
        None,
        "line 1 is not a ledger record (Expecting value: line 1 column 1 (char 0))",
    ),
    "unknown-format": (
        b'{"ledger_format": 3, "generation": 1}\n',
        None,
        "line 1: unknown ledger_format 3 (this notifier reads 2)",
    ),
    "neither": (
        b'\n{"facility_id": "F1"}\n',
        None,
        "line 2 is not a ledger record (neither a ledger header nor an old record)",
    ),
    "truncated": (
        b'{"ledger_format": 2, "generation": 1, "open_alerts": 2}\n' + F1_LINE,
        None,
        "it holds 1 alert(s) but its header says 2",
    ),
    "missing-fields": (
        b'{"ledger_format": 2, "generation": 1}\n' + F1_LINE + b'{"event": "new"}\n',
        None,
        f"line 3 is not a ledger record ({MISSING})",
    ),
    "bad-segment": (
        b'{"ledger_format": 2, "generation": 0}\n',
        F1_LINE + rec("F2", "sent").line().encode(),
        "line 2 is not a ledger record (unknown event 'sent')",
    ),
}


@pytest.mark.parametrize(("snapshot", "segment", "detail"), GARBLED.values(), ids=GARBLED.keys())
def test_a_garbled_ledger_is_bad_input_naming_the_object_and_line(
    backend: Backend, snapshot: bytes, segment: bytes | None, detail: str
) -> None:
    backend.write("ledger.json", snapshot)
    name = "ledger.json.journal/g000000000001-000000000-" + "0" * 32 + ".jsonl"
    location = backend.spec
    if segment is not None:
        backend.write(name, segment)
        location = backend.spec + name[len("ledger.json") :]
    with pytest.raises(BadInputError) as caught:
        backend.ledger().load()
    assert str(caught.value) == f"ledger {location} is unreadable: {detail}"


def test_a_failed_write_says_what_may_be_sent_again(tmp_path: Path) -> None:
    ledger = open_ledger(str(tmp_path / "ledger.json"))
    ledger.load()
    (tmp_path / "ledger.json.journal").write_text("a file where the journal folder goes")
    with pytest.raises(NotifierError) as caught:
        ledger.record([rec("F1"), rec("F2")])
    assert str(caught.value).startswith(
        f"SNS accepted 2 alert(s) but ledger {tmp_path / 'ledger.json'} could not record them ("
    )
    assert str(caught.value).endswith("); they may be sent again")


def test_open_ledger_specs_and_retention() -> None:
    for spec in ("s3://", "s3://bucket", "s3://bucket/", "s3:///key", "s3://bucket/prefix/"):
        with pytest.raises(BadInputError) as caught:
            open_ledger(spec)
        assert str(caught.value) == f"--ledger {spec!r}: expected s3://BUCKET/KEY"
    with pytest.raises(BadInputError) as caught:
        open_ledger("ledger.json", retention_days=-1)
    assert str(caught.value) == "ledger retention must be 0 days or more, got -1"
    assert open_ledger("some/ledger.json").location == "some/ledger.json"
