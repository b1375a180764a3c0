"""SageMaker resources of a release, and what serves an endpoint now.

- ``serving_state``: DescribeEndpoint + DescribeEndpointConfig + ListTags → ``ServingState``
  (the rollback target), or ``None`` when the endpoint does not exist (first deployment).
- ``create_model`` / ``create_endpoint_config``: idempotent (a retried step finds its own
  resource), tagged with lineage at creation.
- deletes for cleanup: ``False`` when the resource was already gone.

Throttling becomes ``Throttled`` (the state machine retries with backoff and jitter).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import (
    error_code,
    error_message,
    is_already_exists,
    is_not_found,
    throttling_as,
)
from model_rollout.adapters.sagemaker import SageMakerAdapter, api_name
from model_rollout.config import settings
from model_rollout.domain.deployment import ServingState, VariantRef
from model_rollout.domain.lineage import TAG_MODEL_PACKAGE_ARN, TAG_PREFIX, as_aws_tags
from model_rollout.errors import DeploymentFailed, ModelPackageNotFound


class Releases(SageMakerAdapter):
    """A SageMaker client (lazily the default one). Describing endpoints and configs,
    reading tags and deleting: ``SageMakerAdapter``."""

    def __init__(self, client: Any | None = None, *, execution_role_arn: str | None = None):
        super().__init__(client)
        self._execution_role_arn = execution_role_arn

    @property
    def execution_role_arn(self) -> str:
        if self._execution_role_arn is not None:
            return self._execution_role_arn
        return settings().sagemaker_execution_role_arn

    # ------------------------------------------------------------------ reading
    def current_config_name(self, endpoint_name: str) -> str | None:
        described = self.describe_endpoint(endpoint_name)
        return described.get("EndpointConfigName") if described else None

    def serving_state(self, endpoint_name: str) -> ServingState | None:
        """What serves the endpoint now; ``None`` if there is no endpoint.

        The serving model package comes from the endpoint's ``rollout:model-package-arn``
        tag (falling back to its config's); variants carry model, instance type/count and
        current weight (``CurrentWeight`` when DescribeEndpoint shows it).
        """
        endpoint = self.describe_endpoint(endpoint_name)
        if endpoint is None:
            return None
        config_name = str(endpoint.get("EndpointConfigName", ""))
        config = self.describe_endpoint_config(config_name) if config_name else None
        live = {v.get("VariantName"): v for v in endpoint.get("ProductionVariants") or []}
        variants: list[VariantRef] = []
        for spec in (config or {}).get("ProductionVariants") or []:
            name = spec.get("VariantName")
            current = live.get(name, {})
            weight = current.get("CurrentWeight", spec.get("InitialVariantWeight", 1.0))
            count = current.get("CurrentInstanceCount", spec.get("InitialInstanceCount"))
            variants.append(
                VariantRef(
                    variant_name=str(name),
                    model_name=str(spec.get("ModelName", "")),
                    weight=float(weight if weight is not None else 1.0),
                    instance_type=spec.get("InstanceType"),
                    instance_count=int(count) if count is not None else None,
                )
            )
        endpoint_tags = self.list_tags(endpoint["EndpointArn"])
        package_arn = endpoint_tags.get(TAG_MODEL_PACKAGE_ARN)
        if package_arn is None and config is not None and config.get("EndpointConfigArn"):
            package_arn = self.list_tags(config["EndpointConfigArn"]).get(TAG_MODEL_PACKAGE_ARN)
        return ServingState(
            endpoint_config_name=config_name,
            model_package_arn=package_arn,
            variants=variants,
            endpoint_status=endpoint.get("EndpointStatus"),
            endpoint_tags={k: v for k, v in endpoint_tags.items() if k.startswith(TAG_PREFIX)},
        )

    def package_container(self, model_package_arn: str) -> dict[str, Any]:
        """The first container of a model package's InferenceSpecification (Image and
        ModelDataUrl): what a multi-model endpoint's artifact is copied from."""
        try:
            with throttling_as(f"DescribeModelPackage {model_package_arn}"):
                package = self.client.describe_model_package(ModelPackageName=model_package_arn)
        except ClientError as error:
            if is_not_found(error):
                raise ModelPackageNotFound(
                    f"model package {model_package_arn} does not exist"
                ) from error
            raise
        containers = (package.get("InferenceSpecification") or {}).get("Containers") or []
        if not containers or not containers[0].get("ModelDataUrl"):
            raise DeploymentFailed(
                f"model package {model_package_arn} has no container with a ModelDataUrl: "
                "a multi-model endpoint serves model artifacts, it has nothing to copy"
            )
        container: dict[str, Any] = containers[0]
        return container

    # ------------------------------------------------------------------ creating
    def create_model(
        self, model_name: str, model_package_arn: str, tags: Mapping[str, str]
    ) -> bool:
        """CreateModel from a model package; ``False`` if it already existed (a retry)."""
        return self._create(
            "create_model",
            model_name,
            f" from {model_package_arn}",
            ModelName=model_name,
            Containers=[{"ModelPackageName": model_package_arn}],
            ExecutionRoleArn=self.execution_role_arn,
            Tags=as_aws_tags(tags),
        )

    def create_endpoint_config(
        self,
        config_name: str,
        variants: Sequence[VariantRef],
        tags: Mapping[str, str],
        async_inference_config: Mapping[str, Any] | None = None,
        *,
        shadow_variants: Sequence[VariantRef] = (),
        data_capture_config: Mapping[str, Any] | None = None,
    ) -> bool:
        """CreateEndpointConfig; ``False`` if it already existed (a retry). The shadow
        strategy adds ``ShadowProductionVariants`` and a ``DataCaptureConfig``."""

        def spec(v: VariantRef) -> dict[str, Any]:
            return {
                "VariantName": v.variant_name,
                "ModelName": v.model_name,
                "InitialInstanceCount": v.instance_count or 1,
                "InitialVariantWeight": float(v.weight),
                **({"InstanceType": v.instance_type} if v.instance_type else {}),
            }

        production_variants = [spec(v) for v in variants]
        extra: dict[str, Any] = {}
        if shadow_variants:
            extra["ShadowProductionVariants"] = [spec(v) for v in shadow_variants]
        if data_capture_config:
            extra["DataCaptureConfig"] = dict(data_capture_config)
        return self._create(
            "create_endpoint_config",
            config_name,
            "",
            EndpointConfigName=config_name,
            ProductionVariants=production_variants,
            Tags=as_aws_tags(tags),
            # mode async (model_rollout.modes.asynchronous)
            **(
                {"AsyncInferenceConfig": dict(async_inference_config)}
                if async_inference_config
                else {}
            ),
            **extra,
        )

    def create_multi_model(
        self, model_name: str, image: str, artifact_prefix: str, tags: Mapping[str, str]
    ) -> bool:
        """CreateModel with one ``Mode: MultiModel`` container loading models from
        ``artifact_prefix``; ``False`` if it already existed (a retry)."""
        return self._create(
            "create_model",
            model_name,
            f" (multi-model, {artifact_prefix})",
            ModelName=model_name,
            PrimaryContainer={
                "Image": image,
                "Mode": "MultiModel",
                "ModelDataUrl": artifact_prefix,
            },
            ExecutionRoleArn=self.execution_role_arn,
            Tags=as_aws_tags(tags),
        )

    def _create(self, operation: str, name: str, detail: str, **request: Any) -> bool:
        """A create call; ``False`` if the resource already existed (a retried step's own).
        Any other rejection is ``DeploymentFailed`` with SageMaker's code and message."""
        api = api_name(operation)
        try:
            with throttling_as(f"{api} {name}"):
                getattr(self.client, operation)(**request)
        except ClientError as error:
            if is_already_exists(error):
                return False
            raise DeploymentFailed(
                f"{api} {name}{detail} was rejected: {error_code(error)}: {error_message(error)}"
            ) from error
        return True
