"""PromoteStage: a version that passed its stage is handed to the next stage.

The promotion event goes onto the next stage's default bus: this account's own when the
next stage has no other account, else that account's, through the role its stack lets this
one assume (``<ResourcePrefix>-stage-promotion``, or the stage's ``role_arn``), which may do
nothing but put the event. The next stage's stack checks the event against the registry
before it deploys anything (``model_rollout.domain.stages``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.accounts import AssumedRoles, role_arn
from model_rollout.adapters.aws import default_client, error_code, error_message, throttling_as
from model_rollout.config import settings
from model_rollout.domain.deployment import Deployment
from model_rollout.domain.stages import (
    PROMOTION_DETAIL_TYPE,
    PROMOTION_SOURCE,
    StagePromotionResult,
    promotion_detail,
)
from model_rollout.errors import PromotionFailed

PROMOTION_ROLE_SUFFIX = "stage-promotion"


@dataclass
class PromoteStageServices:
    events: Any | None = None  # this account's EventBridge client (lazily the default)
    roles: AssumedRoles = field(default_factory=AssumedRoles)


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
    bus = f"arn:{partition}:events:{config.stack_region}:{account}:event-bus/default"
    detail = promotion_detail(
        model_package_arn=deployment.model_package_arn,
        group=deployment.model_package_group,
        version=deployment.model_package_version,
        from_stage=stage.name,
        to_stage=target.name,
        from_deployment_id=deployment.deployment_id,
    )
    if account == config.stack_account:
        events = services.events if services.events is not None else default_client("events")
        via = "this account's bus"
    else:
        role = target.role_arn or role_arn(
            account, f"{config.resource_prefix}-{PROMOTION_ROLE_SUFFIX}", partition
        )
        via = f"role {role}"
        try:
            events = services.roles.client("events", role)
        except ClientError as error:
            raise PromotionFailed(
                f"promoting {deployment.model_package_arn} to stage {target.name!r} (account "
                f"{account}): cannot assume {role}: {error_code(error)}: {error_message(error)}"
            ) from None
    try:
        with throttling_as(f"promoting to stage {target.name}"):
            answer = events.put_events(
                Entries=[
                    {
                        "Source": PROMOTION_SOURCE,
                        "DetailType": PROMOTION_DETAIL_TYPE,
                        "Detail": json.dumps(detail),
                        "Resources": [deployment.model_package_arn],
                        "EventBusName": bus,
                    }
                ]
            )
    except ClientError as error:
        raise PromotionFailed(
            f"promoting {deployment.model_package_arn} to stage {target.name!r} through {via}: "
            f"{error_code(error)}: {error_message(error)}"
        ) from None
    entry = (answer.get("Entries") or [{}])[0]
    if answer.get("FailedEntryCount") or entry.get("ErrorCode"):
        raise PromotionFailed(
            f"promoting {deployment.model_package_arn} to stage {target.name!r}: PutEvents "
            f"refused the event: {entry.get('ErrorCode')}: {entry.get('ErrorMessage')}"
        )
    return StagePromotionResult(
        to_stage=target.name,
        event_id=entry.get("EventId"),
        bus=bus,
        account_id=account,
        promotion_id=detail["PromotionId"],
    )
