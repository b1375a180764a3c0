"""EventBridge delivery to Step Functions and Lambda targets, which moto lacks.

moto matches events against rules (its own pattern semantics, kept here) but delivers only
to SQS, log groups and buses. ``install`` wraps ``Rule.send_to_targets``: state machine and
Lambda targets (EventBridge user guide, "Targets": ``StartExecution`` of the state machine,
an asynchronous ``Invoke`` of the function) are handed to a small worker pool, so
``PutEvents`` returns at once, as on AWS; every other target keeps moto's delivery. The
target's ``Input``, ``InputPath`` or ``InputTransformer`` shapes what it receives, and the
event's ``time`` is ISO-8601, as AWS delivers it. Failed deliveries are logged with the rule
and target, never dropped silently.

``install``/``uninstall`` are toggled by the local stack at each start and stop.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, cast

from jsonpath_ng.ext import parse as jsonpath
from moto.awslambda_simple.models import lambda_simple_backends
from moto.events.models import Rule
from moto.events.utils import EventMessageType, EventTemplateParser
from moto.stepfunctions.parser.models import stepfunctions_parser_backends
from moto.utilities.arns import parse_arn

from rollout_local import lambda_runtime
from rollout_local.extensions._fence import original, replace, restore

logger = logging.getLogger(__name__)

_ROUTED_SERVICES = ("states", "lambda")
_PARAMS = ("self", "original_event", "transform_input")
_original_send_to_targets = original(Rule, "send_to_targets", _PARAMS)
_pool: ThreadPoolExecutor | None = None
_pending = 0
_idle = threading.Condition()


def aws_event(moto_event: EventMessageType) -> dict[str, Any]:
    """The event as AWS hands it to targets: ISO ``time``, no moto bookkeeping fields."""
    event = {k: v for k, v in moto_event.items() if k != "ingestion-time"}
    when = event.get("time")
    if isinstance(when, int | float):
        event["time"] = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif isinstance(when, datetime):
        event["time"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def target_input(target: dict[str, Any], moto_event: EventMessageType) -> Any:
    """Apply the target's ``Input``, ``InputPath`` or ``InputTransformer`` as AWS does."""
    event = aws_event(moto_event)
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        matches = jsonpath(target["InputPath"]).find(event)
        return matches[0].value if matches else None
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        return EventTemplateParser.parse(
            input_template=transformer["InputTemplate"],
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=cast(EventMessageType, {**event, "ingestion-time": moto_event["ingestion-time"]}),
        )
    return event


def _deliver(rule_name: str, target: dict[str, Any], moto_event: EventMessageType) -> None:
    global _pending
    try:
        payload = target_input(target, moto_event)
        arn = parse_arn(target["Arn"])
        if arn.service == "states":
            backend = stepfunctions_parser_backends[arn.account][arn.region]
            backend.start_execution(
                target["Arn"], name=str(uuid.uuid4()), execution_input=json.dumps(payload)
            )
        else:
            function = lambda_simple_backends[arn.account][arn.region].get_function(
                target["Arn"], None
            )
            spec = lambda_runtime.registered(function.function_name, arn.account)
            if spec is None:
                raise LookupError(f"{target['Arn']} has no in-process handler")
            lambda_runtime.run_async(spec, json.dumps(payload))
    except Exception:
        logger.exception(
            "EventBridge rule %s could not deliver to target %s (%s)",
            rule_name,
            target.get("Id"),
            target.get("Arn"),
        )
    finally:
        with _idle:
            _pending -= 1
            _idle.notify_all()


def _send_to_targets(
    self: Rule, original_event: EventMessageType, transform_input: bool = True
) -> None:
    global _pending
    if self.state != "ENABLED" or not self.event_pattern.matches_event(original_event):
        return
    routed = [t for t in self.targets if parse_arn(t["Arn"]).service in _ROUTED_SERVICES]
    others = [t for t in self.targets if t not in routed]
    if others:
        rule = copy.copy(self)
        rule.targets = others
        _original_send_to_targets(rule, original_event, transform_input)
    for target in routed:
        event = copy.deepcopy(original_event)
        with _idle:
            _pending += 1
        pool = _pool
        if pool is not None:
            try:
                pool.submit(_deliver, self.name, target, event)
                continue
            except RuntimeError:  # shutting down: deliver on this thread instead
                pass
        _deliver(self.name, target, event)


def wait_idle(timeout: float) -> bool:
    """Wait until every accepted delivery was made (or failed); False at the deadline."""
    with _idle:
        return _idle.wait_for(lambda: _pending == 0, timeout)


def install(workers: int = 8) -> None:
    """Route matching events to state machine and Lambda targets through a worker pool."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eventbridge")
    replace(Rule, "send_to_targets", _send_to_targets, _PARAMS)


def uninstall() -> None:
    """Restore moto's delivery after the deliveries already accepted were made."""
    global _pool
    restore(Rule, "send_to_targets")
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None
