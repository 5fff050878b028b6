"""A moto server whose Step Functions interpreter normalises service-integration calls as AWS does.

In Amazon States Language, the parameters of a service integration are written in PascalCase
(`"LaunchType"`, `"StateMachineArn"`) and its results come back in PascalCase
(`"Tasks"`, `"ExecutionArn"`), whatever the service API's own casing. moto's interpreter (a port
of LocalStack's) carries the code that converts between the two, `_to_boto_request` and
`_from_boto_response`, but leaves the two hooks that call it empty. Without them every
integration with a camelCase JSON API fails: `ecs:runTask.sync` stops with `States.Runtime`
`'LaunchType'`, `states:startExecution` and `aws-sdk:sfn:listExecutions` likewise. (The deploy
tests show that on the unmodified server too, so they notice when moto fixes it.)

This launcher wires the two hooks to moto's own converters, with the operation's shapes from
botocore, and then runs moto's server unchanged:

    python tests/python/deploy/moto_sfn_server.py -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.model import OperationModel
from moto.server import main
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (  # noqa: E501
    StateTaskService,
)


@cache
def _operation_model(service_name: str, snake_case_action: str) -> OperationModel:
    service_model = botocore.session.get_session().get_service_model(service_name)
    for operation_name in service_model.operation_names:
        if botocore.xform_name(operation_name) == snake_case_action:
            return service_model.operation_model(operation_name)
    raise KeyError(f"{service_name} has no operation {snake_case_action}")


def _normalise_parameters(
    self: StateTaskService,
    parameters: dict[str, Any],
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    operation = _operation_model(
        self._get_boto_service_name(boto_service_name),
        self._get_boto_service_action(service_action_name),
    )
    if operation.input_shape is not None:
        self._to_boto_request(parameters, operation.input_shape)


def _normalise_response(
    self: StateTaskService,
    response: Any,
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    operation = _operation_model(
        self._get_boto_service_name(boto_service_name),
        self._get_boto_service_action(service_action_name),
    )
    if operation.output_shape is not None:
        self._from_boto_response(response, operation.output_shape)


StateTaskService._normalise_parameters = _normalise_parameters  # type: ignore[method-assign]
StateTaskService._normalise_response = _normalise_response  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
