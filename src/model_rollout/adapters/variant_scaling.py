"""Application Auto Scaling of an endpoint variant (namespace ``sagemaker``, dimension
``sagemaker:variant:DesiredInstanceCount``, resource
``endpoint/<EndpointName>/variant/<VariantName>``): target tracking of a real-time variant
(model_rollout.steps.variant_scaling), and the backlog scaling plan of an asynchronous one
(model_rollout.modes.asynchronous), whose scale-from-zero alarm is CloudWatch's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import LazyClient, default_client, error_code, throttling_as

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def resource_id(endpoint_name: str, variant_name: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


class VariantScaling(LazyClient):
    """An Application Auto Scaling client (and a CloudWatch one), each lazily the default."""

    service = "application-autoscaling"

    def __init__(self, client: Any | None = None, cloudwatch: Any | None = None) -> None:
        super().__init__(client)
        self._cloudwatch = cloudwatch

    @property
    def cloudwatch(self) -> Any:
        return self._cloudwatch or default_client("cloudwatch")

    def register(self, resource: str, min_capacity: int, max_capacity: int) -> None:
        with throttling_as(f"RegisterScalableTarget {resource}"):
            self.client.register_scalable_target(
                ServiceNamespace=NAMESPACE,
                ResourceId=resource,
                ScalableDimension=DIMENSION,
                MinCapacity=min_capacity,
                MaxCapacity=max_capacity,
            )

    def put_target_tracking(self, resource: str, name: str, config: dict[str, Any]) -> str:
        with throttling_as(f"PutScalingPolicy {resource}"):
            answer = self.client.put_scaling_policy(
                PolicyName=name,
                ServiceNamespace=NAMESPACE,
                ResourceId=resource,
                ScalableDimension=DIMENSION,
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration=config,
            )
        return str(answer.get("PolicyARN", ""))

    def registered(self, resource: str) -> bool:
        with throttling_as(f"DescribeScalableTargets {resource}"):
            answer = self.client.describe_scalable_targets(
                ServiceNamespace=NAMESPACE, ResourceIds=[resource], ScalableDimension=DIMENSION
            )
        return bool(answer.get("ScalableTargets"))

    def policies(self, resource: str) -> list[dict[str, Any]]:
        with throttling_as(f"DescribeScalingPolicies {resource}"):
            answer = self.client.describe_scaling_policies(
                ServiceNamespace=NAMESPACE, ResourceId=resource, ScalableDimension=DIMENSION
            )
        return list(answer.get("ScalingPolicies", []))

    def deregister(self, resource: str) -> bool:
        """Deregister the target (its policies go with it); ``False`` if it was not there."""
        try:
            with throttling_as(f"DeregisterScalableTarget {resource}"):
                self.client.deregister_scalable_target(
                    ServiceNamespace=NAMESPACE, ResourceId=resource, ScalableDimension=DIMENSION
                )
        except ClientError as error:
            if error_code(error) in {"ObjectNotFoundException", "ValidationException"}:
                return False
            raise
        return True

    def apply(self, plan: Mapping[str, Any]) -> dict[str, Any]:
        """Register an asynchronous variant's target and policies
        (``modes.asynchronous.scaling_plan``); the step policy is the alarm's action."""
        with throttling_as(f"RegisterScalableTarget {plan['target']['ResourceId']}"):
            self.client.register_scalable_target(**plan["target"])
            self.client.put_scaling_policy(**plan["backlog_policy"])
            step = self.client.put_scaling_policy(**plan["from_zero_policy"])
            self.cloudwatch.put_metric_alarm(
                **plan["from_zero_alarm"], AlarmActions=[step["PolicyARN"]]
            )
        return {
            "resource_id": plan["target"]["ResourceId"],
            "min_capacity": plan["target"]["MinCapacity"],
            "max_capacity": plan["target"]["MaxCapacity"],
            "policies": [
                plan["backlog_policy"]["PolicyName"],
                plan["from_zero_policy"]["PolicyName"],
            ],
        }
