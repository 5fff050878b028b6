"""Test helpers: run the real dbt CLI on a fixture and read the real DuckDB file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[2]
# The original challenge's three records (their expected outputs: docs/contract.md).
CHALLENGE_SAMPLE = REPO_ROOT / "data" / "sample" / "challenge_sample.ndjson"
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"
# The tables of every mart version the project builds (dbt names them <model>_v<version>).
MART_TABLES = (
    "facility_summary_v1",
    "facility_summary_v2",
    "top_expiring_facilities",
    "current_accreditations",
    "expiring_accreditations_v1",
    "expiring_accreditations_v2",
    "expiring_accreditations_v3",
    "accredited_facilities_by_state_v1",
    "accredited_facilities_by_state_v2",
)
DBT = str(Path(sys.executable).with_name("dbt"))

# Non-empty alert-lifecycle seeds (the repo's are empty) for the challenge's records plus
# LIFECYCLE_FACILITY; what they must give: dbt_project/test_lifecycle_seeds.py.
ACK_HEADER = (
    "facility_id,accreditation_body,accreditation_id,acknowledged_until,acknowledged_by,note\n"
)
OWNER_HEADER = "facility_id,state,owner,topic_arn\n"
CITY_TOPIC = "arn:aws:sns:us-east-1:123456789012:city-hospital"
TEXAS_TOPIC = "arn:aws:sns:us-east-1:123456789012:texas-alerts.fifo"
LIFECYCLE_SEEDS = {
    "alert_owners": OWNER_HEADER
    + f"FAC12345,,city-hospital-team,{CITY_TOPIC}\n"  # beats the TX rule below
    + f",TX,texas-team,{TEXAS_TOPIC}\n"
    + ",CA,california-team,\n"  # no topic
    + 'FAC99999,,"Night rota, NY",\n',  # a quoted comma
    "alert_acknowledgements": ACK_HEADER
    + 'FAC12345,NCQA,NCQA500,2025-07-10,jane.doe,"renewal filed, ticket 42"\n'
    + "FAC12345,NCQA,NCQA500,2025-07-20,jane.doe,\n"  # the latest of the two
    + "FAC12345,Joint Commission,NCQA500,2025-12-31,ops,wrong body: matches nothing\n"
    + "FAC54321,Joint Commission,JC2002,2025-07-05,ops,\n"
    + "FAC99999,,X1,2025-07-31,ops,no body: matched null-safe\n",  # empty body -> null
}
# A facility whose accreditation has no body, for the null-safe match.
LIFECYCLE_FACILITY = {
    "facility_id": "FAC99999",
    "facility_name": "Body-less Clinic",
    "location": {"state": "NY"},
    "accreditations": [
        {"accreditation_body": None, "accreditation_id": "X1", "valid_until": "2025-07-01"}
    ],
}

# Test-only AWS credentials, set in the environment of a test run: no file is read or written,
# and the local emulator accepts any.
TEST_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}


def dbt_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        DBT_PROFILES_DIR=str(REPO_ROOT),
    )
    env.update(overrides)
    return env


@dataclass
class DbtRun:
    """One real `dbt` invocation against its own DuckDB file and target folder."""

    returncode: int
    output: str
    duckdb_path: Path
    target_path: Path

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def dicts(self, sql: str) -> list[dict[str, Any]]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            cursor = con.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def results_by_name(self) -> dict[str, str]:
        """Status of every node of the last run, keyed by its name (versioned models as name.vN)."""
        results = json.loads((self.target_path / "run_results.json").read_text())["results"]
        return {result["unique_id"].split(".", 2)[2]: result["status"] for result in results}


def project_copy(destination: Path, seeds: dict[str, str]) -> Path:
    """A copy of the dbt project at `destination` with the seed files `seeds` (name -> CSV text).

    Only what dbt reads is copied (dbt_project.yml, models, macros, seeds, the dbt tests); the
    profile stays the repo's (DBT_PROFILES_DIR). Run dbt on it with run_dbt(project_dir=...).
    """
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "dbt_project.yml", destination)
    for folder in ("models", "macros", "seeds"):
        shutil.copytree(REPO_ROOT / folder, destination / folder)
    shutil.copytree(
        REPO_ROOT / "tests",
        destination / "tests",
        ignore=shutil.ignore_patterns("python", "fixtures"),
    )
    for name, text in seeds.items():
        assert (destination / "seeds" / f"{name}.csv").exists(), f"no seed {name}"
        (destination / "seeds" / f"{name}.csv").write_text(text, encoding="utf-8")
    return destination


def lifecycle_facilities(path: Path) -> Path:
    """The challenge's three records and LIFECYCLE_FACILITY, written to `path`."""
    path.write_text(CHALLENGE_SAMPLE.read_text() + json.dumps(LIFECYCLE_FACILITY) + "\n")
    return path


def run_dbt(
    workdir: Path,
    *args: str,
    facilities_path: str | Path,
    as_of_date: str | None = None,
    extra_vars: dict[str, Any] | None = None,
    duckdb_path: Path | None = None,
    dbt_command: Sequence[str] = (DBT,),
    extra_env: dict[str, str] | None = None,
    project_dir: Path | None = None,
) -> DbtRun:
    """Run `dbt <args>` from the repo root with its artifacts (and database) under `workdir`.

    `dbt_command` runs dbt some other way (a wrapper script); `extra_env` adds to its environment;
    `project_dir` runs another copy of the project (project_copy).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    duckdb_path = duckdb_path or workdir / "warehouse.duckdb"
    target_path = workdir / "target"
    dbt_vars = dict(extra_vars or {})
    if as_of_date is not None:
        dbt_vars["as_of_date"] = as_of_date
    command = [*dbt_command, *args, "--target", "local", "--target-path", str(target_path)]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    if project_dir is not None:
        command += ["--project-dir", str(project_dir)]
    completed = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=dbt_env(
            FACILITIES_PATH=str(facilities_path),
            DUCKDB_PATH=str(duckdb_path),
            DBT_LOG_PATH=str(workdir / "logs"),
            DUCKDB_TEMP_DIR=str(workdir / "duckdb_tmp"),
            **(extra_env or {}),
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    return DbtRun(
        completed.returncode, completed.stdout + completed.stderr, duckdb_path, target_path
    )
