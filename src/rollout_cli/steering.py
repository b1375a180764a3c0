"""Operators steer deployments only through the state machine; they never write to the endpoint.

- ``promote`` / ``abort``: ``model_rollout.workflow.decisions`` releases the task token a waiting
  state of the deployment parked (SendTaskSuccess, or SendTaskFailure with error ``Aborted``);
  the state machine promotes, or rolls back as after an alarm.
- ``rollback <endpoint>``: a new deployment of the version that served before, started as an
  execution of the deploy-model state machine whose input is the approval event that
  ResolvePolicy accepts (a ``SageMaker Model Package State Change`` into ``Approved`` of
  that package, as the registry emits it) under the execution name ``rollback-<id>``. It
  passes the same checks as any deployment: the package must still be ``Approved`` in the
  registry, the gate runs, and the usual bake and alarms apply.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiters
from model_rollout.domain.lineage import TAG_DEPLOYMENT_ID, TAG_MODEL_PACKAGE_ARN
from model_rollout.errors import NoDecisionPending
from model_rollout.workflow import decisions
from rollout_cli.context import CliError, Context
from rollout_cli.views import ROLLBACK_PREFIX, find_record, list_deployments, records


def decide(ctx: Context, ref: str, action: str, reason: str) -> dict[str, Any]:
    """promote / abort / approve a running deployment through its waiting task token."""
    record = find_record(ctx, ref)
    if record.get("status") != "RUNNING":
        raise CliError(
            f"deployment {record['deployment_id']} is {record.get('status')}, not running: "
            f"nothing to {action}"
        )
    waiters = Waiters(ctx.client("dynamodb"), table_name=ctx.waiters_table)
    tasks = TaskTokens(ctx.client("stepfunctions"))
    decide_with = {
        "promote": decisions.promote,
        "abort": decisions.abort,
        "approve": decisions.approve,
    }[action]
    try:
        decision = decide_with(record["deployment_id"], reason, waiters=waiters, tasks=tasks)
    except NoDecisionPending as error:
        raise CliError(str(error)) from error
    return {**decision.as_dict(), "execution_arn": record.get("execution_arn")}


def _serving_package(ctx: Context, endpoint: str) -> tuple[str | None, str | None]:
    sagemaker = ctx.client("sagemaker")
    try:
        described = sagemaker.describe_endpoint(EndpointName=endpoint)
    except ClientError as error:
        raise CliError(f"endpoint {endpoint} does not exist: {error}") from error
    tags = {
        t["Key"]: t["Value"]
        for t in sagemaker.list_tags(ResourceArn=described["EndpointArn"])["Tags"]
    }
    return tags.get(TAG_MODEL_PACKAGE_ARN), tags.get(TAG_DEPLOYMENT_ID)


def rollback_target(ctx: Context, endpoint: str) -> dict[str, Any]:
    """The version that served before the one serving now: the serving deployment's
    ``previous_model_package_arn``, else the newest earlier promoted deployment of another
    package."""
    serving_arn, serving_id = _serving_package(ctx, endpoint)
    if serving_id:
        record = records(ctx).get(serving_id) or {}
        previous = record.get("previous_model_package_arn")
        if previous and previous != serving_arn:
            return {"model_package_arn": previous, "found_by": f"deployment {serving_id}"}
    for row in list_deployments(ctx, endpoint=endpoint, limit=200):
        arn = row["model_package_arn"]
        if row["status"] == "PROMOTED" and arn and arn != serving_arn:
            return {"model_package_arn": arn, "found_by": f"deployment {row['deployment_id']}"}
    raise CliError(
        f"endpoint {endpoint} has no earlier version to roll back to (serving "
        f"{serving_arn or 'nothing the control plane deployed'})"
    )


def approval_event(package: dict[str, Any], *, reason: str, now: datetime) -> dict[str, Any]:
    """The event ResolvePolicy accepts: a registry "State Change" into Approved, shaped as
    SageMaker emits it (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html),
    with ``LastModifiedTime`` set to now so that it is a new approval, not a duplicate."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    arn = package["ModelPackageArn"]
    region, account = arn.split(":")[3], arn.split(":")[4]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": account,
        "time": stamp,
        "region": region,
        "resources": [arn],
        "detail": {
            "ModelPackageGroupName": package["ModelPackageGroupName"],
            "ModelPackageVersion": package["ModelPackageVersion"],
            "ModelPackageArn": arn,
            "ModelApprovalStatus": package["ModelApprovalStatus"],
            "UpdatedModelPackageFields": ["ModelApprovalStatus"],
            "LastModifiedTime": stamp,
            "ApprovalDescription": package.get("ApprovalDescription"),
            "RolloutRequest": {"kind": "rollback", "reason": reason},
        },
    }


def rollback(
    ctx: Context, endpoint: str, *, to: str | None = None, reason: str = ""
) -> dict[str, Any]:
    target = {"model_package_arn": to, "found_by": "--to"} if to else rollback_target(ctx, endpoint)
    try:
        package = ctx.client("sagemaker").describe_model_package(
            ModelPackageName=target["model_package_arn"]
        )
    except ClientError as error:
        raise CliError(f"model package {target['model_package_arn']}: {error}") from error
    if package.get("ModelApprovalStatus") != "Approved":
        raise CliError(
            f"model package {package['ModelPackageArn']} is {package.get('ModelApprovalStatus')}"
            ", not Approved: it may not serve again (approve it in the registry first)"
        )
    name = f"{ROLLBACK_PREFIX}{uuid.uuid4()}"
    event = approval_event(package, reason=reason or "operator rollback", now=datetime.now(UTC))
    started = ctx.client("stepfunctions").start_execution(
        stateMachineArn=ctx.state_machine_arn, name=name, input=json.dumps(event)
    )
    return {
        "deployment_id": name,
        "execution_arn": started["executionArn"],
        "endpoint": endpoint,
        "model_package_arn": package["ModelPackageArn"],
        "model_version": f"{package['ModelPackageGroupName']} v{package['ModelPackageVersion']}",
        "found_by": target["found_by"],
        "reason": reason or "operator rollback",
    }
