"""``mode: multi_model``: versions of a logical model on a multi-model endpoint.

The endpoint serves one variant whose container runs in ``Mode: MultiModel`` and loads
models on demand from an S3 prefix (the container's ``ModelDataUrl``); an application
chooses the model of each request with ``InvokeEndpoint(TargetModel=<name under the
prefix>)``. A version of the logical model ``m`` is the artifact ``m-v<version>.tar.gz``
under the prefix, and the logical model's **pointer**, the endpoint's tag
``rollout:mme-target:m``, names the artifact that serves. Applications read the pointer
(``ListTags`` on the endpoint; ``resolve_target``) and pass it as ``TargetModel``.

The steps reuse the state machine's states; this mode's hooks (``MultiModel``, the
``model_rollout.modes.Mode`` interface) do what differs:

- Tag (``prepare_release``): copies the package's ``model.tar.gz`` to its versioned name.
  The first deployment also creates the multi-model Model (``Mode: MultiModel`` on the
  prefix) and its endpoint config; later versions create neither: the config is not changed
  by a version deployment, their release names the serving config and variant.
- Deploy: the first deployment creates the endpoint (the pointer among its tags); a later
  version is smoke-tested (``InvokeEndpoint`` with ``TargetModel`` = its artifact; any
  error is ``SmokeTestFailed``, the pointer untouched), then the pointer and the lineage
  tags move to it in one ``AddTags`` (``deploy_version``).
- Rollback (traffic) has nothing to shift; RestoreConfig (``restore_pointer``) makes the
  endpoint's ``rollout:*`` tags, pointer included, what they were when the deployment
  started: the pointer names the previous version's artifact again.
- RecoverEndpoint (``recover_pointer``): a version deployment that died after moving the
  pointer is undone the same way, from the tags its record kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.multi_model import Answer, ModelArtifacts, MultiModelRuntime
from model_rollout.adapters.releases import Releases
from model_rollout.config import inference_settings
from model_rollout.domain.deployment import (
    FINAL_RECORD_STATUSES,
    MULTI_MODEL_POINTER_PREFIX,
    Deployment,
    EndpointChange,
    Expectation,
    MultiModelRelease,
    Release,
    VariantRef,
)
from model_rollout.domain.expectation import describe_state, normalize_status
from model_rollout.domain.lineage import TAG_DEPLOYMENT_ID, TAG_PREFIX
from model_rollout.domain.policy import MultiModelPolicy, Policy
from model_rollout.domain.records import RecordStore
from model_rollout.domain.release import release_names
from model_rollout.errors import DeploymentFailed, EndpointConflict, SmokeTestFailed
from model_rollout.modes import Mode, Recovered

POINTER_TAG_PREFIX = MULTI_MODEL_POINTER_PREFIX
# the record field where a version deployment keeps the endpoint tags its pointer move replaces
PREVIOUS_TAGS_FIELD = "previous_endpoint_tags"
ARTIFACT_FOLDER = "multi-model"


class Artifacts(Protocol):
    def copy(self, source_uri: str, target_uri: str, metadata: Mapping[str, str]) -> None: ...


class Remember(Protocol):
    def remember(self, deployment_id: str, fields: dict[str, Any]) -> None: ...


class Runtime(Protocol):
    def invoke(
        self, endpoint_name: str, target_model: str, body: str, content_type: str
    ) -> Answer: ...


# ---------------------------------------------------------------------- names (pure)


def pointer_tag(model_name: str) -> str:
    """The endpoint tag holding the logical model's pointer."""
    return f"{POINTER_TAG_PREFIX}{model_name}"


def target_model_name(model_name: str, version: int) -> str:
    """The artifact of a version, relative to the prefix (what ``TargetModel`` names)."""
    return f"{model_name}-v{version}.tar.gz"


