"""Staging's and production's stacks of the template, each in its own account of one local
stack, set up for stages across accounts (docs/stages.md, "what to deploy where").

Staging's account holds the model registry and lets production's read it and write back
(``RegistryReaderAccounts``); production's lets staging's hand versions over
(``PromotionSourceAccounts``) and accepts events naming packages of staging's account
(``AllowedEventAccounts``). Both read the artifacts from ``artifact_bucket`` (staging's).
"""

from __future__ import annotations

from typing import Any

from rollout_local.server import LocalStack


def deploy_stage_stacks(
    stack: LocalStack,
    *,
    staging: str,
    production: str,
    artifact_bucket: str,
    names: tuple[str, str] = ("staging", "production"),
    overrides: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Deploy the two stacks; returns them by account."""
    common = dict(overrides or {})
    return {
        staging: stack.deploy(
            stack.template_path,
            stack_name=names[0],
            account_id=staging,
            parameter_overrides={
                **common,
                "RegistryReaderAccounts": production,
                "ArtifactBucket": artifact_bucket,
            },
        ),
        production: stack.deploy(
            stack.template_path,
            stack_name=names[1],
            account_id=production,
            parameter_overrides={
                **common,
                "PromotionSourceAccounts": staging,
                "AllowedEventAccounts": f"{production},{staging}",
                "ArtifactBucket": artifact_bucket,
            },
        ),
    }
