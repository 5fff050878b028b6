"""The docs site is complete: every node, column and macro described, marts keyed and contracted.

Reads the manifest of a fresh `dbt parse` (its own target path, so a stale target/ never
answers), once for the module.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import defaultdict
from typing import Any

import pytest
from dbt_testing import DBT, REPO_ROOT, dbt_env

# Each test reads the manifest of a real `dbt parse`.
pytestmark = pytest.mark.integration

PROJECT = "accreditation_monitor"
MARTS_DIR = "models/marts/"
UNIQUE_KEY_TESTS = {"unique", "unique_combination_of_columns"}
PRIVATE_MACRO = re.compile(r"^(_|(default|duckdb|athena)__)")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("dbt_parse")
    completed = subprocess.run(
        [DBT, "parse", "--target", "local", "--target-path", str(workdir / "target")],
        cwd=REPO_ROOT,
        env=dbt_env(DBT_LOG_PATH=str(workdir / "logs"), DUCKDB_PATH=str(workdir / "w.duckdb")),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
    # A patch for a macro that no longer exists is only a warning in dbt: make it a failure here.
    assert "which was not found" not in completed.stdout, completed.stdout[-4000:]
    result: dict[str, Any] = json.loads((workdir / "target" / "manifest.json").read_text())
    return result


def own(nodes: dict[str, dict[str, Any]], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        unique_id: node
        for unique_id, node in nodes.items()
        if node["resource_type"] == resource_type and node["package_name"] == PROJECT
    }


def models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return own(manifest["nodes"], "model")


def test_every_model_and_version_is_described(manifest: dict[str, Any]) -> None:
    found = models(manifest)
    # One model per file under models/ (a versioned mart has one file per version).
    assert sorted(node["original_file_path"] for node in found.values()) == sorted(
        str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "models").rglob("*.sql")
    )
    assert len(found) == 18
    assert [uid for uid, node in found.items() if not node["description"].strip()] == []


def test_every_column_is_described(manifest: dict[str, Any]) -> None:
    undocumented = [
        f"{uid}.{name}"
        for resource_type in ("model", "seed")
        for uid, node in own(manifest["nodes"], resource_type).items()
        for name, column in node["columns"].items()
        if not column["description"].strip()
    ]
    undocumented += [
        f"{uid}.{name}"
        for uid, source in manifest["sources"].items()
        for name, column in source["columns"].items()
        if not column["description"].strip()
    ]
    assert undocumented == []


def test_shared_column_meanings_come_from_doc_blocks(manifest: dict[str, Any]) -> None:
    """A column name used by more than one model says what it means once, in a doc block."""
    usages: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for node in models(manifest).values():
        for name, column in node["columns"].items():
            usages[name].append((node["name"], column.get("doc_blocks", [])))
    inline = [
        f"{name} in {model}"
        for name, uses in usages.items()
        if len({model for model, _ in uses}) > 1
        for model, doc_blocks in uses
        if not doc_blocks
    ]
    assert inline == [], "describe these with '{{ doc(\"<column>\") }}' from a _<folder>__docs.md"


def test_every_mart_has_an_enforced_contract_and_a_unique_key_test(
    manifest: dict[str, Any],
) -> None:
    marts = {
        uid: node
        for uid, node in models(manifest).items()
        if node["original_file_path"].startswith(MARTS_DIR)
    }
    assert len(marts) == 9
    tested: dict[str, set[str]] = defaultdict(set)
    for test in own(manifest["nodes"], "test").values():
        metadata = test.get("test_metadata") or {}
        name = metadata.get("name")
        # row_checks tests a key only when it is given one under `unique`.
        if name in UNIQUE_KEY_TESTS or (name == "row_checks" and metadata["kwargs"].get("unique")):
            for parent in test["depends_on"]["nodes"]:
                tested[parent].add(name)
    problems = [
        f"{uid}: contract not enforced"
        for uid, node in marts.items()
        if not node["config"]["contract"]["enforced"]
    ]
    problems += [f"{uid}: no unique-key test" for uid in marts if not tested[uid]]
    assert problems == []


def test_every_macro_and_generic_test_is_described_with_its_arguments(
    manifest: dict[str, Any],
) -> None:
    macros = own(manifest["macros"], "macro")
    assert "macro.accreditation_monitor.test_expression_is_true" in macros
    problems = []
    for uid, macro in macros.items():
        # Engine bodies and `_` helpers are private: the docs site describes the public API only.
        if PRIVATE_MACRO.match(macro["name"]):
            if macro["description"].strip() or macro["arguments"]:
                problems.append(f"{uid}: private, give it no entry")
            continue
        if not macro["description"].strip():
            problems.append(f"{uid}: no description")
        signature = re.search(r"\{%-?\s*(?:macro|test)\s+\w+\s*\(([^)]*)\)", macro["macro_sql"])
        declared = (
            [arg.split("=")[0].strip() for arg in signature.group(1).split(",") if arg.strip()]
            if signature
            else []
        )
        described = {arg["name"]: arg.get("description", "") for arg in macro["arguments"]}
        problems += [
            f"{uid}: argument {arg} not described"
            for arg in declared
            if not described.get(arg, "").strip()
        ]
        problems += [
            f"{uid}: describes unknown argument {arg}" for arg in described if arg not in declared
        ]
    assert problems == [], "describe them in macros/_macros__properties.yml"


def test_sources_seeds_and_singular_tests_are_described(manifest: dict[str, Any]) -> None:
    problems = [
        uid
        for uid, source in manifest["sources"].items()
        if not (source["description"].strip() and source["source_description"].strip())
    ]
    problems += [
        uid for uid, seed in own(manifest["nodes"], "seed").items() if not seed["description"]
    ]
    problems += [
        uid
        for uid, test in own(manifest["nodes"], "test").items()
        if not test.get("test_metadata") and not test["description"].strip()
    ]
    assert manifest["sources"] and own(manifest["nodes"], "seed")
    assert problems == []


def test_the_notifier_exposure_reads_the_latest_expiring_accreditations(
    manifest: dict[str, Any],
) -> None:
    exposure = manifest["exposures"][f"exposure.{PROJECT}.notifier"]
    latest = manifest["nodes"][f"model.{PROJECT}.expiring_accreditations.v3"]
    assert latest["latest_version"] == 3
    assert exposure["type"] == "application"
    assert exposure["owner"]["name"] or exposure["owner"]["email"]
    assert exposure["maturity"] in {"low", "medium", "high"}
    assert exposure["url"] and exposure["description"].strip()
    # The latest version (an unpinned ref, so a new version needs no edit here) and the current
    # accreditations, which tell a renewal from an accreditation that no longer appears.
    assert sorted(exposure["depends_on"]["nodes"]) == [
        f"model.{PROJECT}.current_accreditations",
        latest["unique_id"],
    ]
    assert exposure["refs"] == [
        {"name": "expiring_accreditations", "package": None, "version": None},
        {"name": "current_accreditations", "package": None, "version": None},
    ]


def test_the_docs_site_is_generated_without_usage_tracking(manifest: dict[str, Any]) -> None:
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
