"""Does DescribeEndpoint show what an await state waits for?

After every update the control plane checks that DescribeEndpoint shows the config (and the
weights) it asked for: when an update fails, SageMaker rolls the endpoint back and it comes
back ``InService`` on the *old* config, silently. Pure functions of the DescribeEndpoint
response.
"""

from __future__ import annotations

from typing import Any, Literal

from model_rollout.domain.deployment import Expectation
from model_rollout.errors import DeploymentFailed

Check = Literal["met", "pending"]

IN_PROGRESS = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})
SETTLED = frozenset({"InService", "Failed", "OutOfService", "UpdateRollbackFailed"})
WEIGHT_TOLERANCE = 1e-6


def normalize_status(status: str) -> str:
    """``IN_SERVICE`` (EventBridge) and ``InService`` (DescribeEndpoint) → ``InService``."""
    if "_" in status or status.isupper():
        return "".join(part.capitalize() for part in status.lower().split("_"))
    return status


def weights_of(described: dict[str, Any]) -> dict[str, float]:
    """Each variant's current weight (desired weight while that is all there is)."""
    weights = {}
    for variant in described.get("ProductionVariants") or []:
        weight = variant.get("CurrentWeight", variant.get("DesiredWeight"))
        weights[variant["VariantName"]] = float(weight if weight is not None else 0.0)
    return weights


def shares(weights: dict[str, float]) -> dict[str, float] | None:
    """Traffic shares (weights normalized to sum 1); ``None`` when no variant takes traffic."""
    total = sum(weights.values())
    if total <= 0:
        return None
    return {name: weight / total for name, weight in weights.items()}


def _fmt_weights(weights: dict[str, float]) -> str:
    return ", ".join(f"{name}={weight:g}" for name, weight in sorted(weights.items())) or "none"


def describe_state(described: dict[str, Any] | None) -> str:
    """The endpoint's actual state, for a person: config, status, weights, FailureReason."""
    if described is None:
        return "the endpoint does not exist"
    text = (
        f"config {described.get('EndpointConfigName', '?')}, "
        f"status {described.get('EndpointStatus', '?')}, "
        f"weights {_fmt_weights(weights_of(described))}"
    )
    if described.get("FailureReason"):
        text += f", FailureReason: {described['FailureReason']}"
    return text


def summarize(described: dict[str, Any] | None) -> dict[str, Any]:
    """A small summary of the endpoint: the output of an await state."""
    if described is None:
        return {"exists": False}
    summary: dict[str, Any] = {
        "exists": True,
        "endpoint_name": described.get("EndpointName"),
        "endpoint_config_name": described.get("EndpointConfigName"),
        "status": described.get("EndpointStatus"),
        "variants": [
            {
                "variant_name": variant["VariantName"],
                "current_weight": variant.get("CurrentWeight"),
                "desired_weight": variant.get("DesiredWeight"),
                "instance_count": variant.get("CurrentInstanceCount"),
            }
            for variant in described.get("ProductionVariants") or []
        ],
    }
    if described.get("FailureReason"):
        summary["failure_reason"] = described["FailureReason"]
    return summary


def expected_text(expect: Expectation) -> str:
    if expect.absent:
        return "the endpoint deleted"
    if expect.settled:
        return "the endpoint settled"
    parts = []
    if expect.endpoint_config_name:
        parts.append(f"config {expect.endpoint_config_name}")
    if expect.weights:
        parts.append(f"weights {_fmt_weights(expect.weights)}")
    return "InService" + (" on " + ", ".join(parts) if parts else "")


def check(expect: Expectation, described: dict[str, Any] | None) -> Check:
    """``met``, ``pending``, or raises ``DeploymentFailed`` when the endpoint settled elsewhere.

    - ``absent``: met when the endpoint does not exist or is being deleted (nothing serves
      any more, and SageMaker does not reliably report the end of a deletion).
    - ``settled``: met once the endpoint exists and is not changing, whatever its state.
    - otherwise: pending while the endpoint is changing; met when it is ``InService`` on the
      expected config with the expected traffic shares (weights are compared as shares of
      the endpoint's total: ``Expectation.weights`` holds shares, so ``{"green": 1}`` means
      all traffic on green, whatever weight the other variants have as long as it is 0).
    """
    if expect.absent:
        return _check_absent(described)
    if described is None:
        raise DeploymentFailed(
            f"the endpoint does not exist; expected it {expected_text(expect)}. "
            "It was deleted while the deployment was running."
        )
    name = described.get("EndpointName", "the endpoint")
    status = normalize_status(str(described.get("EndpointStatus", "")))
    if status in IN_PROGRESS:
        return "pending"
    if expect.settled:
        return "met"
    reason = described.get("FailureReason")
    if status != "InService":
        raise DeploymentFailed(
            f"endpoint {name} is {status} ({describe_state(described)}); "
            f"expected {expected_text(expect)}"
            + ("" if reason else ". SageMaker gave no FailureReason")
        )
    config = described.get("EndpointConfigName")
    if expect.endpoint_config_name and config != expect.endpoint_config_name:
        raise DeploymentFailed(
            f"endpoint {name} is InService on config {config}, not on the requested "
            f"{expect.endpoint_config_name}: the update failed and SageMaker fell back to "
            f"{config}. FailureReason: {reason or 'none given (see the endpoint events)'}"
        )
    if expect.weights:
        _check_weights(name, expect.weights, weights_of(described), reason)
    return "met"


def _check_absent(described: dict[str, Any] | None) -> Check:
    if described is None:
        return "met"
    status = normalize_status(str(described.get("EndpointStatus", "")))
    if status == "Deleting":
        return "met"
    raise DeploymentFailed(
        f"endpoint {described.get('EndpointName')} still exists ({describe_state(described)}) "
        "although it was to be deleted"
    )


def _check_weights(
    name: str, expected: dict[str, float], actual: dict[str, float], reason: str | None
) -> None:
    missing = sorted(set(expected) - set(actual))
    if missing:
        raise DeploymentFailed(
            f"endpoint {name} has no variant {', '.join(missing)} "
            f"(variants: {', '.join(sorted(actual)) or 'none'})"
        )
    actual_shares = shares(actual)
    if actual_shares is None or any(
        abs(actual_shares[variant] - share) > WEIGHT_TOLERANCE
        for variant, share in expected.items()
    ):
        raise DeploymentFailed(
            f"endpoint {name} is InService with weights {_fmt_weights(actual)}, not the "
            f"requested {_fmt_weights(expected)}: the weight change did not take effect"
            + (f". FailureReason: {reason}" if reason else "")
        )
