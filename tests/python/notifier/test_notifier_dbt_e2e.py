"""The real chain: `dbt build` on the challenge sample, then `notifier send` to moto's SNS.

Runs whenever the test suite runs: the dbt project is part of the repository, so a missing or
broken mart fails here instead of being skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from dbt_testing import CHALLENGE_SAMPLE, REPO_ROOT, DbtRun
from notifier_testing import Aws, alert_counts, run_cli

SAMPLE = CHALLENGE_SAMPLE


def send(run: DbtRun, ledger: Path, topics: dict[str, str], *args: str) -> None:
    """`notifier send` after a real build; it must succeed (exit 0) without a traceback."""
    result = run_cli(
        "send",
        "--project-dir",
        REPO_ROOT,
        "--target",
        "local",
        "--target-path",
        run.target_path,
        "--ledger",
        ledger,
        *[arg for tier, arn in topics.items() for arg in (f"--{tier}-topic-arn", arn)],
        *args,
    )
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output


def test_dbt_build_then_send(
    aws: Aws,
    dbt_build: Callable[..., DbtRun],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBT_PROFILES_DIR", str(REPO_ROOT))
    topics = {tier: aws.topic(f"accreditation-{tier}") for tier in ("critical", "high", "medium")}
    queues = {tier: aws.queue(arn, f"q-{tier}") for tier, arn in topics.items()}
    ledger = tmp_path / "ledger.json"

    may = dbt_build(SAMPLE, "2025-05-15")
    monkeypatch.setenv("DUCKDB_PATH", str(may.duckdb_path))
    preview = run_cli(
        "preview",
        "--project-dir",
        REPO_ROOT,
        "--target-path",
        may.target_path,
        "--format",
        "json",
        "--ledger",
        ledger,
    )
    assert preview.exit_code == 0, preview.output
    assert len(preview.stdout.splitlines()) == 2

    send(may, ledger, topics)
    assert alert_counts(aws.drain(queues["critical"])) == {("FAC54321", "JC2002", "critical"): 1}
    assert alert_counts(aws.drain(queues["high"])) == {("FAC12345", "NCQA500", "high"): 1}
    assert aws.drain(queues["medium"]) == []

    send(may, ledger, topics)
    assert [aws.drain(queue) for queue in queues.values()] == [[], [], []]

    # Three weeks on, NCQA500 has 25 days left and turns critical; JC2002 stays as it was.
    june = dbt_build(SAMPLE, "2025-06-05")
    monkeypatch.setenv("DUCKDB_PATH", str(june.duckdb_path))
    send(june, ledger, topics)
    assert alert_counts(aws.drain(queues["critical"])) == {("FAC12345", "NCQA500", "critical"): 1}
    assert aws.drain(queues["high"]) == [] and aws.drain(queues["medium"]) == []
