"""Shared pytest fixtures."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dbt_testing import TEST_AWS_ENV, DbtRun, run_dbt

# `make test-fast` leaves out the tests marked `integration`: those that run dbt, a moto server,
# a browser or the deploy tooling. These folders hold nothing else; elsewhere, a test is
# integration when it uses one of these fixtures (or carries the marker itself).
_INTEGRATION_FOLDERS = frozenset({"athena", "dbt_project", "docs", "deploy"})
_INTEGRATION_FIXTURES = frozenset({"moto_url", "dbt_build"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        in_folder = item.path.parent.name in _INTEGRATION_FOLDERS
        if in_folder or _INTEGRATION_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A real moto server in its own process, reached over HTTP like AWS would be."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.1)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"AWS_ENDPOINT_URL": url, **TEST_AWS_ENV}.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def athena_project(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The project compiled for the athena target, once per session: the Athena tests, the
    strict-reading test and the property test all read it (a compile costs about 15 s)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "athena"))
    from athena_testing import compile_athena_project

    return compile_athena_project(tmp_path_factory.mktemp("athena_compile"))
