"""One execution environment per concurrent invocation, as far as Powertools' log keys go.

AWS: a Lambda execution environment runs one invocation at a time
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html), so the keys a
handler adds with ``Logger.append_keys`` (and clears with
``inject_lambda_context(clear_state=True)``) belong to that environment alone, and stay for
its next invocation unless cleared.

Locally every function runs in one process, concurrently on several threads, and all of
them share one Powertools formatter (the service's logger), whose keys are one dict: an
``EndpointEventFunction`` invocation clearing its state would wipe the ``deployment_id``
that a concurrent ``DeployFunction`` invocation just appended, and its log line would
lack it (or carry another deployment's). This module makes the formatter's keys
(``LambdaPowertoolsFormatter.log_format``) per execution environment
(``rollout_local.execution_environments``; outside any invocation, per thread): each
environment starts from the keys the formatter was built with and sees only its own
changes. Nothing else of Powertools changes (its cold start and metric set:
``powertools_environments``). (This patch is Powertools', not moto's: the moto version
guard does not cover it; ``replace``/``add`` still check that ``__init__`` exists and that
the class has no ``log_format`` of its own.)
"""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from rollout_local import execution_environments
from rollout_local.extensions._fence import add, replace

_threads = threading.local()
_original_init = LambdaPowertoolsFormatter.__init__
_BUILDING = "_rollout_local_building"
_TEMPLATE = "_rollout_local_template"
_STATE = "powertools_log_format"  # Environment.state key: formatter id → its keys


def _formats() -> dict[int, dict[str, Any]]:
    environment = execution_environments.current()
    if environment is not None:
        kept: dict[int, dict[str, Any]] = environment.state.setdefault(_STATE, {})
        return kept
    found: dict[int, dict[str, Any]] | None = getattr(_threads, "formats", None)
    if found is None:
        found = _threads.formats = {}
    return found


def _get(self: LambdaPowertoolsFormatter) -> dict[str, Any]:
    if _BUILDING in self.__dict__:
        building: dict[str, Any] = self.__dict__[_BUILDING]
        return building
    formats = _formats()
    if id(self) not in formats:
        # built before install(): its keys are still the instance attribute
        template = self.__dict__.get(_TEMPLATE, self.__dict__.get("log_format", {}))
        formats[id(self)] = dict(template)
    return formats[id(self)]


def _set(self: LambdaPowertoolsFormatter, value: dict[str, Any]) -> None:
    if _BUILDING in self.__dict__:
        self.__dict__[_BUILDING] = value
    else:
        _formats()[id(self)] = value


def _init(self: LambdaPowertoolsFormatter, *args: Any, **kwargs: Any) -> None:
    self.__dict__[_BUILDING] = {}
    try:
        _original_init(self, *args, **kwargs)
    finally:
        self.__dict__[_TEMPLATE] = dict(self.__dict__.pop(_BUILDING))


def install() -> None:
    if isinstance(getattr(LambdaPowertoolsFormatter, "log_format", None), property):
        return
    replace(LambdaPowertoolsFormatter, "__init__", _init)  # passes every argument on
    add(LambdaPowertoolsFormatter, "log_format", property(_get, _set))
