"""What every step's Lambda handler wears, in one place.

The Powertools decorators (structured logs with the Lambda context, tracing, EMF metrics
flushed at the end) around a parse of the event into the step's pydantic model at the edge,
and the deployment's keys on every log line of the invocation: a step's handler is then its
domain call and what it reports.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

Event = TypeVar("Event", bound=BaseModel)

# appended to every log line when the step's event carries them
LOG_KEYS = ("deployment_id", "endpoint_name", "model_package_arn")


def step_handler(
    model: type[Event], *, logger: Logger, tracer: Tracer, metrics: Metrics
) -> Callable[[Callable[[Event, LambdaContext], Any]], Callable[..., Any]]:
    """Decorate ``lambda_handler(event: model, context)``: the Lambda entry point."""

    def decorate(function: Callable[[Event, LambdaContext], Any]) -> Callable[..., Any]:
        @logger.inject_lambda_context(clear_state=True)
        @tracer.capture_lambda_handler
        @metrics.log_metrics
        @event_parser(model=model)
        @functools.wraps(function)
        def handler(event: Event, context: LambdaContext) -> Any:
            keys = {key: getattr(event, key, None) for key in LOG_KEYS}
            logger.append_keys(**{key: value for key, value in keys.items() if value is not None})
            return function(event, context)

        return handler

    return decorate
