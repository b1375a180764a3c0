"""SageMaker endpoints with AWS's asynchronous lifecycle (moto's are instantly InService).

Implements, after the SageMaker API reference:

- ``CreateEndpoint``: the endpoint is ``Creating`` at once and becomes ``InService`` after a
  provisioning delay; if a model of the config cannot start it ends ``Failed`` with a
  ``FailureReason`` ("Failed: Endpoint could not be created, updated, or re-scaled").
  Creating an endpoint whose name exists is a ValidationException.
- ``UpdateEndpoint`` (new ``EndpointConfigName``): ``Updating`` at once, then ``InService``
  on the new config. There is no availability loss: the previous config keeps serving
  while the endpoint is ``Updating``. If a model of the new config fails to start,
  SageMaker rolls back silently: the endpoint returns to ``InService`` on its **previous**
  config with ``FailureReason`` set. ``RetainAllVariantProperties`` keeps the current
  weights and instance counts of variants that keep their name, except the properties
  named in ``ExcludeRetainedVariantProperties``. Updating an endpoint that is not
  ``InService`` is a ValidationException ("Cannot update in-progress endpoint").
- ``UpdateEndpointWeightsAndCapacities``: ``Updating`` at once with the new
  ``DesiredWeight``/``DesiredInstanceCount``; ``InService`` shortly after with the
  ``Current*`` values applied. The models are not redeployed.
- ``DescribeEndpoint``: ``EndpointConfigName`` is the config actually serving;
  ``ProductionVariants`` (and ``ShadowProductionVariants`` when the config has them) with
  ``VariantName``, ``DeployedImages``, ``CurrentWeight``, ``DesiredWeight``,
  ``CurrentInstanceCount``, ``DesiredInstanceCount``; ``AsyncInferenceConfig`` and a
  ``DataCaptureConfig`` summary from the config; ``PendingDeploymentSummary`` while a new
  config is being deployed; ``FailureReason``; ``CreationTime``/``LastModifiedTime``.
- ``CreateEndpointConfig`` keeps ``ShadowProductionVariants`` (moto drops them) and
  ``DescribeEndpointConfig`` returns them; re-creating an existing config name is a
  ValidationException.
- Every status change emits ``SageMaker Endpoint State Change`` (source ``aws.sagemaker``)
  onto the default bus, shaped like the example in the SageMaker developer guide
  ("Events that Amazon SageMaker AI sends to Amazon EventBridge"): ``EndpointStatus`` in
  upper snake case (``CREATING``, ``UPDATING``, ``IN_SERVICE``, ``FAILED``, ``DELETING``),
  times in epoch milliseconds, ``Tags`` as a map, ``FailureReason`` when set.
- ``DeleteEndpoint`` keeps moto's behaviour (gone at once) and emits ``DELETING``.

Knobs: ``ROLLOUT_LOCAL_PROVISION_SECONDS`` (default 1.0) is the time a create or config
update takes; ``ROLLOUT_LOCAL_WEIGHT_SECONDS`` (default 0.2) the time a weight/capacity
change takes. Both are read at each request.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import (
    FakeEndpoint,
    FakeEndpointConfig,
    SageMakerModelBackend,
    arn_formatter,
)
from moto.sagemaker.responses import SageMakerResponse

from rollout_local.extensions import bus
from rollout_local.extensions._common import (
    STATE_LOCK,
    env_seconds,
    epoch_millis,
    schedule,
)
from rollout_local.extensions._fence import add, replace
from rollout_local.local_model import ModelInstance, ModelLoadError, MultiModelHost, load_model

PROVISION_ENV = "ROLLOUT_LOCAL_PROVISION_SECONDS"
WEIGHT_ENV = "ROLLOUT_LOCAL_WEIGHT_SECONDS"
DETAIL_TYPE = "SageMaker Endpoint State Change"

_EVENT_STATUS = {
    "OutOfService": "OUT_OF_SERVICE",
    "Creating": "CREATING",
    "Updating": "UPDATING",
    "SystemUpdating": "SYSTEM_UPDATING",
    "RollingBack": "ROLLING_BACK",
    "InService": "IN_SERVICE",
    "Deleting": "DELETING",
    "Failed": "FAILED",
    "UpdateRollbackFailed": "UPDATE_ROLLBACK_FAILED",
}


# --- state kept beside moto's FakeEndpoint -----------------------------------------------


@dataclass
class VariantState:
    """One (production or shadow) variant as deployed: its model and its traffic."""

    name: str
    model_name: str
    #: the container's model; ``None`` for a multi-model container (``multi_model``)
    instance: ModelInstance | None
    current_weight: float
    desired_weight: float
    current_instance_count: int | None
    desired_instance_count: int | None
    serverless_config: dict[str, Any] | None
    deployed_images: list[dict[str, Any]]
    #: requests seen by a shadow variant's sampler (see rollout_local.extensions.runtime)
    requests_seen: int = 0
    #: a ``Mode: MultiModel`` container: the models under its prefix, by TargetModel
    multi_model: MultiModelHost | None = None

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "VariantName": self.name,
            "DeployedImages": self.deployed_images,
            "CurrentWeight": self.current_weight,
            "DesiredWeight": self.desired_weight,
        }
        if self.current_instance_count is not None:
            out["CurrentInstanceCount"] = self.current_instance_count
        if self.desired_instance_count is not None:
            out["DesiredInstanceCount"] = self.desired_instance_count
        if self.serverless_config:
            out["CurrentServerlessConfig"] = self.serverless_config
            out["DesiredServerlessConfig"] = self.serverless_config
        return out


@dataclass
class Deployment:
    """The endpoint config an endpoint is serving, snapshotted when it was deployed."""

    config_name: str
    variants: list[VariantState]
    shadow_variants: list[VariantState]
    async_inference_config: dict[str, Any] | None
    data_capture_config: dict[str, Any] | None


@dataclass
class EndpointState:
    generation: int = 0
    serving: Deployment | None = None
    pending_config: str | None = None
    pending_since: datetime | None = None
    pending_variants: list[dict[str, Any]] = field(default_factory=list)


def state_of(endpoint: FakeEndpoint) -> EndpointState:
    state = getattr(endpoint, "_rollout_state", None)
    if state is None:
        state = EndpointState()
        endpoint._rollout_state = state  # type: ignore[attr-defined]
    return state


def serving_deployment(backend: SageMakerModelBackend, name: str) -> Deployment | None:
    """The deployment an endpoint serves now (used by the runtime extension)."""
    endpoint = backend.endpoints.get(name)
    return None if endpoint is None else state_of(endpoint).serving


def _endpoint_arn(backend: SageMakerModelBackend, name: str) -> str:
    return FakeEndpoint.arn_formatter(name, backend.account_id, backend.region_name)


def _get_endpoint(backend: SageMakerModelBackend, name: str) -> FakeEndpoint:
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise ValidationError(message=f"Could not find endpoint '{_endpoint_arn(backend, name)}'.")
    return endpoint


def _get_config(backend: SageMakerModelBackend, name: str) -> FakeEndpointConfig:
    config = backend.endpoint_configs.get(name)
    if config is None:
        arn = FakeEndpointConfig.arn_formatter(name, backend.account_id, backend.region_name)
        raise ValidationError(message=f"Could not find endpoint configuration '{arn}'.")
    return config


# --- provisioning: starting the models of a config -------------------------------------


class ProvisioningFailed(Exception):
    pass


def container_mode(backend: SageMakerModelBackend, model_name: str) -> str:
    """The Model's container ``Mode``: ``SingleModel`` (the default) or ``MultiModel``."""
    model = backend._models.get(model_name)
    container = (model.primary_container if model is not None else None) or {}
    return str(container.get("Mode") or "SingleModel")


