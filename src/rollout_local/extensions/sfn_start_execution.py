"""``arn:aws:states:::states:startExecution`` (and ``.sync``, ``.sync:2``,
``.waitForTaskToken``) with the parameter names Step Functions documents.

The Step Functions developer guide ("Start a new AWS Step Functions state machine from a
running execution") names the task's parameters ``StateMachineArn``, ``Input`` and ``Name``;
moto 5.2.1's interpreter hands them unchanged to boto3's ``start_execution``, whose
parameters are ``stateMachineArn``, ``input`` and ``name``, so every such task failed with
``States.Runtime`` (``KeyError: 'StateMachineArn'``). This module renames them before the
call; the rest (starting the child, waiting for it, ``.sync:2``'s JSON ``Output``) is
moto's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_sfn,
)

from rollout_local.extensions._fence import replace

StateTaskServiceSfn = state_task_service_sfn.StateTaskServiceSfn

_moto_normalise_parameters = StateTaskServiceSfn._normalise_parameters
_moto_normalise_response = StateTaskServiceSfn._normalise_response
_RENAMES = {"StateMachineArn": "stateMachineArn", "Input": "input", "Name": "name"}


def _normalise_parameters(
    self: StateTaskServiceSfn,
    parameters: dict[str, Any],
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    _moto_normalise_parameters(self, parameters, boto_service_name, service_action_name)
    if service_action_name is None and self._get_boto_service_action() == "start_execution":
        for documented, boto in _RENAMES.items():
            if documented in parameters:
                parameters[boto] = parameters.pop(documented)


def _normalise_response(
    self: StateTaskServiceSfn,
    response: Any,
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    _moto_normalise_response(self, response, boto_service_name, service_action_name)
    action = service_action_name or self._get_boto_service_action()
    if not isinstance(response, dict) or action not in ("start_execution", "describe_execution"):
        return
    for key in list(response):
        value = response.pop(key)
        if isinstance(value, datetime):
            value = int(value.timestamp() * 1000)
        response[key[:1].upper() + key[1:]] = value


def _eval_service_task(self: StateTaskServiceSfn, env: Any, *args: Any, **kwargs: Any) -> None:
    _moto_eval_service_task(self, env, *args, **kwargs)
    if self._get_boto_service_action() == "start_execution":
        _normalise_response(self, env.stack[-1], service_action_name="start_execution")


_moto_eval_service_task = StateTaskServiceSfn._eval_service_task


def install() -> None:
    owner = StateTaskServiceSfn
    replace(
        owner,
        "_normalise_parameters",
        _normalise_parameters,
        ("self", "parameters", "boto_service_name", "service_action_name"),
    )
    replace(
        owner,
        "_normalise_response",
        _normalise_response,
        ("self", "response", "boto_service_name", "service_action_name"),
    )
    replace(
        owner,
        "_eval_service_task",
        _eval_service_task,
        ("self", "env", "resource_runtime_part", "normalised_parameters", "state_credentials"),
    )
