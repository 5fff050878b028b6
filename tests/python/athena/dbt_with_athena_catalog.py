"""Run the dbt CLI against moto with the Glue catalog effects of the Athena statements it sends.

moto accepts Athena queries but does not execute them, so a `create table ... as select` leaves
no table in moto's Glue catalog and dbt-athena's next Glue call (persisting the docs) fails.
This wrapper stands in for the Athena engine's catalog side only: after moto accepts a DDL or
CTAS statement, it makes the same change in moto's Glue catalog through the real Glue API (the
columns of a CTAS table are the ones dbt declares for the model). Everything dbt sends still
goes over HTTP to the moto server, which keeps the query executions. It computes no rows: the
differential test does that. Note that moto answers every query, including the two empty
queries of dbt's contract check, with no columns, so on the emulator that check compares
nothing; the local target enforces the contracts and the differential test compares columns.

    python dbt_with_athena_catalog.py <dbt arguments>
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import boto3
import botocore.handlers
from dbt.cli.main import dbtRunner

NAME = r'[`"]?(\w+)[`"]?'
CREATE_DATABASE = re.compile(rf"^\s*create (?:database|schema) if not exists {NAME}", re.I)
CREATE_EXTERNAL_TABLE = re.compile(
    rf"^\s*create external table if not exists {NAME}\.{NAME}\s*\((.*?)\)\s*row format.*?"
    r"location '([^']+)'",
    re.I | re.S,
)
CREATE_TABLE_AS = re.compile(
    rf"^\s*create table (?:{NAME}\.)?{NAME}\.{NAME}\s+with \((.*?)\)\s+as\b", re.I | re.S
)
CREATE_VIEW = re.compile(rf"^\s*create or replace view\s+(?:{NAME}\.)?{NAME}\.{NAME}\s+as\b", re.I)
DROP = re.compile(rf"^\s*drop (?:table|view) if exists (?:{NAME}\.)?{NAME}\.{NAME}", re.I)
QUERY_COMMENT = re.compile(r"^(\s*--[^\n]*\n)+")


def glue() -> Any:
    return boto3.session.Session().client("glue")


def declared_columns(table: str) -> list[dict[str, str]]:
    """The columns dbt declares for the model built as `table` (its YAML, its contract)."""
    manifest = json.loads((Path(os.environ["DBT_TARGET_PATH"]) / "manifest.json").read_text())
    for node in manifest["nodes"].values():
        if node["resource_type"] in ("model", "seed") and node.get("alias") == table:
            return [
                {"Name": name, "Type": column.get("data_type") or "string"}
                for name, column in node["columns"].items()
            ]
    return []


def remember_request(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["request"] = dict(params)


def apply_catalog_effect(context: dict[str, Any], **_: Any) -> None:
    query = QUERY_COMMENT.sub("", context["request"]["QueryString"])
    catalog = glue()
    if match := CREATE_DATABASE.match(query):
        with contextlib.suppress(catalog.exceptions.AlreadyExistsException):
            catalog.create_database(DatabaseInput={"Name": match.group(1)})
    elif match := CREATE_EXTERNAL_TABLE.match(query):
        database, table, columns, location = match.groups()
        column_list = [
            {"Name": name.strip("`"), "Type": kind}
            for name, kind in re.findall(r"(`?\w+`?)\s+(\w+)", columns)
        ]
        create_table(catalog, database, table, column_list, location, "EXTERNAL_TABLE")
    elif match := CREATE_TABLE_AS.match(query):
        database, table, properties = match.group(2), match.group(3), match.group(4)
        location = re.search(r"external_location='([^']+)'", properties)
        create_table(
            catalog,
            database,
            table,
            declared_columns(table),
            location.group(1) if location else "",
            "EXTERNAL_TABLE",
        )
    elif match := CREATE_VIEW.match(query):
        database, table = match.group(2), match.group(3)
        create_table(catalog, database, table, declared_columns(table), "", "VIRTUAL_VIEW")
    elif match := DROP.match(query):
        with contextlib.suppress(catalog.exceptions.EntityNotFoundException):
            catalog.delete_table(DatabaseName=match.group(2), Name=match.group(3))


def create_table(
    catalog: Any,
    database: str,
    table: str,
    columns: list[dict[str, str]],
    location: str,
    table_type: str,
) -> None:
    with contextlib.suppress(catalog.exceptions.EntityNotFoundException):
        catalog.delete_table(DatabaseName=database, Name=table)
    catalog.create_table(
        DatabaseName=database,
        TableInput={
            "Name": table,
            "TableType": table_type,
            "Parameters": {"classification": "parquet"} if location else {},
            "StorageDescriptor": {"Columns": columns, "Location": location},
        },
    )


botocore.handlers.BUILTIN_HANDLERS.extend(
    [
        ("provide-client-params.athena.StartQueryExecution", remember_request),
        ("after-call.athena.StartQueryExecution", apply_catalog_effect),
    ]
)

if __name__ == "__main__":
    result = dbtRunner().invoke(sys.argv[1:])
    sys.exit(0 if result.success else 1)
