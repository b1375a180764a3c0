"""The embedded local stack: moto's server, in-process Lambdas, routed EventBridge.

One ``LocalStack`` per process (moto's backends are process-global). ``start()`` configures
moto to execute state machines and run Lambdas without Docker, points this process's AWS
clients at the server (in-process handlers use plain boto3), installs the patches of moto
(``rollout_local.extensions``: the only module that touches moto), the Lambda runtime and
the EventBridge routing, then deploys the template. ``deploy()`` adds further templates
(e.g. test fixtures) under their own stack name.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3

from rollout_local import accounts, extensions, lambda_runtime
from rollout_local.extensions import moto_server
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


def account_client(
    service_name: str,
    account_id: str | None = None,
    *,
    endpoint_url: str | None = None,
    **kwargs: Any,
) -> Any:
    """A boto3 client with the local stack's dummy credentials acting as the administrator
    of ``account_id`` (``rollout_local.accounts.administered``)."""
    client = boto3.client(
        service_name,
        endpoint_url=endpoint_url,
        region_name=kwargs.pop("region_name", REGION),
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        **kwargs,
    )
    return accounts.administered(client, account_id)


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
        self._server: moto_server.Server | None = None
        self._saved_environment: dict[str, str | None] = {}
        self._saved_config: Any = None
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

    def client(self, service_name: str, account_id: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client against this stack, with the local contract's dummy identity: the
        administrator (root) of ``account_id`` (default: the default account)."""
        return account_client(service_name, account_id, endpoint_url=self.endpoint_url, **kwargs)

    def deploy(
        self,
        template_path: Path,
        *,
        stack_name: str = DEFAULT_STACK_NAME,
        parameter_overrides: dict[str, str] | None = None,
        account_id: str | None = None,
    ) -> DeployedStack:
        """Deploy one more template into ``account_id`` (default: the default account); its
        unnamed resources are prefixed with ``stack_name`` (unique in this local stack:
        S3 bucket names are global, as on AWS)."""
        if self._server is None:
            raise LocalStackError("start() the stack before deploying into it")
        if stack_name in self.stacks:
            raise LocalStackError(f"a stack named {stack_name} is already deployed")
        account = accounts.checked(account_id)

        def client(service_name: str) -> Any:
            return self.client(service_name, account)

        deployed = deploy(
            Path(template_path),
            client,
            stack_name=stack_name,
            parameter_overrides=parameter_overrides,
            account_id=account,
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
            try:  # first: an untested moto is refused before anything starts
                extensions.install()
            except extensions.MotoFenceError as exc:
                raise LocalStackError(str(exc)) from exc
            self._configure()
            self._server = moto_server.Server(self.port)
            self._server.start()
            lambda_runtime.install()
            extensions.install_routing()
            self._installed = True
            self._stop_extensions = extensions.start_background()
            self.deploy(self.template_path, parameter_overrides=self.parameter_overrides)
        except BaseException:
            self.stop()
            raise
        return self

    def _configure(self) -> None:
        # One access-log line per API call drowns everything else; errors still show.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # Powertools warns when a handler that raised flushed no metric: expected on error
        # paths, and on Lambda it would go to the function's log, not to this terminal.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        self._saved_config = moto_server.configure()
        values = {
            "MOTO_PORT": str(self.port),
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }
        self._saved_environment = {key: os.environ.get(key) for key in _ENVIRONMENT_KEYS}
        os.environ.update(values)

    def stop(self) -> None:
        """Stop everything ``start()`` began; free the port; reset moto's state."""
        global _running
        if self._stop_extensions is not None:
            self._stop_extensions()
            self._stop_extensions = None
        if self._installed:
            extensions.uninstall_routing()
            lambda_runtime.uninstall()
            self._installed = False
        if self._server is not None:
            self._server.stop()
            self._server = None
            extensions.reset()
        if self._saved_config is not None:
            moto_server.restore(self._saved_config)
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
