"""Helpers for the deploy tests: the template, a stack on a moto server, state machine runs.

moto's CloudFormation creates only the resource types it models and skips the others with a
warning (see `SKIPPED_BY_MOTO_CLOUDFORMATION`), and it drops some properties of the ones it
creates (an S3 bucket keeps its encryption only). `complete_stack` creates those resources and
properties through the services' own APIs on the same moto server, from the template's
properties with the intrinsic functions resolved against the deployed stack: boto3 validates
every request against the API model, so a property that the API would not take fails the test.
"""

from __future__ import annotations

import ast
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
import yaml
from dbt_testing import REPO_ROOT, TEST_AWS_ENV

TEMPLATE_PATH = REPO_ROOT / "deploy" / "template.yaml"
DOCKERFILE_PATH = REPO_ROOT / "Dockerfile"
IAM_DIR = REPO_ROOT / "iam"
IAC_BIN = REPO_ROOT / ".venv-iac" / "bin"
REGION = TEST_AWS_ENV["AWS_REGION"]
ACCOUNT = "123456789012"  # moto's default account
IMAGE_URI = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/accreditation-monitor:test"

# Read off moto/cloudformation/parsing.py and the models' cloudformation_type(): these types
# have no CloudFormation model in moto 5.2, so create_stack warns and creates nothing for them.
SKIPPED_BY_MOTO_CLOUDFORMATION = {
    "AWS::Athena::WorkGroup",
    "AWS::CloudWatch::Alarm",
    "AWS::Glue::Database",
    "AWS::S3::BucketPolicy",
    "AWS::Scheduler::Schedule",
}

T = TypeVar("T")


# ---------------------------------------------------------------------------- the template
class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms: `!Ref X` is {"Ref": "X"}, `!Sub s` is
    {"Fn::Sub": s}, `!GetAtt A.B` is {"Fn::GetAtt": ["A", "B"]}."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load_template() -> dict[str, Any]:
    template: dict[str, Any] = yaml.load(TEMPLATE_PATH.read_text(), _CloudFormationLoader)
    return template


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


# ---------------------------------------------------------------------------- moto servers
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto_server(command: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    """Start a moto server (`command` plus host and port) and wait until it answers."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "MOTO_PORT"}
    process = subprocess.Popen(
        [*command, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(url), timeout=30, what="moto server start", process=process)
    return process, url


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
    except OSError:
        return False
    return True


def moto_api(url: str, path: str, body: dict[str, Any] | None = None) -> None:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}/moto-api/{path}", data=data, method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def set_execute_state_machines(url: str, enabled: bool) -> None:
    """moto runs state machine definitions only with this config (it survives a reset)."""
    moto_api(url, "config", {"stepfunctions": {"execute_state_machine": enabled}})


def hold_ecs_tasks_running(url: str) -> None:
    """moto advances an ECS task one status per DescribeTasks by default (RUNNING to STOPPED in
    four); with this a task stays RUNNING until someone calls StopTask."""
    moto_api(
        url,
        "state-manager/set-transition",
        {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 10**9}},
    )


def let_ecs_tasks_stop_at_once(url: str) -> None:
    """A task reads as STOPPED from its first DescribeTasks on: a run that succeeds at once."""
    moto_api(
        url,
        "state-manager/set-transition",
        {"model_name": "ecs::task", "transition": {"progression": "immediate"}},
    )


def restore_ecs_task_transitions(url: str) -> None:
    moto_api(url, "state-manager/unset-transition", {"model_name": "ecs::task"})


def wait_for(
    condition: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
    process: subprocess.Popen[bytes] | None = None,
) -> T:
    """Poll until `condition` returns something truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Aws:
    """boto3 clients for one moto server, with the tests' fixed credentials."""

    url: str
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.url,
                region_name=REGION,
                aws_access_key_id=TEST_AWS_ENV["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=TEST_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            )
        return self._clients[service]

    def reset(self) -> None:
        moto_api(self.url, "reset")
        self._clients.clear()

    def queue_on_topic(self, topic_arn: str, name: str) -> str:
        """An SQS queue subscribed to the topic with raw delivery: each body is one message."""
        sqs = self.client("sqs")
        queue_url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.client("sns").subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "false"},
        )
        return queue_url

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        """Every message now in the queue (moto delivers synchronously), bodies parsed."""
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.client("sqs").receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            if not batch.get("Messages"):
                return messages
            messages += [json.loads(message["Body"]) for message in batch["Messages"]]


