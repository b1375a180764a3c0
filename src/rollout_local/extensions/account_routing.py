"""Work of one account reaches that account's backends: each resource acts in its own account.

On AWS a Lambda function calls AWS as its execution role, a state machine's tasks as the
state machine's role: both in the account they live in. moto serves the account named by a
request's ``x-moto-account-id`` header, else the account that issued its access key, else
the default account; the local stack's handlers and moto's Step Functions interpreter
sign with dummy keys (``testing``; the interpreter's fixed ``ak``), which moto maps to the
default account. This module:

- ``Endpoint._send`` (botocore): a request signed, on a thread that acts as an account
  (``rollout_local.accounts.acting``), with an access key moto did not issue gets that
  account's ``x-moto-account-id`` header, decided per request (handlers keep their clients
  across invocations). A request with the header already, or signed with credentials moto
  issued (an ``AssumeRole`` session, an IAM user's key), is sent unchanged: it acts in the
  account those credentials belong to, as on AWS. Threads acting as the default account
  (or as none) send every request unchanged.
- ``ExecutionWorker._execution_logic``: an execution runs acting as its state machine's
  account, and the threads the interpreter starts for it (the program's worker, ``Map``
  iterations, ``Parallel`` branches, the wait of a ``.waitForTaskToken`` task) act as the
  thread that started them (``accounts.InheritingThread`` in place of ``threading.Thread``
  in the interpreter's modules). So Lambda, ``aws-sdk:*``, ``states:startExecution`` and
  callback tasks reach the state machine's own account.
"""

from __future__ import annotations

import importlib
import sys
import threading
from types import ModuleType
from typing import Any

from botocore.endpoint import Endpoint
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from rollout_local import accounts
from rollout_local.extensions._fence import original, replace

_SEND_PARAMS = ("self", "request")
_moto_send = original(Endpoint, "_send", _SEND_PARAMS)
_moto_execution_logic = original(ExecutionWorker, "_execution_logic", ("self",))

#: the interpreter's modules that start threads (imported here so that they are patched)
_THREADING_MODULES = (
    "moto.stepfunctions.parser.asl.component.program.program",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branches_decl",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.backend.execution_worker",
)


def access_key(request: Any) -> str | None:
    """The access key id a SigV4-signed request names (``None``: unsigned)."""
    authorization = request.headers.get("Authorization")
    if authorization is None:
        return None
    if isinstance(authorization, bytes):
        authorization = authorization.decode("utf-8", "replace")
    _, found, rest = authorization.partition("Credential=")
    return rest.split("/", 1)[0] if found else None


def issued(key: str) -> bool:
    """moto issued ``key`` (an IAM user's key or an STS session's, in any account)."""
    if not key.startswith(("AKIA", "ASIA")):  # the prefixes of the keys moto issues
        return False
    from moto.iam.models import iam_backends

    for _account, partitions in list(iam_backends.items()):
        for partition in list(partitions.values()):
            if key in partition.access_keys:
                return True
    return False


def _send(self: Endpoint, request: Any) -> Any:
    account = accounts.current()
    if (
        account is not None
        and account != accounts.DEFAULT_ACCOUNT_ID
        and accounts.ACCOUNT_HEADER not in request.headers
    ):
        key = access_key(request)
        if key is not None and not issued(key):
            request.headers[accounts.ACCOUNT_HEADER] = account
    return _moto_send(self, request)


def _execution_logic(self: ExecutionWorker) -> Any:
    account = self._evaluation_details.aws_execution_details.account
    with accounts.acting(account):
        return _moto_execution_logic(self)


class _ThreadingShim(ModuleType):
    """``threading`` as seen by an interpreter module: ``Thread`` inherits the account."""

    Thread = accounts.InheritingThread

    def __getattr__(self, name: str) -> Any:
        return getattr(threading, name)


_shim = _ThreadingShim("threading")


def install() -> None:
    replace(Endpoint, "_send", _send, _SEND_PARAMS)
    replace(ExecutionWorker, "_execution_logic", _execution_logic, ("self",))
    for name in _THREADING_MODULES:
        importlib.import_module(name)
    for name, module in list(sys.modules.items()):
        if not name.startswith("moto.stepfunctions.parser") or module is None:
            continue
        if getattr(module, "threading", None) is threading:
            replace(module, "threading", _shim)
        if getattr(module, "Thread", None) is threading.Thread:
            replace(module, "Thread", accounts.InheritingThread)
