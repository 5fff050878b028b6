"""The ledger: each alert key's state after the last event SNS accepted, so a rerun sends only
what changed, and nothing twice.

The layout is the same for a local file and for S3 (X = the ledger's path or key):

- `X`, the snapshot: JSON Lines, a header `{"ledger_format": 2, "generation": G, ...}` then one
  LedgerRecord per open alert.
- `X.journal/gGGGGGGGGGGGG-SSSSSSSSS-<run>.jsonl`: one segment per `record` call, the records of
  one PublishBatch response. A send that loaded generation G writes generation G+1; within a
  generation the sequence number SSSSSSSSS continues after the highest one stored (the lock
  serialises writers), so names sort in write order.
- `X.closed/gGGGGGGGGGGGG-newest-YYYY-MM-DD-N-records.jsonl`: resolved records, moved out of the
  snapshot by the compaction that wrote generation G; purged whole once the newest is older
  than the retention.
- `X.lock` (see notifier.ledger_store) and `X.v1-backup` (the old format's bytes, once).

Reading folds the snapshot, then the segments whose generation is above the snapshot's, by name,
records in line order: the latest record per key wins. Compaction, once the journal is big
enough to be worth it, writes the fold as generation G+1 before it archives or deletes
anything, so a crash between any two of its writes leaves a ledger that reads the same;
segments of generation <= the snapshot's are already in it and are ignored, so one applied
twice cannot bring back an older state.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields
from operator import attrgetter
from pathlib import Path

from notifier.aws import s3_client
from notifier.errors import BadInputError, NotifierError
from notifier.ledger_store import FileStore, S3Store, StorageError, Store, unreadable

log = logging.getLogger(__name__)

# facility_id, accreditation_body, accreditation_id, valid_until (ISO). The body is part of the
# key because accreditation_id may be null.
LifecycleKey = tuple[str, str | None, str | None, str]
DEFAULT_FILE_NAME = ".notifier-ledger.json"
DEFAULT_RETENTION_DAYS = 90
LEDGER_FORMAT = 2
EVENTS = frozenset({"new", "escalated", "lapsed", "reminder", "resolved", "migrated"})
# Most urgent first: migration keeps the most urgent tier a key was ever sent at.
_URGENCY = {"critical": 0, "high": 1, "medium": 2}

_JOURNAL = ".journal/"
_CLOSED = ".closed/"
_BACKUP = ".v1-backup"
_SEGMENT = re.compile(r"g(\d{12})-(\d{9})-([0-9a-f]{32})\.jsonl")
_ARCHIVE = re.compile(r"g(\d{12})-newest-(\d{4}-\d{2}-\d{2})-(\d+)-records\.jsonl")
# The fields of a line of the old format (one line per key and tier sent, no header).
_V1_FIELDS = (
    "facility_id",
    "accreditation_body",
    "accreditation_id",
    "valid_until",
    "tier",
    "sent_at",
    "message_id",
    "topic",
)
# Lines per write: one bytes object per block instead of one per record.
_BLOCK = 4096
# When compaction folds the journal into a new snapshot: once the journal holds this share of the
# snapshot's bytes, or this many segments. Below that, a run that changed a few alerts leaves
# its segments for a later run instead of rewriting a million-alert snapshot (measured in
# bench/README.md): the rewrite is amortised over the journal's growth, and a load reads at
# most a quarter more than the snapshot, in few objects.
FOLD_RATIO = 0.25
FOLD_SEGMENTS = 64
# A lock-less reader (preview) can see a segment listed, then deleted by a compaction; it reads
# again, and finds the newer snapshot.
_READ_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """One event SNS accepted, carrying the key's full state after it (so replaying the latest
    record per key rebuilds the state)."""

    facility_id: str
    accreditation_body: str | None
    accreditation_id: str | None
    valid_until: str  # ISO date
    event: str  # "new" | "escalated" | "lapsed" | "reminder" | "resolved" | "migrated"
    tier: str  # the tier the message carried; for resolved, the tier last sent
    lapsed: bool  # the key's lapsed flag after this event
    sent_on: str  # ISO as-of date of the run that sent it
    first_sent_on: str  # ISO as-of date of the key's first event
    sent_at: str  # UTC timestamp, isoformat
    message_id: str
    topic: str
    facility_name: str | None = None
    state: str | None = None
    owner: str | None = None
    days_until_expiry: int | None = None
    acknowledged_until: str | None = None
    resolution: str | None = None  # resolved only: "renewed" | "removed" | "no_longer_due"
    renewed_until: str | None = None  # resolved + renewed: the new valid_until

    @property
    def key(self) -> LifecycleKey:
        return (self.facility_id, self.accreditation_body, self.accreditation_id, self.valid_until)

    @property
    def closed(self) -> bool:
        return self.event == "resolved"

    def as_json(self) -> dict[str, object]:
        """Optional fields that are None are left out: a snapshot holds a million of these."""
        return {
            name: value
            for name, value in zip(_FIELDS, _all_values(self), strict=True)
            if value is not None or name in _REQUIRED
        }

    def line(self) -> str:
        return _ENCODER.encode(self.as_json()) + "\n"


_FIELDS = tuple(f.name for f in fields(LedgerRecord))
_REQUIRED = frozenset(f.name for f in fields(LedgerRecord) if f.default is not None)
_all_values = attrgetter(*_FIELDS)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# Values that repeat across records (dates, tiers, topics, message ids of digests): one string
# object each instead of one per record, which halves the memory of a big ledger.
_SHARED = (
    "accreditation_body",
    "valid_until",
    "event",
    "tier",
    "sent_on",
    "first_sent_on",
    "sent_at",
    "message_id",
    "topic",
    "state",
    "owner",
    "acknowledged_until",
    "resolution",
)


@dataclass(frozen=True)
class CompactionStats:
    open_alerts: int
    closed_archived: int
    closed_purged: int
    segments_merged: int
    bytes_written: int


@dataclass
class _State:
    """What this Ledger knows is stored; kept up to date by its own writes."""

    generation: int  # the snapshot's
    version: str | None  # the snapshot's S3 ETag: the fence of the next snapshot write
    latest: dict[LifecycleKey, LedgerRecord]  # the fold of the snapshot and the live segments
    live: list[str] = field(default_factory=list)  # segments above the snapshot's generation
    live_bytes: int = 0
    snapshot_bytes: int = 0
    merged: list[str] = field(default_factory=list)  # segments already in the snapshot
    next_seq: int = 0
    v1: bytes | None = None  # an old-format ledger's bytes, until compaction migrates it


@dataclass(frozen=True)
class _Archive:
    name: str
    generation: int
    newest: dt.date
    records: int


class Ledger:
    def __init__(
        self,
        store: Store,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        fold_ratio: float = FOLD_RATIO,
        fold_segments: int = FOLD_SEGMENTS,
    ) -> None:
        if retention_days < 0:
            raise BadInputError(f"ledger retention must be 0 days or more, got {retention_days}")
        self._store = store
        self._retention = dt.timedelta(days=retention_days)
        self._fold_ratio = fold_ratio
        self._fold_at_segments = fold_segments
        self.location = store.location
        # Segment names carry the run, so two writers can never produce the same name.
        self._run = uuid.uuid4().hex
        self._state: _State | None = None

    def lock(self, timeout: float) -> AbstractContextManager[None]:
        return self._store.lock(timeout)

    def load(self) -> dict[LifecycleKey, LedgerRecord]:
        """The open alerts: the latest record of each key whose latest record is not resolved.

        An old-format ledger is migrated in memory; the first compaction stores it migrated.
        """
        self._state = self._read()
        return _open(self._state.latest)

    def record(self, records: Sequence[LedgerRecord]) -> None:
        """One new journal segment, durable before this returns: O(len(records)) bytes."""
        if not records:
            return
        state = self._loaded()
        name = _segment_name(state.generation + 1, state.next_seq, self._run)
        try:
            written = self._store.create(_JOURNAL + name, _encode(records))
        except StorageError as exc:
            raise NotifierError(
                f"SNS accepted {len(records)} alert(s) but ledger {self.location} could not "
                f"record them ({exc}); they may be sent again"
            ) from exc
        state.live.append(name)
        state.live_bytes += written.size
        state.next_seq += 1
        for record in records:
            state.latest[record.key] = record
        self._store.verify_lock()

    def compact(self, today: dt.date) -> CompactionStats:
        """Fold snapshot and journal into a new snapshot of the open alerts once the journal is
        big enough (FOLD_RATIO, FOLD_SEGMENTS; always for an old-format ledger), archive the
        closed ones, delete merged segments, purge archives past the retention. Writes nothing
        when there is nothing to do. Called under the lock."""
        state = self._loaded()
        stored = [item.name for item in self._store.list(_JOURNAL) if _SEGMENT.fullmatch(item.name)]
        if stored != sorted(state.live + state.merged):
            # Segments this Ledger did not write or read (a send that lost its lease without
            # noticing): fold what is stored, not what is remembered.
            state = self._state = self._read()
        archives = self._archives()
        cutoff = today - self._retention
        purge = [archive for archive in archives if archive.newest < cutoff]
        rewrite = state.v1 is not None or self._journal_is_due(state)
        if not (rewrite or state.merged or purge):
            return CompactionStats(len(_open(state.latest)), 0, 0, 0, 0)
        try:
            stats = self._compact(state, archives, purge, today, rewrite)
        except StorageError as exc:
            raise NotifierError(
                f"ledger {self.location} could not be compacted ({exc}); what it recorded is "
                "kept, and the next send compacts it"
            ) from exc
        log.info("compacted the ledger", extra={"fields": {"ledger": self.location} | vars(stats)})
        return stats

    def closed_records(self) -> Iterator[LedgerRecord]:
        """Resolved records not yet purged: the archive's, oldest first, then those still in
        the journal (closed since the last fold)."""
        for archive in self._archives():
            location = self.location + _CLOSED + archive.name
            with self._store.open(_CLOSED + archive.name) as opened:
                if opened is None:
                    continue  # purged since it was listed
                yield from _archive_records(opened.lines, location)
        generation = self._snapshot_generation()
        live = [
            item.name
            for item in self._store.list(_JOURNAL)
            if _SEGMENT.fullmatch(item.name) and _segment_generation(item.name) > generation
        ]
        latest: dict[LifecycleKey, LedgerRecord] = {}
        self._fold_segments(live, latest)
        yield from (record for record in latest.values() if record.closed)

    def _journal_is_due(self, state: _State) -> bool:
        if not state.live:
            return False
        big = state.live_bytes >= self._fold_ratio * state.snapshot_bytes
        return big or len(state.live) >= self._fold_at_segments

    def _snapshot_generation(self) -> int:
        """From the header alone: the listing of closed records need not read every open one."""
        with self._store.open("") as opened:
            if opened is None:
                return 0
            first = next(_numbered(opened.lines), None)
        if first is None:
            return 0
        header = _object(first[1], self.location, first[0])
        generation = header.get("generation", 0)
        return generation if isinstance(generation, int) else 0

    def _loaded(self) -> _State:
        if self._state is None:
            self._state = self._read()
        return self._state

    def _compact(
        self,
        state: _State,
        archives: list[_Archive],
        purge: list[_Archive],
        today: dt.date,
        rewrite: bool,
    ) -> CompactionStats:
        # A send that lost its lease must not replace the snapshot under the send that took it.
        self._store.verify_lock()
        written = 0
        # Merged segments whose compaction died before archiving: their closed records, derived
        # from them alone, which gives what that compaction would have archived.
        archived = {archive.generation for archive in archives}
        pending = self._unarchived(state.merged, archived)
        if state.v1 is not None:
            written += self._store.put(_BACKUP, [state.v1]).size
        if rewrite:
            closed = [record for record in state.latest.values() if record.closed]
            written += self._write_snapshot(state, today)
            pending.append((state.generation, closed))
        closed_archived = 0
        for generation, records in pending:
            if records:
                name = _archive_name(generation, records)
                written += self._store.put(
                    _CLOSED + name, _encode(records, _archive_header(generation, records))
                ).size
                closed_archived += len(records)
        merged = len(state.merged)
        self._store.delete([_JOURNAL + name for name in state.merged])
        state.merged = []
        self._store.delete([_CLOSED + archive.name for archive in purge])
        purged = sum(archive.records for archive in purge)
        open_alerts = sum(1 for record in state.latest.values() if not record.closed)
        return CompactionStats(open_alerts, closed_archived, purged, merged, written)

    def _write_snapshot(self, state: _State, today: dt.date) -> int:
        """Generation G+1, fenced on the version read (S3: If-Match, or If-None-Match: *)."""
        open_alerts = _open(state.latest)
        generation = state.generation + 1
        header = {
            "ledger_format": LEDGER_FORMAT,
            "generation": generation,
            "open_alerts": len(open_alerts),
            "compacted_on": today.isoformat(),
            "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        try:
            written = self._store.replace("", _encode(open_alerts.values(), header), state.version)
        except StorageError as exc:
            if not exc.conflict:
                raise
            raise NotifierError(
                f"ledger {self.location} was changed by another send while this one held the "
                f"lock ({exc}); not compacted, its journal is kept"
            ) from exc
        state.generation, state.version, state.latest = generation, written.version, open_alerts
        state.merged, state.live, state.next_seq, state.v1 = state.merged + state.live, [], 0, None
        state.live_bytes, state.snapshot_bytes = 0, written.size
        return written.size

    def _unarchived(
        self, merged: list[str], archived: set[int]
    ) -> list[tuple[int, list[LedgerRecord]]]:
        by_generation: dict[int, list[str]] = {}
        for name in merged:
            generation = _segment_generation(name)
            if generation not in archived:
                by_generation.setdefault(generation, []).append(name)
        pending = []
        for generation, names in sorted(by_generation.items()):
            latest: dict[LifecycleKey, LedgerRecord] = {}
            self._fold_segments(names, latest)
            pending.append((generation, [r for r in latest.values() if r.closed]))
        return pending

    def _archives(self) -> list[_Archive]:
        archives = []
        for item in self._store.list(_CLOSED):
            match = _ARCHIVE.fullmatch(item.name)
            if match is None:
                continue  # not one of ours (an operator's copy, say): left alone
            generation, newest, count = match.groups()
            archives.append(
                _Archive(item.name, int(generation), dt.date.fromisoformat(newest), int(count))
            )
        return archives

    def _read(self) -> _State:
        for _ in range(_READ_ATTEMPTS - 1):
            state = self._read_once()
            if state is not None:
                return state
        state = self._read_once()
        if state is None:
            raise NotifierError(f"ledger {self.location} kept changing while it was read")
        return state

    def _read_once(self) -> _State | None:
        with self._store.open("") as opened:
            if opened is None:
                state = _State(0, None, {})
            else:
                size = [0]
                state = _parse_snapshot(_counted(opened.lines, size), self.location)
                state.version, state.snapshot_bytes = opened.version, size[0]
        sequences = []
        for item in self._store.list(_JOURNAL):
            match = _SEGMENT.fullmatch(item.name)
            if match is None:
                log.warning(
                    "ignored a file in the ledger journal that is not a segment",
                    extra={"fields": {"ledger": self.location, "name": item.name}},
                )
                continue
            generation, sequence = int(match.group(1)), int(match.group(2))
            if generation > state.generation:
                state.live.append(item.name)
                state.live_bytes += item.size
                sequences.append(sequence)
            else:
                state.merged.append(item.name)
        state.next_seq = max(sequences, default=-1) + 1
        if not self._fold_segments(state.live, state.latest):
            return None
        return state

    def _fold_segments(self, names: list[str], latest: dict[LifecycleKey, LedgerRecord]) -> bool:
        """Apply the segments in order; False if one vanished since it was listed."""
        for name in names:
            with self._store.open(_JOURNAL + name) as opened:
                if opened is None:
                    return False
                for record in _records(_numbered(opened.lines), self.location + _JOURNAL + name):
                    latest[record.key] = record
        return True


def open_ledger(spec: str, retention_days: int = DEFAULT_RETENTION_DAYS) -> Ledger:
    """A path, or s3://bucket/key."""
    if not spec.startswith("s3://"):
        return Ledger(FileStore(Path(spec)), retention_days)
    bucket, _, key = spec[len("s3://") :].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise BadInputError(f"--ledger {spec!r}: expected s3://BUCKET/KEY")
    return Ledger(S3Store(s3_client(), bucket, key), retention_days)


