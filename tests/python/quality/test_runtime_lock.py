"""The container installs requirements-runtime.lock: the tested stack, without the dev tools."""

from __future__ import annotations

import re
from pathlib import Path

from dbt_testing import REPO_ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)", re.MULTILINE)


def pins(path: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in PIN.findall(path.read_text())}


def test_runtime_lock_is_the_dev_lock_without_dev_tools() -> None:
    runtime = pins(REPO_ROOT / "requirements-runtime.lock")
    development = pins(REPO_ROOT / "requirements.lock")
    # Same versions as the stack the tests run on, package for package.
    assert {name: development.get(name) for name in runtime} == runtime
    for runtime_dependency in ("dbt-core", "dbt-duckdb", "dbt-athena-community", "boto3", "click"):
        assert runtime_dependency in runtime
    for dev_tool in ("pytest", "moto", "playwright", "sqlfluff", "mypy", "ruff"):
        assert dev_tool not in runtime


def test_dockerfile_installs_the_runtime_lock() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert "COPY requirements-runtime.lock" in dockerfile
    assert "-r requirements-runtime.lock" in dockerfile
