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
    reports_bucket: str = ""
    # endpoint locks (model_rollout.workflow.locks) and allowed event origins (event_origin)
    locks_table: str = "model-rollout-locks"
    lock_poll_seconds: int = 300
    lock_lease_seconds: int = 172_800
    allowed_event_accounts: tuple[str, ...] = ()
    stack_account: str = ""
    stack_region: str = ""

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
            reports_bucket=env.get("REPORTS_BUCKET", ""),
            locks_table=env.get("LOCKS_TABLE", "model-rollout-locks"),
            lock_poll_seconds=int(env.get("ENDPOINT_LOCK_POLL_SECONDS", "300")),
            lock_lease_seconds=int(env.get("ENDPOINT_LOCK_LEASE_SECONDS", "172800")),
            allowed_event_accounts=tuple(
                a.strip() for a in env.get("ALLOWED_EVENT_ACCOUNTS", "").split(",") if a.strip()
            ),
            stack_account=env.get("STACK_ACCOUNT_ID", ""),
            stack_region=env.get("STACK_REGION", ""),
        )


@cache
def settings() -> Settings:
    return Settings.from_environment()
