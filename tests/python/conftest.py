"""Shared pytest fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dbt_testing import DbtRun, run_dbt


@pytest.fixture(scope="session")
def dbt_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., DbtRun]]:
    """`dbt build` once per (files, as-of date, vars): tests share each build's result."""
    cache: dict[str, DbtRun] = {}

    def build(
        facilities_path: str | Path,
        as_of_date: str,
        extra_vars: dict[str, Any] | None = None,
        select: str | None = None,
    ) -> DbtRun:
        key = json.dumps([str(facilities_path), as_of_date, extra_vars, select], sort_keys=True)
        if key not in cache:
            args = ["build"] + (["--select", select] if select else [])
            cache[key] = run_dbt(
                tmp_path_factory.mktemp("dbt_build"),
                *args,
                facilities_path=facilities_path,
                as_of_date=as_of_date,
                extra_vars=extra_vars,
            )
            assert cache[key].returncode == 0, cache[key].output[-4000:]
        return cache[key]

    yield build
