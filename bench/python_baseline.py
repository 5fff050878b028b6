#!/usr/bin/env python3
"""Pure-Python baseline in the style of the original pipeline: `json.loads` per line and a
`datetime` per accreditation, computing the three latest marts.

Unlike the typed DuckDB baseline this one follows every reading rule of docs/contract.md (it
sees each line, so bad lines are simply skipped), which makes it the reference the others must
agree with. It keeps only the fields the marts need per facility, so 1M facilities stay well
under 1 GB.

Writes facility_summary_v2.csv, expiring_accreditations_v2.csv and
accredited_facilities_by_state_v2.csv into --output (NULL written as \\N, see bench/compare.py).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import glob
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

NULL = "\\N"
# [0-9], not \d: \d also matches other Unicode digits, which the contract does not allow.
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Entry(NamedTuple):
    body: str | None
    accreditation_id: str | None
    valid_until: dt.date


class Facility(NamedTuple):
    name: str | None
    employee_count: int | None
    services: int
    state: str | None
    entries: list[Entry]


def parse_date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        return None
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None


def as_text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def to_facility(rec: dict[str, Any]) -> Facility:
    emp = rec.get("employee_count")
    # bool is an int subclass in Python, but JSON true is not an integer.
    employee_count = emp if isinstance(emp, int) and not isinstance(emp, bool) else None
    services = rec.get("services")
    n_services = sum(isinstance(s, str) for s in services) if isinstance(services, list) else 0
    location = rec.get("location")
    raw_state = location.get("state") if isinstance(location, dict) else None
    # The contract's trim is SQL trim (spaces), not Python's strip of all whitespace.
    state = raw_state.strip(" ").upper() or None if isinstance(raw_state, str) else None
    entries: list[Entry] = []
    accs = rec.get("accreditations")
    for acc in accs if isinstance(accs, list) else ():
        if not isinstance(acc, dict):
            continue
        valid_until = parse_date(acc.get("valid_until"))
        if valid_until is not None:
            entries.append(
                Entry(
                    as_text(acc.get("accreditation_body")),
                    as_text(acc.get("accreditation_id")),
                    valid_until,
                )
            )
    return Facility(as_text(rec.get("facility_name")), employee_count, n_services, state, entries)


def read_facilities(pattern: str) -> dict[str, Facility]:
    facilities: dict[str, Facility] = {}
    # Later file wins, then later line: sorted paths, lines in order, plain dict overwrite.
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8-sig", newline=None) as fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if not isinstance(rec, dict):
                    continue
                fid = rec.get("facility_id")
                if not isinstance(fid, str) or not fid.strip(" "):
                    continue
                facilities[fid.strip(" ")] = to_facility(rec)
    return facilities


def six_months_later(d: dt.date) -> dt.date:
    month0 = d.month - 1 + 6
    year, month = d.year + month0 // 12, month0 % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def cell(value: object) -> object:
    return NULL if value is None else value


def write_csv(path: Path, header: list[str], rows: Sequence[tuple[object, ...]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows([tuple(cell(v) for v in row) for row in rows])


def compute(facilities: dict[str, Facility], as_of: dt.date, out_dir: Path) -> None:
    horizon = six_months_later(as_of)
    out_dir.mkdir(parents=True, exist_ok=True)

    summary = []
    for fid, f in facilities.items():
        first = min((e.valid_until for e in f.entries), default=None)
        summary.append((fid, f.name, f.employee_count, f.services, first, f.state, len(f.entries)))
    summary.sort(key=lambda r: (r[4] is None, r[4] or dt.date.min, r[0]))
    write_csv(
        out_dir / "facility_summary_v2.csv",
        [
            "facility_id",
            "facility_name",
            "employee_count",
            "number_of_offered_services",
            "expiry_date_of_first_accreditation",
            "state",
            "accreditation_count",
            "expiry_rank",
        ],
        [(*row, rank) for rank, row in enumerate(summary, start=1)],
    )

    expiring = []
    by_state: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for fid, f in facilities.items():
        counts = by_state[f.state]
        counts[0] += 1
        if f.entries:
            counts[1] += 1
            if max(e.valid_until for e in f.entries) >= as_of:
                counts[2] += 1
        # Exactly one current entry per body: the latest valid_until, on a tie the later entry
        # (entries keep array order); a renewed accreditation is no risk. Null bodies stand alone.
        current: dict[str, int] = {}
        for i, e in enumerate(f.entries):
            if e.body is not None:
                j = current.get(e.body)
                if j is None or e.valid_until >= f.entries[j].valid_until:
                    current[e.body] = i
        for i, e in enumerate(f.entries):
            if e.valid_until > horizon:
                continue
            if e.body is not None and current[e.body] != i:
                continue
            days = (e.valid_until - as_of).days
            expiring.append(
                (
                    fid,
                    f.name,
                    f.state,
                    e.body,
                    e.accreditation_id,
                    e.valid_until,
                    as_of,
                    days,
                    "expired" if days < 0 else "expiring",
                )
            )
    write_csv(
        out_dir / "expiring_accreditations_v2.csv",
        [
            "facility_id",
            "facility_name",
            "state",
            "accreditation_body",
            "accreditation_id",
            "valid_until",
            "as_of_date",
            "days_until_expiry",
            "status",
        ],
        expiring,
    )
    write_csv(
        out_dir / "accredited_facilities_by_state_v2.csv",
        [
            "state",
            "facility_count",
            "accredited_facility_count",
            "currently_accredited_facility_count",
            "as_of_date",
        ],
        [(state, *counts, as_of) for state, counts in by_state.items()],
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True, help="glob of NDJSON files")
    ap.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    ap.add_argument("--output", required=True, type=Path, help="directory for the CSV files")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    compute(read_facilities(args.input), args.as_of, args.output)
    print(f"python baseline: {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
