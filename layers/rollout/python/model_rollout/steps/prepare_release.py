"""Tag (PrepareRelease): the release's lineage-tagged Model and EndpointConfigs."""

from __future__ import annotations

from model_rollout.adapters.releases import Releases
from model_rollout.deployment import Deployment, Release
from model_rollout.errors import ValidationFailed
from model_rollout.lineage import lineage_tags
from model_rollout.release import plan_release
from model_rollout.settings import settings


def release_tags(deployment: Deployment) -> dict[str, str]:
    lineage = deployment.validation.lineage if deployment.validation else {}
    return lineage_tags(
        model_package_arn=deployment.model_package_arn,
        model_package_group=deployment.model_package_group,
        model_package_version=deployment.model_package_version,
        deployment_id=deployment.deployment_id,
        lineage=lineage,
        endpoint_name=deployment.endpoint_name,
    )


def prepare_release(
    deployment: Deployment, releases: Releases, *, resource_prefix: str | None = None
) -> Release:
    if deployment.validation is None or not deployment.validation.gate.passed:
        raise ValidationFailed(
            f"deployment {deployment.deployment_id} has no passed validation; the release of "
            f"{deployment.model_package_arn} is created only after Validate"
        )
    plan = plan_release(
        deployment_id=deployment.deployment_id,
        endpoint_name=deployment.endpoint_name,
        model_package_version=deployment.model_package_version,
        policy=deployment.policy,
        previous=deployment.previous,
        resource_prefix=resource_prefix or settings().resource_prefix,
    )
    names = plan.names
    tags = release_tags(deployment)
    releases.create_model(names.model_name, deployment.model_package_arn, tags)
    releases.create_endpoint_config(names.final_config_name, plan.final_variants, tags)
    if names.bake_config_name != names.final_config_name:
        releases.create_endpoint_config(names.bake_config_name, plan.bake_variants, tags)
    return Release(
        model_name=names.model_name,
        variant_name=names.variant_name,
        bake_config_name=names.bake_config_name,
        final_config_name=names.final_config_name,
        tags=tags,
        previous_variant_name=plan.previous_variant_name,
    )
