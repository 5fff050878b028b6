#!/usr/bin/env python3
"""Generate synthetic facility accreditation records as NDJSON (docs/contract.md's input).

Output is deterministic: the same arguments give byte-identical output, whatever `--jobs` and
`--files` are (the concatenation of the `--files` parts in name order equals the single-file
output). Every facility_id FAC<n> for n in 1..count appears as a kept facility, so the marts hold
exactly `count` facilities; deliberately bad lines (`--defect-rate`) are extra lines, except the
two accreditation-entry defects, which alter one facility's line.

Speed matters (the benchmark wants 1M facilities, ~500 MB): lines are built by string formatting
from pre-escaped pools, not `json.dumps` per record (about 11 s for 1M facilities, 576 MB, on
the 2-vCPU dev box). Blocks of 10,000 facilities each have their own seed, so the output does not
depend on `--jobs` (worker processes help only where cores are really parallel) or `--files`.

`--stats FILE` writes what a correct reader must find: facilities, non-blank lines, rejected
records per reason, rejected accreditation entries.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import math
import multiprocessing as mp
import random
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# Line-level defects become rows of `rejected_records`; the two entry-level ones alter a kept
# facility (its bad entry goes to `rejected_accreditations`); blank lines are skipped entirely.
DEFECT_KINDS: tuple[str, ...] = (
    "truncated_json",
    "free_text",
    "json_array",
    "json_string",
    "missing_facility_id",
    "empty_facility_id",
    "numeric_facility_id",
    "duplicate_facility_id",
    "accreditation_not_object",
    "invalid_valid_until",
    "blank_line",
)
ENTRY_DEFECTS = frozenset({"accreditation_not_object", "invalid_valid_until"})
REJECT_REASON: dict[str, str] = {
    "truncated_json": "invalid_json",
    "free_text": "invalid_json",
    "json_array": "not_an_object",
    "json_string": "not_an_object",
    "missing_facility_id": "missing_facility_id",
    "empty_facility_id": "missing_facility_id",
    "numeric_facility_id": "missing_facility_id",
    "duplicate_facility_id": "duplicate_superseded",
}
# Below this many facilities the defect count is just round(count * rate); from here on every
# kind is forced to appear at least once so small test files still cover every code path.
MIN_COUNT_FOR_ALL_KINDS = 200
BLOCK_SIZE = 10_000

# Offsets (days from as-of) that valid_until may take; the dense window makes every notifier tier
# (critical <= 30 incl. expired, high 31-60, medium 61-90) well populated.
SPREAD_LO, SPREAD_HI = -400, 900
DENSE_LO, DENSE_HI = -30, 90
DENSE_SHARE = 0.3
DATE_PAD = 1200  # renewals reach this far beyond the spread

BODIES: tuple[tuple[str, str], ...] = (
    ("Joint Commission", "JC"),
    ("NCQA", "NCQA"),
    ("DNV", "DNV"),
    ("CARF", "CARF"),
    ("AAAHC", "AAAHC"),
    ("CMS", "CMS"),
    ("ACHC", "ACHC"),
    ("CHAP", "CHAP"),
    ("HFAP", "HFAP"),
    ("COLA", "COLA"),
)
NULL_BODY_SHARE = 0.02
# Cumulative distribution of the number of accreditation entries (0..4) per facility.
ENTRY_COUNT_CDF = (0.10, 0.45, 0.75, 0.90, 1.0)
RENEWED_SHARE = 0.10

STATES = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY",
)  # fmt: skip
# Populous states weigh more so the state mart looks like real data.
HEAVY_STATES = ("CA", "TX", "FL", "NY", "PA", "IL", "OH", "GA", "NC", "MI")
TERRITORIES = ("PR", "GU", "VI", "AS", "MP")

CITY_STEMS = (
    "Spring", "Green", "Lake", "River", "Oak", "Maple", "Cedar", "Pine", "Fair", "Clear",
    "Ash", "Elm", "Rose", "Glen", "Brook", "Stone", "Mill", "West", "North", "East",
)  # fmt: skip
CITY_SUFFIXES = ("field", "ville", "ton", "wood", " Valley", " Springs", " Falls", "dale", " City")
EXTRA_CITIES = ("San Juan", "Hagåtha", "Coeur d'Alene", "Española", "Añasco", "O'Fallon")
STREETS = (
    "Main St", "Elm St", "Oak Ave", "Lake Rd", "Park Blvd", "Church St", "Maple Dr", "Hill Rd",
    "Washington Ave", "Sunset Blvd", "Calle Sol", "Avenida Ponce de León", "King's Hwy",
)  # fmt: skip
NAME_STEMS = (
    "City", "Green Valley", "Lakeside", "Riverside", "Mercy", "Saint Mary's", "St. Luke's",
    "Good Samaritan", "Providence", "Hope", "Sunrise", "Pinecrest", "Harborview", "Mountain View",
    "Children's", "Veterans'", "Cedar Ridge", "Northside", "Bayfront", "Summit", "Clearwater",
    "Oakwood", "Fairview", "Memorial", "University", "Regional", "Community", "Heritage",
)  # fmt: skip
NAME_KINDS = (
    "Hospital", "Medical Center", "Clinic", "Health Center", "Surgical Center",
    "Rehabilitation Institute", "Behavioral Health", "Urgent Care", "Imaging Center",
    "Family Practice", "Cancer Center", "Dialysis Center",
)  # fmt: skip
# Hand-picked names exercise non-ASCII, apostrophes, quotes and a backslash in JSON escaping.
SPECIAL_NAMES = (
    "Clínica São José",
    "Hôpital Sainte-Anne",
    "Centro Médico Añasco",
    "Clínica Nuestra Señora de la Salud",
    "Zürich Care Clinic",
    "Ōkubo Family Clinic",
    "O'Brien & Sons Health",
    'The "Good Health" Clinic',
    "Dr. Müller's Praxis",
    "Back\\Slash Diagnostics",
    "Straße Medical Group",
    "Kraków Wellness Center",
)
SERVICES = (
    "Emergency Care", "Maternity", "Surgery", "Radiology", "Laboratory", "Primary Care",
    "Pediatrics", "Orthopedics", "Cardiology", "Oncology", "Neurology", "Dermatology",
    "Psychiatry", "Physical Therapy", "Dialysis", "Urgent Care", "Telehealth", "Geriatrics",
)  # fmt: skip
LAB_NAMES = (
    "Hematology Lab", "Microbiology Lab", "Clinical Chemistry Lab", "Pathology Lab",
    "Molecular Diagnostics Lab", "Blood Bank",
)  # fmt: skip
LAB_CERTS = (("CLIA",), ("CAP",), ("CLIA", "CAP"), ("CLIA", "COLA"), ())
FREE_TEXT = (
    "ERROR: export interrupted, resuming",
    "facility_id,facility_name,state",
    "-- end of batch --",
    "<html><body>502 Bad Gateway</body></html>",
    "N/A",
)
BAD_DATES = ("2025-02-30", "31/12/2025", "", "2025-13-01", "2025-6-1", "next year")


_HEADS = tuple(f'{{"accreditation_body": "{b}", "accreditation_id": "{p}' for b, p in BODIES)
_STEPS = tuple(k for k in range(1, len(BODIES)) if math.gcd(k, len(BODIES)) == 1)
_NULL_HEAD = '{"accreditation_body": null, "accreditation_id": "ACR'


def _js(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Pools:
    """Pre-rendered JSON fragments; a record is a handful of picks from these."""

    names: list[str]
    locations: list[str]
    services: list[str]
    labs: list[str]
    dates: list[str]  # dates[offset + date_base] = as_of + offset days
    date_base: int


def build_pools(as_of: dt.date) -> Pools:
    # A fixed seed: the pools are part of the format, not of the per-run randomness.
    rng = random.Random(20250101)
    names = [_js(f"{s} {k}") for s in NAME_STEMS for k in NAME_KINDS]
    names += [_js(n) for n in SPECIAL_NAMES] * 4

    cities = [s + x for s in CITY_STEMS for x in CITY_SUFFIXES] + list(EXTRA_CITIES)
    locations: list[str] = []
    for i in range(6000):
        r = rng.random()
        if r < 0.01:
            state = rng.choice(TERRITORIES)
        elif r < 0.02:
            # Raw feeds send sloppy codes; the reading rule is upper + trim.
            state = rng.choice((" tx ", "ca", " Ny", "fl ", "wa"))
        elif r < 0.025:
            state = ""
        elif r < 0.45:
            state = rng.choice(HEAVY_STATES)
        else:
            state = rng.choice(STATES)
        addr = _js(f"{rng.randint(1, 9999)} {rng.choice(STREETS)}")
        city = _js(rng.choice(cities))
        zip_code = f"{rng.randint(501, 99950):05d}"
        if i % 500 == 7:
            # No state key at all.
            locations.append(
                f'"location": {{"address": {addr}, "city": {city}, "zip": "{zip_code}"}}, '
            )
        else:
            locations.append(
                f'"location": {{"address": {addr}, "city": {city}, "state": {_js(state)}, '
                f'"zip": "{zip_code}"}}, '
            )
    locations.append("")  # index -1: no location key at all
    services: list[str] = []
    for i in range(3000):
        picked = rng.sample(SERVICES, rng.randint(0, 7))
        if i % 300 == 11:
            services.append('"services": null, ')
        elif i % 300 == 23:
            services.append(f'"services": {_js(picked[0] if picked else "Surgery")}, ')
        elif i % 300 == 37:
            services.append(f'"services": {_js([*picked, 42, None, {"name": "Dialysis"}])}, ')
        elif i % 300 == 41:
            services.append("")  # key missing
        else:
            services.append(f'"services": {_js(picked)}, ')
    labs: list[str] = []
    for _ in range(500):
        entries = [
            {"lab_name": name, "certifications": list(rng.choice(LAB_CERTS))}
            for name in rng.sample(LAB_NAMES, rng.randint(0, 3))
        ]
        labs.append(f'"labs": {_js(entries)}')
    lo, hi = SPREAD_LO - DATE_PAD, SPREAD_HI + DATE_PAD
    dates = [(as_of + dt.timedelta(days=d)).isoformat() for d in range(lo, hi + 1)]
    return Pools(names, locations, services, labs, dates, -lo)


@dataclass(frozen=True)
class Plan:
    count: int
    seed: str
    as_of: dt.date
    id_width: int
    defects: list[tuple[int, str]]  # (facility index the defect follows/alters, kind), sorted


def plan_defects(count: int, rate: float, seed: str, kinds: Sequence[str]) -> list[tuple[int, str]]:
    if count <= 0 or rate <= 0 or not kinds:
        return []
    n = round(count * min(rate, 1.0))
    if count >= MIN_COUNT_FOR_ALL_KINDS:
        n = max(n, len(kinds))
    n = min(n, count)
    if n == 0:
        return []
    order = list(kinds)
    random.Random(f"{seed}:kinds").shuffle(order)
    # Evenly spaced positions, distinct because n <= count; kinds round-robin so each appears.
    return [(int((j + 0.5) * count / n), order[j % len(order)]) for j in range(n)]


# 100 slots so a single random() picks the number of entries.
_ENTRY_COUNTS = tuple(
    next(n for n, p in enumerate(ENTRY_COUNT_CDF) if slot < round(p * 100)) for slot in range(100)
)


class BlockWriter:
    """Renders facilities [start, end) of one block from the block's own RNG."""

    def __init__(self, pools: Pools, plan: Plan, block: int) -> None:
        self.p = pools
        self.plan = plan
        self.rng = random.Random(f"{plan.seed}:block:{block}")
        self.stats: Counter[str] = Counter()
        self.id_format = f"FAC%0{plan.id_width}d"

    def fid(self, index: int) -> str:
        return self.id_format % (index + 1)

    def accreditations(self, index: int, bad: str | None, stats: Counter[str]) -> str:
        r = self.rng.random
        dates, base = self.p.dates, self.p.date_base
        n = _ENTRY_COUNTS[int(r() * 100)]
        if bad is not None and n == 0:
            n = 1
        nb = len(BODIES)
        first = int(r() * nb)
        # Steps coprime with len(BODIES) walk distinct bodies, so the only same-body pairs are
        # the deliberate renewals below.
        step = _STEPS[int(r() * len(_STEPS))]
        entries: list[str] = []
        num = index + 1
        dense_w, spread_w = DENSE_HI - DENSE_LO + 1, SPREAD_HI - SPREAD_LO + 1
        for k in range(n):
            head = _NULL_HEAD if r() < NULL_BODY_SHARE else _HEADS[(first + k * step) % nb]
            if r() < DENSE_SHARE:
                off = DENSE_LO + int(r() * dense_w)
            else:
                off = SPREAD_LO + int(r() * spread_w)
            entries.append(f'{head}{num}{k}", "valid_until": "{dates[off + base]}"}}')
        if n and r() < RENEWED_SHARE:
            # Renewal: same body and a later date than the entry it replaces; never a tie, so
            # the "current entry per (facility, body)" rule has exactly one answer.
            head = _HEADS[first % nb]
            old = DENSE_LO + int(r() * dense_w)
            new = old + 180 + int(r() * 900)
            entries[0] = f'{head}{num}0", "valid_until": "{dates[new + base]}"}}'
            entries.append(f'{head}{num}R", "valid_until": "{dates[old + base]}"}}')
            stats["renewed_facilities"] += 1
        if bad == "accreditation_not_object":
            junk = ("null", '"JC1001"', "42", '["NCQA", "2026-01-01"]', "true")
            entries.insert(int(r() * (len(entries) + 1)), junk[int(r() * len(junk))])
        elif bad == "invalid_valid_until":
            d = BAD_DATES[int(r() * len(BAD_DATES))]
            entries.insert(
                int(r() * (len(entries) + 1)),
                f'{{"accreditation_body": "DNV", "accreditation_id": "DNVX{num}", '
                f'"valid_until": "{d}"}}',
            )
        return ", ".join(entries)

    def body(
        self, index: int, name: int, loc: int, stats: Counter[str], bad: str | None = None
    ) -> str:
        """Every field after facility_id, as `"k": v, ...` without braces."""
        r = self.rng.random
        p = self.p
        x = r()
        if x < 0.004:
            emp = '"unknown"'
        elif x < 0.006:
            emp = "null"
        else:
            emp = str(5 + int(r() * r() * 3000))
        svc = p.services[int(r() * len(p.services))]
        labs = p.labs[int(r() * len(p.labs))]
        acc = self.accreditations(index, bad, stats)
        return (
            f'"facility_name": {p.names[name]}, {p.locations[loc]}"employee_count": {emp}, '
            f'{svc}{labs}, "accreditations": [{acc}]'
        )

    def pick_name_loc(self) -> tuple[int, int]:
        r = self.rng.random
        name = int(r() * len(self.p.names))
        # About 0.3% of facilities come without a location object (the pool's last entry).
        loc = -1 if r() < 0.003 else int(r() * (len(self.p.locations) - 1))
        return name, loc

    def render(self, start: int, end: int, defects: list[tuple[int, str]], lo: int, hi: int) -> str:
        """Render the whole block [start, end) so the RNG stream never depends on the part
        boundaries, but keep only lines of facilities [lo, hi) (a defect line goes with the
        facility it follows)."""
        out: list[str] = []
        keep: list[str] = []
        r = self.rng.random
        fid = self.fid
        plan_by_pos = dict(defects)
        seen: list[tuple[int, int]] = []  # (name, loc) of facilities in this block
        altered: set[int] = set()
        for i in range(start, end):
            if lo <= i < hi:
                keep = out
                stats = self.stats
            else:
                keep = []
                stats = Counter()
            ap = keep.append
            name, loc = self.pick_name_loc()
            seen.append((name, loc))
            kind = plan_by_pos.get(i)
            if kind in ENTRY_DEFECTS:
                altered.add(i)
                ap(f'{{"facility_id": "{fid(i)}", {self.body(i, name, loc, stats, kind)}}}')
                stats[kind] += 1
                stats["rejected_accreditations"] += 1
                continue
            ap(f'{{"facility_id": "{fid(i)}", {self.body(i, name, loc, stats)}}}')
            if kind is None:
                continue
            stats[kind] += 1
            if kind == "duplicate_facility_id":
                # Re-send an earlier facility of this block with changed fields; prefer one
                # whose line is plain so expected rejected_accreditations stay exact.
                j = start + int(r() * (i - start + 1))
                for _ in range(8):
                    if j not in altered:
                        break
                    j = start + int(r() * (i - start + 1))
                if j in altered:
                    altered.discard(j)
                    stats["rejected_accreditations"] -= 1
                jn, jl = seen[j - start]
                ap(f'{{"facility_id": "{fid(j)}", {self.body(j, jn, jl, stats)}}}')
            elif kind == "truncated_json":
                line = f'{{"facility_id": "{fid(i)}", {self.body(i, name, loc, stats)}}}'
                ap(line[: 10 + int(r() * (len(line) - 20))])
            elif kind == "free_text":
                ap(FREE_TEXT[int(r() * len(FREE_TEXT))])
            elif kind == "json_array":
                ap(f'[{{"facility_id": "{fid(i)}"}}, 1, "two"]' if r() < 0.5 else "[]")
            elif kind == "json_string":
                ap(f'"{fid(i)}"')
            elif kind == "missing_facility_id":
                ap(f"{{{self.body(i, name, loc, stats)}}}")
            elif kind == "empty_facility_id":
                blank = ("", "   ", " ")[int(r() * 3)]
                ap(f'{{"facility_id": "{blank}", {self.body(i, name, loc, stats)}}}')
            elif kind == "numeric_facility_id":
                ap(f'{{"facility_id": {i + 1}, {self.body(i, name, loc, stats)}}}')
            elif kind == "blank_line":
                ap(("", "   ", " ")[int(r() * 3)])
        out.append("")  # trailing newline after the last line
        return "\n".join(out)