def artifact_prefix(spec: MultiModelPolicy, endpoint_name: str, inference_bucket: str) -> str:
    """The container's ``ModelDataUrl``: the policy's prefix, or the stack's default
    ``s3://<InferenceBucket>/multi-model/<endpoint>/``; always ending with ``/``."""
    prefix = spec.artifact_prefix or f"s3://{inference_bucket}/{ARTIFACT_FOLDER}/{endpoint_name}"
    return prefix.rstrip("/") + "/"


def resolve_target(tags: Mapping[str, str], model_name: str) -> str | None:
    """What an application passes as ``TargetModel`` for the logical model (``None``: the
    model was never deployed to this endpoint)."""
    return tags.get(pointer_tag(model_name))


def _spec(policy: Policy) -> MultiModelPolicy:
    if policy.mode != "multi_model" or policy.multi_model is None:
        raise DeploymentFailed("the policy is not mode 'multi_model'")
    return policy.multi_model


def artifact_metadata(tags: Mapping[str, str]) -> dict[str, str]:
    """The lineage as S3 object metadata (``x-amz-meta-rollout-...``), ASCII only."""
    out: dict[str, str] = {}
    for key, value in tags.items():
        if key.startswith(TAG_PREFIX):
            name = "rollout-" + key[len(TAG_PREFIX) :].replace(":", "-")
            out[name] = value.encode("ascii", "replace").decode("ascii")
    return out


# ---------------------------------------------------------------------- Tag


def prepare_release(
    deployment: Deployment,
    *,
    releases: Releases,
    artifacts: Artifacts,
    tags: Mapping[str, str],
    resource_prefix: str,
    inference_bucket: str,
) -> Release:
    """Copy the version's artifact under the prefix; a first deployment also creates the
    multi-model Model and its endpoint config."""
    spec = _spec(deployment.policy)
    prefix = artifact_prefix(spec, deployment.endpoint_name, inference_bucket)
    target = target_model_name(spec.model_name, deployment.model_package_version)
    container = releases.package_container(deployment.model_package_arn)
    artifacts.copy(str(container["ModelDataUrl"]), prefix + target, artifact_metadata(tags))
    previous = deployment.previous
    pointer = pointer_tag(spec.model_name)
    version = MultiModelRelease(
        model_name=spec.model_name,
        artifact_prefix=prefix,
        target_model=target,
        previous_target=previous.endpoint_tags.get(pointer) if previous else None,
    )
    if previous is None:
        names = release_names(
            deployment_id=deployment.deployment_id,
            endpoint_name=deployment.endpoint_name,
            model_package_version=deployment.model_package_version,
            resource_prefix=resource_prefix,
            first_deployment=True,
        )
        releases.create_multi_model(names.model_name, str(container.get("Image", "")), prefix, tags)
        variant = VariantRef(
            variant_name=names.variant_name,
            model_name=names.model_name,
            weight=1.0,
            instance_type=deployment.policy.instance_type,
            instance_count=deployment.policy.instance_count,
        )
        releases.create_endpoint_config(names.final_config_name, [variant], tags)
        return Release(
            model_name=names.model_name,
            variant_name=names.variant_name,
            bake_config_name=names.final_config_name,
            final_config_name=names.final_config_name,
            tags=dict(tags),
            multi_model=version,
        )
    serving = previous.primary_variant()
    if serving is None or len(previous.variants) != 1:
        raise DeploymentFailed(
            f"endpoint {deployment.endpoint_name} serves config {previous.endpoint_config_name} "
            f"with {len(previous.variants)} variants; a multi-model endpoint has one. Deploy "
            "multi-model versions only to an endpoint a multi_model policy created."
        )
    # the config is not changed by a version: the release names what serves
    return Release(
        model_name=serving.model_name,
        variant_name=serving.variant_name,
        bake_config_name=previous.endpoint_config_name,
        final_config_name=previous.endpoint_config_name,
        tags=dict(tags),
        multi_model=version,
    )


# ---------------------------------------------------------------------- Deploy


