"""`make sample` remakes the generated sample when the date changes (it is dated around today)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from dbt_testing import REPO_ROOT


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_sample_is_remade_on_a_new_day(tmp_path: Path) -> None:
    sample = tmp_path / "generated.ndjson"
    made = make("sample", f"SAMPLE={sample}", "TODAY=2030-01-01")
    assert made.returncode == 0, made.stdout + made.stderr
    first = json.loads(sample.read_text().splitlines()[0])
    assert "--as-of 2030-01-01" in made.stdout
    # Same day: up to date (`make -q` exits 0 when nothing needs remaking).
    assert make("-q", "sample", f"SAMPLE={sample}", "TODAY=2030-01-01").returncode == 0
    # The next day: out of date, and remade with the new date.
    assert make("-q", "sample", f"SAMPLE={sample}", "TODAY=2030-01-02").returncode == 1
    remade = make("sample", f"SAMPLE={sample}", "TODAY=2030-01-02")
    assert remade.returncode == 0, remade.stdout + remade.stderr
    assert "--as-of 2030-01-02" in remade.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "generated.ndjson",
        "generated.ndjson.as-of-2030-01-02",
    ]
    assert json.loads(sample.read_text().splitlines()[0]) != first
