"""PromoteStage: a version that passed its stage is handed to the next stage.

The promotion event goes onto the next stage's default bus: this account's own when the
next stage has no other account, else that account's, through the role its stack lets this
one assume (``<ResourcePrefix>-stage-promotion``, or the stage's ``role_arn``), which may do
nothing but put the event. The next stage's stack checks the event against the registry
before it deploys anything (``model_rollout.domain.stages``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from model_rollout.adapters.accounts import role_arn
from model_rollout.adapters.promotions import PromotionEvents
from model_rollout.config import settings
from model_rollout.domain.deployment import Deployment
from model_rollout.domain.stages import StagePromotionResult, promotion_detail
from model_rollout.errors import PromotionFailed

PROMOTION_ROLE_SUFFIX = "stage-promotion"


@dataclass
class PromoteStageServices:
    events: PromotionEvents = field(default_factory=PromotionEvents)


def promote_stage(deployment: Deployment, services: PromoteStageServices) -> StagePromotionResult:
    record = deployment.stage_record
    stage = deployment.stage
    if record is None or record.promote_to is None or stage is None:
        raise PromotionFailed(
            f"deployment {deployment.deployment_id} has no next stage to promote to"
        )
    target = record.promote_to
    config = settings()
    account = target.account_id or config.stack_account
    partition = deployment.execution_arn.split(":")[1] or "aws"
    role = (
        None
        if account == config.stack_account
        else target.role_arn
        or role_arn(account, f"{config.resource_prefix}-{PROMOTION_ROLE_SUFFIX}", partition)
    )
    detail = promotion_detail(
        model_package_arn=deployment.model_package_arn,
        group=deployment.model_package_group,
        version=deployment.model_package_version,
        from_stage=stage.name,
        to_stage=target.name,
        from_deployment_id=deployment.deployment_id,
    )
    bus = f"arn:{partition}:events:{config.stack_region}:{account}:event-bus/default"
    event_id = services.events.put(
        detail,
        bus=bus,
        resource=deployment.model_package_arn,
        role_arn=role,
        what=f"promoting {deployment.model_package_arn} to stage {target.name!r} "
        f"(account {account})",
    )
    return StagePromotionResult(
        to_stage=target.name,
        event_id=event_id,
        bus=bus,
        account_id=account,
        promotion_id=detail["PromotionId"],
    )
