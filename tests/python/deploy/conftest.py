"""Deploy fixtures: the template deployed on the session's moto server, and a second moto
server whose Step Functions interpreter can run the deployed state machines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from deploy_testing import (
    Aws,
    Stack,
    complete_stack,
    deploy_stack,
    load_template,
    moto_sfn_server_command,
    register_for_execution,
    restore_ecs_task_transitions,
    set_execute_state_machines,
    start_moto_server,
)


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def stack(moto_url: str) -> Stack:
    """The template on the session's moto server, completed with what moto's CloudFormation
    skips. One stack per module: the tests read it and add only their own queues and rules."""
    aws = Aws(moto_url)
    aws.reset()
    deployed = deploy_stack(aws, "accmon-deploy-test")
    complete_stack(deployed)
    return deployed


@pytest.fixture(scope="session")
def sfn_moto_url() -> Iterator[str]:
    """A moto server that runs state machines, with service integrations normalised as AWS
    does (tests/python/deploy/moto_sfn_server.py says what that adds, and why)."""
    process, url = start_moto_server(moto_sfn_server_command())
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def running_stack(sfn_moto_url: str) -> Iterator[Stack]:
    """The stack on the executing server, with short timings so a failing run is over in
    seconds: 1 s attempt timeout, 1 s first retry interval (then 2 s), 1 s debounce."""
    aws = Aws(sfn_moto_url)
    aws.reset()
    deployed = deploy_stack(
        aws,
        "accmon-run-test",
        MaxRetries="2",
        TaskTimeoutSeconds="1",
        RetryIntervalSeconds="1",
        RetryBackoffRate="2",
        DebounceSeconds="1",
    )
    complete_stack(deployed)
    register_for_execution(deployed)
    yield deployed
    restore_ecs_task_transitions(sfn_moto_url)
    set_execute_state_machines(sfn_moto_url, False)
