"""Read dbt's artifacts: where the latest mart version lives, and whether the last run built it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notifier.errors import BadInputError, StaleArtifactsError

MODEL_NAME = "expiring_accreditations"

# `dbt docs generate` and `dbt compile` also list the model as "success" in run_results.json,
# though they only compiled it; only these commands (re)build the table.
_BUILDING_COMMANDS = frozenset({"build", "run", "retry"})
_TEST_OK = frozenset({"pass", "warn"})

_IDENTIFIER = r'(?:"(?:[^"]|"")+"|`[^`]+`|[A-Za-z_][A-Za-z0-9_$]*)'
_RELATION = re.compile(rf"{_IDENTIFIER}(?:\.{_IDENTIFIER}){{0,2}}")
_PART = re.compile(_IDENTIFIER)


@dataclass(frozen=True)
class Relation:
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, relation_name: str) -> Relation:
        """Split dbt's rendered relation name into identifiers, refusing anything else.

        The name is spliced into SQL as an identifier, so it must be nothing but quoted or bare
        identifiers joined by dots.
        """
        if not _RELATION.fullmatch(relation_name):
            raise BadInputError(f"manifest relation name {relation_name!r} is not a table name")
        parts = []
        for match in _PART.finditer(relation_name):
            token = match.group(0)
            if token.startswith('"'):
                parts.append(token[1:-1].replace('""', '"'))
            elif token.startswith("`"):
                parts.append(token[1:-1])
            else:
                parts.append(token)
        return cls(tuple(parts))

    @property
    def sql(self) -> str:
        return ".".join('"' + part.replace('"', '""') + '"' for part in self.parts)


@dataclass(frozen=True)
class MartNode:
    unique_id: str
    relation: Relation
    # Data tests and unit tests that guard this model; all must pass in the last run.
    test_ids: frozenset[str]


_WHY = {
    "manifest": "which table holds the mart",
    "run_results": "whether the last run built and tested the mart",
}


def _load_json(path: Path, what: str) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError as exc:
        raise StaleArtifactsError(
            f"{path} is missing: run `dbt build` first ({what} tells the notifier {_WHY[what]})"
        ) from exc
    except (OSError, ValueError) as exc:
        raise StaleArtifactsError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise StaleArtifactsError(f"{path} is not a dbt {what}")
    return data


def locate_mart(target_path: Path, model_name: str = MODEL_NAME) -> MartNode:
    manifest = _load_json(target_path / "manifest.json", "manifest")
    project = manifest.get("metadata", {}).get("project_name")
    nodes: dict[str, Any] = manifest.get("nodes", {})
    candidates = [
        node
        for node in nodes.values()
        if node.get("resource_type") == "model"
        and node.get("name") == model_name
        and (project is None or node.get("package_name") == project)
    ]
    if not candidates:
        raise StaleArtifactsError(f"model {model_name!r} is not in {target_path / 'manifest.json'}")
    latest = [
        node for node in candidates if str(node.get("version")) == str(node.get("latest_version"))
    ]
    if len(latest) != 1:
        raise StaleArtifactsError(
            f"cannot tell the latest version of {model_name!r} in the manifest "
            f"(versions: {sorted(str(node.get('version')) for node in candidates)})"
        )
    node = latest[0]
    unique_id = str(node["unique_id"])
    if not node.get("relation_name"):
        raise StaleArtifactsError(f"{unique_id} has no relation (is it materialized ephemeral?)")
    tests = {
        test_id
        for test_id, test in nodes.items()
        if test.get("resource_type") == "test"
        and (
            test.get("attached_node") == unique_id
            or (not test.get("attached_node") and unique_id in test["depends_on"]["nodes"])
        )
    }
    tests.update(
        test_id
        for test_id, test in manifest.get("unit_tests", {}).items()
        if unique_id in test.get("depends_on", {}).get("nodes", [])
    )
    return MartNode(
        unique_id=unique_id,
        relation=Relation.parse(str(node["relation_name"])),
        test_ids=frozenset(tests),
    )


def freshness_problems(
    target_path: Path, mart: MartNode, target_name: str, profile_default: str
) -> list[str]:
    """Why the last dbt invocation does not vouch for the mart; empty when it does.

    A model that is absent from the last run's results (a `dbt test`, `dbt docs generate` or a
    run that selected other models came last) counts as a problem: nothing then says that the
    table holds what the current code and data would give.
    """
    try:
        results = _load_json(target_path / "run_results.json", "run_results")
    except StaleArtifactsError as exc:
        return [str(exc)]
    args = results.get("args", {})
    command = args.get("which")
    problems = []
    if command not in _BUILDING_COMMANDS:
        problems.append(f"the last dbt command was `{command}`, which does not build the mart")
    run_target = args.get("target") or profile_default
    if run_target != target_name:
        problems.append(f"the last dbt run used target {run_target!r}, not {target_name!r}")
    statuses = {result["unique_id"]: result.get("status") for result in results.get("results", [])}
    model_status = statuses.get(mart.unique_id)
    if model_status is None:
        problems.append(f"{mart.unique_id} was not part of the last dbt run")
    elif model_status != "success":
        problems.append(f"{mart.unique_id} ended with status {model_status!r} in the last run")
    for test_id in sorted(mart.test_ids):
        status = statuses.get(test_id)
        if status is None and test_id.startswith("unit_test."):
            # `notifier run` builds without unit tests (they check logic on fixed inputs, in
            # `make test`); one that did run must have passed.
            continue
        if status is None:
            problems.append(f"test {test_id} did not run in the last dbt run")
        elif status not in _TEST_OK:
            problems.append(f"test {test_id} ended with status {status!r}")
    return problems
