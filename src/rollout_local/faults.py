"""Fault injection for the embedded local stack (never part of the product).

A *fault plan* is a list of armed faults that the in-process Lambda runtime
(``rollout_local.lambda_runtime``) consults at every invocation of a template function. A
fault names the function (its logical id, e.g. ``DeployFunction``, or its physical name), an
optional ``match`` text that must occur in the invocation's payload (so that concurrent
deployments can each carry their own fault: use a name unique to the deployment, such as its
model package group), a kind, and how many invocations it affects (``times``; ``None`` means
every matching invocation), after letting ``skip`` matching invocations through (for a
function that several states share, such as the await function).

Kinds, each what AWS does to a Lambda step:

- ``throttle``: the first AWS API call the invocation makes is answered with
  ``ThrottlingException`` (HTTP 400), exactly as an AWS service answers a throttled call; the
  product's adapters translate it into ``Throttled``, which the state machine retries with
  backoff and jitter.
- ``error``: the function crashes before running its handler, as when the Lambda runtime
  dies (``errorType`` ``Runtime.ExitError``, the error AWS reports for a killed runtime).
- ``timeout``: the handler runs to its end (its side effects happen), then the invocation is
  reported as timed out (``errorType`` ``Sandbox.Timedout``, ``Task timed out after N
  seconds``), which is what a step that overran its timeout after doing its work looks like
  to Step Functions: the result is lost, the work is not.

Arm faults from Python (``arm``/``disarm``/``plan``; tests run in the stack's process) or with
``ROLLOUT_LOCAL_FAULTS``, a JSON list of ``{"function", "kind", "match", "times"}`` read by
``install``. ``hits`` tells which armed faults fired and how often.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import botocore.client
from botocore.exceptions import ClientError

Kind = Literal["throttle", "error", "timeout"]
KINDS: tuple[Kind, ...] = ("throttle", "error", "timeout")
ENVIRONMENT_VARIABLE = "ROLLOUT_LOCAL_FAULTS"


@dataclass
class Fault:
    function: str
    kind: Kind
    match: str | None = None
    times: int | None = 1
    skip: int = 0  # matching invocations let through before the fault starts firing
    seen: int = 0
    applied: int = 0  # throttles actually answered (the invocation made an AWS call)
    fault_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    hits: int = 0

    def matches(self, function_name: str, payload: str) -> bool:
        # the logical id, or the physical name (the local stack names it <stack>-<logical id>)
        if function_name != self.function and not function_name.endswith(f"-{self.function}"):
            return False
        return self.match is None or self.match in payload


_lock = threading.Lock()
_plan: list[Fault] = []
_local = threading.local()
_original_make_api_call = botocore.client.BaseClient._make_api_call


def arm(
    function: str,
    kind: Kind,
    *,
    match: str | None = None,
    times: int | None = 1,
    skip: int = 0,
) -> Fault:
    """Arm a fault; returns it (its ``hits`` count how often it fired). ``skip`` lets the
    first matching invocations through (a function that several states share)."""
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
    fault = Fault(function=function, kind=kind, match=match, times=times, skip=skip)
    with _lock:
        _plan.append(fault)
    return fault


def disarm(fault: Fault | None = None) -> None:
    """Remove one fault, or every fault."""
    with _lock:
        if fault is None:
            _plan.clear()
        elif fault in _plan:
            _plan.remove(fault)


def plan() -> list[Fault]:
    with _lock:
        return list(_plan)


def take(function_name: str, payload: bytes | str | None) -> Fault | None:
    """The fault that applies to this invocation, counted as fired (at most one)."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else (payload or "")
    with _lock:
        chosen = None
        for fault in _plan:
            if not fault.matches(function_name, text):
                continue
            fault.seen += 1  # every matching fault counts the invocation
            exhausted = fault.times is not None and fault.hits >= fault.times
            if chosen is None and fault.seen > fault.skip and not exhausted:
                chosen = fault
        if chosen is not None:
            chosen.hits += 1
        return chosen


@contextmanager
def throttling_first_call(fault: Fault | None = None) -> Iterator[None]:
    """Within the block, this thread's first AWS API call is throttled."""
    previous = getattr(_local, "throttle", None)
    _local.throttle = fault or True
    try:
        yield
    finally:
        _local.throttle = previous


def _make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
    throttle = getattr(_local, "throttle", None)
    if throttle:
        _local.throttle = None
        if isinstance(throttle, Fault):
            with _lock:
                throttle.applied += 1
        raise ClientError(
            {
                "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            operation_name,
        )
    return _original_make_api_call(self, operation_name, api_params)


def install() -> None:
    """Route AWS calls through the throttle hook; arm faults from ``ROLLOUT_LOCAL_FAULTS``."""
    botocore.client.BaseClient._make_api_call = _make_api_call
    raw = os.environ.get(ENVIRONMENT_VARIABLE)
    if raw:
        for spec in json.loads(raw):
            arm(
                spec["function"],
                spec["kind"],
                match=spec.get("match"),
                times=spec.get("times", 1),
                skip=spec.get("skip", 0),
            )


def uninstall() -> None:
    botocore.client.BaseClient._make_api_call = _original_make_api_call
    disarm()
