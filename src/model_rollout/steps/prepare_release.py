"""Tag (PrepareRelease): the release's lineage-tagged Model and EndpointConfigs."""

from __future__ import annotations

from typing import Any

from model_rollout.adapters.releases import Releases
from model_rollout.config import settings
from model_rollout.domain.deployment import Deployment, Release
from model_rollout.domain.lineage import lineage_tags
from model_rollout.domain.release import plan_release
from model_rollout.errors import ValidationFailed
from model_rollout.modes import mode_of


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
    deployment: Deployment,
    releases: Releases,
    *,
    resource_prefix: str | None = None,
    artifacts: Any = None,
) -> Release:
    if deployment.validation is None or not deployment.validation.gate.passed:
        raise ValidationFailed(
            f"deployment {deployment.deployment_id} has no passed validation; the release of "
            f"{deployment.model_package_arn} is created only after Validate"
        )
    mode = mode_of(deployment.policy)
    # multi_model: a version is an artifact and a pointer (model_rollout.modes.multi_model)
    own = mode.prepare_release(
        deployment,
        releases=releases,
        artifacts=artifacts,
        tags=release_tags(deployment),
        resource_prefix=resource_prefix or settings().resource_prefix,
    )
    if own is not None:
        return own
    plan = plan_release(
        deployment_id=deployment.deployment_id,
        endpoint_name=deployment.endpoint_name,
        model_package_version=deployment.model_package_version,
        policy=deployment.policy,
        previous=deployment.previous,
        resource_prefix=resource_prefix or settings().resource_prefix,
        strategy=deployment.strategy,
    )
    names = plan.names
    tags = release_tags(deployment)
    releases.create_model(names.model_name, deployment.model_package_arn, tags)
    # async: both configs carry the AsyncInferenceConfig (model_rollout.modes.asynchronous)
    extra = mode.endpoint_config(deployment.policy)
    releases.create_endpoint_config(names.final_config_name, plan.final_variants, tags, extra)
    if names.bake_config_name != names.final_config_name:
        releases.create_endpoint_config(names.bake_config_name, plan.bake_variants, tags, extra)
    if plan.shadow_config_name is not None:  # shadow strategy (model_rollout.strategies.shadow)
        # imported here: the shadow strategy's module brings its statistics and reporting
        from model_rollout.strategies.shadow import shadow_data_capture

        releases.create_endpoint_config(
            plan.shadow_config_name,
            plan.shadow_production,
            tags,
            shadow_variants=plan.shadow_variants,
            data_capture_config=shadow_data_capture(deployment.strategy, deployment.endpoint_name),
        )
    return Release(
        model_name=names.model_name,
        variant_name=names.variant_name,
        bake_config_name=names.bake_config_name,
        final_config_name=names.final_config_name,
        tags=tags,
        previous_variant_name=plan.previous_variant_name,
        shadow_config_name=plan.shadow_config_name,
    )
