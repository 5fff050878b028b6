"""Bad settings stop the run with a message that says what to fix, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt_testing import CHALLENGE_SAMPLE, run_dbt


@pytest.mark.parametrize("as_of_date", ["2025-02-30", "today'; --"])
def test_a_malformed_as_of_date_fails_compilation(tmp_path: Path, as_of_date: str) -> None:
    run = run_dbt(
        tmp_path,
        "parse",
        facilities_path=CHALLENGE_SAMPLE,
        as_of_date=as_of_date,
    )
    assert run.returncode != 0
    expected = f'as_of_date must be a real calendar date written YYYY-MM-DD, got "{as_of_date}"'
    assert expected in run.output
    assert "Traceback" not in run.output


def test_a_malformed_as_of_date_environment_variable_stops_the_build_before_any_node(
    tmp_path: Path,
) -> None:
    """AS_OF_DATE is read at execution, not parse: the on-run-start check stops the build."""
    run = run_dbt(
        tmp_path, "build", facilities_path=CHALLENGE_SAMPLE, extra_env={"AS_OF_DATE": "2025-13-01"}
    )
    assert run.returncode != 0
    assert 'as_of_date must be a real calendar date written YYYY-MM-DD, got "2025-13-01"' in (
        run.output
    )
    assert "START sql table model" not in run.output and "START seed" not in run.output
    assert "Traceback" not in run.output


def test_a_facilities_path_that_matches_no_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "*.ndjson"
    run = run_dbt(
        tmp_path,
        "run",
        "--select",
        "base_facility_records",
        facilities_path=missing,
        as_of_date="2025-01-15",
    )
    assert run.returncode != 0
    assert f'FACILITIES_PATH "{missing}" matches no file' in run.output
    assert "Traceback" not in run.output


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # What any macro's default__ body says on an adapter without its own body (called
        # directly here: the project's own target always has one).
        (
            "select {{ default__try_cast('x', 'bigint') }}",
            'try_cast has no implementation for the "duckdb" adapter',
        ),
        (
            "{{ json_fields('t', ['a'], 'v', [{'name': 'n', 'path': '$.n', 'type': 'text'}]) }}",
            'json_fields: field "n" declares the unknown JSON type "text"',
        ),
    ],
    ids=["no_engine_body", "unknown_json_type"],
)
def test_a_macro_misuse_fails_compilation_with_its_reason(
    tmp_path: Path, sql: str, expected: str
) -> None:
    run = run_dbt(tmp_path, "compile", "--inline", sql, facilities_path=CHALLENGE_SAMPLE)
    assert run.returncode != 0
    assert expected in run.output
    assert "Traceback" not in run.output
