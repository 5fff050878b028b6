"""The static checks of .pre-commit-config.yaml, run here exactly as `make lint` runs them.

Each hook is run with its own entry and arguments (the scopes live in that file alone), as a
subprocess from the repo root; a failure shows the tool's output.
"""

from __future__ import annotations

import shlex
import subprocess
from typing import Any

import pytest
import yaml
from dbt_testing import REPO_ROOT


def hooks() -> list[dict[str, Any]]:
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def test_the_hooks_cover_lint_format_types_and_sql() -> None:
    assert [hook["id"] for hook in hooks()] == ["ruff-check", "ruff-format", "mypy", "sqlfluff"]
    # Whole scopes, never only the staged files: the commit hook, make lint and this test agree.
    assert all(hook["pass_filenames"] is False for hook in hooks())


@pytest.mark.parametrize("hook", hooks(), ids=lambda hook: hook["id"])
def test_hook_passes(hook: dict[str, Any]) -> None:
    command = [*shlex.split(hook["entry"]), *hook.get("args", [])]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{shlex.join(command)}\n{result.stdout}{result.stderr}"
