"""A model package group deploying to one endpoint, driven as a person and an app would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rollout_local.workbench import Workbench, linear_model, quality_report


def default_policy(endpoint_name: str, **overrides: Any) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "endpoint_name": endpoint_name,
        "instance_type": "ml.m5.large",
        "instance_count": 1,
        "strategy": {"type": "all_at_once", "bake_seconds": 3},
        "alarms": {
            "max_error_rate": 0.05,
            "max_p99_latency_ms": 500,
            "period_seconds": 10,
            "evaluation_periods": 1,
            "extra_alarm_names": [],
        },
        "validation": {
            "metric": "accuracy",
            "greater_is_better": True,
            "min_value": 0.8,
            "max_regression": 0.02,
        },
        "required_metadata": ["git_commit", "data_version", "build_id"],
    }
    policy.update(overrides)
    return policy


@dataclass
class Scenario:
    """One model package group deploying to one endpoint."""

    bench: Workbench
    group: str
    endpoint: str
    versions: int = 0
    packages: list[str] = field(default_factory=list)

    def policy(self, **overrides: Any) -> dict[str, Any]:
        policy = default_policy(self.endpoint, **overrides)
        self.bench.put_policy(self.group, policy)
        return policy

    def register(
        self,
        *,
        accuracy: float = 0.9,
        error_rate: float = 0.0,
        fail_to_start: bool = False,
        metadata: dict[str, str] | None = None,
        report: dict[str, Any] | str | None = None,
    ) -> str:
        self.versions += 1
        name = f"{self.group}-v{self.versions}"
        model = linear_model([0.5, -0.25, 0.1], error_rate=error_rate, fail_to_start=fail_to_start)
        arn = self.bench.register(
            self.group,
            model_url=self.bench.upload_model(name, model),
            report_url=self.bench.upload_report(
                name, report if report is not None else quality_report("accuracy", accuracy)
            ),
            metadata=metadata
            if metadata is not None
            else {
                "git_commit": f"c0ffee{self.versions}",
                "data_version": f"data-{self.versions}",
                "build_id": f"build-{self.versions}",
            },
        )
        self.packages.append(arn)
        return arn

    def deploy(self, timeout: float = 60, **register: Any) -> tuple[str, dict[str, Any]]:
        """Register and approve a version; return its ARN and its ended execution."""
        arn = self.register(**register)
        self.bench.approve(arn)
        return arn, self.bench.wait_for_execution(arn, timeout=timeout)

    def endpoint_state(self) -> dict[str, Any] | None:
        return self.bench.describe_endpoint(self.endpoint)

    def tags(self) -> dict[str, str]:
        return self.bench.endpoint_tags(self.endpoint)

    def weights(self) -> dict[str, float]:
        return self.bench.weights(self.endpoint)