# ---------------------------------------------------------------------------- the stack
@dataclass
class Stack:
    aws: Aws
    name: str
    parameters: dict[str, Any]
    outputs: dict[str, str]
    physical_ids: dict[str, str]
    subnet_ids: list[str]
    security_group_id: str

    def resolve(self, node: Any) -> Any:
        """The value CloudFormation would give `node` (Ref, GetAtt, Sub, Join) in this stack."""
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) != 1 or not next(iter(node)).startswith(("Ref", "Fn::")):
            return {key: self.resolve(value) for key, value in node.items()}
        function, argument = next(iter(node.items()))
        if function == "Ref":
            return self._ref(argument)
        if function == "Fn::GetAtt":
            return self._get_att(*argument)
        if function == "Fn::Join":
            separator, items = argument
            return separator.join(str(item) for item in self.resolve(items))
        if function == "Fn::Sub":
            return self._sub(argument)
        raise NotImplementedError(function)

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": self.name,
            "AWS::Partition": "aws",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.physical_ids[name]

    def _get_att(self, logical_id: str, attribute: str) -> str:
        assert attribute == "Arn", attribute
        physical_id = self.physical_ids[logical_id]
        resource_type = load_template()["Resources"][logical_id]["Type"]
        if resource_type == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{physical_id}"
        if resource_type == "AWS::IAM::Role":
            return str(self.aws.client("iam").get_role(RoleName=physical_id)["Role"]["Arn"])
        if resource_type == "AWS::KMS::Key":
            return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{physical_id}"
        if resource_type == "AWS::ECS::Cluster":
            return f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{physical_id}"
        if resource_type == "AWS::Logs::LogGroup":
            return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical_id}:*"
        raise NotImplementedError(resource_type)

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self.resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name:
                return self._get_att(*name.split(".", 1))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def template_defaults() -> dict[str, Any]:
    return {
        name: parameter["Default"]
        for name, parameter in load_template()["Parameters"].items()
        if "Default" in parameter
    }


def deploy_stack(aws: Aws, name: str, **overrides: str) -> Stack:
    """A VPC with two subnets and a security group in moto's EC2, then the template on moto's
    CloudFormation with those and `overrides` as parameters."""
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{index}.0/24")["Subnet"]["SubnetId"]
        for index in (1, 2)
    ]
    security_group_id = ec2.create_security_group(
        GroupName=f"{name}-task", Description="pipeline task", VpcId=vpc_id
    )["GroupId"]
    given = {
        "ImageUri": IMAGE_URI,
        "SubnetIds": ",".join(subnet_ids),
        "SecurityGroupIds": security_group_id,
        **overrides,
    }
    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE_PATH.read_text(),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in given.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    description = wait_for(
        lambda: _finished(cloudformation, name), timeout=30, what=f"stack {name}"
    )
    assert description["StackStatus"] == "CREATE_COMPLETE", description
    physical_ids = {
        resource["LogicalResourceId"]: resource["PhysicalResourceId"]
        for resource in cloudformation.describe_stack_resources(StackName=name)["StackResources"]
        if "LogicalResourceId" in resource  # moto lists the skipped ones without any id
    }
    parameters: dict[str, Any] = {**template_defaults(), **given}
    parameters["SubnetIds"] = subnet_ids
    parameters["SecurityGroupIds"] = [security_group_id]
    return Stack(
        aws=aws,
        name=name,
        parameters=parameters,
        outputs={output["OutputKey"]: output["OutputValue"] for output in description["Outputs"]},
        physical_ids=physical_ids,
        subnet_ids=subnet_ids,
        security_group_id=security_group_id,
    )


def _finished(cloudformation: Any, name: str) -> dict[str, Any] | None:
    description: dict[str, Any] = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return None if description["StackStatus"].endswith("IN_PROGRESS") else description


