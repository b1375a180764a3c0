"""Tag (PrepareRelease): creates the release's tagged Model and EndpointConfigs ($.release)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.multi_model import ModelArtifacts
from model_rollout.adapters.releases import Releases
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.prepare_release import prepare_release

logger = Logger()
tracer = Tracer()
metrics = Metrics()
releases = Releases()  # the client is created on first use
artifacts = ModelArtifacts()  # mode multi_model: the versioned artifact copy


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    release = prepare_release(event, releases, artifacts=artifacts)
    logger.info("release prepared", extra={"release": release.model_dump(mode="json")})
    metrics.add_metric(name="ReleasesPrepared", unit=MetricUnit.Count, value=1)
    return release.model_dump(mode="json")