def _open(latest: dict[LifecycleKey, LedgerRecord]) -> dict[LifecycleKey, LedgerRecord]:
    return {key: record for key, record in latest.items() if record.event != "resolved"}


def _counted(lines: Iterator[bytes], size: list[int]) -> Iterator[bytes]:
    for line in lines:
        size[0] += len(line)
        yield line


def _segment_name(generation: int, sequence: int, run: str) -> str:
    return f"g{generation:012d}-{sequence:09d}-{run}.jsonl"


def _segment_generation(name: str) -> int:
    return int(name[1:13])


def _archive_name(generation: int, records: list[LedgerRecord]) -> str:
    # Only the stored records decide the name, so a compaction redone after a crash writes the
    # same object again instead of a second copy.
    newest = max(record.sent_on for record in records)
    return f"g{generation:012d}-newest-{newest}-{len(records)}-records.jsonl"


def _archive_header(generation: int, records: list[LedgerRecord]) -> dict[str, object]:
    return {
        "ledger_format": LEDGER_FORMAT,
        "closed_generation": generation,
        "records": len(records),
    }


def _encode(
    records: Iterable[LedgerRecord], header: dict[str, object] | None = None
) -> Iterator[bytes]:
    block = [] if header is None else [_ENCODER.encode(header) + "\n"]
    for record in records:
        block.append(record.line())
        if len(block) >= _BLOCK:
            yield "".join(block).encode()
            block = []
    if block:
        yield "".join(block).encode()


