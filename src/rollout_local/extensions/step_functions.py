"""Step Functions as AWS runs it, where moto 5.2.1's interpreter (``execute_state_machine``)
differs.

- ``StartExecution`` without a ``name`` gets a UUID, as the API reference says ("If you
  don't provide a name for the execution, Step Functions automatically generates a UUID");
  moto's interpreter used ``None``.
- ``SendTaskFailure`` passes its ``cause`` on (moto's response handler dropped it, so a
  ``Catch`` saw no ``Cause``).
- ``StopExecution`` makes the execution ``ABORTED`` at once, as ``DescribeExecution`` shows it
  on AWS (moto reported ``RUNNING`` until the interpreter thread next woke up, e.g. when a
  task token timed out).
- Every attempt of a ``.waitForTaskToken`` task gets a new task token (the context object's
  ``$$.Task.Token`` is per attempt on AWS); moto made one per state entry, so a retried
  attempt (``Retry`` on ``States.Timeout``) reused the token whose wait had already ended
  and timed out at once.
- A state machine can be started again while (or after) one of its executions runs: the
  interpreter deep-copies the state machine at every ``StartExecution``, and the copy
  reached the running executions' locks (``TypeError: cannot pickle '_thread.RLock'``).
  ``StateMachine.__deepcopy__`` copies everything but its executions and backend.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
    ResourceCondition,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (  # noqa: E501
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.backend.execution import Execution as ParserExecution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from rollout_local.extensions._fence import add, replace


def _clone_for_execution(self: StateMachine, memo: dict[int, Any]) -> StateMachine:
    """Deep copy of a state machine minus its executions and backend."""
    clone = copy.copy(self)
    memo[id(self)] = clone
    for key, value in vars(self).items():
        if key == "executions":
            clone.executions = []
        elif key != "backend":
            setattr(clone, key, copy.deepcopy(value, memo))
    return clone


_original_start_execution = StepFunctionsParserBackend.start_execution


def _start_execution(
    self: StepFunctionsParserBackend,
    state_machine_arn: str,
    name: str | None = None,
    execution_input: Any = None,
    trace_header: Any = None,
) -> Any:
    return _original_start_execution(
        self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header
    )


def _send_task_failure(self: StepFunctionResponse) -> ActionResult:
    # With execute_state_machine on, the backend is the interpreter's, which takes a cause.
    self.stepfunction_backend.send_task_failure(  # type: ignore[call-arg]
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return EmptyResult()


_original_stop = ParserExecution.stop


def _stop(self: ParserExecution, stop_date: Any, error: str | None, cause: str | None) -> None:
    _original_stop(self, stop_date, error, cause)
    if self.exec_status == ExecutionStatus.RUNNING:
        self.exec_status = ExecutionStatus.ABORTED
        self.stop_date = stop_date


_original_callback_eval_execution = StateTaskServiceCallback._eval_execution


def _callback_eval_execution(self: StateTaskServiceCallback, env: Any) -> None:
    context = env.states.context_object
    retried = (context.context_object_data.get("State") or {}).get("RetryCount", 0)
    if (
        retried
        and self._is_integration_pattern()
        and ResourceCondition.WaitForTaskToken in self._supported_integration_patterns
    ):
        env.callback_pool_manager.add(context.update_task_token())
    _original_callback_eval_execution(self, env)


def install() -> None:
    replace(StateTaskServiceCallback, "_eval_execution", _callback_eval_execution, ("self", "env"))
    add(StateMachine, "__deepcopy__", _clone_for_execution)
    replace(
        StepFunctionsParserBackend,
        "start_execution",
        _start_execution,
        ("self", "state_machine_arn", "name", "execution_input", "trace_header"),
    )
    replace(StepFunctionResponse, "send_task_failure", _send_task_failure, ("self",))
    replace(ParserExecution, "stop", _stop, ("self", "stop_date", "error", "cause"))
