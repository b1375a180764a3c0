"""AsyncResult: SageMaker's asynchronous inference notifications (SNS success and error
topics) recorded against their request: Completed with the output location, or Failed with
the reason."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.async_requests import AsyncRequests
from model_rollout.handler import Tracer, step_handler
from model_rollout.modes.asynchronous import SnsEvent, record_results

logger = Logger()
tracer = Tracer()
metrics = Metrics()
requests = AsyncRequests()  # the client is created on first use


@step_handler(SnsEvent, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: SnsEvent, context: LambdaContext) -> dict[str, Any]:
    records = record_results(event, requests=requests)
    for record in records:
        logger.info(
            "async result",
            extra={"request_id": record.request_id, "status": record.status},
        )
        metrics.add_metric(name=f"AsyncRequests{record.status}", unit=MetricUnit.Count, value=1)
    return {"recorded": [r.model_dump(mode="json", exclude_none=True) for r in records]}
