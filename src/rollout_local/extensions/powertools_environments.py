"""Powertools' cold start and metric set per execution environment.

AWS: each Lambda execution environment is its own process
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html), so what
Powertools keeps in module globals and class attributes belongs to one environment: the
``cold_start`` flags (Logger's ``cold_start`` key, Tracer's ``ColdStart`` annotation,
Metrics' ``ColdStart`` metric) are true for the invocation that created the environment,
and the metric set that ``Metrics`` instances share (``Metrics._metrics`` and its
dimensions and metadata) collects that environment's metrics until ``log_metrics`` flushes
them into its log.

Locally all functions and all their environments share this process: the flags were true
for the first function invoked only, and a flush printed (and cleared) the metrics of every
invocation running at that moment into one function's log. Here, inside an invocation
(``rollout_local.execution_environments.current()``):

- ``_is_cold_start`` of Powertools' logger and tracer modules, and
  ``BaseProvider._add_cold_start_metric``, answer for the invocation's environment (a
  cold start: it created the environment; one ``ColdStart`` metric per environment);
- the state attributes of ``AmazonCloudWatchEMFProvider`` (``metric_set``,
  ``dimension_set``, ``dimension_sets``, ``metadata_set``, ``default_dimensions``,
  ``timestamp``) are the environment's copy of what the provider was built with; providers
  built on the same shared dict (every ``Metrics()``) share the environment's copy of it,
  as they share the dict in one process on Lambda.

Outside an invocation Powertools behaves as shipped. A change made at import time after a
``Metrics`` was built (``set_default_dimensions`` at module level) lands in the first
environment only: the module is imported once per function here. (These patches are
Powertools', not moto's: the moto version guard does not cover them; ``replace``/``add``
still check what they replace.)
"""

from __future__ import annotations

import copy
from typing import Any

from aws_lambda_powertools.logging import logger as powertools_logger
from aws_lambda_powertools.metrics.provider import base as metrics_base
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)
from aws_lambda_powertools.tracing import tracer as powertools_tracer

from rollout_local import execution_environments
from rollout_local.extensions._fence import add, original, replace

STATE = (
    "metric_set",
    "dimension_set",
    "dimension_sets",
    "metadata_set",
    "default_dimensions",
    "timestamp",
)
_OWN = "_rollout_local_own"  # the instance's own values: what Powertools alone would hold
_BUILDING = "_rollout_local_building"
_COPIES = "powertools_metrics"  # Environment.state key: (anchor id) → (anchor, value)
_COLD_METRIC = "powertools_cold_start_metric"

_INIT_PARAMS = (
    "self",
    "metric_set",
    "dimension_set",
    "namespace",
    "metadata_set",
    "service",
    "default_dimensions",
    "function_name",
)
_original_init = original(AmazonCloudWatchEMFProvider, "__init__", _INIT_PARAMS)
_original_logger_cold = original(powertools_logger, "_is_cold_start", ())
_original_tracer_cold = original(powertools_tracer, "_is_cold_start", ())
_original_cold_metric = original(metrics_base.BaseProvider, "_add_cold_start_metric")


def _own(provider: Any) -> dict[str, Any]:
    own: dict[str, Any] | None = provider.__dict__.get(_OWN)
    if own is None:  # built before install(): its state is still in instance attributes
        own = {name: provider.__dict__.pop(name) for name in STATE if name in provider.__dict__}
        provider.__dict__[_OWN] = own
    return own


def _anchor(provider: Any, name: str, template: Any) -> Any:
    """What the environment's copy belongs to: a shared container, or the provider."""
    return template if isinstance(template, dict | list) else (provider, name)


def _key(anchor: Any) -> Any:
    return id(anchor) if not isinstance(anchor, tuple) else (id(anchor[0]), anchor[1])


def _state(name: str) -> property:
    def get(self: Any) -> Any:
        own = _own(self)
        if name not in own:
            raise AttributeError(name)
        environment = execution_environments.current()
        if environment is None or _BUILDING in self.__dict__:
            return own[name]
        template = own[name]
        anchor = _anchor(self, name, template)
        copies: dict[Any, tuple[Any, Any]] = environment.state.setdefault(_COPIES, {})
        found = copies.get(_key(anchor))
        if found is None or found[0] is not anchor:  # (a reused id is another object)
            found = copies[_key(anchor)] = (anchor, copy.deepcopy(template))
        return found[1]

    def set_(self: Any, value: Any) -> None:
        own = _own(self)
        environment = execution_environments.current()
        if environment is None or _BUILDING in self.__dict__ or name not in own:
            own[name] = value
            return
        anchor = _anchor(self, name, own[name])
        environment.state.setdefault(_COPIES, {})[_key(anchor)] = (anchor, value)

    return property(get, set_)


def _init(self: AmazonCloudWatchEMFProvider, *args: Any, **kwargs: Any) -> None:
    self.__dict__[_BUILDING] = True
    try:
        _original_init(self, *args, **kwargs)
    finally:
        del self.__dict__[_BUILDING]


def _cold(original_check: Any) -> Any:
    def is_cold_start() -> bool:
        environment = execution_environments.current()
        if environment is None:
            return bool(original_check())
        return environment.cold

    return is_cold_start


def _add_cold_start_metric(self: metrics_base.BaseProvider, context: Any) -> None:
    environment = execution_environments.current()
    if environment is None:
        _original_cold_metric(self, context)
        return
    if environment.cold and not environment.state.get(_COLD_METRIC):
        environment.state[_COLD_METRIC] = True
        self.add_cold_start_metric(context=context)


def install() -> None:
    if isinstance(getattr(AmazonCloudWatchEMFProvider, "metric_set", None), property):
        return
    replace(AmazonCloudWatchEMFProvider, "__init__", _init, _INIT_PARAMS)
    for name in STATE:
        add(AmazonCloudWatchEMFProvider, name, _state(name))
    replace(powertools_logger, "_is_cold_start", _cold(_original_logger_cold), ())
    replace(powertools_tracer, "_is_cold_start", _cold(_original_tracer_cold), ())
    replace(metrics_base.BaseProvider, "_add_cold_start_metric", _add_cold_start_metric)
