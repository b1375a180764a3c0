"""Autoscaling of the new variant (policy ``autoscaling``): target tracking on
``SageMakerVariantInvocationsPerInstance``, moved with the traffic.

- **Registered on the new variant before it takes traffic**: CreateAlarms (after AwaitDeploy,
  when the variant exists; canary, linear, A/B and shadow give it traffic only later) registers
  the scalable target ``endpoint/<endpoint>/variant/<new>`` (``min_capacity``,
  ``max_capacity``) and a target-tracking policy (``target_invocations_per_instance``,
  ``scale_in_cooldown_seconds``, ``scale_out_cooldown_seconds``). all_at_once moves traffic
  with the update itself: its variant starts with ``instance_count`` instances and is
  registered as soon as it exists.
- **Removed from the old one when it is removed**: Promote deregisters the previous variant
  (``DeregisterScalableTarget`` also deletes its policies) just before the update that
  removes it; SageMaker refuses to remove a variant that is still a scalable target.
- **On rollback** RestoreConfig deregisters the new variant before the endpoint goes back to
  its previous config, and, when Promote had already deregistered the previous variant,
  registers it again with the policy's autoscaling (the settings it was deployed with under
  the same policy).

Every call is idempotent (registering and putting a policy again replaces them).
"""

from __future__ import annotations

from typing import Any, Protocol

from model_rollout.adapters.variant_scaling import resource_id
from model_rollout.domain.deployment import Deployment
from model_rollout.domain.policy import AutoscalingPolicy

METRIC = "SageMakerVariantInvocationsPerInstance"


class Scaling(Protocol):
    def register(self, resource: str, min_capacity: int, max_capacity: int) -> None: ...

    def put_target_tracking(self, resource: str, name: str, config: dict[str, Any]) -> str: ...

    def registered(self, resource: str) -> bool: ...

    def deregister(self, resource: str) -> bool: ...


def policy_name(endpoint_name: str, variant_name: str) -> str:
    return f"{endpoint_name}-{variant_name}-invocations-per-instance"[:256]


def target_tracking(spec: AutoscalingPolicy) -> dict[str, Any]:
    return {
        "TargetValue": float(spec.target_invocations_per_instance),
        "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC},
        "ScaleInCooldown": spec.scale_in_cooldown_seconds,
        "ScaleOutCooldown": spec.scale_out_cooldown_seconds,
    }


def register_variant(
    endpoint_name: str, variant_name: str, spec: AutoscalingPolicy, scaling: Scaling
) -> dict[str, Any]:
    resource = resource_id(endpoint_name, variant_name)
    scaling.register(resource, spec.min_capacity, spec.max_capacity)
    arn = scaling.put_target_tracking(
        resource, policy_name(endpoint_name, variant_name), target_tracking(spec)
    )
    return {"resource_id": resource, "policy_arn": arn}


def scale_new_variant(deployment: Deployment, scaling: Scaling) -> dict[str, Any] | None:
    """Register the new variant's autoscaling (``None`` when the policy has none)."""
    spec = deployment.policy.autoscaling
    if spec is None or deployment.release is None:
        return None
    return register_variant(
        deployment.endpoint_name, deployment.release.variant_name, spec, scaling
    )
