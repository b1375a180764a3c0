"""PromoteStage: the version passed its stage; the promotion event goes to the next stage's bus.

Input: the deployment document (with $.stage_record). Output ($.stage_promotion):
StagePromotionResult.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.promote_stage import PromoteStageServices, promote_stage

logger = Logger()
tracer = Tracer()
metrics = Metrics()
services = PromoteStageServices()  # adapters create their clients on first use


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    result = promote_stage(event, services)
    logger.info(
        "promoted to the next stage",
        extra={"to_stage": result.to_stage, "account": result.account_id, "bus": result.bus},
    )
    metrics.add_metric(name="StagePromotions", unit=MetricUnit.Count, value=1)
    return result.model_dump(mode="json")
