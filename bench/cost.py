"""Cost per deployment: state transitions and Lambda invocations, priced at list prices.

A deployment's transitions must not depend on its bake: the bake is one task waiting on a
token, ended by its timeout or by an alarm's event, so a 60 s bake costs what a 5 s one does.
"""

from __future__ import annotations

from typing import Any

from bench.common import Fleet
from rollout_local.workbench import Workbench

# Public list prices, us-east-1: Step Functions Standard, per state transition; Lambda, per
# request and per GB-second (x86, 256 MB as in the template, ~100 ms billed per step).
PRICE_PER_TRANSITION_USD = 0.000025
PRICE_PER_LAMBDA_REQUEST_USD = 0.0000002
PRICE_PER_GB_SECOND_USD = 0.0000166667
LAMBDA_GB_SECONDS_PER_STEP = 0.25 * 0.1


def counts(bench: Workbench, execution_arn: str) -> dict[str, int]:
    history = bench.history(execution_arn)
    return {
        "history_events": len(history),
        "state_transitions": sum(1 for e in history if "stateEnteredEventDetails" in e),
        "lambda_invocations": sum(
            1 for e in history if e["type"] in ("LambdaFunctionScheduled", "TaskScheduled")
        ),
    }


def price(transitions: int, invocations: int) -> float:
    lambda_cost = invocations * (
        PRICE_PER_LAMBDA_REQUEST_USD + LAMBDA_GB_SECONDS_PER_STEP * PRICE_PER_GB_SECOND_USD
    )
    return round(transitions * PRICE_PER_TRANSITION_USD + lambda_cost, 6)


def per_deployment(bench: Workbench, bakes: tuple[int, int] = (5, 60)) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for bake in bakes:
        fleet = Fleet(bench, f"bench-cost-{bake}", bake_seconds=1)
        fleet.deploy()
        fleet.set_bake(bake)
        measured = counts(bench, fleet.deploy(timeout=bake + 120)["executionArn"])
        for name, value in measured.items():
            figures[f"all_at_once_bake_{bake}s_{name}"] = value
    short, long = bakes
    transitions = figures[f"all_at_once_bake_{short}s_state_transitions"]
    invocations = figures[f"all_at_once_bake_{short}s_lambda_invocations"]
    figures["all_at_once_transitions_equal_across_bakes"] = (
        transitions == figures[f"all_at_once_bake_{long}s_state_transitions"]
    )
    figures["all_at_once_list_price_usd_per_deployment"] = price(transitions, invocations)
    # The same bake watched by polling every 10 s costs one Wait + one check per poll.
    figures["polling_10s_extra_transitions_per_hour_of_bake"] = 2 * 3600 // 10
    return figures
