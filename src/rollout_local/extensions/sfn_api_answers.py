"""Step Functions answers shaped as the API reference describes them.

moto's answers differ from AWS's in ways clients see; after the Step Functions API
reference this module makes:

- ``GetExecutionHistory`` honour its parameters: ``reverseOrder`` (latest events first),
  ``includeExecutionData`` (``false``: the events' ``input`` and ``output`` are left out of
  their details; the ``inputDetails`` / ``outputDetails`` stay), ``maxResults`` (default
  100, at most 1000, 0 is the default) and ``nextToken`` (a token of this history; another
  token is ``InvalidToken``). moto returned the whole history in ascending order, with data.
- ``CreateStateMachine`` keep the ``type`` it was given (``STANDARD`` or ``EXPRESS``; moto
  stored ``STANDARD`` whatever was asked), and ``ListStateMachines`` give each item its
  ``type`` (a required member of ``StateMachineListItem`` that moto left out).
- ``DescribeExecution`` answer ``redriveCount`` (0: the local stack has no
  ``RedriveExecution``) and ``redriveStatus``: ``REDRIVABLE`` for a ``FAILED``,
  ``TIMED_OUT`` or ``ABORTED`` execution of a ``STANDARD`` state machine, else
  ``NOT_REDRIVABLE`` with ``redriveStatusReason`` in AWS's words ("Execution is RUNNING
  and cannot be redriven.", "Execution is SUCCEEDED and cannot be redriven.").
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from moto.core.responses import ActionResult
from moto.stepfunctions.exceptions import InvalidToken
from moto.stepfunctions.responses import StepFunctionResponse

from rollout_local.extensions._fence import original, replace

DEFAULT_PAGE = 100
MAX_PAGE = 1000
_REDRIVABLE = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})

_moto_history = original(StepFunctionResponse, "get_execution_history", ("self",))
_moto_list_state_machines = original(StepFunctionResponse, "list_state_machines", ("self",))
_moto_describe_execution = original(StepFunctionResponse, "describe_execution", ("self",))
_moto_create_state_machine = original(StepFunctionResponse, "create_state_machine", ("self",))


def _token(arn: str, offset: int) -> str:
    raw = json.dumps({"executionArn": arn, "offset": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _offset(arn: str, token: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(data["offset"])
        if data["executionArn"] != arn or offset < 0:
            raise ValueError(token)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidToken(f"Invalid Token: '{token}'") from None
    return offset


def _without_data(event: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in ("input", "output")}
        out[key] = value
    return out


def _truthy(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def get_execution_history(self: StepFunctionResponse) -> Any:
    result = _moto_history(self)
    if not isinstance(result, ActionResult) or not isinstance(result.result, dict):
        return result
    arn = self._get_param("executionArn")
    events = [dict(e) for e in result.result.get("events", [])]
    if _truthy(self._get_param("reverseOrder"), False):
        events.reverse()
    if not _truthy(self._get_param("includeExecutionData"), True):
        events = [_without_data(e) for e in events]
    size = int(self._get_param("maxResults") or 0) or DEFAULT_PAGE
    size = min(size, MAX_PAGE)
    token = self._get_param("nextToken")
    start = _offset(arn, token) if token else 0
    page: dict[str, Any] = {"events": events[start : start + size]}
    if start + size < len(events):
        page["nextToken"] = _token(arn, start + size)
    return ActionResult(page)


def create_state_machine(self: StepFunctionResponse) -> Any:
    result = _moto_create_state_machine(self)
    kind = self._get_param("type")
    if kind and isinstance(result, ActionResult) and isinstance(result.result, dict):
        machine = self.stepfunction_backend.describe_state_machine(result.result["stateMachineArn"])
        machine.type = kind
    return result


def list_state_machines(self: StepFunctionResponse) -> Any:
    result = _moto_list_state_machines(self)
    if not isinstance(result, ActionResult) or not isinstance(result.result, dict):
        return result
    items = []
    for item in result.result.get("stateMachines", []):
        machine = self.stepfunction_backend.describe_state_machine(item["stateMachineArn"])
        items.append({**item, "type": getattr(machine, "type", None) or "STANDARD"})
    return ActionResult({**result.result, "stateMachines": items})


def redrive(status: str, machine_type: str) -> dict[str, Any]:
    """``redriveCount``, ``redriveStatus`` (and its reason) for an execution in ``status``."""
    if status in _REDRIVABLE and machine_type == "STANDARD":
        return {"redriveCount": 0, "redriveStatus": "REDRIVABLE"}
    return {
        "redriveCount": 0,
        "redriveStatus": "NOT_REDRIVABLE",
        "redriveStatusReason": f"Execution is {status} and cannot be redriven.",
    }


def describe_execution(self: StepFunctionResponse) -> Any:
    result = _moto_describe_execution(self)
    if not isinstance(result, ActionResult) or not isinstance(result.result, dict):
        return result
    answer = dict(result.result)
    status = str(getattr(answer.get("status"), "value", answer.get("status")))
    machine = self.stepfunction_backend.describe_state_machine(answer["stateMachineArn"])
    answer.update(redrive(status, getattr(machine, "type", None) or "STANDARD"))
    return ActionResult(answer)


def install() -> None:
    replace(StepFunctionResponse, "get_execution_history", get_execution_history, ("self",))
    replace(StepFunctionResponse, "create_state_machine", create_state_machine, ("self",))
    replace(StepFunctionResponse, "list_state_machines", list_state_machines, ("self",))
    replace(StepFunctionResponse, "describe_execution", describe_execution, ("self",))
