"""The reading rules of docs/contract.md, line by line, on files written byte by byte.

strict_reading_files.py writes one file per class of problem a feed really has (JSON that is
not strict, duplicate keys, Unicode white space, Windows-1252 bytes, mixed and lone line ends,
gzip, lines of 15 MiB, 16 MiB and one byte more) and says what each physical line must
give. They are built once with dbt on the local target, and the same expectations are checked
on the Athena SQL (the differential harness of athena/test_differential.py). The build is
green: a bad line never fails it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import strict_reading_files as files
from dbt_testing import REPO_ROOT, DbtRun, run_dbt

sys.path.insert(0, str(REPO_ROOT / "tests" / "python" / "property"))
import property_checks

Outcome = dict[tuple[str, int], object]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[int, object]]]:
    folder = tmp_path_factory.mktemp("strict_reading")
    return folder, files.write_files(folder / "files")


@pytest.fixture(scope="module")
def build(
    written: tuple[Path, dict[str, dict[int, object]]],
) -> DbtRun:
    folder, _ = written
    return run_dbt(
        folder / "dbt",
        "build",
        "--select",
        *property_checks.BUILD_SELECT,
        "--indirect-selection",
        "cautious",
        facilities_path=folder / "files" / "*",
        as_of_date=property_checks.AS_OF,
        extra_vars={"max_rejected_share": 1},
    )


@pytest.fixture(scope="module")
def athena_sql(
    written: tuple[Path, dict[str, dict[int, object]]],
    athena_project: Any,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, str]]]:
    _, expected = written
    athena = property_checks.compile_athena(athena_project)
    con = property_checks.run_athena_sql(athena, sorted(Path(path) for path in expected))
    yield con, {name: relation for name, relation, _ in athena.models}
    con.close()


def outcomes(con: Any, relation: dict[str, str]) -> Outcome:
    """What each physical line gave: ("kept", facility_id) or its reject reason."""
    got: Outcome = {}
    for source_file, line_number, facility_id in con.execute(
        f"select source_file, line_number, facility_id from {relation['stg_facilities']}"
    ).fetchall():
        got[(source_file, line_number)] = ("kept", facility_id)
    for source_file, line_number, reason in con.execute(
        f"select source_file, line_number, reason from {relation['rejected_records']}"
    ).fetchall():
        assert (source_file, line_number) not in got, (source_file, line_number)
        got[(source_file, line_number)] = reason
    return got


def expected_outcomes(expected: dict[str, dict[int, object]]) -> Outcome:
    return {
        (path, number): want
        for path, lines in expected.items()
        for number, want in lines.items()
        if want is not None
    }


LOCAL = {name: f"main.{name}" for name in property_checks.COMPARED}


def test_the_build_is_green_and_every_line_gives_what_the_contract_says(
    build: DbtRun, written: tuple[Path, dict[str, dict[int, object]]]
) -> None:
    assert build.returncode == 0, build.output[-3000:]
    assert "Traceback" not in build.output
    statuses = build.results_by_name()
    assert statuses["assert_every_line_accounted_for"] == "pass"
    assert statuses["warn_on_rejected_records"] == "warn"
    _, expected = written
    with duckdb.connect(str(build.duckdb_path), read_only=True) as con:
        assert outcomes(con, LOCAL) == expected_outcomes(expected)


def test_the_athena_sql_reads_every_line_the_same_way(
    athena_sql: tuple[duckdb.DuckDBPyConnection, dict[str, str]],
    written: tuple[Path, dict[str, dict[int, object]]],
) -> None:
    con, relations = athena_sql
    _, expected = written
    assert outcomes(con, relations) == expected_outcomes(expected)


def test_each_file_balances_and_has_its_audit_row(
    build: DbtRun, written: tuple[Path, dict[str, dict[int, object]]]
) -> None:
    _, expected = written
    audit = {
        source_file: (lines_read, kept + rejected)
        for source_file, lines_read, kept, rejected in build.rows(
            "select source_file, lines_read, facilities_kept, records_rejected from load_audit"
        )
    }
    non_blank = {
        path: sum(1 for want in lines.values() if want is not None)
        for path, lines in expected.items()
    }
    assert audit == {path: (count, count) for path, count in non_blank.items()}


def test_raw_lines_are_whole_and_bad_bytes_show_as_replacement_characters(
    build: DbtRun, written: tuple[Path, dict[str, dict[int, object]]]
) -> None:
    folder, _ = written
    encoding_file = str(folder / "files" / "02_encoding.ndjson")
    assert (
        dict(
            build.rows(
                "select line_number, raw_line from rejected_records where source_file = ?",
                [encoding_file],
            )
        )
        == files.ENCODING_RAW_LINES
    )
    # A raw \x01 does not cut the line: the whole of it is there, and it is not JSON.
    json_file = str(folder / "files" / "01_json.ndjson")
    [(raw_line,)] = build.rows(
        "select raw_line from rejected_records where source_file = ? and raw_line like ?",
        [json_file, "%S17%"],
    )
    assert raw_line == '{"facility_id": "S17"}\x01junk'
    # The rejected line of 16 MiB + 1 byte keeps its first 1,000 characters.
    long_file = str(folder / "files" / "05_long.ndjson")
    assert build.rows(
        "select line_number, reason, length(raw_line) from rejected_records where source_file = ?",
        [long_file],
    ) == [(1, "line_too_long", 1000)]


def test_accreditations_that_are_no_array_and_entries_with_a_repeated_name_are_rejected(
    build: DbtRun,
) -> None:
    assert build.rows(
        "select facility_id, position, reason, raw_value from rejected_accreditations"
        " where facility_id in ('S16', 'S23', 'S24') order by facility_id, position"
    ) == [
        (
            "S16",
            1,
            "duplicate_key",
            '{"accreditation_body":"JC","accreditation_body":"X","accreditation_id":"B",'
            '"valid_until":"2026-01-01"}',
        ),
        ("S23", 0, "not_an_array", '{"accreditation_body":"JC"}'),
        ("S24", 0, "not_an_array", '"JC until 2026"'),
    ]
    # S16's and S38's second entries are read; S38's first names m39 twice among 41 names.
    assert build.rows(
        "select facility_id, position, accreditation_body, cast(valid_until as varchar) from"
        " stg_accreditations where facility_id in ('S16', 'S38') and reject_reason is null"
        " order by facility_id"
    ) == [("S16", 2, "NCQA", "2026-02-01"), ("S38", 2, "NCQA", "2026-02-01")]
    assert build.rows(
        "select position, reason from rejected_accreditations where facility_id = 'S38'"
    ) == [(1, "duplicate_key")]
    # Padded ids and states are trimmed of Unicode white space on the way in.
    assert build.rows(
        "select facility_id, state from stg_facilities where facility_id in ('P1', 'S25')"
        " order by facility_id"
    ) == [("P1", None), ("S25", "TX")]
