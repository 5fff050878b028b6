"""iam/dbt-athena-policy.json: least privilege for dbt on Athena, checked by an IAM linter."""

from __future__ import annotations

import json
import re

from dbt_testing import REPO_ROOT
from parliament import analyze_policy_string

POLICY = REPO_ROOT / "iam" / "dbt-athena-policy.json"
PLACEHOLDERS = {"REGION": "us-east-1", "ACCOUNT": "123456789012"}

# What dbt-athena calls for this project (read off dbt/adapters/athena: connections.py and
# impl.py), plus what Athena itself needs for DDL and CTAS on the Glue catalog and S3.
NEEDED_ACTIONS = {
    "athena:StartQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:StopQueryExecution",
    "athena:GetWorkGroup",
    "athena:ListTableMetadata",
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:CreateDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:DeleteTable",
    "glue:GetTableVersions",
    "glue:DeleteTableVersion",
    "glue:GetPartitions",
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
}


def statements() -> list[dict[str, object]]:
    return list(json.loads(POLICY.read_text())["Statement"])


def as_list(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]


def test_the_policy_passes_the_linter() -> None:
    text = POLICY.read_text()
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    findings = analyze_policy_string(text).findings
    assert [(finding.issue, finding.detail) for finding in findings] == []


def test_it_allows_what_dbt_athena_calls() -> None:
    allowed = {action for statement in statements() for action in as_list(statement["Action"])}
    assert allowed >= NEEDED_ACTIONS


def test_it_allows_nothing_beyond_the_project() -> None:
    for statement in statements():
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            assert "*" not in action, action
        for resource in as_list(statement["Resource"]):
            assert resource != "*", statement["Sid"]
            if resource.startswith("arn:aws:glue"):
                assert re.search(
                    r":(catalog|database/ATHENA_SCHEMA|table/ATHENA_SCHEMA/\*)$", resource
                )
            if resource.startswith("arn:aws:s3"):
                assert re.fullmatch(
                    r"arn:aws:s3:::(DATA_BUCKET(/raw/\*|/tables/\*)?|RESULTS_BUCKET(/staging/\*)?)",
                    resource,
                ), resource
    writes_raw = [
        statement
        for statement in statements()
        if "arn:aws:s3:::DATA_BUCKET/raw/*" in as_list(statement["Resource"])
        and set(as_list(statement["Action"])) - {"s3:GetObject"}
    ]
    assert writes_raw == [], "dbt only reads the raw files"
