"""How an endpoint serves (the policy's ``mode``), behind one interface.

The steps are written for a real-time endpoint. Where a mode does something else, a step
asks the deployment's mode (``mode_of(policy)``) first; each hook of ``Mode`` returns
``None`` (or nothing to add) where the real-time path applies, so ``Mode`` itself *is* the
real-time mode:

- ``endpoint_config``: what every endpoint config of a release carries besides its variants
  (async: the ``AsyncInferenceConfig``);
- ``prepare_release`` (Tag), ``deploy`` (Deploy), ``restore_config`` (RestoreConfig): the
  mode's own way of doing the step, or ``None`` for the real-time way;
- ``created_endpoint_tags``: tags a first deployment's ``CreateEndpoint`` adds (multi-model:
  the logical model's pointer);
- ``recover``: RecoverEndpoint's undo of a deployment that died half-way, where the mode's
  half-way state is not an endpoint config (multi-model: a moved pointer); it says what it
  undid (``Recovered``) and RecoverEndpoint records the dead deployment as for a config;
- ``after_promotion``: what Finalize sets up once promoted (async: backlog autoscaling);
- ``rolled_back_serving``: what serves again after a rollback, in the outcome's words.

The modes: ``real_time`` (``Mode``), ``async`` (``modes.asynchronous``), ``multi_model``
(``modes.multi_model``). Each mode's module is imported when a deployment of that mode asks
for it, so a step's cold init does not grow with the modes. A new mode is one module here
with a ``MODE`` (a ``Mode`` subclass overriding the hooks it needs), its name in
``Policy.mode`` and in ``MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model_rollout.adapters.endpoints import Endpoints
    from model_rollout.adapters.releases import Releases
    from model_rollout.domain.deployment import Deployment, EndpointChange, Release
    from model_rollout.domain.policy import Policy
    from model_rollout.domain.records import RecordStore

#: policy mode → the module whose ``MODE`` implements it (``None``: ``Mode`` itself)
MODULES: dict[str, str | None] = {
    "real_time": None,
    "async": "model_rollout.modes.asynchronous",
    "multi_model": "model_rollout.modes.multi_model",
}


@dataclass(frozen=True)
class Recovered:
    """What a mode undid of a deployment that died half-way: RecoverEndpoint records that
    deployment ABORTED with ``cause`` and cleans up after it, as for a config it restores."""

    dead_deployment_id: str
    cause: str
    change: EndpointChange


class Mode:
    """The real-time mode, and every mode's defaults: each hook answers "as real-time"."""

    name = "real_time"

    def endpoint_config(self, policy: Policy) -> dict[str, Any] | None:
        """Extra top-level members of every endpoint config the release creates."""
        return None

    def prepare_release(
        self,
        deployment: Deployment,
        *,
        releases: Releases,
        artifacts: Any,
        tags: Mapping[str, str],
        resource_prefix: str,
    ) -> Release | None:
        """Tag in this mode's way, or ``None``: the real-time release (model, configs)."""
        return None

    def deploy(
        self, deployment: Deployment, *, endpoints: Endpoints, runtime: Any, records: Any
    ) -> EndpointChange | None:
        """Deploy in this mode's way, or ``None``: create / update the endpoint's config."""
        return None

    def created_endpoint_tags(self, release: Release) -> dict[str, str]:
        """Tags a first deployment's endpoint gets besides the release's lineage."""
        return {}

    def restore_config(
        self, deployment: Deployment, *, endpoints: Endpoints
    ) -> EndpointChange | None:
        """RestoreConfig in this mode's way, or ``None``: the previous config back."""
        return None

    def recover(
        self,
        deployment: Deployment,
        described: dict[str, Any],
        *,
        endpoints: Endpoints,
        records: RecordStore,
    ) -> Recovered | None:
        """Undo a dead deployment's half-way state that is not a config, or ``None``."""
        return None

    def after_promotion(self, deployment: Deployment, scaling: Any) -> dict[str, Any] | None:
        """What Finalize sets up for the promoted release (``None``: nothing)."""
        return None

    def rolled_back_serving(self, deployment: Deployment) -> str | None:
        """What serves again after a rollback, or ``None``: the previous config does."""
        return None


REAL_TIME = Mode()


def mode_of(policy: Policy) -> Mode:
    """The mode a policy names (its module imported on first use)."""
    module = MODULES[policy.mode]
    if module is None:
        return REAL_TIME
    mode = importlib.import_module(module).MODE
    assert isinstance(mode, Mode), f"{module}.MODE is not a Mode"
    return mode
