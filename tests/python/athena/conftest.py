"""Athena fixtures."""

from __future__ import annotations

import pytest
from athena_testing import AthenaProject, compile_athena_project


@pytest.fixture(scope="session")
def athena_project(tmp_path_factory: pytest.TempPathFactory) -> AthenaProject:
    return compile_athena_project(tmp_path_factory.mktemp("athena_compile"))
