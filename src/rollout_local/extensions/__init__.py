"""The local stack's extension layer: what SageMaker and CloudWatch do that moto does not.

Each behaviour is one module with an ``install()`` that patches moto's backend and response
classes (so it works in moto server mode and under ``mock_aws`` alike); the module
docstrings state the AWS behaviour each implements:

- ``sagemaker_endpoints``: asynchronous endpoint create/update/weights with SageMaker's
  silent fallback, shadow variants, ``DescribeEndpoint``, endpoint state change events.
- ``registry_events``: model package state change events, a faithful ``UpdateModelPackage``.
- ``runtime``: ``InvokeEndpoint`` running the local model (``rollout_local.local_model``),
  weighted routing, shadow copies, per-variant ``AWS/SageMaker`` metrics.
- ``cloudwatch_alarms``: continuous alarm evaluation (incl. metric math), alarm state
  change events, ``SetAlarmState`` events.
- ``cloudwatch_metric_data``: ``GetMetricData`` with percentile statistics (``p99``).
- ``lambda_log_isolation``: Powertools log keys per invocation (one execution environment
  runs one invocation at a time), although all functions share this process.
- ``batch_transform``: transform jobs that run the local model over S3 input, with
  ``DataProcessing`` (filters, join with the input) and transform job state change events.
- ``async_inference``: ``InvokeEndpointAsync`` running the model on the S3 input in the
  background, writing the output (or failure) to S3 and notifying the SNS topics.
- ``sns_lambda``: SNS delivery to Lambda subscribers (the in-process handlers).
- ``sfn_start_execution``: the ``states:startExecution`` task's documented parameter names
  (``StateMachineArn``, ``Input``, ``Name``), which moto passed to boto3 unchanged.
- ``data_capture``: ``DataCaptureConfig``: sampled requests and responses of production and
  shadow variants written to S3 as SageMaker's JSON Lines capture files (one ``eventId``
  per request, shared by its shadow copy).

Later behaviours (data capture, async inference, batch transform, multi-model) are one
more module each, added to ``MODULES``.

Environment knobs: ``ROLLOUT_LOCAL_PROVISION_SECONDS`` (1.0), ``ROLLOUT_LOCAL_WEIGHT_SECONDS``
(0.2), ``ROLLOUT_LOCAL_ALARM_TICK`` (0.25), ``ROLLOUT_LOCAL_ROUTING_SEED`` (unset).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType

from rollout_local.extensions import (
    async_inference,
    batch_transform,
    cloudwatch_alarms,
    cloudwatch_metric_data,
    data_capture,
    lambda_log_isolation,
    registry_events,
    runtime,
    sagemaker_endpoints,
    sfn_start_execution,
    sns_lambda,
)
from rollout_local.extensions._common import stop_all_timers

MODULES: tuple[ModuleType, ...] = (
    sagemaker_endpoints,
    registry_events,
    runtime,
    cloudwatch_alarms,
    cloudwatch_metric_data,
    lambda_log_isolation,
    batch_transform,
    async_inference,
    sns_lambda,
    sfn_start_execution,
    data_capture,
)

_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Patch moto with every extension module. Idempotent."""
    global _installed
    with _install_lock:
        if _installed:
            return
        for module in MODULES:
            module.install()
        _installed = True


def start_background() -> Callable[[], None]:
    """Start the background workers (the alarm evaluator); return a stop function.

    The stop function stops the evaluator and cancels (or joins) the pending endpoint
    transitions, so no worker outlives it. It may be called more than once.
    """
    install()
    evaluator = cloudwatch_alarms.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        evaluator.stop()
        stop_all_timers()

    return stop