def _not_a_record(location: str, number: int, detail: object) -> BadInputError:
    return unreadable(location, f"line {number} is not a ledger record ({detail})")


def _numbered(lines: Iterable[bytes], start: int = 1) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines with their numbers."""
    for number, line in enumerate(lines, start=start):
        if line.strip():
            yield number, line


def _records(lines: Iterable[tuple[int, bytes]], location: str) -> Iterator[LedgerRecord]:
    shared: dict[object, object] = {}
    block: list[tuple[int, bytes]] = []
    for item in lines:
        block.append(item)
        if len(block) == _BLOCK:
            yield from _block_records(block, location, shared)
            block = []
    yield from _block_records(block, location, shared)


def _block_records(
    block: list[tuple[int, bytes]], location: str, shared: dict[object, object]
) -> Iterator[LedgerRecord]:
    # One json.loads per block of lines, a quarter faster than one per line; if the block does
    # not parse as exactly one value per line, line by line finds the culprit.
    try:
        values = json.loads(b"[" + b",".join(line for _, line in block) + b"]")
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != len(block):
        values = [_object(line, location, number) for number, line in block]
    for (number, _), value in zip(block, values, strict=True):
        try:
            yield _record(value, shared)
        except (ValueError, TypeError) as exc:
            raise _not_a_record(location, number, exc) from exc


def _record(value: object, shared: dict[object, object]) -> LedgerRecord:
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    for name in _SHARED:
        item = value.get(name)
        if item is not None:
            value[name] = shared.setdefault(item, item)
    record = LedgerRecord(**value)
    if record.event not in EVENTS:
        raise ValueError(f"unknown event {record.event!r}")
    if record.tier not in _URGENCY:
        raise ValueError(f"unknown tier {record.tier!r}")
    if not isinstance(record.facility_id, str) or not isinstance(record.valid_until, str):
        raise ValueError("facility_id and valid_until must be strings")
    return record


def _object(line: bytes, location: str, number: int) -> dict[str, object]:
    try:
        value = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _not_a_record(location, number, exc) from exc
    if not isinstance(value, dict):
        raise _not_a_record(location, number, "not a JSON object")
    return value


def _check_format(header: dict[str, object], location: str, number: int) -> None:
    if header.get("ledger_format") != LEDGER_FORMAT:
        raise unreadable(
            location,
            f"line {number}: unknown ledger_format {header.get('ledger_format')!r} "
            f"(this notifier reads {LEDGER_FORMAT})",
        )


def _parse_snapshot(lines: Iterator[bytes], location: str) -> _State:
    head: list[bytes] = []  # up to the first non-blank line: an old ledger's bytes are kept
    first: tuple[int, bytes] | None = None
    for number, line in enumerate(lines, start=1):
        head.append(line)
        if line.strip():
            first = number, line
            break
    if first is None:
        return _State(0, None, {})  # an empty object: nothing recorded yet
    number, line = first
    header = _object(line, location, number)
    if "ledger_format" not in header:
        if not set(_V1_FIELDS) <= header.keys():
            raise _not_a_record(location, number, "neither a ledger header nor an old record")
        rest = list(lines)
        rows = [(number, header)]
        rows += [(n, _object(text, location, n)) for n, text in _numbered(rest, number + 1)]
        return _State(0, None, _migrate(rows, location), v1=b"".join(head + rest))
    _check_format(header, location, number)
    generation = header.get("generation")
    if not isinstance(generation, int) or generation < 0:
        raise unreadable(location, f"line {number}: bad generation {generation!r}")
    latest: dict[LifecycleKey, LedgerRecord] = {}
    count = 0
    for record in _records(_numbered(lines, number + 1), location):
        latest[record.key] = record
        count += 1
    expected = header.get("open_alerts")
    if expected is not None and expected != count:
        raise unreadable(location, f"it holds {count} alert(s) but its header says {expected}")
    return _State(generation, None, latest)


def _archive_records(lines: Iterator[bytes], location: str) -> Iterator[LedgerRecord]:
    numbered = _numbered(lines)
    first = next(numbered, None)
    if first is None:
        return
    _check_format(_object(first[1], location, first[0]), location, first[0])
    yield from _records(numbered, location)


def _timestamp(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise TypeError(f"sent_at {value!r} is not a string")
    stamp = dt.datetime.fromisoformat(value)
    # Old records were written in UTC; one without an offset is read as UTC too.
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)


@dataclass
class _Migrated:
    """One old-format key's lines, folded."""

    urgency: int
    latest: tuple[dt.datetime, int, dict[str, object]]
    earliest: dt.datetime
    lapsed: bool

    def add(self, urgency: int, sent: dt.datetime, number: int, row: dict[str, object]) -> None:
        self.urgency = min(self.urgency, urgency)
        self.latest = max(self.latest, (sent, number, row), key=lambda item: item[:2])
        self.earliest = min(self.earliest, sent)
        self.lapsed = self.lapsed or _lapsed(row, sent)


