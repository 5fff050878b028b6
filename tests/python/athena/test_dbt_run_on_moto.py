"""`dbt run --target athena` against a local AWS emulator (moto server) over HTTP.

It gets through connection, schema creation, the raw table and every model's statement; the
SQL that reached the emulator is the compiled Athena SQL that the other Athena tests check.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlglot
from athena_testing import AS_OF, ATHENA_ENV, AthenaProject
from dbt_testing import FIXTURES_DIR, REPO_ROOT, dbt_env

WRAPPER = Path(__file__).with_name("dbt_with_athena_catalog.py")
BUCKET = "accreditation-data"
RESULTS_BUCKET = "accreditation-athena-results"


AS_OF_DATE_CHECK = "operation.accreditation_monitor.accreditation_monitor-on-run-start-0"


def dbt_on_moto(workdir: Path, moto_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    target_path = workdir / "target"
    return subprocess.run(
        [
            sys.executable,
            str(WRAPPER),
            *args,
            "--target",
            "athena",
            "--target-path",
            str(target_path),
        ],
        cwd=REPO_ROOT,
        env=dbt_env(
            **ATHENA_ENV,
            AWS_ENDPOINT_URL=moto_url,
            ATHENA_POLL_INTERVAL="0.05",
            DBT_TARGET_PATH=str(target_path),
            DBT_LOG_PATH=str(workdir / "logs"),
        ),
        capture_output=True,
        text=True,
        check=False,
    )


@dataclass
class Sent:
    queries: list[str]  # every query Athena (the emulator) received, in no particular order
    run_results: dict[str, Any]  # of `dbt run`
    seed_results: dict[str, Any]  # of `dbt seed`


@pytest.fixture(scope="module")
def sent_queries(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Sent:
    s3 = boto3.client("s3", region_name="us-east-1")
    for bucket in (BUCKET, RESULTS_BUCKET):
        s3.create_bucket(Bucket=bucket)
    for path in sorted((FIXTURES_DIR / "bad_input").glob("*.ndjson")):
        s3.upload_file(str(path), BUCKET, f"raw/{path.name}")
    workdir = tmp_path_factory.mktemp("athena_on_moto")
    results = {}
    for args in (
        ["run-operation", "create_raw_facility_lines"],
        ["seed"],
        ["run", "--vars", json.dumps({"as_of_date": AS_OF, "max_rejected_share": 1})],
    ):
        completed = dbt_on_moto(workdir, moto_url, *args)
        assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
        if args[0] != "run-operation":
            results[args[0]] = json.loads((workdir / "target" / "run_results.json").read_text())
    athena = boto3.client("athena", region_name="us-east-1")
    ids: list[str] = []
    for page in athena.get_paginator("list_query_executions").paginate():
        ids += page["QueryExecutionIds"]
    queries = [
        athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Query"]
        for query_id in ids
    ]
    return Sent(queries, results["run"], results["seed"])


def test_every_model_ran_on_the_emulator(sent_queries: Sent, athena_project: AthenaProject) -> None:
    run_results = sent_queries.run_results
    statuses = {result["unique_id"]: result["status"] for result in run_results["results"]}
    # An ephemeral model is no statement of its own: it is compiled into the models that read it.
    built = {
        unique_id
        for unique_id, node in athena_project.nodes("model").items()
        if node["config"]["materialized"] != "ephemeral"
    }
    # The on-run-start check of the as-of date renders no SQL, and succeeds on Athena too.
    assert statuses == dict.fromkeys({*built, AS_OF_DATE_CHECK}, "success")


def test_schema_and_raw_table_statements_reached_athena(
    sent_queries: Sent,
) -> None:
    queries = sent_queries.queries
    # The raw-table operation creates the schema (database); dbt then finds it in Glue.
    assert any("create database if not exists `accreditation_monitor`" in q for q in queries)
    [raw_ddl] = {q for q in queries if "create external table" in q and "facility_lines" in q}
    assert f"location 's3://{BUCKET}/raw/'" in raw_ddl
    # The whole line is the one column: a field delimiter (even \001) would cut a line there.
    assert "row format serde 'org.apache.hadoop.hive.serde2.RegexSerDe'" in raw_ddl
    assert "with serdeproperties ('input.regex' = '(?s)(.*)')" in raw_ddl
    tree = sqlglot.parse_one(raw_ddl, read="athena")
    assert isinstance(tree, sqlglot.expressions.Create)
    assert [column.name for column in tree.find_all(sqlglot.expressions.ColumnDef)] == ["line"]


def test_each_statement_sent_is_the_compiled_sql(
    sent_queries: Sent, athena_project: AthenaProject
) -> None:
    # The adapter re-flows white space (blank lines, indentation) before sending; compare words.
    queries = [" ".join(query.split()) for query in sent_queries.queries]
    for unique_id, node in athena_project.nodes("model").items():
        relation = node["relation_name"]
        materialization = node["config"]["materialized"]
        if materialization == "ephemeral":
            continue
        statement = (
            f"create table {relation}" if materialization == "table" else "create or replace view"
        )
        compiled = " ".join(node["compiled_code"].split())
        carrying = [q for q in queries if statement in q and compiled in q and relation in q]
        assert len(carrying) == 1, unique_id
        if materialization == "table":
            assert "format='parquet'" in carrying[0], unique_id


def test_descriptions_reached_the_glue_catalog(
    sent_queries: Sent,
) -> None:
    table = boto3.client("glue", region_name="us-east-1").get_table(
        DatabaseName="accreditation_monitor", Name="expiring_accreditations_v2"
    )["Table"]
    assert "current accreditation" in table["Description"]
    columns = {
        column["Name"]: column.get("Comment", "")
        for column in table["StorageDescriptor"]["Columns"]
    }
    assert "valid_until - as_of_date" in columns["days_until_expiry"]


def test_every_seed_loaded_on_the_emulator_with_its_declared_types(
    sent_queries: Sent, athena_project: AthenaProject
) -> None:
    statuses = {
        result["unique_id"]: result["status"] for result in sent_queries.seed_results["results"]
    }
    seeds = athena_project.nodes("seed")
    assert statuses == dict.fromkeys({*seeds, AS_OF_DATE_CHECK}, "success")
    # dbt-athena uploads the CSV, reads it as text and casts each column to its column_types in
    # a CTAS; the empty alert seeds go the same way.
    queries = [" ".join(query.split()) for query in sent_queries.queries]
    for seed in seeds.values():
        relation = seed["relation_name"]
        [ctas] = [q for q in queries if f"create table {relation}" in q]
        for column, data_type in seed["config"]["column_types"].items():
            assert f"cast(nullif({column}, '') as {data_type}) as {column}" in ctas, column