def _package_backend(backend: SageMakerModelBackend, name: str) -> SageMakerModelBackend:
    """The registry holding ``name``: a model package ARN of another account is that
    account's (SageMaker deploys a package shared through its group's resource policy, as a
    registry shared across accounts does; the policy itself is not checked)."""
    parts = name.split(":")
    if len(parts) > 5 and parts[2] == "sagemaker" and parts[4] != backend.account_id:
        from moto.sagemaker.models import sagemaker_backends

        return sagemaker_backends[parts[4]][parts[3]]
    return backend


def resolve_model_data_url(backend: SageMakerModelBackend, model_name: str) -> tuple[str, str]:
    """(ModelDataUrl, Image) of a SageMaker Model, through its ModelPackageName if any."""
    model = backend._models.get(model_name)
    if model is None:
        arn = arn_formatter("model", model_name, backend.account_id, backend.region_name)
        raise ProvisioningFailed(f"Could not find model '{arn}'.")
    containers = [model.primary_container] if model.primary_container else []
    containers += list(model.containers or [])
    for container in containers:
        if not container:
            continue
        if container.get("ModelDataUrl"):
            return container["ModelDataUrl"], container.get("Image", "")
        if container.get("ModelPackageName"):
            try:
                package = _package_backend(
                    backend, container["ModelPackageName"]
                ).describe_model_package(container["ModelPackageName"])
            except Exception as exc:
                raise ProvisioningFailed(
                    f"Could not find model package '{container['ModelPackageName']}'."
                ) from exc
            spec = package.inference_specification or {}
            for pkg_container in spec.get("Containers", []):
                if pkg_container.get("ModelDataUrl"):
                    return pkg_container["ModelDataUrl"], pkg_container.get("Image", "")
    raise ProvisioningFailed(
        f"Model '{model_name}' has no ModelDataUrl: the local stack cannot start a container "
        "image without model data."
    )


