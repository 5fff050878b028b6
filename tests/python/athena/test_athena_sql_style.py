"""The SQL dbt compiles for the athena target passes sqlfluff with its athena dialect.

The source models are linted with the DuckDB dialect by quality/test_sql_style.py; this checks
what reaches Athena: every compiled model, singular and generic test must parse in sqlfluff's
athena dialect and trip none of a few rules that do not depend on layout (compiled SQL carries
the macros' indentation): ambiguous DISTINCT/UNION/ORDER BY, `= null`, unknown or duplicate
table references. DuckDB-only constructs are test_athena_sql.py's job.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from athena_testing import AthenaProject

SQLFLUFF = str(Path(sys.executable).with_name("sqlfluff"))
RULES = "AM01,AM02,AM03,CV05,RF01,AL04"


def test_compiled_athena_sql_parses_and_passes_the_rules(athena_project: AthenaProject) -> None:
    compiled = athena_project.target_path / "compiled" / "accreditation_monitor"
    # One compiled file per model (ephemeral ones too) and per data test.
    expected = len(athena_project.nodes("model")) + len(athena_project.nodes("test"))
    assert len(list(compiled.rglob("*.sql"))) == expected
    result = subprocess.run(
        [
            *(SQLFLUFF, "lint", ".", "--dialect", "athena", "--templater", "raw"),
            *("--rules", RULES, "--ignore-local-config", "--disable-progress-bar"),
        ],
        cwd=compiled,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
