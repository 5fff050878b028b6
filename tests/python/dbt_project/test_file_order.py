"""base_facility_records carries each line's file as a number through its recency window and
names the file again afterwards, from a second listing of the feed (file_order,
facility_file_names in macros/raw_facility_lines.sql). A file that arrives between the two
listings must stop the build, not make it name the wrong file: wherever the new file sorts,
the numbers of one listing no longer fit the other."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from dbt_testing import run_dbt

HERE = Path(__file__).parent
ARRIVING = [sys.executable, str(HERE / "run_dbt_with_arriving_file.py")]


@pytest.mark.parametrize("arriving", ["a.ndjson", "z.ndjson"])
def test_a_file_arriving_between_the_two_listings_stops_the_build(
    tmp_path: Path, arriving: str
) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "m.ndjson").write_text('{"facility_id": "F1"}\n{"facility_id": "F2"}\n')
    (folder / "n.ndjson").write_text('{"facility_id": "F1"}\n')
    run = run_dbt(
        tmp_path / "run",
        "run",
        "--select",
        "base_facility_records",
        facilities_path=folder / "*.ndjson",
        as_of_date="2026-12-01",
        dbt_command=ARRIVING,
        extra_env={"ARRIVING_FILE": str(folder / arriving)},
    )
    assert (folder / arriving).exists()
    assert run.returncode == 1, run.output[-3000:]
    assert (
        "The facility files changed while the build was reading them (FACILITIES_PATH matched"
        " other files a moment later): run the build again."
    ) in run.output
    assert run.results_by_name()["base_facility_records"] == "error"
    assert "Traceback" not in run.output
