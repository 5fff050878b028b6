"""The compiled Athena SQL is Trino SQL: it parses, and uses no DuckDB-only construct."""

from __future__ import annotations

import re

import pytest
import sqlglot
from athena_testing import AthenaProject
from dbt_testing import REPO_ROOT
from sqlglot import expressions as exp

# Functions DuckDB has and Trino does not; a model that used one would fail only on Athena.
DUCKDB_ONLY_FUNCTIONS = [
    "list_filter",
    "list_transform",
    "list_value",
    "list_extract",
    "list_aggregate",
    "len",
    "strptime",
    "try_strptime",
    "strftime",
    "json_extract_string",
    "json_extract_path_text",
    "json_valid",
    "json_type",
    "json",
    "read_json",
    "read_json_auto",
    "read_csv",
    "read_csv_auto",
    "read_parquet",
    "struct_pack",
    "regexp_full_match",
    "regexp_matches",
    "string_split",
    "epoch",
    "today",
    "glob",
    "array_length",
    "current_localtimestamp",
]
DUCKDB_ONLY_SYNTAX = {
    **{f"{name}()": re.compile(rf"\b{name}\s*\(", re.IGNORECASE) for name in DUCKDB_ONLY_FUNCTIONS},
    "::": re.compile(r"::"),
    "* exclude": re.compile(r"\*\s*exclude\b", re.IGNORECASE),
    "qualify": re.compile(r"\bqualify\b", re.IGNORECASE),
    "lambda": re.compile(r"\blambda\b", re.IGNORECASE),
    "trailing comma before from": re.compile(r",\s*\bfrom\b", re.IGNORECASE),
    "interval arithmetic": re.compile(r"\binterval\b", re.IGNORECASE),
    "json[] list type": re.compile(r"\bjson\s*\[\]", re.IGNORECASE),
}
# Trino functions that sqlglot parses as unknown ("anonymous") functions, each checked against
# Trino's function reference. Any other unknown function name fails the test. to_milliseconds
# (interval -> bigint) comes from dbt-athena's datediff; json_size(json, path) counts an object's
# members, fail(message) raises the input gate's error.
TRINO_FUNCTIONS_UNKNOWN_TO_SQLGLOT = {
    "is_json_scalar",
    "json_array_length",
    "to_milliseconds",
    "json_size",
    "fail",
}


def without_string_literals(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def duckdb_only_constructs(sql: str) -> set[str]:
    text = without_string_literals(sql)
    return {name for name, pattern in DUCKDB_ONLY_SYNTAX.items() if pattern.search(text)}


def unknown_functions(tree: exp.Expression) -> set[str]:
    names = {node.name.lower() for node in tree.walk() if isinstance(node, exp.Anonymous)}
    return names - TRINO_FUNCTIONS_UNKNOWN_TO_SQLGLOT


def compiled_sql(athena_project: AthenaProject) -> dict[str, str]:
    sql = {}
    for resource_type in ("model", "test"):
        for unique_id, node in athena_project.nodes(resource_type).items():
            if node.get("compiled_code"):
                sql[unique_id] = node["compiled_code"]
    return sql


def test_every_model_and_test_compiled_for_athena(athena_project: AthenaProject) -> None:
    models = athena_project.nodes("model")
    # One model per SQL file (a versioned model has one file per version).
    assert len(models) == len(list((REPO_ROOT / "models").rglob("*.sql")))
    tests = athena_project.nodes("test")
    singular = {node["name"] for node in tests.values() if not node.get("test_metadata")}
    assert singular == {path.stem for path in (REPO_ROOT / "tests").glob("*.sql")}
    assert set(compiled_sql(athena_project)) == set(models) | set(tests)


def test_compiled_sql_parses_as_trino_and_has_no_duckdb_only_constructs(
    athena_project: AthenaProject,
) -> None:
    problems = {}
    for unique_id, sql in compiled_sql(athena_project).items():
        tree = sqlglot.parse_one(sql, read="athena", error_level=sqlglot.ErrorLevel.RAISE)
        found = duckdb_only_constructs(sql) | unknown_functions(tree)
        if found:
            problems[unique_id] = sorted(found)
    assert problems == {}


# Shorthand classes whose meaning differs between RE2 (DuckDB) and Joni (Trino, Java syntax):
# Java's \s matches the vertical tab, RE2's does not; \w, \d and \b differ on Unicode input.
REGEX_SHORTHANDS = re.compile(r"\\[sSdDwWbBpP]")


def test_no_regular_expression_uses_a_shorthand_class(athena_project: AthenaProject) -> None:
    # The differential test runs the Athena SQL on RE2: it proves the patterns only when they
    # mean the same to both engines.
    found = {
        unique_id: literals
        for unique_id, sql in compiled_sql(athena_project).items()
        if (
            literals := [
                literal
                for literal in re.findall(r"'((?:[^']|'')*)'", sql)
                if REGEX_SHORTHANDS.search(literal)
            ]
        )
    }
    assert found == {}


def test_the_check_catches_duckdb_syntax() -> None:
    # The checks above must see what they look for, or the previous test proves nothing.
    duckdb_sql = (
        "select len(list_filter(xs, lambda x: x > 1)), json_extract_string(j, '$.a'), y::int,"
        " * exclude (z), some_duckdb_macro(y) from t qualify row_number() over () = 1"
    )
    assert {
        "len()",
        "list_filter()",
        "json_extract_string()",
        "::",
        "* exclude",
        "qualify",
        "lambda",
    } <= duckdb_only_constructs(duckdb_sql)
    tree = sqlglot.parse_one("select some_duckdb_macro(y), is_json_scalar(j) from t", read="athena")
    assert unknown_functions(tree) == {"some_duckdb_macro"}


@pytest.mark.parametrize(
    "model",
    [
        "base_facility_records",
        "stg_accreditations",
        "current_accreditations",
        "expiring_accreditations.v2",
        "expiring_accreditations.v3",
    ],
)
def test_engine_specific_pieces_use_the_trino_functions(
    athena_project: AthenaProject, model: str
) -> None:
    sql = athena_project.nodes("model")[f"model.accreditation_monitor.{model}"]["compiled_code"]
    expected = {
        "base_facility_records": [
            "try(json_parse(",
            "json_format(",
            "array(json)",
            "cardinality(",
            '"$path"',
        ],
        "stg_accreditations": [
            "cross join unnest(",
            "with ordinality",
            "array(json)",
            "json_parse(",
        ],
        # dbt's datediff as dbt-athena writes it: the date difference in milliseconds.
        "current_accreditations": [
            "((to_milliseconds((CAST(CAST(latest_per_body.valid_until AS TIMESTAMP) AS DATE)"
            " - CAST(CAST(date '2025-01-15' AS TIMESTAMP) AS DATE)))) / 86400000)",
        ],
        # dbt's dateadd as dbt-athena writes it: Trino's date_add by month clamps to the end of
        # the month.
        "expiring_accreditations.v2": [
            "cast(date_add('month', 6, date '2025-01-15') as date)",
        ],
        # The null-safe match of acknowledgements, which Trino has as DuckDB does.
        "expiring_accreditations.v3": [
            "cast(date_add('month', 6, date '2025-01-15') as date)",
            "expiring.accreditation_body is not distinct from acknowledgements.accreditation_body",
            "expiring.accreditation_id is not distinct from acknowledgements.accreditation_id",
        ],
    }[model]
    for piece in expected:
        assert piece in sql, piece