def deploy_version(
    deployment: Deployment,
    *,
    endpoints: Endpoints,
    runtime: Runtime,
    records: Remember | None = None,
) -> EndpointChange:
    """Smoke-test the version's artifact through the endpoint, then move the pointer (and
    the lineage tags) to it. The endpoint config is not touched.

    Before the move, the deployment's record keeps the tags it replaces
    (``previous_endpoint_tags``): if the deployment dies before it ends, the next one's
    RecoverEndpoint puts them back (``recoverable_tags``)."""
    release = deployment.release
    previous = deployment.previous
    if release is None or release.multi_model is None or previous is None:
        raise DeploymentFailed(
            f"deployment {deployment.deployment_id} has no multi-model release to deploy"
        )
    version = release.multi_model
    spec = _spec(deployment.policy)
    name = deployment.endpoint_name
    described = endpoints.describe(name)
    if described is None:
        raise EndpointConflict(
            f"endpoint {name} no longer exists (it served config "
            f"{previous.endpoint_config_name} when the deployment started); nothing was changed"
        )
    config = described.get("EndpointConfigName")
    expect = Expectation(endpoint_config_name=config)
    status = normalize_status(str(described.get("EndpointStatus", "")))
    if config != previous.endpoint_config_name or status != "InService":
        raise EndpointConflict(
            f"endpoint {name} is not serving config {previous.endpoint_config_name} "
            f"InService ({describe_state(described)}); nothing was changed"
        )
    arn = str(described["EndpointArn"])
    tags = endpoints.list_tags(arn)
    wanted = {**release.tags, version.pointer_tag: version.target_model}
    if all(tags.get(k) == v for k, v in wanted.items()):  # a retried Deploy
        return EndpointChange(action="point", expect=expect)
    answer = runtime.invoke(
        name, version.target_model, spec.smoke_test_body, spec.smoke_test_content_type
    )
    if not answer.ok:
        raise SmokeTestFailed(
            f"smoke test of {version.target_model} ({version.artifact_uri}) on endpoint {name} "
            f"failed: InvokeEndpoint with TargetModel={version.target_model} answered "
            f"{answer.error_code}: {answer.error_message}. The pointer {version.pointer_tag} "
            f"was not moved (it names {version.previous_target or 'nothing'})"
        )
    if records is not None:
        records.remember(
            deployment.deployment_id,
            {
                PREVIOUS_TAGS_FIELD: dict(previous.endpoint_tags),
                "multi_model_target": version.target_model,
            },
        )
    endpoints.add_tags(arn, wanted)
    return EndpointChange(action="point", expect=expect)


# ---------------------------------------------------------------------- RestoreConfig


