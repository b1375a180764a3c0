"""The local stack's fence around moto: every patch of moto, and what each adds.

Everything that replaces, adds to or reaches into moto's internals lives in this folder;
the rest of the local stack calls only the entry points below (and the small helpers of
``backends``, ``bus`` and ``moto_server``). Each module's docstring names the AWS behaviour
it adds and the API it follows (or, for ``speedups``, the moto work it caches and why no
answer changes). The guards (``_fence``): ``install`` refuses to run on a moto version the
patches were not tested with (``TESTED_MOTO_VERSIONS``; override at one's own risk with
``ROLLOUT_LOCAL_UNTESTED_MOTO=1``), and each patch checks that what it replaces still
exists with the parameters it was written against. See ``README.md`` here.

Installed for the life of the process by ``install()`` (idempotent), in this order:

- ``account_routing``: each resource acts in its own account: requests signed with the
  local stack's dummy keys by an in-process Lambda invocation or a Step Functions execution
  reach the function's or state machine's account (``rollout_local.accounts``).
- ``iam_sessions``: ``AssumeRole`` checks the role's trust policy; requests of assumed-role
  sessions are allowed only by the role's policies (resource-level for ``PutEvents``,
  ``StartExecution`` and SageMaker endpoints and model packages).
- ``step_functions``: the interpreter's ``StartExecution`` names, ``SendTaskFailure``'s
  ``cause``, ``StopExecution`` at once, a task token per ``waitForTaskToken`` attempt, a
  state machine started while one of its executions runs.
- ``sfn_start_execution``: the ``states:startExecution`` task's documented parameter names
  (``StateMachineArn``, ``Input``, ``Name``), which moto passed to boto3 unchanged.
- ``speedups``: caches of work moto repeats per request with the same result.
- ``sagemaker_endpoints``: asynchronous endpoint create/update/weights with SageMaker's
  silent fallback, shadow variants, ``DescribeEndpoint``, endpoint state change events.
- ``registry_events``: model package state change events, a faithful ``UpdateModelPackage``.
- ``runtime``: ``InvokeEndpoint`` running the local model (``rollout_local.local_model``),
  weighted routing, shadow copies, per-variant ``AWS/SageMaker`` metrics.
- ``cloudwatch_alarms``: continuous alarm evaluation (incl. metric math), alarm state
  change events, ``SetAlarmState`` events.
- ``cloudwatch_metric_data``: ``GetMetricData`` with percentile statistics (``p99``).
- ``cloudwatch_alarm_history``: ``DescribeAlarmHistory``, with the ``StateUpdate`` and
  ``ConfigurationUpdate`` items CloudWatch writes, its filters and paging; an alarm's
  history outlives ``DeleteAlarms``.
- ``cloudwatch_list_metrics``: ``ListMetrics`` lists each metric (namespace, name,
  dimensions) once, not once per datapoint.
- ``lambda_log_isolation``: Powertools log keys per execution environment (one runs one
  invocation at a time; ``rollout_local.execution_environments``), although all functions
  share this process.
- ``powertools_environments``: Powertools' cold start (``cold_start`` key, ``ColdStart``)
  and ``Metrics``' metric set per execution environment: concurrent invocations do not
  flush each other's metrics.
- ``batch_transform``: transform jobs that run the local model over S3 input, with
  ``DataProcessing`` (filters, join with the input) and transform job state change events.
- ``async_inference``: ``InvokeEndpointAsync`` running the model on the S3 input in the
  background, writing the output (or failure) to S3 and notifying the SNS topics.
- ``sns_lambda``: SNS delivery to Lambda subscribers (the in-process handlers).
- ``data_capture``: ``DataCaptureConfig``: sampled requests and responses of production and
  shadow variants written to S3 as SageMaker's JSON Lines capture files (one ``eventId``
  per request, shared by its shadow copy).
- ``sagemaker_unset_members``: Describe* of models, endpoint configs, endpoints and model
  packages (groups) without the members never set (``DataCaptureConfig: {}``, ...), and a
  versioned package's required ``ModelPackageName``.
- ``sagemaker_errors``: ``ValidationException`` for ``CreateModelPackageGroup`` of an existing
  name and for the tag operations on an ARN without a resource (moto: a 500).
- ``sfn_api_answers``: ``GetExecutionHistory``'s ``reverseOrder``, ``includeExecutionData``
  and paging; the state machine ``type`` kept and listed; ``DescribeExecution``'s redrive
  fields.
- ``unemulated_operations``: an operation moto lacks answers a 400 naming it
  (``UnknownOperationException`` / ``InvalidAction``, as AWS answers an unknown operation);
  exceptions inside implemented operations keep moto's answer.

Toggled by the local stack at each start and stop (``install_routing`` /
``uninstall_routing``, both idempotent):

- ``lambda_invoke``: ``Invoke`` of a template function runs its handler in this process.
- ``eventbridge_targets``: EventBridge delivery to state machine and Lambda targets.

``reset()`` empties moto's backends (at a stack's stop). ``start_background()`` starts the
alarm evaluator and returns the function that stops it and the pending endpoint
transitions.

Environment knobs: ``ROLLOUT_LOCAL_PROVISION_SECONDS`` (1.0), ``ROLLOUT_LOCAL_WEIGHT_SECONDS``
(0.2), ``ROLLOUT_LOCAL_ALARM_TICK`` (0.25), ``ROLLOUT_LOCAL_ROUTING_SEED`` (unset),
``ROLLOUT_LOCAL_UNTESTED_MOTO`` (unset).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType

from rollout_local.extensions._common import stop_all_timers
from rollout_local.extensions._fence import (
    OVERRIDE_ENV,
    TESTED_MOTO_VERSIONS,
    MotoFenceError,
    check_moto_version,
)

__all__ = [
    "MODULE_NAMES",
    "OVERRIDE_ENV",
    "TESTED_MOTO_VERSIONS",
    "MotoFenceError",
    "install",
    "install_routing",
    "reset",
    "start_background",
    "uninstall_routing",
]

#: the modules ``install()`` installs, in order (imported only after the version check, so
#: that an untested moto fails with the guard's message, not with an import error)
MODULE_NAMES: tuple[str, ...] = (
    "account_routing",
    "iam_sessions",
    "step_functions",
    "sfn_start_execution",
    "speedups",
    "sagemaker_endpoints",
    "registry_events",
    "runtime",
    "cloudwatch_alarms",
    "cloudwatch_metric_data",
    "cloudwatch_alarm_history",
    "cloudwatch_list_metrics",
    "lambda_log_isolation",
    "powertools_environments",
    "batch_transform",
    "async_inference",
    "sns_lambda",
    "data_capture",
    "sagemaker_unset_members",
    "sagemaker_errors",
    "sfn_api_answers",
    "unemulated_operations",
)

_installed = False
_install_lock = threading.Lock()


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{name}")


def install() -> None:
    """Check moto's version, then patch moto with every module of ``MODULE_NAMES``.

    Idempotent. Raises ``MotoFenceError`` on an untested moto version (unless overridden)
    or when a patched function is gone or has other parameters.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        check_moto_version()
        for name in MODULE_NAMES:
            _module(name).install()
        _installed = True


def install_routing(workers: int = 8) -> None:
    """Run template functions in-process and deliver EventBridge events to them."""
    check_moto_version()
    _module("lambda_invoke").install()
    _module("eventbridge_targets").install(workers)


def uninstall_routing() -> None:
    """Give moto its own Lambda invoke and EventBridge delivery back (after the deliveries
    already accepted were made)."""
    _module("eventbridge_targets").uninstall()
    _module("lambda_invoke").uninstall()


def reset() -> None:
    """Empty moto's backends; forget the interpreter's clients (their server port is gone)."""
    _module("backends").reset()
    _module("speedups").clear()


def start_background() -> Callable[[], None]:
    """Start the background workers (the alarm evaluator); return a stop function.

    The stop function stops the evaluator and cancels (or joins) the pending endpoint
    transitions, so no worker outlives it. It may be called more than once.
    """
    install()
    evaluator = _module("cloudwatch_alarms").start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        evaluator.stop()
        stop_all_timers()

    return stop