def _deployed_images(image: str, when: datetime) -> list[dict[str, Any]]:
    if not image:
        return []
    digest = hashlib.sha256(image.encode()).hexdigest()
    return [
        {
            "SpecifiedImage": image,
            "ResolvedImage": f"{image.split(':')[0]}@sha256:{digest}",
            "ResolutionTime": when,
        }
    ]


def _start_variant(
    backend: SageMakerModelBackend, spec: dict[str, Any], when: datetime
) -> VariantState:
    name = spec["VariantName"]
    url, image = resolve_model_data_url(backend, spec["ModelName"])
    weight = float(spec.get("InitialVariantWeight", 1.0))
    count = spec.get("InitialInstanceCount")

    def variant(instance: ModelInstance | None, multi_model: MultiModelHost | None) -> VariantState:
        return VariantState(
            name=name,
            model_name=spec["ModelName"],
            instance=instance,
            current_weight=weight,
            desired_weight=weight,
            current_instance_count=int(count) if count is not None else None,
            desired_instance_count=int(count) if count is not None else None,
            serverless_config=spec.get("ServerlessConfig"),
            deployed_images=_deployed_images(image, when),
            multi_model=multi_model,
        )

    if container_mode(backend, spec["ModelName"]) == "MultiModel":
        # no model is loaded at start: each request's TargetModel is (runtime extension)
        return variant(None, MultiModelHost(prefix=url, account_id=backend.account_id))
    try:
        model = load_model(url, backend.account_id)
    except ModelLoadError as exc:
        raise ProvisioningFailed(f"Production variant {name}: {exc}") from exc
    if model.fail_to_start:
        raise ProvisioningFailed(
            f"The primary container for production variant {name} did not pass the ping "
            "health check. Please check CloudWatch logs for this endpoint."
        )
    return variant(ModelInstance(model=model, model_data_url=url), None)


def provision(backend: SageMakerModelBackend, config: FakeEndpointConfig) -> Deployment:
    """Start every model of ``config``; raises ProvisioningFailed with a FailureReason."""
    when = utcnow()
    return Deployment(
        config_name=config.endpoint_config_name,
        variants=[_start_variant(backend, v, when) for v in config.production_variants],
        shadow_variants=[
            _start_variant(backend, v, when)
            for v in getattr(config, "shadow_production_variants", None) or []
        ],
        async_inference_config=copy.deepcopy(config.async_inference_config) or None,
        data_capture_config=copy.deepcopy(config.data_capture_config) or None,
    )


# --- describe and events -------------------------------------------------------------


def _sync_moto_fields(endpoint: FakeEndpoint, status: str, reason: str | None) -> None:
    state = state_of(endpoint)
    endpoint.endpoint_status = status
    endpoint.failure_reason = reason  # type: ignore[assignment]
    endpoint.last_modified_time = utcnow()
    if state.serving is not None:
        endpoint.endpoint_config_name = state.serving.config_name
        endpoint.production_variants = [v.summary() for v in state.serving.variants]


def _data_capture_summary(config: dict[str, Any]) -> dict[str, Any]:
    enabled = bool(config.get("EnableCapture", True))
    out: dict[str, Any] = {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": config.get("InitialSamplingPercentage", 0),
        "DestinationS3Uri": config.get("DestinationS3Uri", ""),
        "KmsKeyId": config.get("KmsKeyId", ""),
    }
    return out


