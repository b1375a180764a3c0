"""Cost per deployment: state transitions and Lambda invocations, priced at list prices.

A deployment's transitions must not depend on its bake: the bake is one task waiting on a
token, ended by its timeout or by an alarm's event, so a 60 s bake costs what a 5 s one does.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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


STRATEGIES: dict[str, Callable[[int], dict[str, Any]]] = {
    "all_at_once": lambda bake: {"type": "all_at_once", "bake_seconds": bake},
    "canary": lambda bake: {"type": "canary", "steps": [20, 50], "bake_seconds": bake},
    "linear": lambda bake: {"type": "linear", "step_percent": 50, "interval_seconds": bake},
}


def _second_deployment(bench: Workbench, strategy: str, bake: int) -> dict[str, int]:
    fleet = Fleet(bench, f"bench-cost-{strategy.replace('_', '-')}-{bake}")
    fleet.deploy()
    fleet.set_bake(bake, STRATEGIES[strategy](bake))
    return counts(bench, fleet.deploy(timeout=4 * bake + 120)["executionArn"])


def per_deployment(bench: Workbench, bakes: tuple[int, int] = (3, 20)) -> dict[str, Any]:
    """Each strategy's second deployment (the first creates the endpoint), at two bakes.
    The six run side by side, each on its own endpoint: counts do not depend on timing."""
    figures: dict[str, Any] = {}
    short, long = bakes
    with ThreadPoolExecutor(max_workers=len(STRATEGIES) * len(bakes)) as pool:
        futures = {
            (strategy, bake): pool.submit(_second_deployment, bench, strategy, bake)
            for strategy in STRATEGIES
            for bake in bakes
        }
        measured = {key: future.result() for key, future in futures.items()}
    for strategy in STRATEGIES:
        transitions = measured[strategy, short]["state_transitions"]
        invocations = measured[strategy, short]["lambda_invocations"]
        figures[f"{strategy}_state_transitions"] = transitions
        figures[f"{strategy}_lambda_invocations"] = invocations
        figures[f"{strategy}_history_events_bake_{short}s_vs_{long}s"] = (
            f"{measured[strategy, short]['history_events']} vs "
            f"{measured[strategy, long]['history_events']}"
        )
        figures[f"{strategy}_list_price_usd"] = price(transitions, invocations)
    # The same bake watched by polling every 10 s costs one Wait + one check per poll.
    figures["polling_10s_extra_transitions_per_hour_of_bake"] = 2 * 3600 // 10
    return figures
