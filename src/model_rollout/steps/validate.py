"""Validate: required lineage metadata, then the quality gate against the serving model."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from model_rollout.adapters.registry import ModelRegistry
from model_rollout.adapters.transforms import Transforms
from model_rollout.domain import gate
from model_rollout.domain.deployment import Deployment, ValidationResult
from model_rollout.domain.lineage import required_lineage
from model_rollout.errors import ModelPackageNotFound
from model_rollout.workflow import fixed_set

log = Logger(child=True)


def validate(
    deployment: Deployment, registry: ModelRegistry, transforms: Transforms | None = None
) -> ValidationResult:
    package = registry.describe(deployment.model_package_arn)
    lineage = required_lineage(
        package.customer_metadata,
        deployment.policy.required_metadata,
        model_package_arn=package.arn,
    )
    candidate_report = registry.quality_report(package)

    baseline_report = None
    baseline_arn = deployment.previous.model_package_arn if deployment.previous else None
    if baseline_arn:
        try:
            baseline = registry.describe(baseline_arn)
        except ModelPackageNotFound as error:
            raise ModelPackageNotFound(
                f"the model serving {deployment.endpoint_name} comes from {baseline_arn}, which "
                f"cannot be described, so the gate cannot compare against it: {error}"
            ) from None
        baseline_report = registry.quality_report(baseline)
    elif deployment.previous is not None:
        log.warning(
            "endpoint %s serves config %s with no rollout:model-package-arn tag; the gate "
            "checks min_value only",
            deployment.endpoint_name,
            deployment.previous.endpoint_config_name,
        )

    result = gate.evaluate(
        deployment.policy.validation,
        candidate_report,
        candidate_source=package.arn,
        baseline_report=baseline_report,
        baseline_model_package_arn=baseline_arn,
    )
    # the policy's fixed validation set: computed values, not reported ones (fixed_set.py)
    fixed = fixed_set.evaluate(deployment, transforms or Transforms())
    return ValidationResult(gate=result, lineage=lineage, fixed_set=fixed)
