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


@pytest.fixture
def reference_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    # The project's profiles.yml must be the one found, whatever the developer's shell says.
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    return make_project(tmp_path, REFERENCE_ROWS, "2025-05-15")
