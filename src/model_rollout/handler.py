"""What every step's Lambda handler wears, in one place.

The Powertools decorators (structured logs with the Lambda context, tracing, EMF metrics
flushed at the end) around a parse of the event into the step's pydantic model at the edge,
and the deployment's keys on every log line of the invocation: a step's handler is then its
domain call and what it reports.

``Tracer`` is Powertools' Tracer patching botocore only (``TRACED_MODULES``): a step's
trace is its handler's subsegment and one subsegment per AWS call, which is all the steps
make (no other HTTP client, no database driver). Powertools' default patches every library
the X-Ray SDK supports that is importable (``requests``, ``httplib``, ``sqlite3``, ...), and
importing those patchers and their libraries is init time traced by nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools import Tracer as PowertoolsTracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

Event = TypeVar("Event", bound=BaseModel)

# what the X-Ray SDK patches: every AWS call of a step goes through botocore
TRACED_MODULES = ("botocore",)

# appended to every log line when the step's event carries them
LOG_KEYS = ("deployment_id", "endpoint_name", "model_package_arn")


class Tracer(PowertoolsTracer):
    """Powertools' Tracer; ``patch_modules`` defaults to ``TRACED_MODULES``, not all."""

    def __init__(
        self,
        service: str | None = None,
        disabled: bool | None = None,
        auto_patch: bool | None = None,
        patch_modules: Sequence[str] | None = TRACED_MODULES,
        **kwargs: Any,
    ) -> None:
        super().__init__(service, disabled, auto_patch, patch_modules, **kwargs)


def step_handler(
    model: type[Event], *, logger: Logger, tracer: PowertoolsTracer, metrics: Metrics
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
