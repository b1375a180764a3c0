"""Configuration of the steps, from the environment the template gives every function.

Read on first use, not at import time, so that tests and the local stack can set the
environment first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    deployments_table: str
    waiters_table: str
    policy_parameter_prefix: str
    resource_prefix: str
    retained_releases: int
    endpoint_wait_seconds: int
    sagemaker_execution_role_arn: str

    @classmethod
    def from_environment(cls) -> Settings:
        env = os.environ
        return cls(
            deployments_table=env.get("DEPLOYMENTS_TABLE", "model-rollout-deployments"),
            waiters_table=env.get("WAITERS_TABLE", "model-rollout-waiters"),
            policy_parameter_prefix=env.get("POLICY_PARAMETER_PREFIX", "/model-rollout/policies/"),
            resource_prefix=env.get("RESOURCE_PREFIX", "model-rollout"),
            retained_releases=int(env.get("RETAINED_RELEASES", "3")),
            endpoint_wait_seconds=int(env.get("ENDPOINT_WAIT_SECONDS", "3600")),
            sagemaker_execution_role_arn=env.get(
                "SAGEMAKER_EXECUTION_ROLE_ARN",
                "arn:aws:iam::123456789012:role/model-rollout-sagemaker",
            ),
        )


@cache
def settings() -> Settings:
    return Settings.from_environment()
