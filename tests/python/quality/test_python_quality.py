"""Python house style: ruff (lint and format) on the whole repo, mypy --strict on the code.

Each tool runs as a subprocess with the repo's own configuration (pyproject.toml); a failure
shows the tool's output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dbt_testing import REPO_ROOT

BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_ruff_lint_whole_repo() -> None:
    result = run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_whole_repo() -> None:
    result = run("ruff", "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr + "\nrun: .venv/bin/ruff format ."


# mypy --strict: the notifier package as configured in pyproject.toml, then the scripts, which
# are type-clean too. (bench/ is not enforced yet: add ("bench",) once it passes.)
@pytest.mark.parametrize(
    "targets",
    [(), ("scripts",)],
    ids=["notifier", "scripts"],
)
def test_mypy_strict(targets: tuple[str, ...]) -> None:
    command = ("mypy",) if not targets else ("mypy", "--strict", *targets)
    result = run(*command)
    assert result.returncode == 0, result.stdout + result.stderr
