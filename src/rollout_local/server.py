"""The embedded local stack: moto's server, in-process Lambdas, routed EventBridge.

One ``LocalStack`` per process (moto's backends are process-global). ``start()`` configures
moto to execute state machines and run Lambdas without Docker, points this process's AWS
clients at the server (in-process handlers use plain boto3), installs the Lambda runtime,
the EventBridge routing and the optional ``rollout_local.extensions``, then deploys the
template. ``deploy()`` adds further templates (e.g. test fixtures) under their own stack name.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import logging
import os
import socket
import threading
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from moto.core import config as moto_config
from moto.core.responses import ActionResult, EmptyResult
from moto.moto_api._internal.models import moto_api_backend
from moto.server import ThreadedMotoServer
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

from rollout_local import eventbridge, lambda_runtime, speedups
from rollout_local.template import DEFAULT_STACK_NAME, REGION, DeployedStack, deploy

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEMPLATE = PROJECT_ROOT / "template.yaml"
_ENVIRONMENT_KEYS = (
    "MOTO_PORT",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
)

_running: LocalStack | None = None
_running_lock = threading.Lock()


def running() -> LocalStack | None:
    """The local stack started in this process, if one runs."""
    return _running


class LocalStackError(RuntimeError):
    """The local stack could not start (port taken, a stack already running, ...)."""


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _clone_for_execution(self: StateMachine, memo: dict[int, Any]) -> StateMachine:
    """Deep copy of a state machine minus its executions and backend.

    moto 5.2.1's interpreter deep-copies the state machine at every StartExecution; the copy
    reached the running executions' locks (``TypeError: cannot pickle '_thread.RLock'``), so
    a state machine could not be started a second time while, or after, one ran.
    """
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
    """StartExecution without a name gets a UUID, as on AWS (moto's interpreter used None)."""
    return _original_start_execution(
        self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header
    )


def _send_task_failure(self: StepFunctionResponse) -> ActionResult:
    """SendTaskFailure with its ``cause`` (moto 5.2.1's handler dropped it, so a Catch saw
    no Cause)."""
    # With execute_state_machine on, the backend is the interpreter's, which takes a cause.
    self.stepfunction_backend.send_task_failure(  # type: ignore[call-arg]
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return EmptyResult()


_original_stop = ParserExecution.stop


def _stop(self: ParserExecution, stop_date: Any, error: str | None, cause: str | None) -> None:
    """StopExecution makes the execution ABORTED at once, as on AWS (moto 5.2.1 reported
    RUNNING until the interpreter thread next woke up, e.g. when a task token timed out)."""
    _original_stop(self, stop_date, error, cause)
    if self.exec_status == ExecutionStatus.RUNNING:
        self.exec_status = ExecutionStatus.ABORTED
        self.stop_date = stop_date


_original_callback_eval_execution = StateTaskServiceCallback._eval_execution


def _callback_eval_execution(self: StateTaskServiceCallback, env: Any) -> None:
    """Every attempt of a ``waitForTaskToken`` task gets a new task token, as on AWS. moto
    5.2.1 made one token per state entry, so a retried attempt (``Retry`` on
    ``States.Timeout``) reused the token whose wait had already ended and timed out at once."""
    context = env.states.context_object
    retried = (context.context_object_data.get("State") or {}).get("RetryCount", 0)
    if (
        retried
        and self._is_integration_pattern()
        and ResourceCondition.WaitForTaskToken in self._supported_integration_patterns
    ):
        env.callback_pool_manager.add(context.update_task_token())
    _original_callback_eval_execution(self, env)


def _fix_moto_step_functions() -> None:
    StateTaskServiceCallback._eval_execution = _callback_eval_execution  # type: ignore[method-assign,assignment]
    StateMachine.__deepcopy__ = _clone_for_execution  # type: ignore[attr-defined]
    StepFunctionsParserBackend.start_execution = _start_execution  # type: ignore[method-assign]
    StepFunctionResponse.send_task_failure = _send_task_failure  # type: ignore[method-assign]
    ParserExecution.stop = _stop  # type: ignore[method-assign]


class LocalStack:
    """AWS emulation on ``127.0.0.1:port`` with ``template_path`` deployed into it."""

    def __init__(
        self,
        port: int = 4566,
        template_path: Path = DEFAULT_TEMPLATE,
        parameter_overrides: dict[str, str] | None = None,
    ) -> None:
        self.port = port
        self.template_path = Path(template_path)
        self.parameter_overrides = dict(parameter_overrides or {})
        self.stacks: dict[str, DeployedStack] = {}
        self._server: ThreadedMotoServer | None = None
        self._saved_environment: dict[str, str | None] = {}
        self._saved_config: moto_config.DefaultConfig | None = None
        self._stop_extensions: Callable[[], None] | None = None
        self._installed = False

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stack(self) -> DeployedStack:
        """The main template's deployment."""
        return self.stacks[DEFAULT_STACK_NAME]

    @property
    def resources(self) -> dict[str, str]:
        """Logical id → physical id (name, or ARN where that is what ``Ref`` gives)."""
        return self.stack.resources

    @property
    def outputs(self) -> dict[str, Any]:
        return self.stack.outputs

    def client(self, service_name: str, **kwargs: Any) -> Any:
        """A boto3 client against this stack, with the local contract's dummy identity."""
        return boto3.client(
            service_name,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            **kwargs,
        )

    def deploy(
        self,
        template_path: Path,
        *,
        stack_name: str = DEFAULT_STACK_NAME,
        parameter_overrides: dict[str, str] | None = None,
    ) -> DeployedStack:
        """Deploy one more template; its unnamed resources are prefixed with ``stack_name``."""
        if self._server is None:
            raise LocalStackError("start() the stack before deploying into it")
        if stack_name in self.stacks:
            raise LocalStackError(f"a stack named {stack_name} is already deployed")
        deployed = deploy(
            Path(template_path),
            self.client,
            stack_name=stack_name,
            parameter_overrides=parameter_overrides,
        )
        self.stacks[stack_name] = deployed
        return deployed

    def start(self) -> LocalStack:
        global _running
        with _running_lock:
            if _running is not None:
                raise LocalStackError(
                    f"a LocalStack already runs in this process ({_running.endpoint_url}); "
                    "moto's backends are process-global, so only one can"
                )
            if not port_is_free(self.port):
                raise LocalStackError(f"port {self.port} on 127.0.0.1 is already in use")
            _running = self
        try:
            self._configure()
            _fix_moto_step_functions()
            speedups.install()
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
            self._server.start()
            lambda_runtime.install()
            eventbridge.install()
            self._installed = True
            self._start_extensions()
            self.deploy(self.template_path, parameter_overrides=self.parameter_overrides)
        except BaseException:
            self.stop()
            raise
        return self

    def _configure(self) -> None:
        # One access-log line per API call drowns everything else; errors still show. The
        # interpreter logs every failed state (expected ones too) as an error with its
        # parse tree; the execution history has the same facts, readably.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # Powertools warns when a handler that raised flushed no metric: expected on error
        # paths, and on Lambda it would go to the function's log, not to this terminal.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(
            logging.CRITICAL
        )
        config = moto_config.default_user_config
        self._saved_config = copy.deepcopy(config)
        config["stepfunctions"] = {**config.get("stepfunctions", {}), "execute_state_machine": True}
        config["lambda"] = {**config.get("lambda", {}), "use_docker": False}
        values = {
            "MOTO_PORT": str(self.port),
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }
        self._saved_environment = {key: os.environ.get(key) for key in _ENVIRONMENT_KEYS}
        os.environ.update(values)

    def _start_extensions(self) -> None:
        if importlib.util.find_spec("rollout_local.extensions") is None:
            return
        extensions = importlib.import_module("rollout_local.extensions")
        if callable(getattr(extensions, "install", None)):
            extensions.install()
        if callable(getattr(extensions, "start_background", None)):
            self._stop_extensions = extensions.start_background()

    def stop(self) -> None:
        """Stop everything ``start()`` began; free the port; reset moto's state."""
        global _running
        if self._stop_extensions is not None:
            self._stop_extensions()
            self._stop_extensions = None
        if self._installed:
            eventbridge.uninstall()
            lambda_runtime.uninstall()
            self._installed = False
        if self._server is not None:
            self._server.stop()
            server = self._server._server
            if server is not None:
                server.server_close()
            self._server = None
            moto_api_backend.reset()
            speedups.clear()
        if self._saved_config is not None:
            moto_config.default_user_config.update(self._saved_config)
            self._saved_config = None
        for key, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environment = {}
        self.stacks = {}
        with _running_lock:
            if _running is self:
                _running = None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