def restore_tags(
    endpoints: Endpoints, endpoint_arn: str, wanted: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """Make the endpoint's ``rollout:*`` tags exactly ``wanted``; (deleted keys, set tags)."""
    wanted = {k: v for k, v in wanted.items() if k.startswith(TAG_PREFIX)}
    current = {
        k: v for k, v in endpoints.list_tags(endpoint_arn).items() if k.startswith(TAG_PREFIX)
    }
    stale = sorted(set(current) - set(wanted))
    changed = {k: v for k, v in wanted.items() if current.get(k) != v}
    endpoints.delete_tags(endpoint_arn, stale)
    endpoints.add_tags(endpoint_arn, changed)
    return stale, changed


def restore_pointer(deployment: Deployment, *, endpoints: Endpoints) -> EndpointChange:
    """Make the endpoint's ``rollout:*`` tags (lineage and pointers) what they were when the
    deployment started: the pointer names the previous version again. Idempotent."""
    previous = deployment.previous
    name = deployment.endpoint_name
    if previous is None:
        raise DeploymentFailed(f"deployment {deployment.deployment_id} has no previous state")
    described = endpoints.describe(name)
    if described is None:
        raise DeploymentFailed(
            f"endpoint {name} no longer exists; cannot move its pointer back. Recreate it with "
            f"config {previous.endpoint_config_name}."
        )
    stale, changed = restore_tags(endpoints, str(described["EndpointArn"]), previous.endpoint_tags)
    return EndpointChange(
        action="restore-pointer" if stale or changed else "none",
        expect=Expectation(endpoint_config_name=previous.endpoint_config_name),
    )


# ---------------------------------------------------------------------- RecoverEndpoint


def recover_pointer(
    deployment: Deployment,
    described: dict[str, Any],
    *,
    endpoints: Endpoints,
    records: RecordStore,
) -> Recovered | None:
    """Mode multi_model: a version deployment that died after moving the pointer (the
    endpoint's deployment-id tag names it, its record is not final) is undone: the endpoint's
    ``rollout:*`` tags become those its record kept (model_rollout.modes.multi_model)."""
    name = deployment.endpoint_name
    arn = str(described["EndpointArn"])
    owner = endpoints.list_tags(arn).get(TAG_DEPLOYMENT_ID)
    if not owner or owner == deployment.deployment_id:
        return None
    record = records.get(owner)
    if record is None or record.get("status") in FINAL_RECORD_STATUSES:
        return None
    kept = record.get(PREVIOUS_TAGS_FIELD)
    if not isinstance(kept, dict):
        return None  # not a multi-model version deployment
    restore_tags(endpoints, arn, {str(k): str(v) for k, v in kept.items()})
    return Recovered(
        dead_deployment_id=owner,
        cause=(
            f"deployment {owner} stopped mid-way after moving the multi-model pointer of "
            f"endpoint {name} to {record.get('multi_model_target')}; deployment "
            f"{deployment.deployment_id} moved it back (the endpoint's tags as before it)"
        ),
        change=EndpointChange(
            action="restore-pointer",
            expect=Expectation(endpoint_config_name=described.get("EndpointConfigName")),
        ),
    )


# ---------------------------------------------------------------------- the mode


class MultiModel(Mode):
    """``mode: multi_model`` behind the steps' ``Mode`` interface."""

    name = "multi_model"

    def prepare_release(
        self,
        deployment: Deployment,
        *,
        releases: Releases,
        artifacts: Any,
        tags: Mapping[str, str],
        resource_prefix: str,
    ) -> Release:
        return prepare_release(
            deployment,
            releases=releases,
            artifacts=artifacts or ModelArtifacts(),
            tags=tags,
            resource_prefix=resource_prefix,
            inference_bucket=inference_settings().inference_bucket,
        )

    def deploy(
        self, deployment: Deployment, *, endpoints: Endpoints, runtime: Any, records: Any
    ) -> EndpointChange | None:
        if deployment.previous is None:  # the first version creates the endpoint
            return None
        return deploy_version(
            deployment, endpoints=endpoints, runtime=runtime or MultiModelRuntime(), records=records
        )

    def created_endpoint_tags(self, release: Release) -> dict[str, str]:
        version = release.multi_model
        return {version.pointer_tag: version.target_model} if version is not None else {}

    def restore_config(
        self, deployment: Deployment, *, endpoints: Endpoints
    ) -> EndpointChange | None:
        if deployment.previous is None:  # the first version's endpoint goes, as real-time
            return None
        # the config never changed: the pointer (and the lineage) moves back
        return restore_pointer(deployment, endpoints=endpoints)

    def recover(
        self,
        deployment: Deployment,
        described: dict[str, Any],
        *,
        endpoints: Endpoints,
        records: RecordStore,
    ) -> Recovered | None:
        return recover_pointer(deployment, described, endpoints=endpoints, records=records)

    def rolled_back_serving(self, deployment: Deployment) -> str | None:
        version = deployment.release.multi_model if deployment.release else None
        if version is None or deployment.previous is None:
            return None
        return (
            f"the pointer {version.pointer_tag} of endpoint {deployment.endpoint_name} names "
            f"{version.previous_target or 'nothing'} again (config "
            f"{deployment.previous.endpoint_config_name} unchanged)"
        )


MODE = MultiModel()
