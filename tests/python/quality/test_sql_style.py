"""SQL house style: the project's .sqlfluff rules in force, and the jaffle-shop model layout.

sqlfluff itself runs over models/ and tests/ as a hook of .pre-commit-config.yaml (test_lint.py).

The layout rule sqlfluff cannot express is checked here: a model's `ref()`/`source()` calls sit
in import CTEs at the top, every other CTE reads only CTEs, and the model ends with
`select * from final` (a v1 mart may add the `order by` its contract asks for).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from dbt_testing import REPO_ROOT

SQLFLUFF = str(Path(sys.executable).with_name("sqlfluff"))
MODELS = sorted((REPO_ROOT / "models").rglob("*.sql"))
IMPORT = re.compile(r"\{\{\s*(ref|source|raw_facility_lines)\s*\(")
CTE_START = re.compile(r"^([a-z_][a-z0-9_]*) as \($")
FINAL = re.compile(r"^select \* from final(\norder by [^;]+)?$")


def sqlfluff(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SQLFLUFF, *args],
        cwd=REPO_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_style_rules_are_in_force() -> None:
    """Guards the configuration itself: a sloppy model must fail with the rules we rely on."""
    sloppy = (
        "with\n\nsource_rows as (\n\n    SELECT * FROM {{ ref('stg_facilities') }}\n\n),\n\n"
        "final as (\n\n    select\n        s.facility_id\n        , count(*)\n"
        "    from source_rows s join source_rows t on s.facility_id = t.facility_id\n"
        "    group by 1\n\n)\n\nselect * from final\n"
    )
    result = sqlfluff("lint", "-", "--stdin-filename", "models/staging/sloppy.sql", stdin=sloppy)
    found = set(re.findall(r"\| ([A-Z]{2}\d{2}) \|", result.stdout))
    # keywords lower case, trailing commas, explicit column and table aliases, explicit joins
    assert {"CP01", "LT04", "AL03", "AL01", "AM05"} <= found, result.stdout


def cte_layout(sql: str) -> tuple[list[tuple[str, str]], str]:
    """The top-level CTEs (name, body) in order, and the statement after them."""
    sql = re.sub(r"\{#.*?#\}", "", sql, flags=re.S)
    sql = re.sub(r"--[^\n]*", "", sql)
    lines = [line.rstrip() for line in sql.strip().splitlines()]
    ctes: list[tuple[str, str]] = []
    rest: list[str] = []
    current: list[str] | None = None
    for line in lines:
        if current is not None:
            if re.fullmatch(r"\),?", line):
                ctes[-1] = (ctes[-1][0], "\n".join(current))
                current = None
            else:
                current.append(line)
        elif match := CTE_START.match(line):
            ctes.append((match.group(1), ""))
            current = []
        elif ctes and line.strip():
            rest.append(line)
    return ctes, "\n".join(rest)


@pytest.mark.parametrize("path", MODELS, ids=[path.stem for path in MODELS])
def test_import_ctes_first_and_select_from_final_last(path: Path) -> None:
    sql = path.read_text()
    assert sql.lstrip().startswith(("with", "{#")), "a model starts with its import CTEs"
    ctes, statement = cte_layout(sql)
    names = [name for name, _ in ctes]
    assert names and names[-1] == "final", f"the last CTE is `final`: {names}"
    assert FINAL.match(statement), f"the model ends with `select * from final`:\n{statement}"
    kinds = ["import" if IMPORT.search(body) else "logic" for _, body in ctes]
    first_logic = kinds.index("logic") if "logic" in kinds else len(kinds)
    layout = list(zip(names, kinds, strict=True))
    assert "import" not in kinds[first_logic:], f"import CTEs come first: {layout}"
    for name, body in ctes:
        if IMPORT.search(body):
            assert len(IMPORT.findall(body)) == 1 and " join " not in f" {body} ", (
                f"import CTE `{name}` reads one relation, without joins"
            )