def _lapsed(row: dict[str, object], sent: dt.datetime) -> bool:
    return dt.date.fromisoformat(str(row["valid_until"])) < sent.date()


def _migrate(
    rows: list[tuple[int, dict[str, object]]], location: str
) -> dict[LifecycleKey, LedgerRecord]:
    """The old format (one line per key and tier sent) as one "migrated" record per key: the
    most urgent tier sent, first and last sending dates, lapsed if it was sent lapsed once."""
    keys: dict[LifecycleKey, _Migrated] = {}
    for number, row in rows:
        try:
            key = _v1_key(row)
            urgency = _URGENCY[str(row["tier"])]
            sent = _timestamp(row["sent_at"])
            lapsed = _lapsed(row, sent)
        except (KeyError, TypeError, ValueError) as exc:
            raise _not_a_record(location, number, f"old format: {exc!r}") from exc
        if key in keys:
            keys[key].add(urgency, sent, number, row)
        else:
            keys[key] = _Migrated(urgency, (sent, number, row), sent, lapsed)
    tiers = {urgency: tier for tier, urgency in _URGENCY.items()}
    return {key: _migrated_record(key, folded, tiers) for key, folded in keys.items()}


def _v1_key(row: dict[str, object]) -> LifecycleKey:
    facility_id, body, accreditation_id, valid_until = (row[name] for name in _V1_FIELDS[:4])
    if not isinstance(facility_id, str) or not isinstance(valid_until, str):
        raise TypeError("facility_id and valid_until must be strings")
    if not (body is None or isinstance(body, str)) or not (
        accreditation_id is None or isinstance(accreditation_id, str)
    ):
        raise TypeError("accreditation_body and accreditation_id must be strings or null")
    return facility_id, body, accreditation_id, valid_until


def _migrated_record(key: LifecycleKey, folded: _Migrated, tiers: dict[int, str]) -> LedgerRecord:
    sent, _, row = folded.latest
    return LedgerRecord(
        *key,
        event="migrated",
        tier=tiers[folded.urgency],
        lapsed=folded.lapsed,
        sent_on=sent.date().isoformat(),
        first_sent_on=folded.earliest.date().isoformat(),
        sent_at=str(row["sent_at"]),
        message_id=str(row["message_id"]),
        topic=str(row["topic"]),
    )