def describe(endpoint: FakeEndpoint) -> dict[str, Any]:
    state = state_of(endpoint)
    out: dict[str, Any] = {
        "EndpointName": endpoint.endpoint_name,
        "EndpointArn": endpoint.arn,
        "EndpointConfigName": endpoint.endpoint_config_name,
        "EndpointStatus": endpoint.endpoint_status,
        "CreationTime": endpoint.creation_time,
        "LastModifiedTime": endpoint.last_modified_time,
    }
    serving = state.serving
    if serving is not None:
        out["EndpointConfigName"] = serving.config_name
        out["ProductionVariants"] = [v.summary() for v in serving.variants]
        if serving.shadow_variants:
            out["ShadowProductionVariants"] = [v.summary() for v in serving.shadow_variants]
        if serving.async_inference_config:
            out["AsyncInferenceConfig"] = serving.async_inference_config
        if serving.data_capture_config:
            out["DataCaptureConfig"] = _data_capture_summary(serving.data_capture_config)
    if endpoint.failure_reason:
        out["FailureReason"] = endpoint.failure_reason
    if state.pending_config is not None:
        out["PendingDeploymentSummary"] = {
            "EndpointConfigName": state.pending_config,
            "ProductionVariants": state.pending_variants,
            "StartTime": state.pending_since,
        }
    return out


def _event(backend: SageMakerModelBackend, endpoint: FakeEndpoint) -> dict[str, Any]:
    state = state_of(endpoint)
    if state.serving is not None:
        variants = [
            {
                "VariantName": v.name,
                "DesiredWeight": float(v.desired_weight),
                "DesiredInstanceCount": float(v.desired_instance_count or 0),
            }
            for v in state.serving.variants
        ]
    else:
        variants = [
            {
                "VariantName": v["VariantName"],
                "DesiredWeight": float(v.get("InitialVariantWeight", 1.0)),
                "DesiredInstanceCount": float(v.get("InitialInstanceCount", 0) or 0),
            }
            for v in state.pending_variants
        ]
    tags = {t["Key"]: t["Value"] for t in endpoint.tags or []}
    detail: dict[str, Any] = {
        "EndpointName": endpoint.endpoint_name,
        "EndpointArn": endpoint.arn,
        "EndpointConfigName": state.serving.config_name
        if state.serving is not None
        else endpoint.endpoint_config_name,
        "ProductionVariants": variants,
        "EndpointStatus": _EVENT_STATUS.get(endpoint.endpoint_status, endpoint.endpoint_status),
        "CreationTime": epoch_millis(endpoint.creation_time),
        "LastModifiedTime": epoch_millis(endpoint.last_modified_time),
        "Tags": tags,
    }
    if endpoint.failure_reason:
        detail["FailureReason"] = endpoint.failure_reason
    return {"detail": detail, "resources": [endpoint.arn]}


def _emit(backend: SageMakerModelBackend, event: dict[str, Any]) -> None:
    """Put the event on the bus; never while holding STATE_LOCK (targets may call back)."""
    bus.put_event(
        source="aws.sagemaker",
        detail_type=DETAIL_TYPE,
        detail=event["detail"],
        resources=event["resources"],
        account_id=backend.account_id,
        region=backend.region_name,
    )


# --- the patched backend operations ----------------------------------------------------


def _current(
    backend: SageMakerModelBackend, name: str, generation: int
) -> tuple[FakeEndpoint, EndpointState] | None:
    """Endpoint ``name`` and its state, unless deleted or a later transition superseded
    ``generation``."""
    endpoint = backend.endpoints.get(name)
    if endpoint is None or state_of(endpoint).generation != generation:
        return None
    return endpoint, state_of(endpoint)


def _begin(state: EndpointState, config_name: str, config: FakeEndpointConfig) -> int:
    """Start a transition to ``config``: a new generation, pending since now."""
    state.generation += 1
    state.pending_config = config_name
    state.pending_since = utcnow()
    state.pending_variants = copy.deepcopy(config.production_variants)
    return state.generation


