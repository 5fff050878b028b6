"""The benchmark's two baselines (bench/) against the reference fixture and each other."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "sample" / "challenge_sample.ndjson"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


duckdb_baseline = _load("bench_duckdb_baseline", ROOT / "bench" / "duckdb_baseline.py")
python_baseline = _load("bench_python_baseline", ROOT / "bench" / "python_baseline.py")
compare = _load("bench_compare", ROOT / "bench" / "compare.py")
gen = _load("generate_facilities", ROOT / "scripts" / "generate_facilities.py")


def run_both(pattern: str, as_of: str, tmp_path: Path) -> tuple[Path, Path]:
    db, csv_dir = tmp_path / "duckdb.duckdb", tmp_path / "python"
    assert duckdb_baseline.main(["--input", pattern, "--as-of", as_of, "--database", str(db)]) == 0
    assert (
        python_baseline.main(["--input", pattern, "--as-of", as_of, "--output", str(csv_dir)]) == 0
    )
    return db, csv_dir


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("start", "expected"),
    [("2025-08-31", "2026-02-28"), ("2023-08-31", "2024-02-29"), ("2025-01-15", "2025-07-15")],
)
def test_six_month_horizon_clamps_to_month_end(start: str, expected: str) -> None:
    d = dt.date.fromisoformat(start)
    assert duckdb_baseline.six_months_later(d).isoformat() == expected
    assert python_baseline.six_months_later(d).isoformat() == expected


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared reference fixture not available")
def test_reference_sample(tmp_path: Path) -> None:
    db, csv_dir = run_both(str(SAMPLE), "2025-01-15", tmp_path)
    ok, table = compare.compare({"duckdb": db, "python": csv_dir})
    assert ok, table
    summary = rows(
        db,
        "select facility_id, employee_count, number_of_offered_services, "
        "expiry_date_of_first_accreditation::varchar, expiry_rank "
        "from facility_summary_v2 order by facility_id",
    )
    assert summary == [
        ("FAC12345", 250, 5, "2025-06-30", 2),
        ("FAC54321", 85, 2, "2024-09-30", 1),
        ("FAC67890", 320, 4, "2025-12-31", 3),
    ]
    expiring = rows(
        db,
        "select facility_id, accreditation_id, days_until_expiry, status "
        "from expiring_accreditations_v2 order by facility_id",
    )
    assert expiring == [
        ("FAC12345", "NCQA500", 166, "expiring"),
        ("FAC54321", "JC2002", -107, "expired"),
    ]
    by_state = rows(
        db,
        "select state, facility_count, accredited_facility_count, "
        "currently_accredited_facility_count from accredited_facilities_by_state_v2 "
        "order by state",
    )
    assert by_state == [("CA", 1, 1, 0), ("FL", 1, 1, 1), ("TX", 1, 1, 1)]


def test_baselines_agree_on_bench_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert gen.main([
        "--count", "3000", "--seed", "11", "--as-of", "2025-08-31", "--files", "3",
        "--defect-rate", "0.05", "--defect-kinds",
        "duplicate_facility_id,invalid_valid_until,blank_line", "--output", str(data),
    ]) == 0  # fmt: skip
    db, csv_dir = run_both(str(data / "part-*.ndjson"), "2025-08-31", tmp_path)
    ok, table = compare.compare({"duckdb": db, "python": csv_dir})
    assert ok, table
    assert compare.digest(db)["facility_summary_v2"].rows == 3000
    # The generator marks a renewed-away entry with an id ending in R; never current.
    assert rows(
        db, "select count(*) from expiring_accreditations_v2 where accreditation_id like '%R'"
    ) == [(0,)]
    assert 'R"' in "".join(p.read_text() for p in data.glob("part-*.ndjson"))


def test_state_without_any_accreditation_counts_zero(tmp_path: Path) -> None:
    path = tmp_path / "one.ndjson"
    path.write_text(
        '{"facility_id": "FAC1", "location": {"state": " gu "}, "accreditations": []}\n'
        '{"facility_id": "FAC2", "location": {"state": "GU"}}\n'
    )
    db, csv_dir = run_both(str(path), "2025-08-31", tmp_path)
    ok, table = compare.compare({"duckdb": db, "python": csv_dir})
    assert ok, table
    assert rows(db, "select * exclude (as_of_date) from accredited_facilities_by_state_v2") == [
        ("GU", 2, 0, 0)
    ]


def test_python_baseline_survives_every_defect(tmp_path: Path) -> None:
    path = tmp_path / "all.ndjson"
    assert gen.main(["--count", "2000", "--seed", "3", "--output", str(path)]) == 0
    out = tmp_path / "py"
    assert (
        python_baseline.main(["--input", str(path), "--as-of", "2025-08-31", "--output", str(out)])
        == 0
    )
    with open(out / "facility_summary_v2.csv", newline="") as fh:
        assert sum(1 for _ in csv.reader(fh)) == 2001


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared reference fixture not available")
def test_compare_reports_a_changed_value(tmp_path: Path) -> None:
    db, csv_dir = run_both(str(SAMPLE), "2025-05-15", tmp_path)
    broken = tmp_path / "broken"
    shutil.copytree(csv_dir, broken)
    target = broken / "expiring_accreditations_v2.csv"
    target.write_text(target.read_text().replace(",46,", ",47,"))
    ok, table = compare.compare({"duckdb": db, "python": broken})
    assert not ok
    assert "only in B" in table and "47" in table


def test_one_current_entry_per_body_later_entry_wins_a_tie(tmp_path: Path) -> None:
    # As expiring_accreditations_v2: per (facility, body) only the latest valid_until is
    # current, on a tie the later array entry; entries with a null body stand alone.
    path = tmp_path / "ties.ndjson"
    path.write_text(
        '{"facility_id": "FAC1", "accreditations": ['
        '{"accreditation_body": "JC", "accreditation_id": "JC1", "valid_until": "2025-10-01"},'
        '{"accreditation_body": "JC", "accreditation_id": "JC2", "valid_until": "2025-10-01"},'
        '{"accreditation_body": "JC", "accreditation_id": "JC0", "valid_until": "2025-09-01"},'
        '{"accreditation_body": null, "accreditation_id": "N1", "valid_until": "2025-10-01"},'
        '{"accreditation_body": null, "accreditation_id": "N2", "valid_until": "2025-10-01"},'
        '{"accreditation_body": "DNV", "accreditation_id": "D1", "valid_until": "2025-11-01"},'
        '{"accreditation_body": "DNV", "accreditation_id": "D2", "valid_until": "2025-11-31"},'
        '{"accreditation_body": "DNV", "accreditation_id": "D3", "valid_until": "2025-11-01"}'
        "]}\n"
    )
    db, csv_dir = run_both(str(path), "2025-08-31", tmp_path)
    ok, table = compare.compare({"duckdb": db, "python": csv_dir})
    assert ok, table
    assert rows(
        db, "select accreditation_id from expiring_accreditations_v2 order by accreditation_id"
    ) == [("D3",), ("JC2",), ("N1",), ("N2",)]
