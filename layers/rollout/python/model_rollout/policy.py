"""The deployment policy of a model package group (SSM: <prefix><ModelPackageGroupName>).

Unknown fields are an error, never ignored: a misspelt threshold must not silently become
the default.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model_rollout.errors import InvalidPolicy


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AllAtOnceStrategy(StrictModel):
    """Blue/green: all traffic to green at once; blue stays provisioned at weight 0 until
    the bake passes, so a rollback is a weight shift."""

    type: Literal["all_at_once"] = "all_at_once"
    bake_seconds: int = Field(default=600, ge=1, le=86_400)


Strategy = Annotated[AllAtOnceStrategy, Field(discriminator="type")]


class AlarmPolicy(StrictModel):
    max_error_rate: float = Field(default=0.01, ge=0, le=1)
    max_p99_latency_ms: float = Field(default=500, gt=0)
    period_seconds: int = Field(default=60, ge=10)
    evaluation_periods: int = Field(default=1, ge=1, le=100)
    extra_alarm_names: list[str] = Field(default_factory=list)


class ValidationPolicy(StrictModel):
    metric: str = "accuracy"
    greater_is_better: bool = True
    min_value: float | None = None
    max_regression: float | None = Field(default=None, ge=0)


class Policy(StrictModel):
    endpoint_name: str = Field(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    instance_type: str = "ml.m5.large"
    instance_count: int = Field(default=1, ge=1, le=100)
    strategy: Strategy = Field(default_factory=AllAtOnceStrategy)
    alarms: AlarmPolicy = Field(default_factory=AlarmPolicy)
    validation: ValidationPolicy = Field(default_factory=ValidationPolicy)
    required_metadata: list[str] = Field(
        default_factory=lambda: ["git_commit", "data_version", "build_id"]
    )
    allow_strategy_override: bool = False


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors()
    )


def parse_policy(raw: str, *, source: str) -> Policy:
    """Parse a policy document; every problem is named, with where it came from."""
    try:
        return Policy.model_validate_json(raw)
    except ValidationError as error:
        raise InvalidPolicy(f"policy {source} is invalid: {_describe(error)}") from None


def parse_strategy_override(raw: str, *, source: str) -> Strategy:
    """A package's `rollout:strategy` override (JSON of one strategy)."""
    try:
        return Policy.model_validate({"endpoint_name": "x", "strategy": json.loads(raw)}).strategy
    except (ValueError, ValidationError) as error:
        detail = _describe(error) if isinstance(error, ValidationError) else str(error)
        raise InvalidPolicy(f"strategy override in {source} is invalid: {detail}") from None
