"""Lineage (pure): required metadata of a model package and the tags every resource carries.

The metadata comes from the package's ``CustomerMetadataProperties`` (keys ``git_commit``,
``data_version``, ``build_id``, or whatever the policy's ``required_metadata`` names); the
Model, EndpointConfigs and Endpoint of a release are tagged ``rollout:*`` with it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

from model_rollout.errors import ValidationFailed

TAG_PREFIX = "rollout:"
TAG_MODEL_PACKAGE_ARN = "rollout:model-package-arn"
TAG_MODEL_PACKAGE_GROUP = "rollout:model-package-group"
TAG_MODEL_PACKAGE_VERSION = "rollout:model-package-version"
TAG_DEPLOYMENT_ID = "rollout:deployment-id"
TAG_ENDPOINT_NAME = "rollout:endpoint-name"
TAG_GIT_COMMIT = "rollout:git-commit"
TAG_DATA_VERSION = "rollout:data-version"
TAG_BUILD_ID = "rollout:build-id"

# metadata key -> tag key, for the keys DESIGN names; other required keys get rollout:<key>.
METADATA_TAGS = {
    "git_commit": TAG_GIT_COMMIT,
    "data_version": TAG_DATA_VERSION,
    "build_id": TAG_BUILD_ID,
}

MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
_ALLOWED_PUNCTUATION = frozenset("_.:/=+-@")


def _allowed(char: str) -> bool:
    # SageMaker: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$
    category = unicodedata.category(char)
    return category[0] in "LNZ" or char in _ALLOWED_PUNCTUATION


def sanitize_tag_value(value: object) -> str:
    """A value SageMaker accepts as a tag value: allowed characters only, at most 256."""
    text = "".join(c if _allowed(c) else "_" for c in str(value))
    return text[:MAX_TAG_VALUE]


def sanitize_tag_key(key: str) -> str:
    text = "".join(c if _allowed(c) else "_" for c in key)
    return text[:MAX_TAG_KEY] or "_"


def tag_key_for(metadata_key: str) -> str:
    known = METADATA_TAGS.get(metadata_key)
    if known:
        return known
    return sanitize_tag_key(TAG_PREFIX + metadata_key.replace("_", "-"))


def required_lineage(
    metadata: Mapping[str, str] | None,
    required: Iterable[str],
    *,
    model_package_arn: str,
) -> dict[str, str]:
    """The lineage metadata of a package: every required key (``ValidationFailed`` if one is
    missing or blank), plus the known lineage keys that are present."""
    metadata = metadata or {}
    required = list(dict.fromkeys(required))
    missing = [key for key in required if not str(metadata.get(key, "")).strip()]
    if missing:
        present = ", ".join(sorted(metadata)) or "none"
        raise ValidationFailed(
            f"model package {model_package_arn} lacks required lineage metadata "
            f"{', '.join(missing)} (policy required_metadata); set them in its "
            f"CustomerMetadataProperties (present: {present})"
        )
    keys = [*required, *(key for key in METADATA_TAGS if key not in required)]
    return {key: str(metadata[key]) for key in keys if str(metadata.get(key, "")).strip()}


def lineage_tags(
    *,
    model_package_arn: str,
    model_package_group: str,
    model_package_version: int,
    deployment_id: str,
    lineage: Mapping[str, str],
    endpoint_name: str | None = None,
) -> dict[str, str]:
    """The ``rollout:*`` tags of every resource a release creates (values sanitised)."""
    tags = {
        TAG_MODEL_PACKAGE_ARN: model_package_arn,
        TAG_MODEL_PACKAGE_GROUP: model_package_group,
        TAG_MODEL_PACKAGE_VERSION: str(model_package_version),
        TAG_DEPLOYMENT_ID: deployment_id,
    }
    if endpoint_name:
        tags[TAG_ENDPOINT_NAME] = endpoint_name
    for key, value in lineage.items():
        tags.setdefault(tag_key_for(key), value)
    return {sanitize_tag_key(k): sanitize_tag_value(v) for k, v in tags.items()}


def as_aws_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]
