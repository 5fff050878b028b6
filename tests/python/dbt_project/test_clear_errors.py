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


def test_a_facilities_path_that_matches_no_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "*.ndjson"
    run = run_dbt(
        tmp_path,
        "run",
        "--select",
        "stg_facility_records",
        facilities_path=missing,
        as_of_date="2025-01-15",
    )
    assert run.returncode != 0
    assert f'FACILITIES_PATH "{missing}" matches no file' in run.output
    assert "Traceback" not in run.output