def _provision_pending(backend: SageMakerModelBackend, state: EndpointState) -> Deployment:
    """Provision the pending config (raises ``ProvisioningFailed``)."""
    config = backend.endpoint_configs.get(state.pending_config or "")
    if config is None:
        raise ProvisioningFailed(f"Could not find endpoint configuration '{state.pending_config}'.")
    return provision(backend, config)


def _finish_create(backend: SageMakerModelBackend, name: str, generation: int) -> None:
    with STATE_LOCK:
        current = _current(backend, name, generation)
        if current is None:
            return
        endpoint, state = current
        try:
            state.serving = _provision_pending(backend, state)
            status, reason = "InService", None
        except ProvisioningFailed as exc:
            status, reason = "Failed", str(exc)
        state.pending_config = None
        state.pending_since = None
        _sync_moto_fields(endpoint, status, reason)
        event = _event(backend, endpoint)
    _emit(backend, event)


def create_endpoint(
    self: SageMakerModelBackend,
    endpoint_name: str,
    endpoint_config_name: str,
    tags: list[dict[str, str]],
) -> FakeEndpoint:
    with STATE_LOCK:
        if endpoint_name in self.endpoints:
            raise ValidationError(
                message="Cannot create already existing endpoint "
                f'"{_endpoint_arn(self, endpoint_name)}".'
            )
        config = _get_config(self, endpoint_config_name)
        endpoint = FakeEndpoint(  # type: ignore[abstract]
            account_id=self.account_id,
            region_name=self.region_name,
            endpoint_name=endpoint_name,
            endpoint_config_name=endpoint_config_name,
            production_variants=config.production_variants,
            data_capture_config=config.data_capture_config,
            tags=tags,
        )
        generation = _begin(state_of(endpoint), endpoint_config_name, config)
        endpoint.endpoint_status = "Creating"
        self.endpoints[endpoint_name] = endpoint
        event = _event(self, endpoint)
    _emit(self, event)
    schedule(
        env_seconds(PROVISION_ENV, 1.0),
        lambda: _finish_create(self, endpoint_name, generation),
        name=f"create-endpoint-{endpoint_name}",
    )
    return endpoint


def _require_in_service(backend: SageMakerModelBackend, endpoint: FakeEndpoint) -> None:
    status = endpoint.endpoint_status
    if status == "InService":
        return
    arn = endpoint.arn
    if status == "Failed":
        raise ValidationError(message=f'Cannot update failed endpoint "{arn}".')
    raise ValidationError(message=f'Cannot update in-progress endpoint "{arn}".')


def _retain(new: Deployment, old: Deployment, exclude: set[str]) -> None:
    previous = {v.name: v for v in old.variants}
    for variant in new.variants:
        before = previous.get(variant.name)
        if before is None:
            continue
        if "DesiredWeight" not in exclude:
            variant.current_weight = variant.desired_weight = before.current_weight
        if "DesiredInstanceCount" not in exclude:
            variant.current_instance_count = before.current_instance_count
            variant.desired_instance_count = before.desired_instance_count
    if "DataCaptureConfig" not in exclude:
        new.data_capture_config = old.data_capture_config


def _finish_update(
    backend: SageMakerModelBackend,
    name: str,
    generation: int,
    retain: bool,
    exclude: set[str],
) -> None:
    with STATE_LOCK:
        current = _current(backend, name, generation)
        if current is None:
            return
        endpoint, state = current
        try:
            deployment = _provision_pending(backend, state)
            if retain and state.serving is not None:
                _retain(deployment, state.serving, exclude)
            state.serving = deployment
            reason = None
        except ProvisioningFailed as exc:
            # SageMaker rolls back to the config that was serving, silently but for this
            reason = str(exc)
        state.pending_config = None
        state.pending_since = None
        state.pending_variants = []
        _sync_moto_fields(endpoint, "InService", reason)
        event = _event(backend, endpoint)
    _emit(backend, event)


def update_endpoint(
    self: SageMakerModelBackend,
    endpoint_name: str,
    endpoint_config_name: str,
    retain_all_variant_properties: bool = False,
    exclude_retained_variant_properties: list[dict[str, str]] | None = None,
) -> str:
    with STATE_LOCK:
        endpoint = _get_endpoint(self, endpoint_name)
        config = _get_config(self, endpoint_config_name)
        _require_in_service(self, endpoint)
        generation = _begin(state_of(endpoint), endpoint_config_name, config)
        _sync_moto_fields(endpoint, "Updating", None)
        event = _event(self, endpoint)
    exclude = {e.get("VariantPropertyType", "") for e in exclude_retained_variant_properties or []}
    _emit(self, event)
    schedule(
        env_seconds(PROVISION_ENV, 1.0),
        lambda: _finish_update(
            self, endpoint_name, generation, bool(retain_all_variant_properties), exclude
        ),
        name=f"update-endpoint-{endpoint_name}",
    )
    return endpoint.arn


