"""Notifier fixtures: a fresh AWS state per test, on the session's moto server."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from notifier_testing import REFERENCE_ROWS, Aws, Project, make_project


@pytest.fixture
def aws(moto_url: str) -> Iterator[Aws]:
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request).close()
    # A fresh default session per test, so event hooks a test registers die with it.
    boto3.setup_default_session()
    yield Aws(moto_url)
    boto3.DEFAULT_SESSION = None


@pytest.fixture(autouse=True)
def no_dbt_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test project's own profiles.yml must be the one found, whatever the shell (or the
    # Makefile, which exports DBT_PROFILES_DIR) says; tests that want them set them.
    for name in ("DBT_PROFILES_DIR", "DBT_TARGET", "DBT_TARGET_PATH", "DUCKDB_PATH"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def reference_project(tmp_path: Path) -> Project:
    return make_project(tmp_path, REFERENCE_ROWS, "2025-05-15")
