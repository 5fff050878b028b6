"""Line numbers stay physical line numbers when DuckDB reads a large file in parallel."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dbt_testing import DbtRun, run_dbt

PAD = "x" * 160


def write_numbered_file(path: Path, prefix: str, lines: int) -> list[int]:
    """Each line names its own line number; every 9,973rd line is not JSON, every 7,919th blank."""
    bad_lines = []
    with open(path, "w", encoding="utf-8") as out:
        for number in range(1, lines + 1):
            if number % 7919 == 0:
                out.write("\n")
            elif number % 9973 == 0:
                bad_lines.append(number)
                out.write(f"not json, line {number}\n")
            else:
                out.write(f'{{"facility_id": "{prefix}-{number}", "pad": "{PAD}"}}\n')
    return bad_lines


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtRun, dict[str, list[int]]]:
    data = tmp_path_factory.mktemp("numbered_files")
    bad = {
        str(data / "a.ndjson"): write_numbered_file(data / "a.ndjson", "A", 400_000),
        str(data / "b.ndjson"): write_numbered_file(data / "b.ndjson", "B", 250_000),
    }
    run = run_dbt(
        tmp_path_factory.mktemp("numbered_build"),
        "run",
        "--select",
        "base_facility_records",
        facilities_path=data / "*.ndjson",
        as_of_date="2025-01-15",
    )
    assert run.returncode == 0, run.output[-3000:]
    return run, bad


def test_the_files_are_large_enough_to_be_read_in_parallel(
    numbered: tuple[DbtRun, dict[str, list[int]]],
) -> None:
    # The naive per-file numbering goes wrong on these files, so they exercise the parallel path.
    _, bad = numbered
    files = sorted(bad)
    with duckdb.connect() as con:
        con.execute("set threads = 2")
        [(misnumbered,)] = con.execute(
            """
            select count(*) from (
                select line, row_number() over (partition by filename) as naive_line_number
                from read_csv(?, columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '',
                    escape = '', header = false, auto_detect = false, filename = true)
            ) where line like '{%' and line not like '%-' || naive_line_number || '"%'
            """,
            [files],
        ).fetchall()
    # Not an exact count: how many lines the naive numbering gets wrong depends on how the two
    # threads happen to split the scan (four runs gave 649,854, i.e. all of the JSON lines,
    # 645,758, 605,298 and 609,394). Any wrong line shows the files take the parallel path.
    assert misnumbered > 0


def test_every_line_keeps_its_physical_number(
    numbered: tuple[DbtRun, dict[str, list[int]]],
) -> None:
    run, bad = numbered
    [(kept, wrong)] = run.rows(
        "select count(*),"
        " count(*) filter (where split_part(facility_id, '-', 2)::int <> line_number)"
        " from main.base_facility_records where reject_reason is null"
    )
    blank_lines = 400_000 // 7919 + 250_000 // 7919
    assert kept == 650_000 - blank_lines - sum(len(numbers) for numbers in bad.values())
    assert wrong == 0
    for source_file, numbers in bad.items():
        rejected = run.rows(
            "select line_number, raw_line from main.base_facility_records"
            " where source_file = ? and reject_reason = 'invalid_json' order by line_number",
            [source_file],
        )
        assert rejected == [(number, f"not json, line {number}") for number in numbers]
