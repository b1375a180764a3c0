"""Model Registry events, and an ``UpdateModelPackage`` that behaves as AWS documents it.

On AWS, SageMaker emits ``SageMaker Model Package State Change`` (source ``aws.sagemaker``)
when a model package version is created and whenever it is updated (developer guide,
"Events that Amazon SageMaker AI sends to Amazon EventBridge"; the shape is in
``events/model-package-state-change.approved.json``). The detail carries
the package's ``ModelPackageGroupName``, ``ModelPackageVersion``, ``ModelPackageArn``,
``CreationTime``, ``InferenceSpecification``, ``ModelPackageStatus``,
``ModelPackageStatusDetails``, ``CertifyForMarketplace``, ``ModelApprovalStatus``,
``MetadataProperties``, ``ModelMetrics`` and ``LastModifiedTime``; update events add
``UpdatedModelPackageFields``, the fields the request changed (so a metadata-only update of
an approved package re-emits ``Approved`` with ``["CustomerMetadataProperties"]``, and
approving an already approved package does not name ``ModelApprovalStatus``).
``CustomerMetadataProperties`` is not carried in the event. Times are ISO-8601 seconds.

moto's ``UpdateModelPackage`` is fixed to match the API reference: only the fields present
in the request change (moto cleared the approval status, ``ApprovalDescription`` and
``CustomerMetadataProperties`` when they were absent); ``CustomerMetadataProperties`` are
merged into the existing ones (added or overwritten key by key);
``CustomerMetadataPropertiesToRemove`` deletes keys; ``LastModifiedTime`` is updated. A
versioned package created without ``ModelApprovalStatus`` is ``PendingManualApproval``, as
on AWS, and its ``LastModifiedTime`` starts at its ``CreationTime``.

``ModelLifeCycle`` (moto 5.2 drops it): ``UpdateModelPackage`` keeps it and
``DescribeModelPackage`` answers it, as the API reference says (``Stage`` and
``StageStatus`` required, 1 to 63 characters of ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$``;
``StageDescription`` at most 1,024 characters; a malformed one is ``ValidationException``).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import ModelPackage, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse

from rollout_local.extensions import bus
from rollout_local.extensions._common import STATE_LOCK, iso_seconds
from rollout_local.extensions._fence import original, replace

DETAIL_TYPE = "SageMaker Model Package State Change"

# request parameter -> the field it changes, as UpdatedModelPackageFields names it
_UPDATABLE = {
    "ModelApprovalStatus": "ModelApprovalStatus",
    "ApprovalDescription": "ApprovalDescription",
    "CustomerMetadataProperties": "CustomerMetadataProperties",
    "CustomerMetadataPropertiesToRemove": "CustomerMetadataProperties",
    "AdditionalInferenceSpecificationsToAdd": "AdditionalInferenceSpecifications",
    "InferenceSpecification": "InferenceSpecification",
    "SourceUri": "SourceUri",
    "ModelCard": "ModelCard",
    "ModelLifeCycle": "ModelLifeCycle",
}


_LIFE_CYCLE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def _checked_life_cycle(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValidationError("ModelLifeCycle must be a structure")
    for member in ("Stage", "StageStatus"):
        text = value.get(member)
        if not isinstance(text, str) or not _LIFE_CYCLE_NAME.match(text):
            where = f"modelLifeCycle.{member[0].lower()}{member[1:]}"
            raise ValidationError(
                f"1 validation error detected: Value {text!r} at '{where}' "
                "failed to satisfy constraint: Member must satisfy regular "
                "expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
            )
    description = value.get("StageDescription")
    if description is not None and (not isinstance(description, str) or len(description) > 1024):
        raise ValidationError(
            "1 validation error detected: Value at 'modelLifeCycle.stageDescription' failed to "
            "satisfy constraint: Member must have length less than or equal to 1024"
        )
    unknown = set(value) - {"Stage", "StageStatus", "StageDescription"}
    if unknown:
        raise ValidationError(f"Unknown members in ModelLifeCycle: {sorted(unknown)}")
    return {k: v for k, v in value.items() if v is not None}


_moto_package_response = original(ModelPackage, "gen_response_object", ("self",))


def _package_response(self: ModelPackage) -> dict[str, Any]:
    answer = _moto_package_response(self)
    life_cycle = getattr(self, "model_life_cycle", None)
    if life_cycle:
        answer["ModelLifeCycle"] = copy.deepcopy(life_cycle)
    return answer


def event_detail(package: ModelPackage, updated_fields: list[str] | None = None) -> dict[str, Any]:
    """The ``detail`` of a Model Package State Change for ``package``."""
    detail: dict[str, Any] = {
        "ModelPackageGroupName": package.model_package_group_name or package.model_package_name,
        "ModelPackageVersion": package.model_package_version,
        "ModelPackageArn": package.arn,
        "CreationTime": iso_seconds(package.creation_time),
        "InferenceSpecification": copy.deepcopy(package.inference_specification),
        "ModelPackageStatus": package.model_package_status,
        "ModelPackageStatusDetails": copy.deepcopy(package.model_package_status_details),
        "CertifyForMarketplace": bool(package.certify_for_marketplace),
        "ModelApprovalStatus": package.model_approval_status,
        "MetadataProperties": copy.deepcopy(package.metadata_properties),
        "ModelMetrics": copy.deepcopy(package.model_metrics),
    }
    if updated_fields is not None:
        detail["UpdatedModelPackageFields"] = updated_fields
    detail["LastModifiedTime"] = iso_seconds(package.last_modified_time or package.creation_time)
    return {k: v for k, v in detail.items() if v is not None}


def emit(backend: SageMakerModelBackend, package: ModelPackage, updated: list[str] | None) -> None:
    bus.put_event(
        source="aws.sagemaker",
        detail_type=DETAIL_TYPE,
        detail=event_detail(package, updated),
        resources=[package.arn],
        account_id=backend.account_id,
        region=backend.region_name,
    )


_moto_create_model_package = SageMakerModelBackend.create_model_package


def create_model_package(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> str:
    with STATE_LOCK:
        arn = _moto_create_model_package(self, *args, **kwargs)
        package = self.model_packages[arn]
        if package.model_approval_status is None and package.model_package_type == "Versioned":
            package.model_approval_status = "PendingManualApproval"
        package.last_modified_time = package.creation_time
    emit(self, package, None)
    return arn


def update_model_package(
    self: SageMakerModelBackend,
    model_package_arn: str,
    model_approval_status: str | None = None,
    approval_description: str | None = None,
    customer_metadata_properties: dict[str, str] | None = None,
    customer_metadata_properties_to_remove: list[str] | None = None,
    additional_inference_specifications_to_add: list[Any] | None = None,
    inference_specification: dict[str, Any] | None = None,
    source_uri: str | None = None,
    updated_fields: list[str] | None = None,
    model_life_cycle: dict[str, Any] | None = None,
) -> str:
    life_cycle = None if model_life_cycle is None else _checked_life_cycle(model_life_cycle)
    with STATE_LOCK:
        mapped = self.model_package_name_mapping.get(model_package_arn, model_package_arn)
        package = self.model_packages.get(mapped)
        if package is None:
            raise ValidationError(f"Model package {model_package_arn} not found")
        both = set(customer_metadata_properties or {}) & set(
            customer_metadata_properties_to_remove or []
        )
        if both:
            raise ValidationError(
                "The same key cannot be in both CustomerMetadataProperties and "
                f"CustomerMetadataPropertiesToRemove: {sorted(both)}"
            )
        status_before = package.model_approval_status
        if model_approval_status is not None:
            package.set_model_approval_status(model_approval_status)
        if approval_description is not None:
            package.approval_description = approval_description
        if customer_metadata_properties is not None:
            merged = dict(package.customer_metadata_properties or {})
            merged.update(customer_metadata_properties)
            package.customer_metadata_properties = merged
        if customer_metadata_properties_to_remove:
            remaining = dict(package.customer_metadata_properties or {})
            for key in customer_metadata_properties_to_remove:
                remaining.pop(key, None)
            package.customer_metadata_properties = remaining
        if additional_inference_specifications_to_add:
            package.add_additional_inference_specifications(
                additional_inference_specifications_to_add
            )
        if inference_specification is not None:
            package.inference_specification = inference_specification
        if source_uri is not None:
            package.source_uri = source_uri  # type: ignore[attr-defined]
        if life_cycle is not None:
            package.model_life_cycle = life_cycle  # type: ignore[attr-defined]
        package.modifications_done()
        package.last_modified_time = utcnow()
    if updated_fields is None:  # called on the backend directly, not through the API
        given = {
            "ModelApprovalStatus": model_approval_status,
            "ApprovalDescription": approval_description,
            "CustomerMetadataProperties": customer_metadata_properties
            or customer_metadata_properties_to_remove,
            "AdditionalInferenceSpecifications": additional_inference_specifications_to_add,
            "InferenceSpecification": inference_specification,
            "SourceUri": source_uri,
            "ModelLifeCycle": model_life_cycle,
        }
        updated_fields = [name for name, value in given.items() if value is not None]
    if package.model_approval_status == status_before:
        # The event names what changed: approving an approved package changes no status.
        updated_fields = [name for name in updated_fields if name != "ModelApprovalStatus"]
    emit(self, package, updated_fields)
    return package.arn


def _response_update_model_package(self: SageMakerResponse) -> ActionResult:
    params = {name: self._get_param(name) for name in _UPDATABLE}
    updated: list[str] = []
    for name, value in params.items():
        if value is not None and _UPDATABLE[name] not in updated:
            updated.append(_UPDATABLE[name])
    arn = self.sagemaker_backend.update_model_package(  # type: ignore[call-arg]
        model_package_arn=self._get_param("ModelPackageArn"),
        model_approval_status=params["ModelApprovalStatus"],
        approval_description=params["ApprovalDescription"],
        customer_metadata_properties=params["CustomerMetadataProperties"],
        customer_metadata_properties_to_remove=params["CustomerMetadataPropertiesToRemove"],
        additional_inference_specifications_to_add=params["AdditionalInferenceSpecificationsToAdd"],
        inference_specification=params["InferenceSpecification"],
        source_uri=params["SourceUri"],
        updated_fields=updated,
        model_life_cycle=params["ModelLifeCycle"],
    )
    return ActionResult({"ModelPackageArn": arn})


#: the parameters of moto's SageMakerModelBackend.create_model_package that the patch expects
_CREATE_MODEL_PACKAGE_PARAMS = (
    "self",
    "model_package_name",
    "model_package_group_name",
    "model_package_description",
    "inference_specification",
    "validation_specification",
    "source_algorithm_specification",
    "certify_for_marketplace",
    "tags",
    "model_approval_status",
    "metadata_properties",
    "model_metrics",
    "client_token",
    "customer_metadata_properties",
    "drift_check_baselines",
    "domain",
    "task",
    "sample_payload_url",
    "additional_inference_specifications",
)


def install() -> None:
    replace(
        SageMakerModelBackend,
        "create_model_package",
        create_model_package,
        _CREATE_MODEL_PACKAGE_PARAMS,
    )
    replace(
        SageMakerModelBackend,
        "update_model_package",
        update_model_package,
        (
            "self",
            "model_package_arn",
            "model_approval_status",
            "approval_description",
            "customer_metadata_properties",
            "customer_metadata_properties_to_remove",
            "additional_inference_specifications_to_add",
        ),
    )
    replace(SageMakerResponse, "update_model_package", _response_update_model_package, ("self",))
    replace(ModelPackage, "gen_response_object", _package_response, ("self",))
