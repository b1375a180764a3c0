"""The in-process Lambda runtime: a template function's invoke runs its real handler.

moto's Docker-less Lambda backend answers every invoke with a canned body. The extension
layer (``rollout_local.extensions.lambda_invoke``) hands the invokes of the functions
registered here from the template to ``run``: they run their ``CodeUri`` + ``Handler`` in
this process, with their own environment variables, a Lambda-like context, and errors
reported as the Python runtime does (``FunctionError`` plus an ``errorType`` payload),
which is what Step Functions' Retry/Catch match on. Each invocation runs in an execution
environment of its function (``rollout_local.execution_environments``: a cold start when it
creates one, one environment per concurrent invocation). Functions created by other means
keep moto's behaviour.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollout_local import accounts, execution_environments, faults, function_caches, function_logs

logger = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class FunctionSpec:
    """What the runtime needs to run one template function."""

    function_name: str
    function_arn: str
    code_dir: Path
    handler: str
    environment: Mapping[str, str]
    layer_paths: tuple[Path, ...] = ()
    timeout: int = 3
    memory_size: int = 128

    @property
    def account_id(self) -> str:
        """The account the function lives in (its ARN's), which its invocations act as."""
        return accounts.account_of(self.function_arn)

    @property
    def key(self) -> str:
        """The function's key in the runtime: its name, prefixed by its account unless that
        is the default account (functions of one name may live in several accounts)."""
        if self.account_id == accounts.DEFAULT_ACCOUNT_ID:
            return self.function_name
        return f"{self.account_id}/{self.function_name}"


class LambdaContext:
    """The attributes and method of the Python runtime's context object that code reads."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.function_name = spec.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.function_arn
        self.memory_limit_in_mb = spec.memory_size
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.function_name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + spec.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _function_scoped(key: str) -> bool:
    """AWS_* (credentials, endpoint, region) and MOTO_* stay process-wide; AWS_LAMBDA_* not."""
    if key.startswith("AWS_LAMBDA_"):
        return True
    return not key.startswith(("AWS_", "MOTO_"))


_DELETED = object()


class EnvironOverlay(MutableMapping[str, str]):
    """``os.environ`` whose lookups see the running invocation's variables first.

    Invocations run concurrently on server threads, so swapping the real environment around
    a call would leak one function's variables into another. Each thread inside an
    invocation carries its own overlay; everything else reads and writes the real one.
    """

    def __init__(self, base: MutableMapping[str, str]) -> None:
        self.base = base
        self._local = threading.local()

    def _overlay(self) -> dict[str, Any] | None:
        return getattr(self._local, "env", None)

    @contextmanager
    def scoped(self, variables: Mapping[str, str]) -> Iterator[None]:
        previous = self._overlay()
        self._local.env = {k: v for k, v in variables.items() if _function_scoped(k)}
        try:
            yield
        finally:
            self._local.env = previous

    def __getitem__(self, key: str) -> str:
        overlay = self._overlay()
        if overlay is not None and key in overlay:
            value = overlay[key]
            if value is _DELETED:
                raise KeyError(key)
            return str(value)
        return self.base[key]

    def __setitem__(self, key: str, value: str) -> None:
        overlay = self._overlay()
        if overlay is not None and _function_scoped(key):
            overlay[key] = value
        else:
            self.base[key] = value

    def __delitem__(self, key: str) -> None:
        overlay = self._overlay()
        if overlay is not None and _function_scoped(key):
            if key not in self:
                raise KeyError(key)
            overlay[key] = _DELETED
        else:
            del self.base[key]

    def _keys(self) -> list[str]:
        overlay = self._overlay() or {}
        keys = dict.fromkeys(k for k in self.base if overlay.get(k) is not _DELETED)
        keys.update(dict.fromkeys(k for k, v in overlay.items() if v is not _DELETED))
        return list(keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def copy(self) -> dict[str, str]:
        return dict(self)

    def __repr__(self) -> str:
        return f"EnvironOverlay({self.copy()!r})"


_registry: dict[str, FunctionSpec] = {}
_handlers: dict[str, Handler] = {}
_import_lock = threading.RLock()
_async_threads: set[threading.Thread] = set()
_async_lock = threading.Lock()


def _key(function_name: str, account_id: str | None) -> str:
    if function_name.startswith("arn:"):
        account_id = accounts.account_of(function_name)
        function_name = function_name.split(":")[6]
    account = accounts.checked(account_id)
    return function_name if account == accounts.DEFAULT_ACCOUNT_ID else f"{account}/{function_name}"


def register(spec: FunctionSpec) -> None:
    """Make invokes of ``spec.function_name`` in its account run its handler in this process."""
    _registry[spec.key] = spec
    _handlers.pop(spec.key, None)


def registered(function_name: str, account_id: str | None = None) -> FunctionSpec | None:
    """The function ``function_name`` (a name, or an ARN, which names its account) of
    ``account_id`` (default: the default account), if the template registered it."""
    return _registry.get(_key(function_name, account_id))


class _HandlerError(Exception):
    """The runtime itself failed (import, missing handler, result not JSON)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _load_handler(spec: FunctionSpec) -> Handler:
    """Import ``<code_dir>/<module>.py`` once per function, like a warm container."""
    with _import_lock:
        if spec.key in _handlers:
            return _handlers[spec.key]
        module_path, _, attribute = spec.handler.rpartition(".")
        source = spec.code_dir / (module_path.replace(".", "/") + ".py")
        if not module_path or not source.is_file():
            raise _HandlerError(
                "Runtime.ImportModuleError",
                f"Unable to import module '{module_path}': no file {source}",
            )
        for layer in spec.layer_paths:
            if str(layer) not in sys.path:
                sys.path.insert(0, str(layer))
        unique = "_rollout_fn_" + re.sub(r"\W", "_", spec.key)
        module_spec = importlib.util.spec_from_file_location(unique, source)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        sys.path.insert(0, str(spec.code_dir))
        try:
            sys.modules[unique] = module
            module_spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(unique, None)
            raise _HandlerError(
                "Runtime.ImportModuleError", f"Unable to import module '{module_path}': {exc}"
            ) from exc
        finally:
            sys.path.remove(str(spec.code_dir))
        function_caches.isolate()  # what its code caches is kept per account
        handler = getattr(module, attribute, None)
        if not callable(handler):
            raise _HandlerError(
                "Runtime.HandlerNotFound",
                f"Handler '{attribute}' missing on module '{module_path}'",
            )
        _handlers[spec.key] = handler
        return handler


def _error_payload(error_type: str, message: str, exc: BaseException | None) -> bytes:
    frames = traceback.extract_tb(exc.__traceback__) if exc else []
    stack = traceback.format_list([f for f in frames if f.filename != __file__])
    return json.dumps(
        {"errorType": error_type, "errorMessage": message, "stackTrace": stack}
    ).encode()


def _environment(spec: FunctionSpec, context: LambdaContext) -> dict[str, str]:
    return {
        **spec.environment,
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": context.function_version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": context.log_group_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": context.log_stream_name,
    }


def run(spec: FunctionSpec, payload: bytes | str | None) -> tuple[bytes, str | None]:
    """Run one invocation; return the response payload and the FunctionError, if any.

    It runs in an execution environment of its function (``execution_environments``): a
    free one, or a new one (a cold start), acting as the function's account
    (``rollout_local.accounts``): what it signs with the local stack's dummy credentials
    reaches that account."""
    try:
        event = json.loads(payload) if payload else {}
    except ValueError as exc:
        return _error_payload("Runtime.UnmarshalError", str(exc), exc), "Unhandled"
    with (
        accounts.acting(spec.account_id),
        execution_environments.invocation(spec.key) as environment,
    ):
        return _run(spec, payload, event, environment)


def _run(
    spec: FunctionSpec,
    payload: bytes | str | None,
    event: Any,
    environment: execution_environments.Environment,
) -> tuple[bytes, str | None]:
    context = LambdaContext(spec)
    fault = faults.take(spec.function_name, payload)
    if fault is not None and fault.kind == "error":
        environment.discard()  # the runtime died: the next invocation starts cold
        message = (
            f"RequestId: {context.aws_request_id} Error: Runtime exited with error: signal: killed"
        )
        return _error_payload("Runtime.ExitError", message, None), "Unhandled"
    environ = os.environ
    # The handler's module is imported inside the scope too: Powertools and settings
    # objects read their environment variables at import time, as in a cold start.
    scope = environ.scoped if isinstance(environ, EnvironOverlay) else None
    try:
        throttle = fault is not None and fault.kind == "throttle"
        with (
            function_logs.invocation(context),
            scope(_environment(spec, context)) if scope else contextlib.nullcontext(),
            faults.throttling_first_call(fault) if throttle else contextlib.nullcontext(),
        ):
            handler = _load_handler(spec)
            function_logs.adopt_handlers()  # its loggers write to the function's log
            try:
                result = handler(event, context)
            finally:
                function_caches.isolate()  # and the modules it imported on the way
    except _HandlerError as exc:
        return _error_payload(exc.error_type, str(exc), exc), "Unhandled"
    except Exception as exc:
        return _error_payload(type(exc).__name__, str(exc), exc), "Unhandled"
    if fault is not None and fault.kind == "timeout":
        environment.discard()  # Lambda resets an environment whose invocation timed out
        message = (
            f"RequestId: {context.aws_request_id} Task timed out after {spec.timeout:.2f} seconds"
        )
        return _error_payload("Sandbox.Timedout", message, None), "Unhandled"
    try:
        return json.dumps(result).encode(), None
    except (TypeError, ValueError) as exc:
        message = f"Unable to marshal response: {exc}"
        return _error_payload("Runtime.MarshalError", message, exc), "Unhandled"


def run_async(spec: FunctionSpec, payload: bytes | str | None) -> None:
    """An ``Event`` invocation: run on a background thread; failures are logged."""

    def target() -> None:
        try:
            body, error = run(spec, payload)
            if error:
                logger.error("async invoke of %s failed: %s", spec.function_name, body.decode())
        finally:
            with _async_lock:
                _async_threads.discard(thread)

    thread = threading.Thread(target=target, name=f"lambda-async-{spec.function_name}", daemon=True)
    with _async_lock:
        _async_threads.add(thread)
    thread.start()


def install() -> None:
    """Give ``os.environ`` per-invocation overlays, collect function logs, arm faults.

    The patch that routes moto's Lambda invokes here is the extension layer's
    (``rollout_local.extensions.lambda_invoke``, installed with ``install_routing``)."""
    faults.install()
    if not isinstance(os.environ, EnvironOverlay):
        os.environ = EnvironOverlay(os.environ)  # type: ignore[assignment]  # noqa: B003
    function_logs.install()


def uninstall(timeout: float = 5.0) -> None:
    """Restore ``os.environ``; give running async invocations until ``timeout``."""
    deadline = time.monotonic() + timeout
    with _async_lock:
        running = list(_async_threads)
    for thread in running:
        thread.join(max(0.0, deadline - time.monotonic()))
    if isinstance(os.environ, EnvironOverlay):
        os.environ = os.environ.base  # type: ignore[assignment]  # noqa: B003
    function_logs.uninstall()
    faults.uninstall()
    _registry.clear()
    _handlers.clear()
    function_caches.forget_accounts()
    execution_environments.reset()
