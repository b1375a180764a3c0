"""Application Auto Scaling of a real-time endpoint variant (namespace ``sagemaker``,
dimension ``sagemaker:variant:DesiredInstanceCount``, resource
``endpoint/<EndpointName>/variant/<VariantName>``)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import LazyClient, error_code, throttling_as

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def resource_id(endpoint_name: str, variant_name: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


class VariantScaling(LazyClient):
    service = "application-autoscaling"

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