Task = tuple[Plan, int, int, int]  # plan, block index, lo, hi


def _render_block(task: Task) -> tuple[str, Counter[str]]:
    plan, block, lo, hi = task
    start, end = block * BLOCK_SIZE, min(plan.count, (block + 1) * BLOCK_SIZE)
    # plan.defects is sorted by position; bisect keeps 10M facilities (1,000 blocks) cheap.
    defects = plan.defects[
        bisect.bisect_left(plan.defects, (start, "")) : bisect.bisect_left(plan.defects, (end, ""))
    ]
    writer = BlockWriter(_pools(plan.as_of), plan, block)
    text = writer.render(start, end, defects, lo, hi)
    return text, writer.stats


_POOL_CACHE: dict[dt.date, Pools] = {}


def _pools(as_of: dt.date) -> Pools:
    if as_of not in _POOL_CACHE:
        _POOL_CACHE[as_of] = build_pools(as_of)
    return _POOL_CACHE[as_of]


def make_plan(
    count: int, seed: str, as_of: dt.date, defect_rate: float, kinds: Sequence[str]
) -> Plan:
    width = max(7, len(str(count)))
    return Plan(count, seed, as_of, width, plan_defects(count, defect_rate, seed, kinds))


def block_tasks(plan: Plan, lo: int, hi: int) -> list[Task]:
    """Tasks covering facilities [lo, hi). Blocks are aligned to BLOCK_SIZE globally and each
    has its own RNG, so part files split the same stream the single file holds."""
    tasks: list[Task] = []
    b = lo // BLOCK_SIZE
    while b * BLOCK_SIZE < hi:
        tasks.append((plan, b, max(lo, b * BLOCK_SIZE), min(hi, (b + 1) * BLOCK_SIZE)))
        b += 1
    return tasks


