"""Lambda execution environments of the in-process runtime: one per concurrent invocation.

AWS (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html): an
execution environment belongs to one function and runs one invocation at a time. An
invocation takes a free environment of its function (warm) or Lambda creates one (a cold
start: the init phase runs, and Powertools reports ``cold_start`` / ``ColdStart`` for that
invocation only). Concurrent invocations of one function run in separate environments; an
environment that crashed (the runtime exited) or timed out is reset, so the next invocation
starts cold again.

Locally every function runs in this one process, so what lives in an environment (the
Powertools state that the extension layer keeps per environment: log keys, the metric set,
the cold start flags) is kept in ``Environment.state``; ``current()`` is the environment of
the invocation the calling thread runs (``None`` outside any invocation). A handler's
module is still imported once per function (in its first environment), not once per
environment.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_lock = threading.Lock()
_numbers = itertools.count(1)
_free: dict[str, list[Environment]] = {}
_local = threading.local()


@dataclass(eq=False)
class Environment:
    """One execution environment of ``function_name``."""

    function_name: str
    number: int
    invocations: int = 0  # started in it, the running one included
    state: dict[str, Any] = field(default_factory=dict)  # what libraries keep per environment
    reset: bool = False  # crashed or timed out: not reused

    @property
    def cold(self) -> bool:
        """The running invocation created this environment (a cold start)."""
        return self.invocations == 1

    def discard(self) -> None:
        """The runtime exited or the invocation timed out: Lambda resets the environment."""
        self.reset = True


def _acquire(function_name: str) -> Environment:
    with _lock:
        free = _free.setdefault(function_name, [])
        environment = free.pop() if free else Environment(function_name, next(_numbers))
        environment.invocations += 1
        return environment


def _release(environment: Environment) -> None:
    if environment.reset:
        return
    with _lock:
        _free.setdefault(environment.function_name, []).append(environment)


@contextmanager
def invocation(function_name: str) -> Iterator[Environment]:
    """Run one invocation of ``function_name`` in a free environment of it, or a new one."""
    environment = _acquire(function_name)
    outer = getattr(_local, "environment", None)
    _local.environment = environment
    try:
        yield environment
    finally:
        _local.environment = outer
        _release(environment)


def current() -> Environment | None:
    """The environment of the invocation this thread runs (``None``: no invocation)."""
    found: Environment | None = getattr(_local, "environment", None)
    return found


def free(function_name: str) -> int:
    """How many environments of ``function_name`` wait, warm, for an invocation."""
    with _lock:
        return len(_free.get(function_name, ()))


def reset() -> None:
    """Forget every environment (the local stack stopped: its functions are gone)."""
    with _lock:
        _free.clear()
