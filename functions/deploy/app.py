"""Deploy: create the endpoint (first deployment) or update it to the release's bake config.

Input: the deployment document. Output ($.rollout): EndpointChange.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.multi_model import MultiModelRuntime
from model_rollout.adapters.records import DeploymentRecords
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.deploy import deploy

logger = Logger()
tracer = Tracer()
metrics = Metrics()
endpoints = Endpoints()  # the client is created on first use
runtime = MultiModelRuntime()  # mode multi_model: the smoke test with TargetModel
records = DeploymentRecords()  # ... and the tags a pointer move replaces (for recovery)


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    change = deploy(event, endpoints=endpoints, runtime=runtime, records=records)
    logger.info("endpoint change requested", extra={"change": change.model_dump(mode="json")})
    metrics.add_metric(name="EndpointChanges", unit=MetricUnit.Count, value=1)
    return change.model_dump(mode="json")