def generate(plan: Plan, parts: list[tuple[IO[bytes], int, int]], jobs: int) -> Counter[str]:
    """Write facilities [lo, hi) of `plan` to each (stream, lo, hi)."""
    stats: Counter[str] = Counter()
    work: list[tuple[IO[bytes], Task]] = []
    for stream, lo, hi in parts:
        work += [(stream, t) for t in block_tasks(plan, lo, hi)]
    results: Iterator[tuple[str, Counter[str]]]
    pool = None
    if jobs > 1 and len(work) > 1:
        pool = mp.get_context("fork").Pool(jobs)
        results = pool.imap(_render_block, [t for _, t in work], chunksize=1)
    else:
        results = map(_render_block, [t for _, t in work])
    try:
        for (stream, _), (text, st) in zip(work, results, strict=True):
            stream.write(text.encode("utf-8"))
            stats.update(st)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return stats


def summarize(plan: Plan, stats: Counter[str]) -> dict[str, object]:
    defects = {k: stats.get(k, 0) for k in DEFECT_KINDS}
    rejected: Counter[str] = Counter()
    for kind, reason in REJECT_REASON.items():
        rejected[reason] += defects[kind]
    extra = sum(v for k, v in defects.items() if k not in ENTRY_DEFECTS and k != "blank_line")
    return {
        "count": plan.count,
        "seed": plan.seed,
        "as_of": plan.as_of.isoformat(),
        "facilities": plan.count,
        "non_blank_lines": plan.count + extra,
        "blank_lines": defects["blank_line"],
        "rejected_records": sum(rejected.values()),
        "rejected_by_reason": dict(sorted(rejected.items())),
        "rejected_accreditations": stats.get("rejected_accreditations", 0),
        "renewed_facilities": stats.get("renewed_facilities", 0),
        "defects": defects,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--count", type=int, default=1000, help="number of facilities (default 1000)")
    ap.add_argument("--seed", default="1", help="RNG seed; same arguments -> same bytes")
    ap.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="date the valid_until values are spread around, YYYY-MM-DD (default: today, UTC)",
    )
    ap.add_argument(
        "--output", default="-", help="output file, '-' for stdout; a directory with --files"
    )
    ap.add_argument(
        "--files", type=int, default=0, help="split into K files part-00001.ndjson... in --output"
    )
    ap.add_argument(
        "--defect-rate",
        type=float,
        default=0.01,
        help="bad lines per facility (default 0.01); from 200 facilities every kind appears",
    )
    ap.add_argument(
        "--defect-kinds",
        default="all",
        help=f"comma-separated subset of: {', '.join(DEFECT_KINDS)} (default all)",
    )
    ap.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="worker processes (default 1: this 2-vCPU box gains nothing from more)",
    )
    ap.add_argument("--stats", default=None, help="write expected counts as JSON to this file")
    args = ap.parse_args(argv)
    if args.count < 0:
        ap.error("--count must be >= 0")
    if not 0 <= args.defect_rate <= 1:
        ap.error("--defect-rate must be within [0, 1]")
    if args.defect_kinds == "all":
        args.kinds = list(DEFECT_KINDS)
    else:
        args.kinds = [k.strip() for k in args.defect_kinds.split(",") if k.strip()]
        unknown = sorted(set(args.kinds) - set(DEFECT_KINDS))
        if unknown:
            ap.error(f"unknown defect kinds: {', '.join(unknown)}")
    if args.files and args.output == "-":
        ap.error("--files needs --output DIR")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    as_of = args.as_of or dt.datetime.now(dt.UTC).date()
    plan = make_plan(args.count, str(args.seed), as_of, args.defect_rate, args.kinds)
    if args.files:
        out_dir = Path(args.output)
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("part-*.ndjson"):
            old.unlink()
        k = args.files
        bounds = [plan.count * i // k for i in range(k + 1)]
        streams = [open(out_dir / f"part-{i + 1:05d}.ndjson", "wb") for i in range(k)]  # noqa: SIM115
        try:
            stats = generate(
                plan, [(streams[i], bounds[i], bounds[i + 1]) for i in range(k)], args.jobs
            )
        finally:
            for s in streams:
                s.close()
    elif args.output == "-":
        stats = generate(plan, [(sys.stdout.buffer, 0, plan.count)], args.jobs)
        sys.stdout.buffer.flush()
    else:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as fh:
            stats = generate(plan, [(fh, 0, plan.count)], args.jobs)
    if args.stats:
        Path(args.stats).write_text(json.dumps(summarize(plan, stats), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
