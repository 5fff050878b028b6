"""Run dbt in this process (dbt's programmatic runner) and say which nodes did not succeed."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notifier.errors import BadInputError

log = logging.getLogger(__name__)

# Statuses of dbt's run results that mean a node did not do its job. `warn` (a warning-severity
# test that found rows, such as rejected lines) is not one of them, and neither is `skipped`:
# a node is skipped because another one failed, and that one is reported.
_FAILED = frozenset({"error", "fail", "runtime error"})


@dataclass(frozen=True)
class NodeFailure:
    unique_id: str
    status: str
    message: str


@dataclass(frozen=True)
class DbtProject:
    project_dir: Path
    profiles_dir: Path
    target: str | None
    target_path: Path
    log_format: str


@dataclass
class BuildOutcome:
    success: bool
    # One line per dbt command that did not run through (it raised instead of reporting nodes).
    errors: list[str] = field(default_factory=list)
    failures: list[NodeFailure] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)


def _dbt_runner() -> Any:
    try:
        from dbt.cli.main import dbtRunner
    except ImportError as exc:
        raise BadInputError(
            f"dbt is not installed in this Python environment ({exc}); install the project's "
            "locked stack (`make setup`, or the container image) to use `notifier run`"
        ) from exc
    return dbtRunner()


def _common_args(project: DbtProject) -> list[str]:
    args = [
        "--project-dir",
        str(project.project_dir),
        "--profiles-dir",
        str(project.profiles_dir),
        "--target-path",
        str(project.target_path),
        "--log-format",
        project.log_format,
    ]
    if project.target:
        args += ["--target", project.target]
    return args


def run_dbt(
    project: DbtProject,
    commands: list[list[str]],
    dbt_vars: dict[str, Any],
    as_of_date: str,
) -> BuildOutcome:
    """Run each command in order (e.g. a run-operation, then build); stop at the first failure.

    The as-of date goes to dbt as the environment variable AS_OF_DATE, not as a var: dbt
    re-parses the whole project whenever `--vars` change, which a daily run would pay every
    day, while the project reads AS_OF_DATE only when nodes run, so a new date re-parses nothing.

    A KeyboardInterrupt during dbt reaches the caller: dbt's runner hands it back as the result's
    exception, sometimes wrapped (see `_interrupt_behind`), and it is raised again here.
    """
    runner = _dbt_runner()
    outcome = BuildOutcome(success=True)
    other_vars = {name: value for name, value in dbt_vars.items() if name != "as_of_date"}
    for command in commands:
        args = [*command, *_common_args(project)]
        if other_vars:
            args += ["--vars", json.dumps(other_vars)]
        log.info("dbt", extra={"fields": {"command": " ".join(command)}})
        with _environment("AS_OF_DATE", as_of_date):
            result = runner.invoke(args)
        interrupt = _interrupt_behind(result.exception)
        if interrupt is not None:
            raise interrupt
        for node_result in _node_results(result.result):
            status = str(node_result.status)
            outcome.statuses[status] += 1
            if status in _FAILED:
                outcome.failures.append(
                    NodeFailure(
                        node_result.node.unique_id, status, str(node_result.message or "").strip()
                    )
                )
        if not result.success:
            outcome.success = False
            if result.exception is not None:
                outcome.errors.append(f"dbt {command[0]}: {result.exception}")
            elif not outcome.failures:
                outcome.errors.append(f"dbt {command[0]} did not succeed")
            break
    _release_duckdb()
    return outcome


def _interrupt_behind(error: BaseException | None) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt that caused `error`, if one did.

    A signal that lands while dbt imports its adapter can surface as another error: Python 3.11
    wraps an exception raised in a class's `__set_name__` in a RuntimeError ("Error calling
    __set_name__ ..."). Reported as a build failure it would hide that the run was stopped.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """Set one environment variable for the duration of a dbt invocation in this process."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a command.

    The notifier then opens the file read-only, and DuckDB refuses a second open of one file
    with another configuration in the same process. dbt-duckdb has no public call for this (its
    close_all_connections only drops the reference), hence the class attributes.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        if environment is not None:
            environment.close()
            DuckDBConnectionManager._ENV = None


def _node_results(result: Any) -> list[Any]:
    # `build` returns a RunExecutionResult (node results); `run-operation` returns a bool or a
    # RunOperationResultsArtifact, neither with per-node results worth reporting.
    results = getattr(result, "results", None)
    return [item for item in results or [] if hasattr(item, "node")]
