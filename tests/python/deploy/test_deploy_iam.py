"""The task role in deploy/template.yaml is the three policies in iam/, bound to the stack.

Each policy file, with its placeholders replaced by the deployed stack's names, must equal the
role's inline policy as moto's CloudFormation resolved it from the template: same Sids, same
actions, same conditions, resources on the stack's own buckets, topics, key, work group and
schema. So neither can change without the other. The two deliberate differences are applied to
the files here, and are explained in the template next to TaskRole.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from deploy_testing import ACCOUNT, IAM_DIR, REGION, Stack, stored_policy
from parliament import analyze_policy_string  # type: ignore[import-untyped]


def rendered_file(name: str, replacements: list[tuple[str, str]]) -> dict[str, Any]:
    text = (IAM_DIR / name).read_text()
    for placeholder, value in replacements:
        text = text.replace(placeholder, value)
    policy: dict[str, Any] = json.loads(text)
    return policy


def stack_replacements(stack: Stack) -> list[tuple[str, str]]:
    """Placeholder -> value, longest first where one placeholder contains another."""
    ids = stack.physical_ids
    return [
        # Differences by design (see the template): results under athena/, and the alerts
        # topic by ARN since generated topic names do not match accreditation-*.
        ("RESULTS_BUCKET/staging/", f"{ids['ResultsBucket']}/athena/"),
        ('"staging/*"', '"athena/*"'),
        ("arn:aws:sns:REGION:ACCOUNT:accreditation-*", ids["AlertsTopic"]),
        # Plain placeholders.
        ("DATA_BUCKET/DATA_PREFIX", f"{ids['DataBucket']}/tables"),
        ('"DATA_PREFIX/*"', '"tables/*"'),
        ("STAGING_BUCKET/STAGING_PREFIX", f"{ids['ResultsBucket']}/athena"),
        ("STAGING_BUCKET", ids["ResultsBucket"]),
        ("LEDGER_BUCKET", ids["ResultsBucket"]),
        ("RESULTS_BUCKET", ids["ResultsBucket"]),
        ("DATA_BUCKET", ids["DataBucket"]),
        ("WORK_GROUP", stack.name),
        ("ATHENA_SCHEMA", "accreditation_monitor"),
        ("OPS_TOPIC", ids["OpsTopic"].rsplit(":", 1)[1]),
        ("TOPIC_KEY_ID", ids["PipelineKey"]),
        ("METRICS_NAMESPACE", "AccreditationMonitor"),
        ("REGION", REGION),
        ("ACCOUNT", ACCOUNT),
    ]


def task_role_policy(stack: Stack, policy_name: str) -> dict[str, Any]:
    document = stack.aws.client("iam").get_role_policy(
        RoleName=stack.physical_ids["TaskRole"], PolicyName=policy_name
    )["PolicyDocument"]
    return stored_policy(document)


@pytest.mark.parametrize(
    ("policy_file", "inline_policy"),
    [
        ("dbt-athena-policy.json", "dbt-athena"),
        ("notifier-policy.json", "notifier"),
        ("pipeline-run-policy.json", "pipeline-run"),
    ],
)
def test_the_task_role_is_the_iam_policy_files_bound_to_the_stack(
    stack: Stack, policy_file: str, inline_policy: str
) -> None:
    expected = rendered_file(policy_file, stack_replacements(stack))
    deployed = task_role_policy(stack, inline_policy)
    assert [statement["Sid"] for statement in deployed["Statement"]] == [
        statement["Sid"] for statement in expected["Statement"]
    ]
    assert deployed == expected


def test_the_task_role_has_exactly_the_three_policies(stack: Stack) -> None:
    iam = stack.aws.client("iam")
    role = stack.physical_ids["TaskRole"]
    assert sorted(iam.list_role_policies(RoleName=role)["PolicyNames"]) == [
        "dbt-athena",
        "notifier",
        "pipeline-run",
    ]
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []


def test_the_pipeline_run_policy_passes_the_linter() -> None:
    text = (IAM_DIR / "pipeline-run-policy.json").read_text()
    for placeholder, value in {
        "OPS_TOPIC": "accmon-OpsTopic-1A2B3C",
        "TOPIC_KEY_ID": "1234abcd-12ab-34cd-56ef-1234567890ab",
        "RESULTS_BUCKET": "accmon-resultsbucket-1a2b3c",
        "METRICS_NAMESPACE": "AccreditationMonitor",
        "REGION": REGION,
        "ACCOUNT": ACCOUNT,
    }.items():
        text = text.replace(placeholder, value)
    findings = analyze_policy_string(text).findings
    assert [(finding.issue, finding.detail) for finding in findings] == []


def test_the_pipeline_run_policy_grants_what_notifier_run_adds() -> None:
    statements = {
        statement["Sid"]: statement
        for statement in json.loads((IAM_DIR / "pipeline-run-policy.json").read_text())["Statement"]
    }
    assert statements == {
        "ReportRunFailures": {
            "Sid": "ReportRunFailures",
            "Effect": "Allow",
            "Action": ["sns:Publish", "sns:GetTopicAttributes"],
            "Resource": "arn:aws:sns:REGION:ACCOUNT:OPS_TOPIC",
        },
        "UseTheTopicKey": {
            "Sid": "UseTheTopicKey",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": "arn:aws:kms:REGION:ACCOUNT:key/TOPIC_KEY_ID",
        },
        "WriteExports": {
            "Sid": "WriteExports",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::RESULTS_BUCKET/production/*",
        },
        "PutRunMetrics": {
            "Sid": "PutRunMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "METRICS_NAMESPACE"}},
        },
    }
