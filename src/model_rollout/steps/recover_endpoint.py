"""RecoverEndpoint: the first thing a deployment does once the endpoint's lock is its own.

The serving state ResolvePolicy saw may be stale (deployments ahead in the queue changed the
endpoint since), so it is read again here and becomes ``$.previous``, the rollback target.

A deployment that was stopped mid-way (``StopExecution``, a crash, a timeout) never ran its
Finalize or rollback: the endpoint can be left on its bake config (two variants, the new
model at weight 1) while its record still says RUNNING. Before deploying anything, the new
holder restores the config that served before that deployment (the last promoted one),
restores its lineage tags, deletes the dead deployment's alarms and waiters, and records it
as ABORTED. The following ``AwaitRecovery`` state waits, event-driven, until
``DescribeEndpoint`` shows the restored config.
"""

from __future__ import annotations

from typing import Any, Protocol

from model_rollout.adapters.alarms import Alarms
from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.waiters import Waiters
from model_rollout.domain.alarm_specs import ERROR_RATE, P99_LATENCY, alarm_name
from model_rollout.domain.deployment import (
    ABORTED,
    FINAL_RECORD_STATUSES,
    Deployment,
    EndpointChange,
    Expectation,
    ServingState,
)
from model_rollout.domain.expectation import IN_PROGRESS, describe_state, normalize_status
from model_rollout.domain.lineage import TAG_DEPLOYMENT_ID, TAG_MODEL_PACKAGE_ARN
from model_rollout.domain.records import RecordStore
from model_rollout.errors import EndpointNotReady
from model_rollout.modes import mode_of
from model_rollout.workflow.endpoint_changes import restore_lineage_tags


class Serving(Protocol):
    def serving_state(self, endpoint_name: str) -> ServingState | None: ...


def config_serving_state(config_name: str, *, endpoints: Endpoints) -> ServingState:
    """What will serve once ``config_name`` is in service (its variants at their weights)."""
    from model_rollout.domain.deployment import VariantRef

    config = endpoints.describe_config(config_name) or {}
    tags = endpoints.config_tags(config_name) or {}
    return ServingState(
        endpoint_config_name=config_name,
        model_package_arn=tags.get(TAG_MODEL_PACKAGE_ARN),
        variants=[
            VariantRef(
                variant_name=str(v.get("VariantName")),
                model_name=str(v.get("ModelName", "")),
                weight=float(v.get("InitialVariantWeight", 1.0)),
                instance_type=v.get("InstanceType"),
                instance_count=v.get("InitialInstanceCount"),
            )
            for v in config.get("ProductionVariants") or []
        ],
        endpoint_status="InService",
    )


def recover_endpoint(
    deployment: Deployment,
    *,
    endpoints: Endpoints,
    releases: Serving,
    records: RecordStore,
    alarms: Alarms,
    waiters: Waiters,
    resource_prefix: str,
) -> dict[str, Any]:
    """The document with ``previous`` read again and ``recovery`` (what AwaitRecovery waits
    for); restores the endpoint first if a stopped deployment left it half-deployed."""
    name = deployment.endpoint_name

    def abort(dead: str, cause: str) -> None:
        """Record a dead deployment ABORTED, its alarms and waiters gone, once undone."""
        removed = alarms.delete(
            alarm_name(resource_prefix, name, dead, kind) for kind in (ERROR_RATE, P99_LATENCY)
        )
        waiters.remove_for_deployment(dead)
        records.finish(
            dead,
            ABORTED,
            error="Aborted",
            cause=cause,
            details={"restored_by": deployment.deployment_id, "alarms_deleted": removed},
        )

    described = endpoints.describe(name)
    change = EndpointChange(action="none", expect=Expectation(absent=True))
    previous = None
    if described is not None:
        change = EndpointChange(action="none", expect=Expectation(settled=True))
        previous = releases.serving_state(name)
        status = normalize_status(str(described.get("EndpointStatus", "")))
        if status in IN_PROGRESS:
            raise EndpointNotReady(
                f"endpoint {name} is {status} ({describe_state(described)}); the deployment "
                "starts once it is InService"
            )
        config = str(described.get("EndpointConfigName", ""))
        owner = (endpoints.config_tags(config) or {}).get(TAG_DEPLOYMENT_ID)
        record = records.get(owner) if owner and owner != deployment.deployment_id else None
        target = (record or {}).get("previous_endpoint_config")
        if (
            record is not None
            and record.get("status") not in FINAL_RECORD_STATUSES
            and target
            and target != config
            and len(described.get("ProductionVariants") or []) > 1
        ):
            endpoints.update(name, str(target))
            restore_lineage_tags(name, described["EndpointArn"], str(target), endpoints=endpoints)
            dead = str(owner)
            abort(
                dead,
                f"deployment {dead} stopped mid-way and left endpoint {name} on its config "
                f"{config}; deployment {deployment.deployment_id} restored config {target}",
            )
            previous = config_serving_state(str(target), endpoints=endpoints)
            change = EndpointChange(
                action="restore", expect=Expectation(endpoint_config_name=str(target))
            )
    if described is not None and change.action == "none":
        # a mode whose half-way state is not a config (multi-model: a moved pointer)
        recovered = mode_of(deployment.policy).recover(
            deployment, described, endpoints=endpoints, records=records
        )
        if recovered is not None:
            abort(recovered.dead_deployment_id, recovered.cause)
            change = recovered.change
            previous = releases.serving_state(name)
    document = deployment.model_dump(mode="json")
    document["previous"] = previous.model_dump(mode="json") if previous is not None else None
    document["recovery"] = change.model_dump(mode="json")
    return document
