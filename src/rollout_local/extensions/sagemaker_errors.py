"""SageMaker's client errors where moto replaces a resource or fails with a 500.

After the SageMaker API reference:

- ``CreateModelPackageGroup`` of a name that exists is refused with ``ValidationException``
  ("Model Package Group already exists: <the group's ARN>"), as AWS answers it; moto
  replaced the group (and so forgot its description, tags and creation time).
- ``AddTags``, ``ListTags`` and ``DeleteTags`` of an ARN whose resource does not exist
  answer ``ValidationException`` naming the ARN (the error the API reference lists for
  them); moto failed with ``AttributeError: 'NoneType' object has no attribute 'tags'``, a
  500. The ARN of a model package (``model-package/<group>/<version>``, a name with a slash)
  is found too: moto could not split it and failed the same way.

The resource lookup all three share (moto's ``_get_resource_from_arn``) is the patched
point; the tag operations themselves are moto's (and ``sagemaker_endpoints``'s ``AddTags``).
"""

from __future__ import annotations

from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend

from rollout_local.extensions._common import STATE_LOCK
from rollout_local.extensions._fence import original, replace

_moto_create_group = original(
    SageMakerModelBackend,
    "create_model_package_group",
    ("self", "model_package_group_name", "model_package_group_description", "tags"),
)
_moto_resource_from_arn = original(SageMakerModelBackend, "_get_resource_from_arn", ("self", "arn"))


def create_model_package_group(
    self: SageMakerModelBackend,
    model_package_group_name: str,
    model_package_group_description: str,
    tags: list[dict[str, str]] | None = None,
) -> str:
    with STATE_LOCK:
        existing = self.model_package_groups.get(model_package_group_name)
        if existing is not None:
            raise ValidationError(message=f"Model Package Group already exists: {existing.arn}")
        return str(
            _moto_create_group(
                self, model_package_group_name, model_package_group_description, tags
            )
        )


def not_found(arn: str) -> ValidationError:
    return ValidationError(message=f"Resource {arn} does not exist.")


def resource_from_arn(self: SageMakerModelBackend, arn: str) -> Any:
    resource_part = str(arn or "").split(":", 5)[-1]
    kind, _, name = resource_part.partition("/")
    if kind == "model-package":
        package = self.model_packages.get(arn)
        if package is None:
            raise not_found(arn)
        return package
    if not name or "/" in name:
        raise not_found(arn)
    try:
        resource = _moto_resource_from_arn(self, arn)
    except (AttributeError, ValueError):  # a resource kind moto does not know
        raise not_found(arn) from None
    if resource is None:
        raise not_found(arn)
    return resource


def install() -> None:
    replace(
        SageMakerModelBackend,
        "create_model_package_group",
        create_model_package_group,
        ("self", "model_package_group_name", "model_package_group_description", "tags"),
    )
    replace(SageMakerModelBackend, "_get_resource_from_arn", resource_from_arn, ("self", "arn"))