def _finish_weights(backend: SageMakerModelBackend, name: str, generation: int) -> None:
    with STATE_LOCK:
        current = _current(backend, name, generation)
        if current is None:
            return
        endpoint, state = current
        assert state.serving is not None
        for variant in state.serving.variants:
            variant.current_weight = variant.desired_weight
            variant.current_instance_count = variant.desired_instance_count
        _sync_moto_fields(endpoint, "InService", endpoint.failure_reason)
        event = _event(backend, endpoint)
    _emit(backend, event)


def update_endpoint_weights_and_capacities(
    self: SageMakerModelBackend,
    endpoint_name: str,
    desired_weights_and_capacities: list[dict[str, Any]],
) -> str:
    with STATE_LOCK:
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is None:
            raise ValidationError(
                message=f'Could not find endpoint "{_endpoint_arn(self, endpoint_name)}".'
            )
        _require_in_service(self, endpoint)
        state = state_of(endpoint)
        assert state.serving is not None
        variants = {v.name: v for v in state.serving.variants}
        seen: set[str] = set()
        for item in desired_weights_and_capacities or []:
            name = item.get("VariantName", "")
            if name in seen:
                raise ValidationError(
                    message=f'The variant name "{name}" was non-unique within the request.'
                )
            seen.add(name)
            if name not in variants:
                raise ValidationError(
                    message=f'The variant name(s) "{name}" is/are not present within endpoint '
                    f'configuration "{state.serving.config_name}".'
                )
            if item.get("DesiredWeight") is None and item.get("DesiredInstanceCount") is None:
                raise ValidationError(
                    message="At least one of DesiredWeight or DesiredInstanceCount must be "
                    f'specified for variant "{name}".'
                )
            weight = item.get("DesiredWeight")
            if weight is not None and float(weight) < 0:
                raise ValidationError(message=f'DesiredWeight of "{name}" must not be negative.')
        for item in desired_weights_and_capacities or []:
            variant = variants[item["VariantName"]]
            if item.get("DesiredWeight") is not None:
                variant.desired_weight = float(item["DesiredWeight"])
            if item.get("DesiredInstanceCount") is not None:
                variant.desired_instance_count = int(item["DesiredInstanceCount"])
        state.generation += 1
        generation = state.generation
        _sync_moto_fields(endpoint, "Updating", endpoint.failure_reason)
        event = _event(self, endpoint)
    _emit(self, event)
    schedule(
        env_seconds(WEIGHT_ENV, 0.2),
        lambda: _finish_weights(self, endpoint_name, generation),
        name=f"update-weights-{endpoint_name}",
    )
    return endpoint.arn


def describe_endpoint(self: SageMakerModelBackend, endpoint_name: str) -> dict[str, Any]:
    with STATE_LOCK:
        return describe(_get_endpoint(self, endpoint_name))


_moto_delete_endpoint = SageMakerModelBackend.delete_endpoint


def delete_endpoint(self: SageMakerModelBackend, endpoint_name: str) -> None:
    with STATE_LOCK:
        endpoint = _get_endpoint(self, endpoint_name)
        state_of(endpoint).generation += 1  # cancels pending transitions
        endpoint.endpoint_status = "Deleting"
        endpoint.last_modified_time = utcnow()
        event = _event(self, endpoint)
        _moto_delete_endpoint(self, endpoint_name)
    _emit(self, event)


_moto_create_endpoint_config = SageMakerModelBackend.create_endpoint_config


