"""Athena test helpers: the project compiled for the athena target, without AWS."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbt_testing import DBT, FIXTURES_DIR, REPO_ROOT, TEST_AWS_ENV, dbt_env

AS_OF = "2025-01-15"

# Settings of the athena target. The compile step needs no credentials (--no-populate-cache).
ATHENA_ENV = {
    **TEST_AWS_ENV,
    "ATHENA_S3_STAGING_DIR": "s3://accreditation-athena-results/staging/",
    "ATHENA_S3_DATA_DIR": "s3://accreditation-data/tables/",
    "ATHENA_RAW_LOCATION": "s3://accreditation-data/raw/",
    "ATHENA_SCHEMA": "accreditation_monitor",
    "ATHENA_WORK_GROUP": "primary",
}


@dataclass
class AthenaProject:
    """The manifest of `dbt compile --target athena`: every node's compiled Athena SQL."""

    target_path: Path
    manifest: dict[str, Any]

    def nodes(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            unique_id: node
            for unique_id, node in self.manifest["nodes"].items()
            if node["resource_type"] == resource_type
            and node["package_name"] == "accreditation_monitor"
        }


def run_dbt_athena(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = [DBT, *args, "--target", "athena", "--target-path", str(workdir / "target")]
    return subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=dbt_env(
            **ATHENA_ENV,
            DBT_LOG_PATH=str(workdir / "logs"),
            FACILITIES_PATH=str(FIXTURES_DIR / "bad_input" / "*.ndjson"),
            **env,
        ),
        capture_output=True,
        text=True,
        check=False,
    )


def compile_athena_project(workdir: Path) -> AthenaProject:
    """`dbt parse` and `dbt compile --no-populate-cache` for the athena target: no AWS call."""
    parsed = run_dbt_athena(workdir, "parse")
    assert parsed.returncode == 0, parsed.stdout[-3000:] + parsed.stderr[-3000:]
    compiled = run_dbt_athena(
        workdir,
        "compile",
        "--no-populate-cache",
        "--vars",
        json.dumps({"as_of_date": AS_OF, "max_rejected_share": 1}),
    )
    assert compiled.returncode == 0, compiled.stdout[-3000:] + compiled.stderr[-3000:]
    manifest = json.loads((workdir / "target" / "manifest.json").read_text())
    return AthenaProject(workdir / "target", manifest)
