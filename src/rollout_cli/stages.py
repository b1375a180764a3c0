"""A version's way through the stages, as the registry records it, and its requalification.

``status`` reads the package (approval status and description, ``ModelLifeCycle``).
``requalify`` is the one way to approve a quarantined version again: it names who (the
caller's identity) and why, writes that to the package's ``ModelLifeCycle`` and
``ApprovalDescription``, then approves it, which deploys it to the first stage again.
"""

from __future__ import annotations

from typing import Any

from model_rollout.adapters.registry import ModelRegistry
from model_rollout.domain.stages import QUARANTINED, REQUALIFIED
from rollout_cli.context import CliError, Context


def _registry(ctx: Context) -> ModelRegistry:
    return ModelRegistry(sagemaker=ctx.client("sagemaker"), s3=ctx.client("s3"))


def status(ctx: Context, package_arn: str) -> dict[str, Any]:
    from model_rollout.errors import ModelPackageNotFound

    try:
        package = _registry(ctx).describe(package_arn)
    except ModelPackageNotFound as error:
        raise CliError(str(error)) from None
    return {
        "model_package_arn": package.arn,
        "approval_status": package.approval_status,
        "approval_description": package.approval_description,
        "stage": package.life_cycle.stage,
        "stage_status": package.life_cycle.stage_status,
        "stage_description": package.life_cycle.stage_description,
        "quarantined": package.life_cycle.stage_status == QUARANTINED,
    }


def _caller(ctx: Context) -> str:
    try:
        return str(ctx.client("sts").get_caller_identity()["Arn"])
    except Exception as error:  # an identity is informative; the reason is required
        raise CliError(f"cannot tell who you are (sts:GetCallerIdentity): {error}") from None


def requalify(ctx: Context, package_arn: str, reason: str) -> dict[str, Any]:
    """Approve a quarantined version again, saying who and why."""
    if not reason.strip():
        raise CliError("say why the version may be deployed again (--reason)")
    before = status(ctx, package_arn)
    if not before["quarantined"]:
        raise CliError(
            f"{package_arn} is not quarantined (its ModelLifeCycle is stage "
            f"{before['stage']!r}, status {before['stage_status']!r}); approve it as usual"
        )
    who = _caller(ctx)
    text = f"requalified by {who}: {reason.strip()} (was: {before['stage_description']})"
    text = text if len(text) <= 1024 else text[:1023] + "…"
    _registry(ctx).approve(
        package_arn,
        description=text,
        life_cycle={
            "Stage": before["stage"] or "requalified",
            "StageStatus": REQUALIFIED,
            "StageDescription": text,
        },
    )
    return {**status(ctx, package_arn), "requalified_by": who, "reason": reason.strip()}
