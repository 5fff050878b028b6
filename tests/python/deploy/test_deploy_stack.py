"""deploy/template.yaml deployed on moto's CloudFormation: what each resource is, read back from
the services. What moto's CloudFormation skips (see deploy_testing.SKIPPED_BY_MOTO_CLOUDFORMATION)
is created by `complete_stack` through the services' APIs from the template's own properties,
so it is checked the same way; the few properties moto's models drop are checked on the parsed
template, and each such test says so."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError
from dbt_testing import REPO_ROOT
from deploy_testing import (
    ACCOUNT,
    IMAGE_URI,
    REGION,
    SKIPPED_BY_MOTO_CLOUDFORMATION,
    Aws,
    Stack,
    deploy_stack,
    register_for_execution,
    resources_of_type,
    set_execute_state_machines,
    stored_policy,
    wait_for,
)


def policy_statements(stack: Stack, role_logical_id: str) -> dict[str, dict[str, Any]]:
    """Every statement of the role's inline policies, by Sid, as moto's IAM stored it."""
    iam = stack.aws.client("iam")
    role_name = stack.physical_ids[role_logical_id]
    statements = {}
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)
        for statement in stored_policy(document["PolicyDocument"])["Statement"]:
            statements[statement["Sid"]] = statement
    return statements


def role_arn(stack: Stack, logical_id: str) -> str:
    return str(
        stack.aws.client("iam").get_role(RoleName=stack.physical_ids[logical_id])["Role"]["Arn"]
    )


def pipeline_definition(stack: Stack) -> dict[str, Any]:
    description = stack.aws.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.outputs["PipelineStateMachineArn"]
    )
    definition: dict[str, Any] = json.loads(description["definition"])
    return definition


def arrival_definition(stack: Stack) -> dict[str, Any]:
    description = stack.aws.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.outputs["ArrivalStateMachineArn"]
    )
    definition: dict[str, Any] = json.loads(description["definition"])
    return definition


# ---------------------------------------------------------------------------- the stack
def test_moto_creates_every_resource_but_the_types_it_does_not_model(
    stack: Stack, template: dict[str, Any]
) -> None:
    created = set(stack.physical_ids)
    skipped = {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] in SKIPPED_BY_MOTO_CLOUDFORMATION
    }
    assert created == set(template["Resources"]) - skipped
    assert skipped == {
        "DataBucketPolicy",
        "ResultsBucketPolicy",
        "GlueDatabase",
        "AthenaWorkGroup",
        "DailySchedule",
        "PipelineFailedAlarm",
        "NoSuccessfulRunAlarm",
        "RejectedShareAlarm",
    }


def test_outputs_name_the_stack_resources(stack: Stack) -> None:
    ids = stack.physical_ids
    assert stack.outputs == {
        "DataBucketName": ids["DataBucket"],
        "ResultsBucketName": ids["ResultsBucket"],
        "AlertsTopicArn": ids["AlertsTopic"],
        "OpsTopicArn": ids["OpsTopic"],
        "PipelineStateMachineArn": ids["PipelineStateMachine"],
        "ArrivalStateMachineArn": ids["ArrivalStateMachine"],
        "ClusterName": ids["Cluster"],
        "TaskDefinitionArn": ids["TaskDefinition"],
        "TaskLogGroupName": ids["TaskLogGroup"],
        "AthenaSchemaName": "accreditation_monitor",
        "AthenaWorkGroupName": stack.name,
        "DashboardName": stack.name,
        "DashboardUrl": f"https://{REGION}.console.aws.amazon.com/cloudwatch/home"
        f"?region={REGION}#dashboards:name={stack.name}",
    }
    assert stack.outputs["ArrivalStateMachineArn"] == (
        f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{stack.name}-arrival"
    )


def test_the_template_hard_codes_no_account_region_bucket_or_topic(
    template: dict[str, Any],
) -> None:
    text = json.dumps(template)
    for forbidden in (ACCOUNT, "us-east-1", "us-west-2", "eu-west-1", "arn:aws:"):
        assert forbidden not in text, forbidden
    for bucket in resources_of_type(template, "AWS::S3::Bucket").values():
        assert "BucketName" not in bucket["Properties"]
    for topic in resources_of_type(template, "AWS::SNS::Topic").values():
        assert "TopicName" not in topic["Properties"]


# ---------------------------------------------------------------------------- storage
@pytest.mark.parametrize("logical_id", ["DataBucket", "ResultsBucket"])
def test_buckets_are_encrypted_private_versioned_and_tls_only(
    stack: Stack, logical_id: str
) -> None:
    s3 = stack.aws.client("s3")
    bucket = stack.physical_ids[logical_id]
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert ownership == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"] == [
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


@contextmanager
def tls_only_policy_lifted(stack: Stack, bucket: str) -> Iterator[None]:
    """moto enforces bucket policies, and the tests reach it over plain HTTP."""
    s3 = stack.aws.client("s3")
    policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    try:
        yield
    finally:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)


@pytest.mark.parametrize("logical_id", ["DataBucket", "ResultsBucket"])
def test_plain_http_is_refused(stack: Stack, logical_id: str) -> None:
    bucket = stack.physical_ids[logical_id]
    s3 = stack.aws.client("s3")
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="raw/over-http.ndjson", Body=b"{}")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with tls_only_policy_lifted(stack, bucket):
        s3.put_object(Bucket=bucket, Key="raw/over-http.ndjson", Body=b"{}")
        s3.delete_object(Bucket=bucket, Key="raw/over-http.ndjson")


def test_lifecycle_expires_old_versions_and_athena_results(stack: Stack) -> None:
    s3 = stack.aws.client("s3")
    expire_versions = {
        "ID": "ExpireOverwrittenVersions",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }
    data_rules = s3.get_bucket_lifecycle_configuration(Bucket=stack.physical_ids["DataBucket"])
    assert data_rules["Rules"] == [expire_versions]
    results_rules = s3.get_bucket_lifecycle_configuration(
        Bucket=stack.physical_ids["ResultsBucket"]
    )
    assert results_rules["Rules"] == [
        expire_versions,
        {
            "ID": "ExpireAthenaQueryResults",
            "Status": "Enabled",
            "Filter": {"Prefix": "athena/"},
            "Expiration": {"Days": 7},
        },
    ]


def test_only_the_data_bucket_sends_its_events_to_eventbridge(template: dict[str, Any]) -> None:
    # moto's GetBucketNotificationConfiguration leaves the EventBridge part out of its answer,
    # so the setting is read here; test_the_s3_rule_pattern_matches_new_raw_files_only shows
    # the events flowing from the deployed bucket.
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    notifications = {
        logical_id: bucket["Properties"].get("NotificationConfiguration")
        for logical_id, bucket in buckets.items()
    }
    assert notifications == {
        "DataBucket": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
        "ResultsBucket": None,
    }


def test_buckets_are_retained_with_the_stack(template: dict[str, Any]) -> None:
    # DeletionPolicy is CloudFormation's own behaviour: nothing to read back from moto.
    for bucket in resources_of_type(template, "AWS::S3::Bucket").values():
        assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_the_topics_are_encrypted_with_the_stack_key(stack: Stack) -> None:
    sns = stack.aws.client("sns")
    for logical_id in ("AlertsTopic", "OpsTopic"):
        attributes = sns.get_topic_attributes(TopicArn=stack.physical_ids[logical_id])
        assert attributes["Attributes"]["KmsMasterKeyId"] == stack.physical_ids["PipelineKey"]
    key = stack.aws.client("kms").describe_key(KeyId=stack.physical_ids["PipelineKey"])
    assert key["KeyMetadata"]["KeyState"] == "Enabled"
    rotation = stack.aws.client("kms").get_key_rotation_status(
        KeyId=stack.physical_ids["PipelineKey"]
    )
    assert rotation["KeyRotationEnabled"] is True
    policy = json.loads(
        stack.aws.client("kms").get_key_policy(
            KeyId=stack.physical_ids["PipelineKey"], PolicyName="default"
        )["Policy"]
    )
    principals = {statement["Sid"]: statement["Principal"] for statement in policy["Statement"]}
    assert principals == {
        "TheAccountAdministersTheKey": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "CloudWatchAlarmsPublishToTheOpsTopic": {"Service": "cloudwatch.amazonaws.com"},
        "CloudWatchLogsEncryptsTheTaskLogs": {"Service": f"logs.{REGION}.amazonaws.com"},
    }


def test_glue_database_and_athena_work_group(stack: Stack) -> None:
    database = stack.aws.client("glue").get_database(Name="accreditation_monitor")["Database"]
    assert (database["Name"], database["LocationUri"]) == (
        "accreditation_monitor",
        f"s3://{stack.physical_ids['DataBucket']}/tables/",
    )
    work_group = stack.aws.client("athena").get_work_group(WorkGroup=stack.name)["WorkGroup"]
    configuration = work_group["Configuration"]
    assert configuration["ResultConfiguration"] == {
        "OutputLocation": f"s3://{stack.physical_ids['ResultsBucket']}/athena/",
        "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
    }
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["PublishCloudWatchMetricsEnabled"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == 10 * 1024**3


# ---------------------------------------------------------------------------- the task
def test_the_task_definition_runs_the_image_with_the_pipeline_environment(stack: Stack) -> None:
    task_definition = stack.aws.client("ecs").describe_task_definition(
        taskDefinition=stack.physical_ids["TaskDefinition"]
    )["taskDefinition"]
    (container,) = task_definition["containerDefinitions"]
    results = stack.physical_ids["ResultsBucket"]
    data = stack.physical_ids["DataBucket"]
    assert (container["name"], container["image"], container["essential"]) == (
        "pipeline",
        IMAGE_URI,
        True,
    )
    assert {variable["name"]: variable["value"] for variable in container["environment"]} == {
        "DBT_TARGET": "athena",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "ATHENA_S3_STAGING_DIR": f"s3://{results}/athena/",
        "ATHENA_S3_DATA_DIR": f"s3://{data}/tables/",
        "ATHENA_SCHEMA": "accreditation_monitor",
        "ATHENA_WORK_GROUP": stack.name,
        "ATHENA_RAW_LOCATION": f"s3://{data}/raw/",
        "NOTIFIER_TOPIC_ARN": stack.physical_ids["AlertsTopic"],
        "NOTIFIER_OPS_TOPIC_ARN": stack.physical_ids["OpsTopic"],
        "NOTIFIER_LEDGER": f"s3://{results}/notifier/ledger.json",
        "NOTIFIER_EXPORT": f"s3://{results}/production/",
        "NOTIFIER_CLOUDWATCH_NAMESPACE": "AccreditationMonitor",
        "NOTIFIER_MAX_RETRIES": "2",
    }
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": stack.physical_ids["TaskLogGroup"],
            "awslogs-region": REGION,
            "awslogs-stream-prefix": "pipeline",
        },
    }
    assert container["memory"] == 2048


def test_the_task_is_fargate_with_its_roles(template: dict[str, Any], stack: Stack) -> None:
    # moto's CloudFormation model of a task definition keeps only the family, the containers,
    # the volumes and the memory (moto/ecs/models.py), so these are read from the template.
    properties = template["Resources"]["TaskDefinition"]["Properties"]
    assert properties["RequiresCompatibilities"] == ["FARGATE"]
    assert properties["NetworkMode"] == "awsvpc"
    assert (properties["Cpu"], properties["Memory"]) == ({"Ref": "TaskCpu"}, {"Ref": "TaskMemory"})
    assert properties["ExecutionRoleArn"] == {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]}
    assert properties["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}
    parameters = template["Parameters"]
    assert (parameters["TaskCpu"]["Default"], parameters["TaskMemory"]["Default"]) == ("1024", 2048)
    log_group = stack.aws.client("logs").describe_log_groups(
        logGroupNamePrefix=stack.physical_ids["TaskLogGroup"]
    )["logGroups"][0]
    assert log_group["retentionInDays"] == 365


def test_the_execution_role_pulls_from_this_accounts_ecr_and_writes_the_logs(
    stack: Stack,
) -> None:
    statements = policy_statements(stack, "TaskExecutionRole")
    assert statements == {
        "EcrLogin": {
            "Sid": "EcrLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
        "PullTheImage": {
            "Sid": "PullTheImage",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*",
        },
        "WriteTheTaskLogs": {
            "Sid": "WriteTheTaskLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
            f"{stack.physical_ids['TaskLogGroup']}:*",
        },
    }


def test_only_the_state_machine_may_run_the_task(stack: Stack) -> None:
    statements = policy_statements(stack, "PipelineStateMachineRole")
    cluster_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{stack.physical_ids['Cluster']}"
    assert statements["RunTheTask"] == {
        "Sid": "RunTheTask",
        "Effect": "Allow",
        "Action": "ecs:RunTask",
        "Resource": stack.physical_ids["TaskDefinition"],
        "Condition": {"ArnEquals": {"ecs:cluster": cluster_arn}},
    }
    assert statements["PassTheTaskRoles"]["Resource"] == [
        role_arn(stack, "TaskExecutionRole"),
        role_arn(stack, "TaskRole"),
    ]
    assert statements["ReportToTheOpsTopic"]["Resource"] == stack.physical_ids["OpsTopic"]
    assert set(statements) == {
        "RunTheTask",
        "WatchAndStopTheTask",
        "PassTheTaskRoles",
        "EcsSyncManagedRule",
        "ReportToTheOpsTopic",
        "UseTheTopicKey",
    }


# ---------------------------------------------------------------------------- state machines
def test_the_pipeline_runs_one_fargate_task_with_retries_then_one_report(stack: Stack) -> None:
    states = pipeline_definition(stack)["States"]
    assert list(states) == [
        "ApplyInputDefaults",
        "MergeInput",
        "RunPipelineTask",
        "ReportFailure",
        "RunFailed",
    ]
    task = states["RunPipelineTask"]
    assert task["Resource"] == "arn:aws:states:::ecs:runTask.sync"
    assert task["TimeoutSeconds"] == 7200
    parameters = task["Parameters"]
    assert parameters["LaunchType"] == "FARGATE"
    assert parameters["Cluster"] == (
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{stack.physical_ids['Cluster']}"
    )
    assert parameters["TaskDefinition"] == stack.physical_ids["TaskDefinition"]
    assert parameters["NetworkConfiguration"] == {
        "AwsvpcConfiguration": {
            "Subnets": stack.subnet_ids,
            "SecurityGroups": [stack.security_group_id],
            "AssignPublicIp": "DISABLED",
        }
    }
    assert parameters["Overrides"] == {
        "ContainerOverrides": [
            {
                "Name": "pipeline",
                "Environment": [
                    {
                        "Name": "NOTIFIER_RETRY_COUNT",
                        "Value.$": "States.Format('{}', $$.State.RetryCount)",
                    },
                    {"Name": "NOTIFIER_TRIGGER", "Value.$": "$.run.trigger"},
                ],
            }
        ]
    }
    assert task["Retry"] == [
        {
            "ErrorEquals": [
                "States.TaskFailed",
                "ECS.AmazonECSException",
                "AmazonECS.Unknown",
                "States.Timeout",
            ],
            "IntervalSeconds": 60,
            "BackoffRate": 2,
            "MaxAttempts": 2,
        }
    ]
    assert task["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "ReportFailure"}
    ]
    report = states["ReportFailure"]
    assert report["Resource"] == "arn:aws:states:::sns:publish"
    assert report["Parameters"]["TopicArn"] == stack.physical_ids["OpsTopic"]
    assert report["Parameters"]["Subject"] == f"Accreditation pipeline failed: {stack.name}"
    assert report["Next"] == "RunFailed"
    assert report["Catch"][0]["Next"] == "RunFailed"
    assert states["RunFailed"]["Type"] == "Fail"


def test_the_arrival_state_machine_debounces_then_starts_the_pipeline(stack: Stack) -> None:
    states = arrival_definition(stack)["States"]
    assert states["WaitForQuiet"] == {"Type": "Wait", "Seconds": 300, "Next": "FindNewestArrival"}
    assert states["FindNewestArrival"]["Resource"] == "arn:aws:states:::aws-sdk:sfn:listExecutions"
    assert states["FindNewestArrival"]["Parameters"] == {
        "StateMachineArn.$": "$$.StateMachine.Id",
        "StatusFilter": "RUNNING",
        "MaxResults": 1,
    }
    assert states["IsPipelineIdle"]["Default"] == "WaitForQuiet"
    start = states["StartPipeline"]
    assert start["Resource"] == "arn:aws:states:::states:startExecution"
    assert start["Parameters"]["StateMachineArn"] == stack.outputs["PipelineStateMachineArn"]
    assert start["Parameters"]["Input"]["trigger"] == "s3-arrival"
    statements = policy_statements(stack, "ArrivalStateMachineRole")
    assert statements["ListWaitingArrivalsAndPipelineRuns"]["Resource"] == [
        stack.outputs["ArrivalStateMachineArn"],
        stack.outputs["PipelineStateMachineArn"],
    ]
    assert statements["StartThePipeline"]["Resource"] == stack.outputs["PipelineStateMachineArn"]


def test_unmodified_moto_cannot_run_the_ecs_integration(stack: Stack) -> None:
    """Why the run tests use tests/python/deploy/moto_sfn_server.py: on the plain server, the
    interpreter hands `"LaunchType"` to boto3 as it is written in the definition, and the
    task fails. When this starts failing, moto normalises by itself and the launcher can go."""
    register_for_execution(stack)
    try:
        sfn = stack.aws.client("stepfunctions")
        execution_arn = sfn.start_execution(
            stateMachineArn=stack.outputs["PipelineStateMachineArn"],
            name=f"plain-moto-{uuid.uuid4()}",
            input="{}",
        )["executionArn"]

        def finished() -> dict[str, Any] | None:
            description: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
            return None if description["status"] == "RUNNING" else description

        description = wait_for(finished, timeout=20, what="the plain moto execution")
    finally:
        set_execute_state_machines(stack.aws.url, False)
    assert (description["status"], description["error"]) == ("FAILED", "PipelineRunFailed")
    assert description["cause"] == "States.Runtime: 'LaunchType'"


# ---------------------------------------------------------------------------- triggers
def test_the_daily_schedule_starts_the_pipeline(stack: Stack) -> None:
    schedule = stack.aws.client("scheduler").get_schedule(Name=f"{stack.name}-DailySchedule")
    assert schedule["ScheduleExpression"] == "cron(0 6 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "America/New_York"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["State"] == "ENABLED"
    target = schedule["Target"]
    assert target["Arn"] == stack.outputs["PipelineStateMachineArn"]
    assert target["RoleArn"] == role_arn(stack, "SchedulerRole")
    assert json.loads(target["Input"]) == {"trigger": "schedule"}
    assert policy_statements(stack, "SchedulerRole") == {
        "StartThePipeline": {
            "Sid": "StartThePipeline",
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": stack.outputs["PipelineStateMachineArn"],
        }
    }


def test_the_s3_rule_targets_the_arrival_state_machine(stack: Stack) -> None:
    events = stack.aws.client("events")
    rule_name = stack.physical_ids["ArrivalRule"]
    rule = events.describe_rule(Name=rule_name)
    assert json.loads(rule["EventPattern"]) == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [stack.physical_ids["DataBucket"]]},
            "object": {"key": [{"prefix": "raw/"}]},
        },
    }
    assert rule["State"] == "ENABLED"
    (target,) = events.list_targets_by_rule(Rule=rule_name)["Targets"]
    assert target["Arn"] == stack.outputs["ArrivalStateMachineArn"]
    assert target["RoleArn"] == role_arn(stack, "ArrivalRuleRole")
    assert (
        policy_statements(stack, "ArrivalRuleRole")["StartAnArrival"]["Resource"]
        == (stack.outputs["ArrivalStateMachineArn"])
    )


def test_the_s3_rule_pattern_matches_new_raw_files_only(stack: Stack) -> None:
    """moto's EventBridge cannot deliver to a state machine target (moto/events/models.py
    delivers to logs, SQS and event buses only), so the rule's own pattern is put on a
    second rule with a queue as target, and moto's S3 generates the real events. While it
    does, the arrival rule has no target: moto raises on the state machine target and so
    would deliver to no rule after it."""
    aws: Aws = stack.aws
    events = aws.client("events")
    arrival_rule = stack.physical_ids["ArrivalRule"]
    pattern = events.describe_rule(Name=arrival_rule)["EventPattern"]
    (arrival_target,) = events.list_targets_by_rule(Rule=arrival_rule)["Targets"]
    events.remove_targets(Rule=arrival_rule, Ids=[arrival_target["Id"]])
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName="arrival-rule-probe")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(Name="arrival-rule-probe", EventPattern=pattern)
    events.put_targets(Rule="arrival-rule-probe", Targets=[{"Id": "queue", "Arn": queue_arn}])
    s3 = aws.client("s3")
    results = stack.physical_ids["ResultsBucket"]
    data = stack.physical_ids["DataBucket"]
    with tls_only_policy_lifted(stack, data), tls_only_policy_lifted(stack, results):
        s3.put_object(Bucket=data, Key="raw/2026-12-03.ndjson", Body=b'{"facility_id": "F1"}\n')
        s3.put_object(Bucket=data, Key="tables/part-0.parquet", Body=b"PAR1")
        s3.put_object(Bucket=results, Key="raw/x.ndjson", Body=b"{}\n")
    events.put_targets(Rule=arrival_rule, Targets=[arrival_target])
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    bodies = [json.loads(message["Body"]) for message in received]
    assert [(body["detail-type"], body["detail"]["object"]["key"]) for body in bodies] == [
        ("Object Created", "raw/2026-12-03.ndjson")
    ]
    assert bodies[0]["detail"]["bucket"]["name"] == data


# ---------------------------------------------------------------------------- monitoring
def test_the_dashboard_shows_runs_duration_rejected_share_and_alerts(stack: Stack) -> None:
    body = json.loads(
        stack.aws.client("cloudwatch").get_dashboard(DashboardName=stack.name)["DashboardBody"]
    )
    widgets = {widget["properties"]["title"]: widget["properties"] for widget in body["widgets"]}
    machine = stack.outputs["PipelineStateMachineArn"]
    assert widgets["Runs"]["metrics"] == [
        ["AWS/States", "ExecutionsStarted", "StateMachineArn", machine],
        ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", machine],
        ["AWS/States", "ExecutionsFailed", "StateMachineArn", machine],
    ]
    assert widgets["Run duration (ms)"]["metrics"] == [
        ["AWS/States", "ExecutionTime", "StateMachineArn", machine]
    ]
    assert widgets["Rejected share of lines read (%)"]["metrics"] == [
        ["AccreditationMonitor", "RejectedSharePercent"]
    ]
    assert widgets["Alerts by tier"]["metrics"] == [
        ["AccreditationMonitor", "Alerts", "Tier", tier] for tier in ("critical", "high", "medium")
    ]
    assert widgets["Input"]["metrics"] == [
        ["AccreditationMonitor", name] for name in ("LinesRead", "RecordsRejected", "Facilities")
    ]
    assert widgets["Notices by event"]["metrics"] == [
        *(
            ["AccreditationMonitor", "NoticesPublished", "Event", event]
            for event in ("new", "escalated", "lapsed", "reminder", "resolved")
        ),
        ["AccreditationMonitor", "MessagesFailed"],
    ]
    alarm_arns = {
        alarm["AlarmArn"]
        for alarm in stack.aws.client("cloudwatch").describe_alarms()["MetricAlarms"]
    }
    assert set(widgets["Alarms"]["alarms"]) == alarm_arns
    assert len(alarm_arns) == 3


def test_alarms_go_to_the_ops_topic(stack: Stack) -> None:
    alarms = {
        alarm["AlarmName"]: alarm
        for alarm in stack.aws.client("cloudwatch").describe_alarms()["MetricAlarms"]
    }
    machine = [{"Name": "StateMachineArn", "Value": stack.outputs["PipelineStateMachineArn"]}]
    ops = [stack.outputs["OpsTopicArn"]]

    def summary(alarm: dict[str, Any]) -> tuple[Any, ...]:
        return (
            alarm["Namespace"],
            alarm["MetricName"],
            alarm.get("Dimensions", []),
            alarm["Statistic"],
            alarm["Period"],
            alarm["EvaluationPeriods"],
            alarm.get("DatapointsToAlarm"),
            alarm["Threshold"],
            alarm["ComparisonOperator"],
            alarm["TreatMissingData"],
            alarm["AlarmActions"],
        )

    assert {name: summary(alarm) for name, alarm in alarms.items()} == {
        f"{stack.name}-pipeline-failed": (
            "AWS/States", "ExecutionsFailed", machine, "Sum", 300, 1, None, 1.0,
            "GreaterThanOrEqualToThreshold", "notBreaching", ops,
        ),
        f"{stack.name}-no-successful-run": (
            "AWS/States", "ExecutionsSucceeded", machine, "Sum", 3600, 26, 26, 1.0,
            "LessThanThreshold", "breaching", ops,
        ),
        f"{stack.name}-rejected-share": (
            "AccreditationMonitor", "RejectedSharePercent", [], "Maximum", 3600, 1, None, 5.0,
            "GreaterThanThreshold", "notBreaching", ops,
        ),
    }  # fmt: skip
    assert alarms[f"{stack.name}-no-successful-run"]["OKActions"] == ops


def test_parameters_reach_the_resources(moto_url: str) -> None:
    """A second stack with other values: each parameter shows up where it is used."""
    aws = Aws(moto_url)
    other = deploy_stack(
        aws,
        "accmon-params",
        MetricsNamespace="Accreditation/Test",
        MaxRetries="4",
        RetryIntervalSeconds="30",
        RetryBackoffRate="3",
        TaskTimeoutSeconds="600",
        DebounceSeconds="120",
        AssignPublicIp="ENABLED",
        AthenaSchema="accmon_test",
    )
    environment = {
        variable["name"]: variable["value"]
        for variable in aws.client("ecs").describe_task_definition(
            taskDefinition=other.physical_ids["TaskDefinition"]
        )["taskDefinition"]["containerDefinitions"][0]["environment"]
    }
    assert environment["NOTIFIER_CLOUDWATCH_NAMESPACE"] == "Accreditation/Test"
    assert environment["NOTIFIER_MAX_RETRIES"] == "4"
    assert environment["ATHENA_SCHEMA"] == "accmon_test"
    task = pipeline_definition(other)["States"]["RunPipelineTask"]
    assert task["Retry"][0] | {"ErrorEquals": None} == {
        "ErrorEquals": None,
        "IntervalSeconds": 30,
        "BackoffRate": 3,
        "MaxAttempts": 4,
    }
    assert task["TimeoutSeconds"] == 600
    assert task["Parameters"]["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == (
        "ENABLED"
    )
    assert arrival_definition(other)["States"]["WaitForQuiet"]["Seconds"] == 120
    assert (
        "4 retries"
        in pipeline_definition(other)["States"]["ReportFailure"]["Parameters"]["Message.$"]
    )


def test_docs_list_every_parameter_with_its_default(template: dict[str, Any]) -> None:
    rows = re.findall(
        r"^\| `(\w+)` \| ([^|]+?) \|", (REPO_ROOT / "docs" / "deploy.md").read_text(), re.M
    )
    documented = {name: default.strip() for name, default in rows if name in template["Parameters"]}
    expected = {
        name: f"`{parameter['Default']}`" if "Default" in parameter else "(required)"
        for name, parameter in template["Parameters"].items()
    }
    expected["AthenaBytesScannedCutoffPerQuery"] += " (10 GiB)"
    assert documented == expected
