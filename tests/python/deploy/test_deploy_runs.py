"""The deployed state machines, run by moto's Step Functions interpreter against moto's ECS,
SNS and SQS (on the server of tests/python/deploy/moto_sfn_server.py; conftest.running_stack
says why the definitions are registered again in the executing backend).

How the ECS task is driven: moto gives every container exit code 0 and its runTask.sync
resolver returns as soon as the task is STOPPED, whatever the exit code, so a "container
exited 1" stop (States.TaskFailed on AWS) cannot be produced here. A success is a task that
stops (StopTask, or moto's state manager stopping it at once); a failure is a task that never
stops (the state manager holds it RUNNING), so each attempt ends in States.Timeout, one of
the retried errors, and the retries, the backoff, the report and the FAILED end are those a
States.TaskFailed would take. (In moto only the first attempt waits its full timeout: the
retries reuse the state's task token, whose wait the first timeout already ended, so they time
out at once. The backoff waits between attempts are real.)
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from deploy_testing import (
    Stack,
    container_environment,
    entered_states,
    events_of,
    finished_execution,
    history,
    hold_ecs_tasks_running,
    let_ecs_tasks_stop_at_once,
    scheduled_run_tasks,
    wait_for,
)


def start(stack: Stack, output: str, run_input: dict[str, Any], name: str | None = None) -> str:
    # moto names an unnamed execution "None", so a second unnamed one would collide.
    execution: dict[str, Any] = stack.aws.client("stepfunctions").start_execution(
        stateMachineArn=stack.outputs[output],
        name=name or f"test-{uuid.uuid4()}",
        input=json.dumps(run_input),
    )
    return str(execution["executionArn"])


def running_tasks(stack: Stack) -> list[dict[str, Any]]:
    ecs = stack.aws.client("ecs")
    cluster = stack.outputs["ClusterName"]
    task_arns = ecs.list_tasks(cluster=cluster, desiredStatus="RUNNING")["taskArns"]
    if not task_arns:
        return []
    tasks: list[dict[str, Any]] = ecs.describe_tasks(cluster=cluster, tasks=task_arns)["tasks"]
    return [task for task in tasks if task["lastStatus"] == "RUNNING"]


def pipeline_executions(stack: Stack) -> list[dict[str, Any]]:
    executions: list[dict[str, Any]] = stack.aws.client("stepfunctions").list_executions(
        stateMachineArn=stack.outputs["PipelineStateMachineArn"]
    )["executions"]
    return executions


def test_a_run_whose_task_stops_succeeds_without_a_report(running_stack: Stack) -> None:
    stack = running_stack
    ops_queue = stack.aws.queue_on_topic(stack.outputs["OpsTopicArn"], "ops-success")
    hold_ecs_tasks_running(stack.aws.url)
    execution_arn = start(stack, "PipelineStateMachineArn", {})  # as from the console

    (task,) = wait_for(lambda: running_tasks(stack), timeout=10, what="the pipeline task")
    (override,) = task["overrides"]["containerOverrides"]
    assert override == {
        "name": "pipeline",
        "environment": [
            {"name": "NOTIFIER_RETRY_COUNT", "value": "0"},
            {"name": "NOTIFIER_TRIGGER", "value": "schedule"},
        ],
    }
    assert task["launchType"] == "FARGATE"
    assert task["taskDefinitionArn"] == stack.outputs["TaskDefinitionArn"]
    assert task["startedBy"] == "AWS Step Functions"
    stack.aws.client("ecs").stop_task(
        cluster=stack.outputs["ClusterName"], task=task["taskArn"], reason="Task completed"
    )

    description = finished_execution(stack, execution_arn, timeout=10)
    assert description["status"] == "SUCCEEDED"
    events = history(stack, execution_arn)
    assert len(scheduled_run_tasks(events)) == 1
    assert entered_states(events) == ["ApplyInputDefaults", "MergeInput", "RunPipelineTask"]
    assert stack.aws.drain(ops_queue) == []


def test_a_failing_run_is_retried_then_reported_once_and_fails(running_stack: Stack) -> None:
    stack = running_stack
    ops_queue = stack.aws.queue_on_topic(stack.outputs["OpsTopicArn"], "ops-failure")
    hold_ecs_tasks_running(stack.aws.url)
    execution_name = f"failing-{uuid.uuid4()}"
    execution_arn = start(
        stack, "PipelineStateMachineArn", {"trigger": "s3-arrival"}, execution_name
    )

    # MaxRetries=2, TaskTimeoutSeconds=1, RetryIntervalSeconds=1, RetryBackoffRate=2:
    # three 1 s attempts and waits of 1 s and 2 s, about 5 s.
    description = finished_execution(stack, execution_arn, timeout=30)
    assert description["status"] == "FAILED"
    assert (description["error"], description["cause"]) == ("PipelineRunFailed", "States.Timeout: ")

    events = history(stack, execution_arn)
    attempts = scheduled_run_tasks(events)
    assert len(attempts) == 1 + 2  # the first attempt and MaxRetries retries
    assert [container_environment(attempt) for attempt in attempts] == [
        {"NOTIFIER_RETRY_COUNT": str(retry), "NOTIFIER_TRIGGER": "s3-arrival"} for retry in range(3)
    ]
    assert [
        event["taskTimedOutEventDetails"]["error"] for event in events_of(events, "TaskTimedOut")
    ] == ["States.Timeout"] * 3
    # Exponential backoff: the retry waits 1 s, then 2 s, after the attempt timed out.
    scheduled = [
        event["timestamp"]
        for event in events_of(events, "TaskScheduled")
        if event["taskScheduledEventDetails"]["resource"] == "runTask.sync"
    ]
    timed_out = [event["timestamp"] for event in events_of(events, "TaskTimedOut")]
    waits = [scheduled[i + 1] - timed_out[i] for i in range(2)]
    assert timedelta(seconds=1) <= waits[0] < timedelta(seconds=1.9)
    assert timedelta(seconds=2) <= waits[1] < timedelta(seconds=2.9)
    assert entered_states(events) == [
        "ApplyInputDefaults",
        "MergeInput",
        "RunPipelineTask",
        "ReportFailure",
        "RunFailed",
    ]
    # Three tasks were started, all still RUNNING as moto was told: the timeouts were real.
    assert len(running_tasks(stack)) == 3

    (message,) = stack.aws.drain(ops_queue)
    machine_name = stack.outputs["PipelineStateMachineArn"].rsplit(":", 1)[1]
    assert message["Subject"] == f"Accreditation pipeline failed: {stack.name}"
    assert message["Message"] == (
        f"The accreditation pipeline of stack {stack.name} failed and its retries are exhausted "
        "(up to 2 retries; errors that are not retried fail at once). Nothing more runs until "
        f"the next trigger. State machine: {machine_name}. Execution: {execution_name}. "
        "Trigger: s3-arrival. Error: States.Timeout. Cause: "
    )
    for task in running_tasks(stack):
        stack.aws.client("ecs").stop_task(
            cluster=stack.outputs["ClusterName"], task=task["taskArn"], reason="test cleanup"
        )


def test_a_burst_of_arrivals_starts_one_run_from_the_last(running_stack: Stack) -> None:
    stack = running_stack
    let_ecs_tasks_stop_at_once(stack.aws.url)
    before = {execution["name"] for execution in pipeline_executions(stack)}
    burst = [f"arrival-{index}-{uuid.uuid4()}" for index in range(3)]
    # As EventBridge would for three new objects: one execution each, one after the other,
    # well within DebounceSeconds (1 s here).
    arrivals = [
        start(stack, "ArrivalStateMachineArn", {"detail-type": "Object Created"}, name)
        for name in burst
    ]
    outcomes = [finished_execution(stack, arn, timeout=15)["status"] for arn in arrivals]
    assert outcomes == ["SUCCEEDED"] * 3
    paths = [entered_states(history(stack, arn)) for arn in arrivals]
    quiet_end = ["WaitForQuiet", "FindNewestArrival", "IsNewestArrival", "LaterArrivalTakesOver"]
    assert paths == [
        quiet_end,
        quiet_end,
        [
            "WaitForQuiet",
            "FindNewestArrival",
            "IsNewestArrival",
            "FindRunningPipeline",
            "IsPipelineIdle",
            "StartPipeline",
        ],
    ]
    new_runs = [
        execution for execution in pipeline_executions(stack) if execution["name"] not in before
    ]
    assert [execution["name"] for execution in new_runs] == [burst[-1]]
    (run,) = new_runs
    assert finished_execution(stack, run["executionArn"], timeout=10)["status"] == "SUCCEEDED"
    (attempt,) = scheduled_run_tasks(history(stack, run["executionArn"]))
    assert container_environment(attempt)["NOTIFIER_TRIGGER"] == "s3-arrival"


def test_an_arrival_during_a_run_waits_for_it_to_end(running_stack: Stack) -> None:
    """The run may have started before the files landed, so the arrival waits for it to end.
    The run here is a failing one (tasks held RUNNING): RUNNING for about 4 s (a 1 s attempt,
    then 1 s and 2 s retry waits), while the arrival checks it every 1 s."""
    stack = running_stack
    hold_ecs_tasks_running(stack.aws.url)
    run_arn = start(stack, "PipelineStateMachineArn", {"trigger": "schedule"})
    wait_for(lambda: running_tasks(stack), timeout=10, what="the scheduled run's task")
    arrival_arn = start(stack, "ArrivalStateMachineArn", {"detail-type": "Object Created"})

    def checked_twice() -> bool:
        return entered_states(history(stack, arrival_arn)).count("IsPipelineIdle") >= 2

    wait_for(checked_twice, timeout=10, what="the arrival's second check of the run")
    sfn = stack.aws.client("stepfunctions")
    assert sfn.describe_execution(executionArn=run_arn)["status"] == "RUNNING"
    assert "StartPipeline" not in entered_states(history(stack, arrival_arn))

    # Tasks from now on stop at once, so the run the arrival starts succeeds.
    let_ecs_tasks_stop_at_once(stack.aws.url)
    assert finished_execution(stack, run_arn, timeout=15)["status"] == "FAILED"
    assert finished_execution(stack, arrival_arn, timeout=15)["status"] == "SUCCEEDED"
    path = entered_states(history(stack, arrival_arn))
    assert path[-3:] == ["FindRunningPipeline", "IsPipelineIdle", "StartPipeline"]
    assert path.count("FindNewestArrival") == path.count("IsPipelineIdle") >= 3
    arrival_run_arn = run_arn.rsplit(":", 1)[0] + ":" + arrival_arn.rsplit(":", 1)[1]
    assert finished_execution(stack, arrival_run_arn, timeout=10)["status"] == "SUCCEEDED"
    for task in running_tasks(stack):
        stack.aws.client("ecs").stop_task(
            cluster=stack.outputs["ClusterName"], task=task["taskArn"], reason="test cleanup"
        )
