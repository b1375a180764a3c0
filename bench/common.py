"""What every benchmark shares: a group of versions to approve, percentiles, a policy."""

from __future__ import annotations

import statistics
from typing import Any

from model_rollout.domain.policy import default_policy
from rollout_local.workbench import Workbench, linear_model, quality_report


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float], digits: int = 3) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "p95": round(percentile(values, 0.95), digits),
    }


def policy(
    endpoint: str, bake_seconds: int, strategy: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """The domain's default policy with the benchmarks' bake, alarms and quality gate."""
    return default_policy(
        endpoint,
        **{
            "strategy": strategy or {"type": "all_at_once", "bake_seconds": bake_seconds},
            "alarms": {"max_error_rate": 0.05, "period_seconds": 10},
            "validation": {"metric": "accuracy", "min_value": 0.5, "max_regression": 0.05},
            **extra,
        },
    )


class Fleet:
    """One model package group deploying to one endpoint; each call approves a new version."""

    def __init__(self, bench: Workbench, name: str, bake_seconds: int = 1) -> None:
        self.bench, self.group, self.endpoint, self.count = bench, name, name, 0
        self.set_bake(bake_seconds)

    def set_bake(self, bake_seconds: int, strategy: dict[str, Any] | None = None) -> None:
        self.bench.put_policy(self.group, policy(self.endpoint, bake_seconds, strategy))

    def approve(self, error_rate: float = 0.0) -> str:
        self.count += 1
        name = f"{self.group}-v{self.count}"
        arn = self.bench.register(
            self.group,
            model_url=self.bench.upload_model(
                name, linear_model([0.3, 0.2], error_rate=error_rate)
            ),
            report_url=self.bench.upload_report(name, quality_report("accuracy", 0.9)),
            metadata={"git_commit": "bench", "data_version": "bench", "build_id": str(self.count)},
        )
        self.bench.approve(arn)
        return arn

    def deploy(self, timeout: float = 120) -> dict[str, Any]:
        execution = self.bench.wait_for_execution(self.approve(), timeout=timeout)
        if execution["status"] != "SUCCEEDED":
            raise RuntimeError(f"deployment of {self.group} did not succeed: {execution}")
        return execution
