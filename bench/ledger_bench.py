#!/usr/bin/env python3
"""Ledger cost on S3 (a local moto server): the snapshot + journal ledger vs the previous one.

Starts `python -m moto.server` on a free 127.0.0.1 port itself (fake credentials, no network).

After: a first send of --alerts alerts recorded the way a real send records them, one
`record()` call per PublishBatch response (--messages-per-batch digests of --alerts-per-message
alerts each), then `compact()`; then a steady-state rerun (load + compact, nothing new), and a
next-day run that records --changes changed alerts in one call and compacts.

Before: the implementation of commit a137459 (one S3 object, rewritten whole by every
`record()` call), loaded from git history into a throwaway module (nothing of it stays in the
repo), at the smaller sizes --before-alerts (it is quadratic), and extrapolated to --alerts.

PutObject body bytes and PUT counts come from a botocore hook on the ledger's own client; wall
times from perf_counter. Prints a table, writes JSON to bench/results/<UTC timestamp>_ledger.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publish_bench import free_port, start_moto

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
REGION = "us-east-1"
BUCKET = "bench-ledger"
BEFORE_COMMIT = "a137459"
TOPIC = "arn:aws:sns:us-east-1:123456789012:accreditation-alerts"
AS_OF = "2025-08-31"


@dataclass
class Puts:
    """PutObject calls seen by a client: count and body bytes, lock leases apart."""

    count: int = 0
    bytes: int = 0
    lock_count: int = 0
    lock_bytes: int = 0
    largest: int = 0

    def hook(self, request: Any, **_: Any) -> None:
        size = int(request.headers.get("Content-Length", 0))
        if request.url.split("?")[0].endswith(".lock"):
            self.lock_count += 1
            self.lock_bytes += size
        else:
            self.count += 1
            self.bytes += size
            self.largest = max(self.largest, size)


@dataclass
class Phase:
    name: str
    alerts: int
    record_calls: int
    seconds: float
    puts: Puts = field(default_factory=Puts)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "phase": self.name,
            "alerts": self.alerts,
            "record_calls": self.record_calls,
            "seconds": round(self.seconds, 3),
            "puts": self.puts.count,
            "put_bytes": self.puts.bytes,
            "largest_put_bytes": self.puts.largest,
            "lock_puts": self.puts.lock_count,
            "lock_put_bytes": self.puts.lock_bytes,
            **self.extra,
        }


def s3_client(puts: Puts) -> Any:
    from notifier.aws import s3_client as notifier_s3_client

    client = notifier_s3_client()  # the retry policy the notifier uses
    client.meta.events.register("before-send.s3.PutObject", puts.hook)
    return client


def batches(count: int, per_batch: int) -> Iterator[range]:
    for start in range(0, count, per_batch):
        yield range(start, min(start + per_batch, count))


def new_records(indices: range, per_message: int, event: str = "new") -> list[Any]:
    """Records as a digest send makes them: one message id per --alerts-per-message alerts."""
    from notifier.ledger import LedgerRecord

    sent_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    message_ids: dict[int, str] = {}
    records = []
    for i in indices:
        message_id = message_ids.setdefault(i // per_message, str(uuid.uuid4()))
        days = i % 91 - 10
        tier = "critical" if days <= 30 else "high" if days <= 60 else "medium"
        records.append(
            LedgerRecord(
                f"FAC{i:07}",
                "Joint Commission",
                f"JC{i}",
                "2025-10-01",
                event,
                tier,
                days < 0,
                AS_OF,
                AS_OF,
                sent_at,
                message_id,
                TOPIC,
                facility_name=f"Facility {i}",
                state="TX",
                days_until_expiry=days,
            )
        )
    return records


def send(
    name: str, key: str, prepared: list[list[Any]], today: dt.date, **ledger_options: Any
) -> Phase:
    """One send as the notifier does it: lock, load, record per PublishBatch, compact."""
    from notifier.ledger import Ledger
    from notifier.ledger_store import S3Store

    phase = Phase(name, sum(map(len, prepared)), len(prepared), 0.0)
    ledger = Ledger(S3Store(s3_client(phase.puts), BUCKET, key), **ledger_options)
    started = time.perf_counter()
    with ledger.lock(timeout=60):
        open_alerts = len(ledger.load())
        loaded = time.perf_counter()
        for records in prepared:
            ledger.record(records)
        recorded = time.perf_counter()
        record_bytes = phase.puts.bytes
        stats = ledger.compact(today)
    phase.seconds = time.perf_counter() - started
    phase.extra = {
        "open_alerts_loaded": open_alerts,
        "load_seconds": round(loaded - started, 3),
        "record_seconds": round(recorded - loaded, 3),
        "record_put_bytes": record_bytes,
        "compact_seconds": round(phase.seconds - (recorded - started), 3),
        "compaction": vars(stats),
    }
    return phase


def run_after(args: argparse.Namespace, key: str) -> list[Phase]:
    per_batch = args.messages_per_batch * args.alerts_per_message
    today = dt.date.fromisoformat(AS_OF)
    # Built before the clock starts: the bench times the ledger, not making the records.
    prepared = [new_records(r, args.alerts_per_message) for r in batches(args.alerts, per_batch)]
    first = send("after: first send", key, prepared, today)
    del prepared
    steady = send("after: steady-state rerun", key, [], today)
    changes = [new_records(range(args.changes), args.alerts_per_message, "reminder")]
    tomorrow = today + dt.timedelta(days=1)
    next_day = send("after: next day, changes", key, changes, tomorrow)
    # The fold a journal that reached FOLD_RATIO triggers: what every run with a change would
    # cost if compaction always folded.
    changes = [new_records(range(args.changes), args.alerts_per_message, "escalated")]
    folded = send("after: next day, forced fold", key, changes, tomorrow, fold_ratio=0.0)
    return [first, steady, next_day, folded]


def old_ledger_module() -> types.ModuleType:
    """notifier/ledger.py of BEFORE_COMMIT, with the tiers module of that commit (the current
    one no longer has what it imports), as modules that exist only in this process."""

    def load(path: str, name: str, rename: tuple[str, str] | None = None) -> types.ModuleType:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BEFORE_COMMIT}:{path}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        if rename is not None:
            source = source.replace(*rename)
        module = types.ModuleType(name)
        module.__file__ = f"{BEFORE_COMMIT}:{path}"
        sys.modules[name] = module  # dataclasses look their module up while decorating
        exec(compile(source, module.__file__, "exec"), module.__dict__)
        return module

    load("notifier/tiers.py", "_bench_old_tiers")
    return load(
        "notifier/ledger.py",
        "_bench_old_ledger",
        ("from notifier.tiers import", "from _bench_old_tiers import"),
    )


def run_before(args: argparse.Namespace, count: int, key: str) -> Phase:
    old = old_ledger_module()
    tiers = sys.modules["_bench_old_tiers"]
    per_batch = args.messages_per_batch * args.alerts_per_message
    sent_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    prepared = []
    for indices in batches(count, per_batch):
        entries = []
        for i in indices:
            days = i % 91 - 10
            tier = tiers.Tier.CRITICAL if days <= 30 else tiers.Tier.HIGH
            alert = tiers.Alert(
                f"FAC{i:07}", f"Facility {i}", "TX", "Joint Commission", f"JC{i}",
                "2025-10-01", AS_OF, days, tier,
            )  # fmt: skip
            message_id = f"m-{i // args.alerts_per_message}"
            entries.append(old.LedgerEntry(alert, message_id, TOPIC, sent_at))
        prepared.append(entries)
    phase = Phase(f"before: first send ({BEFORE_COMMIT})", count, len(prepared), 0.0)
    ledger = old.S3Ledger(s3_client(phase.puts), BUCKET, key)
    started = time.perf_counter()
    with ledger.lock(timeout=60):
        ledger.load()
        for entries in prepared:
            ledger.record(entries)
    phase.seconds = time.perf_counter() - started
    phase.extra = {"object_bytes": len(ledger._content)}
    return phase


def extrapolate(measured: list[Phase], alerts: int, per_batch: int, changes: int) -> dict[str, Any]:
    """The old ledger's cost at `alerts`: every record() call uploads the whole object so far.

    Bytes: exact for the old format, from the measured bytes per line. Time: a line through
    the two largest measured points, seconds against bytes uploaded (the upload dominates).
    """
    largest = max(measured, key=lambda phase: phase.alerts)
    line_bytes = largest.extra["object_bytes"] / largest.alerts
    calls = -(-alerts // per_batch)
    uploaded = sum(min(k * per_batch, alerts) for k in range(1, calls + 1)) * line_bytes
    a, b = sorted(measured, key=lambda phase: phase.alerts)[-2:]
    slope = (b.seconds - a.seconds) / (b.puts.bytes - a.puts.bytes)
    seconds = b.seconds + slope * (uploaded - b.puts.bytes)
    return {
        "label": f"EXTRAPOLATED, not measured: {BEFORE_COMMIT} at {alerts:,} alerts",
        "alerts": alerts,
        "record_calls": calls,
        "line_bytes": round(line_bytes, 1),
        "put_bytes": round(uploaded),
        "puts": calls,
        "seconds": round(seconds, 1),
        # A next-day run that records `changes` alerts in one call rewrites the whole object.
        "next_day_put_bytes": round((alerts + changes) * line_bytes),
        "method": "bytes: sum over calls of (records so far x bytes per line); seconds: linear "
        f"in bytes through the {a.alerts:,} and {b.alerts:,} runs",
    }


def table(phases: list[Phase], extrapolated: dict[str, Any] | None) -> str:
    rows = [
        f"{'phase':<40} {'recorded':>10} {'calls':>6} {'PUTs':>6} {'PUT bytes':>15} {'seconds':>9}"
    ]
    for p in phases:
        rows.append(
            f"{p.name:<40} {p.alerts:>10,} {p.record_calls:>6} {p.puts.count:>6} "
            f"{p.puts.bytes:>15,} {p.seconds:>9.2f}"
        )
    if extrapolated:
        e = extrapolated
        rows.append(
            f"{'before, EXTRAPOLATED (not measured)':<40} {e['alerts']:>10,} "
            f"{e['record_calls']:>6} {e['puts']:>6} {e['put_bytes']:>15,} {e['seconds']:>9.1f}"
        )
        rows.append(
            f"{'before, next day, EXTRAPOLATED':<40} {'':>10} {1:>6} {1:>6} "
            f"{e['next_day_put_bytes']:>15,} {'':>9}"
        )
    rows.append("(PUTs and bytes leave out the lock's lease objects, ~100 bytes each)")
    return "\n".join(rows)


def run(args: argparse.Namespace) -> dict[str, Any]:
    import boto3

    boto3.client("s3").create_bucket(Bucket=BUCKET)
    phases = run_after(args, "after/ledger.json")
    before = [run_before(args, n, f"before-{n}/ledger.json") for n in args.before_alerts]
    per_batch = args.messages_per_batch * args.alerts_per_message
    extrapolated = (
        extrapolate(before, args.alerts, per_batch, args.changes) if len(before) >= 2 else None
    )
    return {
        "phases": [phase.as_json() for phase in phases + before],
        "before_extrapolated": extrapolated,
        "parameters": {
            "alerts": args.alerts,
            "messages_per_batch": args.messages_per_batch,
            "alerts_per_message": args.alerts_per_message,
            "records_per_call": per_batch,
            "changes": args.changes,
            "before_alerts": args.before_alerts,
            "before_commit": BEFORE_COMMIT,
        },
        "table": table(phases + before, extrapolated),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alerts", type=int, default=1_000_000, help="alerts of the first send")
    ap.add_argument("--messages-per-batch", type=int, default=10, help="digests per PublishBatch")
    ap.add_argument("--alerts-per-message", type=int, default=1200, help="alerts per digest")
    ap.add_argument("--changes", type=int, default=100, help="alerts changed on the next day")
    ap.add_argument(
        "--before-alerts",
        type=lambda text: [int(n) for n in text.split(",") if n],
        default=[50_000, 100_000],
        help="sizes for the previous implementation, comma-separated ('' to skip it)",
    )
    ap.add_argument("--results-dir", type=Path, default=BENCH / "results")
    args = ap.parse_args(argv)

    port = free_port()
    # Fake credentials for the local emulator only; AWS_ENDPOINT_URL sends every call there.
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
    )
    os.environ.pop("AWS_PROFILE", None)
    sys.path.insert(0, str(ROOT))
    load = os.getloadavg()[0]
    server = start_moto(port)
    try:
        result = run(args)
    finally:
        stop(server)
    result["load_1min_at_start"] = load
    result["load_1min_at_end"] = os.getloadavg()[0]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    result["timestamp"] = stamp
    print(result["table"])
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"{stamp}_ledger.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
