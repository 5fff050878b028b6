"""Tests for scripts/generate_facilities.py, checked against an independent reading of the
contract's reading rules (docs/contract.md; plain json.loads per line), not against the
generator's own bookkeeping."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "generate_facilities.py"
AS_OF = dt.date(2025, 8, 31)
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_facilities", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_facilities"] = module
    spec.loader.exec_module(module)
    return module


gen = _load()


def generate(tmp_path: Path, *args: str, name: str = "out.ndjson") -> tuple[bytes, dict[str, Any]]:
    out, stats = tmp_path / name, tmp_path / f"{name}.stats.json"
    assert gen.main([*args, "--output", str(out), "--stats", str(stats)]) == 0
    return out.read_bytes(), json.loads(stats.read_text())


def valid_date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def read(data: bytes) -> dict[str, Any]:
    """Classify every line as the contract's reading rules say."""
    rejected: Counter[str] = Counter()
    kept: dict[str, dict[str, Any]] = {}
    blank = 0
    for line in data.decode("utf-8").split("\n")[:-1]:
        if not line.strip():
            blank += 1
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            rejected["invalid_json"] += 1
            continue
        if not isinstance(rec, dict):
            rejected["not_an_object"] += 1
            continue
        fid = rec.get("facility_id")
        if not isinstance(fid, str) or not fid.strip():
            rejected["missing_facility_id"] += 1
            continue
        if fid.strip() in kept:
            rejected["duplicate_superseded"] += 1
        kept[fid.strip()] = rec
    bad_entries = 0
    for rec in kept.values():
        accs = rec.get("accreditations")
        for entry in accs if isinstance(accs, list) else []:
            if not isinstance(entry, dict) or valid_date(entry.get("valid_until")) is None:
                bad_entries += 1
    return {"kept": kept, "rejected": rejected, "blank": blank, "bad_entries": bad_entries}


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a, _ = generate(tmp_path, "--count", "500", "--seed", "3", "--as-of", "2025-08-31", name="a")
    b, _ = generate(tmp_path, "--count", "500", "--seed", "3", "--as-of", "2025-08-31", name="b")
    c, _ = generate(tmp_path, "--count", "500", "--seed", "4", "--as-of", "2025-08-31", name="c")
    assert a == b
    assert a != c


def test_cli_stdout_matches_file_and_parts_concatenate_to_it(tmp_path: Path) -> None:
    args = ["--count", "25000", "--seed", "9", "--as-of", "2025-08-31"]
    whole, _ = generate(tmp_path, *args)
    # stdout through the real CLI, with worker processes: still the same bytes.
    cli = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--output", "-", "--jobs", "2"],
        check=True,
        capture_output=True,
    )
    assert cli.stdout == whole
    parts_dir = tmp_path / "parts"
    assert gen.main([*args, "--files", "3", "--output", str(parts_dir)]) == 0
    parts = sorted(parts_dir.glob("part-*.ndjson"))
    assert [p.name for p in parts] == [f"part-0000{i}.ndjson" for i in (1, 2, 3)]
    assert b"".join(p.read_bytes() for p in parts) == whole


def test_counts_and_every_defect_kind(tmp_path: Path) -> None:
    data, stats = generate(tmp_path, "--count", "2000", "--seed", "7", "--as-of", "2025-08-31")
    seen = read(data)
    assert len(seen["kept"]) == 2000 == stats["facilities"]
    assert set(seen["kept"]) == {f"FAC{n:07d}" for n in range(1, 2001)}
    assert all(stats["defects"][kind] >= 1 for kind in gen.DEFECT_KINDS), stats["defects"]
    # The generator's expectations match an independent reading, reason by reason.
    assert dict(seen["rejected"]) == stats["rejected_by_reason"]
    assert seen["blank"] == stats["blank_lines"]
    assert seen["bad_entries"] == stats["rejected_accreditations"]
    non_blank = len(seen["kept"]) + sum(seen["rejected"].values())
    assert non_blank == stats["non_blank_lines"]
    assert sum(seen["rejected"].values()) / non_blank < 0.02