# ------------------------------------------------------- what moto's CloudFormation leaves out
def complete_stack(stack: Stack) -> None:
    """Create, through the services' APIs, what moto's CloudFormation skipped (see the module
    docstring). Names are those CloudFormation would generate: STACK-LogicalId."""
    template = load_template()
    # moto's CloudFormation stores a key policy as a dict, and KMS then fails every call on
    # the key (json.loads of a dict): the policy is put again as the JSON text KMS expects.
    for logical_id, resource in resources_of_type(template, "AWS::KMS::Key").items():
        stack.aws.client("kms").put_key_policy(
            KeyId=stack.physical_ids[logical_id],
            PolicyName="default",
            Policy=json.dumps(stack.resolve(resource["Properties"]["KeyPolicy"])),
        )
    s3 = stack.aws.client("s3")
    for logical_id in resources_of_type(template, "AWS::S3::Bucket"):
        properties = stack.resolve(template["Resources"][logical_id]["Properties"])
        bucket = stack.physical_ids[logical_id]
        s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration=properties["VersioningConfiguration"]
        )
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"],
        )
        s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls=properties["OwnershipControls"]
        )
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [
                    lifecycle_rule_for_api(rule)
                    for rule in properties["LifecycleConfiguration"]["Rules"]
                ]
            },
        )
        if properties.get("NotificationConfiguration", {}).get("EventBridgeConfiguration"):
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
    for resource in resources_of_type(template, "AWS::S3::BucketPolicy").values():
        properties = stack.resolve(resource["Properties"])
        s3.put_bucket_policy(
            Bucket=properties["Bucket"], Policy=json.dumps(properties["PolicyDocument"])
        )
    for resource in resources_of_type(template, "AWS::Glue::Database").values():
        properties = stack.resolve(resource["Properties"])
        stack.aws.client("glue").create_database(**properties)
    for resource in resources_of_type(template, "AWS::Athena::WorkGroup").values():
        properties = stack.resolve(resource["Properties"])
        stack.aws.client("athena").create_work_group(
            Name=properties["Name"],
            Description=properties["Description"],
            Configuration=properties["WorkGroupConfiguration"],
        )
    for logical_id, resource in resources_of_type(template, "AWS::Scheduler::Schedule").items():
        properties = stack.resolve(resource["Properties"])
        stack.aws.client("scheduler").create_schedule(
            Name=f"{stack.name}-{logical_id}", **properties
        )
    for resource in resources_of_type(template, "AWS::CloudWatch::Alarm").values():
        properties = stack.resolve(resource["Properties"])
        stack.aws.client("cloudwatch").put_metric_alarm(**properties)


def stored_policy(document: Any) -> dict[str, Any]:
    """An IAM inline policy as moto's CloudFormation stored it: the Python repr of the
    resolved document (str(dict)), which boto3 hands back as a string; elsewhere a dict."""
    if isinstance(document, dict):
        return document
    parsed: dict[str, Any] = ast.literal_eval(document)
    return parsed


def lifecycle_rule_for_api(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's S3 lifecycle rule in the PutBucketLifecycleConfiguration shape."""
    api_rule: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
    }
    if "ExpirationInDays" in rule:
        api_rule["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "NoncurrentVersionExpiration" in rule:
        days = rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
        api_rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(days)}
    if "AbortIncompleteMultipartUpload" in rule:
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        api_rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
    return api_rule


# ---------------------------------------------------------------------------- executions
def register_for_execution(stack: Stack) -> None:
    """moto's CloudFormation puts state machines in the Step Functions backend that does not
    run them; the one that does (moto.stepfunctions.parser, on with `execute_state_machine`)
    is a separate store. So the deployed definitions are read as they are and created again,
    unchanged and under the same names (hence the same ARNs), in the executing backend."""
    sfn = stack.aws.client("stepfunctions")
    set_execute_state_machines(stack.aws.url, False)
    deployed = [
        sfn.describe_state_machine(stateMachineArn=stack.outputs[output])
        for output in ("PipelineStateMachineArn", "ArrivalStateMachineArn")
    ]
    set_execute_state_machines(stack.aws.url, True)
    for machine in deployed:
        created = sfn.create_state_machine(
            name=machine["name"], definition=machine["definition"], roleArn=machine["roleArn"]
        )
        assert created["stateMachineArn"] == machine["stateMachineArn"]


def history(stack: Stack, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = stack.aws.client("stepfunctions").get_execution_history(
        executionArn=execution_arn, maxResults=1000
    )["events"]
    return events


def finished_execution(stack: Stack, execution_arn: str, timeout: float) -> dict[str, Any]:
    sfn = stack.aws.client("stepfunctions")

    def done() -> dict[str, Any] | None:
        description: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        return None if description["status"] == "RUNNING" else description

    return wait_for(done, timeout=timeout, what=f"execution {execution_arn}")


def scheduled_run_tasks(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The parameters of every ecs:runTask.sync attempt in an execution's history."""
    return [
        json.loads(event["taskScheduledEventDetails"]["parameters"])
        for event in events
        if event["type"] == "TaskScheduled"
        and event["taskScheduledEventDetails"]["resource"] == "runTask.sync"
    ]


def container_environment(run_task_parameters: dict[str, Any]) -> dict[str, str]:
    (override,) = run_task_parameters["Overrides"]["ContainerOverrides"]
    return {variable["Name"]: variable["Value"] for variable in override["Environment"]}


def events_of(events: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == event_type]


def entered_states(events: list[dict[str, Any]]) -> list[str]:
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in events
        if "stateEnteredEventDetails" in event
    ]


def run_tool(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )


def moto_sfn_server_command() -> list[str]:
    return [sys.executable, str(Path(__file__).with_name("moto_sfn_server.py"))]


def iter_statements(policy: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from policy["Statement"]