def create_endpoint_config(
    self: SageMakerModelBackend,
    endpoint_config_name: str,
    production_variants: list[dict[str, Any]],
    data_capture_config: dict[str, Any],
    async_inference_config: dict[str, Any],
    tags: list[dict[str, str]],
    kms_key_id: str,
    shadow_production_variants: list[dict[str, Any]] | None = None,
) -> FakeEndpointConfig:
    with STATE_LOCK:
        if endpoint_config_name in self.endpoint_configs:
            arn = FakeEndpointConfig.arn_formatter(
                endpoint_config_name, self.account_id, self.region_name
            )
            raise ValidationError(
                message=f'Cannot create already existing endpoint configuration "{arn}".'
            )
        shadows = shadow_production_variants or []
        if shadows:
            self.validate_production_variants(shadows)
            if len(production_variants or []) != 1:
                raise ValidationError(
                    message="An endpoint configuration with ShadowProductionVariants must have "
                    "exactly one ProductionVariant."
                )
        config = _moto_create_endpoint_config(
            self,
            endpoint_config_name=endpoint_config_name,
            production_variants=production_variants,
            data_capture_config=data_capture_config,
            async_inference_config=async_inference_config,
            tags=tags,
            kms_key_id=kms_key_id,
        )
        if shadows:
            config.shadow_production_variants = shadows  # type: ignore[attr-defined]
        return config


def add_tags(
    self: SageMakerModelBackend, arn: str, tags: list[dict[str, str]]
) -> list[dict[str, str]]:
    """AddTags "adds or overwrites" (API reference): a key already on the resource takes the
    new value. moto appends a second entry instead, and ListTags, which pages by key, then
    never reaches its last page once a resource has more than 50 entries."""
    with STATE_LOCK:
        resource = self._get_resource_from_arn(arn)
        merged = {tag["Key"]: tag.get("Value", "") for tag in resource.tags}
        merged.update({tag["Key"]: tag.get("Value", "") for tag in tags or []})
        resource.tags = [{"Key": key, "Value": value} for key, value in merged.items()]
        return list(resource.tags)


# --- the patched response (JSON protocol dispatch: SageMakerResponse.<snake_case>) -----


def _response_update_endpoint(self: SageMakerResponse) -> ActionResult:
    arn = self.sagemaker_backend.update_endpoint(  # type: ignore[attr-defined]
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        retain_all_variant_properties=self._get_param("RetainAllVariantProperties", False),
        exclude_retained_variant_properties=self._get_param("ExcludeRetainedVariantProperties"),
    )
    return ActionResult({"EndpointArn": arn})


def _response_create_endpoint_config(self: SageMakerResponse) -> ActionResult:
    config = self.sagemaker_backend.create_endpoint_config(
        endpoint_config_name=self._get_param("EndpointConfigName"),
        async_inference_config=self._get_param("AsyncInferenceConfig"),
        production_variants=self._get_param("ProductionVariants"),
        data_capture_config=self._get_param("DataCaptureConfig"),
        tags=self._get_param("Tags"),
        kms_key_id=self._get_param("KmsKeyId"),
        shadow_production_variants=self._get_param("ShadowProductionVariants"),  # type: ignore[call-arg]
    )
    return ActionResult({"EndpointConfigArn": config.endpoint_config_arn})


#: the parameters of moto's SageMakerModelBackend.create_endpoint_config that the patch expects
_CREATE_ENDPOINT_CONFIG_PARAMS = (
    "self",
    "endpoint_config_name",
    "production_variants",
    "data_capture_config",
    "async_inference_config",
    "tags",
    "kms_key_id",
)


def install() -> None:
    backend = SageMakerModelBackend
    replace(
        backend,
        "create_endpoint",
        create_endpoint,
        ("self", "endpoint_name", "endpoint_config_name", "tags"),
    )
    add(backend, "update_endpoint", update_endpoint)
    replace(
        backend,
        "update_endpoint_weights_and_capacities",
        update_endpoint_weights_and_capacities,
        ("self", "endpoint_name", "desired_weights_and_capacities"),
    )
    replace(backend, "describe_endpoint", describe_endpoint, ("self", "endpoint_name"))
    replace(backend, "delete_endpoint", delete_endpoint, ("self", "endpoint_name"))
    replace(
        backend, "create_endpoint_config", create_endpoint_config, _CREATE_ENDPOINT_CONFIG_PARAMS
    )
    replace(backend, "add_tags", add_tags, ("self", "arn", "tags"))
    add(SageMakerResponse, "update_endpoint", _response_update_endpoint)
    replace(
        SageMakerResponse, "create_endpoint_config", _response_create_endpoint_config, ("self",)
    )