def test_small_counts_stay_under_rejection_budget(tmp_path: Path) -> None:
    # The dbt build fails above 5% rejected; the forced one-of-each at 200 must stay below.
    data, _ = generate(tmp_path, "--count", "200", "--seed", "1", "--as-of", "2025-08-31")
    seen = read(data)
    total = len(seen["kept"]) + sum(seen["rejected"].values())
    assert sum(seen["rejected"].values()) / total < 0.05


def test_defect_rate_zero_and_kind_subset(tmp_path: Path) -> None:
    clean, stats = generate(tmp_path, "--count", "1000", "--defect-rate", "0", name="clean")
    seen = read(clean)
    assert stats["rejected_records"] == 0 and stats["blank_lines"] == 0
    assert not seen["rejected"] and seen["bad_entries"] == 0 and seen["blank"] == 0
    some, stats = generate(
        tmp_path, "--count", "1000", "--defect-kinds", "duplicate_facility_id", name="dups"
    )
    assert dict(read(some)["rejected"]) == {"duplicate_superseded": 10}
    assert {k for k, v in stats["defects"].items() if v} == {"duplicate_facility_id"}


def test_valid_lines_parse_and_field_variety(tmp_path: Path) -> None:
    data, _ = generate(tmp_path, "--count", "3000", "--seed", "7", "--as-of", "2025-08-31")
    recs = list(read(data)["kept"].values())
    names = {r["facility_name"] for r in recs}
    assert any(not n.isascii() for n in names) and any("'" in n for n in names)
    assert any('"' in n for n in names)
    states = [r.get("location", {}).get("state") for r in recs]
    assert any(s in {"PR", "GU", "VI", "AS", "MP"} for s in states)
    assert any(isinstance(s, str) and s != s.strip().upper() for s in states)
    assert any("location" not in r for r in recs)
    assert any(r["employee_count"] == "unknown" for r in recs)
    assert any(not isinstance(r.get("services"), list) for r in recs)
    assert any(
        isinstance(r.get("services"), list) and any(not isinstance(x, str) for x in r["services"])
        for r in recs
    )
    entries = [e for r in recs for e in r["accreditations"] if isinstance(e, dict)]
    assert any(e["accreditation_body"] is None for e in entries)
    assert sum(len(r["accreditations"]) == 0 for r in recs) > 0
    assert max(len(r["accreditations"]) for r in recs) >= 4
    ids = [e["accreditation_id"] for e in entries]
    assert len(ids) == len(set(ids))


def test_dates_cover_every_tier_with_current_entries(tmp_path: Path) -> None:
    as_of = dt.date(2024, 2, 29)
    data, _ = generate(tmp_path, "--count", "2000", "--seed", "5", "--as-of", as_of.isoformat())
    tiers: Counter[str] = Counter()
    renewed = 0
    offsets: list[int] = []
    for rec in read(data)["kept"].values():
        latest: dict[object, dt.date] = {}
        standalone: list[dt.date] = []
        for e in rec["accreditations"]:
            d = valid_date(e.get("valid_until")) if isinstance(e, dict) else None
            if d is None:
                continue
            offsets.append((d - as_of).days)
            body = e["accreditation_body"]
            if body is None:
                standalone.append(d)
            elif body in latest:
                renewed += 1
                latest[body] = max(latest[body], d)
            else:
                latest[body] = d
        for d in [*latest.values(), *standalone]:
            days = (d - as_of).days
            if days < 0:
                tiers["expired"] += 1
            elif days <= 30:
                tiers["critical"] += 1
            elif days <= 60:
                tiers["high"] += 1
            elif days <= 90:
                tiers["medium"] += 1
    assert min(tiers[t] for t in ("expired", "critical", "high", "medium")) >= 50, tiers
    assert renewed >= 50
    assert min(offsets) >= -400 and max(offsets) >= 800


def test_default_as_of_is_today_utc(tmp_path: Path) -> None:
    data, stats = generate(tmp_path, "--count", "5", "--defect-rate", "0")
    assert stats["as_of"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert len(data.splitlines()) == 5


@pytest.mark.parametrize("bad", [["--defect-rate", "2"], ["--defect-kinds", "nope"]])
def test_rejects_bad_arguments(bad: list[str]) -> None:
    with pytest.raises(SystemExit):
        gen.main(["--count", "1", *bad])
