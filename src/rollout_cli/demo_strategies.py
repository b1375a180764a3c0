"""`rollout demo-strategies`: shadow comparisons and A/B tests on the embedded local stack.

v1 creates the endpoint; v2 runs as a shadow of v1 on live traffic (its scores nearly agree),
the comparison accepts it and the follow-up canary (50 % → 100 %) promotes it; v3 runs as a
shadow of v2 but says "yes" where v2 says "no": the comparison rejects it (ShadowRejected, the
shadow variant removed, the report in S3); v4 is A/B-tested against v2 and converts better:
challenger_wins, it takes all traffic; v5 is A/B-tested against v4 and converts no better:
inconclusive, v4 kept (ABIncumbentKept). The application reports each unit's conversion per
variant (CloudWatch custom metric). Then the A/B results of the endpoint, oldest first: the
staleness curve. Exits non-zero if any outcome differs from the expected one.
"""

from __future__ import annotations

import random
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console

from rollout_cli.demo import POLICY, endpoint_summary, on_local_stack, print_timeline
from rollout_cli.tables import Column, print_table
from rollout_local.experiment_workbench import publish_outcomes
from rollout_local.workbench import Workbench, linear_model, quality_report

GROUP = "churn"
ENDPOINT = "churn-prod"
NAMESPACE = "Churn/Experiments"
SHADOW: dict[str, Any] = {
    "type": "shadow",
    "sample_percent": 100,
    "duration_seconds": 6,
    "comparison": {"min_pairs": 30, "min_agreement": 0.9, "max_psi": 0.2},
    "then": {"type": "canary", "percent": 50, "bake_seconds": 3},
}
AB: dict[str, Any] = {
    "type": "ab",
    "weights": {"incumbent": 50, "challenger": 50},
    "metric": {"name": "Renewed", "namespace": NAMESPACE, "kind": "conversion"},
    "min_samples_per_variant": 500,
    "alpha": 0.05,
    "duration_seconds": 5,
}


@dataclass(frozen=True)
class Version:
    label: str
    story: str
    bias: float
    strategy: dict[str, Any]
    expected_status: str
    expected_error: str | None
    # A/B: conversion rates the application observes (incumbent, challenger)
    rates: tuple[float, float] | None = None


VERSIONS = [
    Version(
        "v1",
        "first deployment",
        0.0,
        {"type": "all_at_once", "bake_seconds": 3},
        "SUCCEEDED",
        None,
    ),
    Version(
        "v2",
        "shadow of v1 on live traffic; outputs agree → follow-up canary promotes it",
        0.05,
        SHADOW,
        "SUCCEEDED",
        None,
    ),
    Version(
        "v3",
        "shadow of v2 that says 'yes' where v2 says 'no' → ShadowRejected",
        3.0,
        SHADOW,
        "FAILED",
        "ShadowRejected",
    ),
    Version(
        "v4",
        "A/B against v2: renews 13.5% vs 10% → challenger_wins, takes all traffic",
        0.1,
        AB,
        "SUCCEEDED",
        None,
        (0.10, 0.135),
    ),
    Version(
        "v5",
        "A/B against v4: renews no better → inconclusive, v4 kept (ABIncumbentKept)",
        0.15,
        AB,
        "FAILED",
        "ABIncumbentKept",
        (0.135, 0.136),
    ),
]


def register_version(bench: Workbench, number: int, version: Version) -> str:
    name = f"{GROUP}-{version.label}"
    model = linear_model([0.8, -0.4, 0.3], bias=version.bias)
    return bench.register(
        GROUP,
        model_url=bench.upload_model(name, model),
        report_url=bench.upload_report(name, quality_report("accuracy", 0.9 + number / 100)),
        metadata={
            "git_commit": f"{number:x}e7d5b{number}",
            "data_version": f"s3://churn-data/2026-12-{number:02d}",
            "build_id": f"build-{200 + number}",
        },
    )


def report_outcomes(bench: Workbench, execution_arn: str, rates: tuple[float, float]) -> None:
    """The application's side of the A/B test: each unit's renewal, per variant."""
    bench.wait_for_state(execution_arn, "WatchAB", timeout=60)
    weights = bench.weights(ENDPOINT)
    tag = bench.state_output(execution_arn, "Tag") or {}
    challenger = tag["release"]["variant_name"]
    incumbent = next(v for v in weights if v != challenger)
    rng = random.Random(len(challenger))
    for variant, rate in ((incumbent, rates[0]), (challenger, rates[1])):
        units = [1.0 if rng.random() < rate else 0.0 for _ in range(3000)]
        publish_outcomes(
            bench, ENDPOINT, variant, namespace=NAMESPACE, metric="Renewed", values=units
        )


def shadow_summary(bench: Workbench, execution_arn: str) -> str | None:
    document = bench.state_output(execution_arn, "CompareShadow")
    if not document:
        return None
    shadow = document["shadow"]
    checks = ", ".join(
        f"{c['name']} {c['value']:.3g}{'' if c['passed'] else ' FAILED'}"
        for c in shadow["checks"]
        if c["value"] is not None
    )
    return f"shadow: {shadow['verdict']} ({checks}); summary {shadow['summary_url']}"


def ab_summary(bench: Workbench, execution_arn: str) -> str | None:
    document = bench.state_output(execution_arn, "EvaluateAB")
    if not document:
        return None
    ab = document["ab"]
    arms = ab["variants"]
    lift = ab.get("lift") or {}
    return (
        f"A/B: {ab['verdict']}: incumbent {arms['incumbent']['mean']:.4f} "
        f"[{arms['incumbent']['interval'][0]:.4f}, {arms['incumbent']['interval'][1]:.4f}] vs "
        f"challenger {arms['challenger']['mean']:.4f} "
        f"[{arms['challenger']['interval'][0]:.4f}, {arms['challenger']['interval'][1]:.4f}]; "
        f"lift {lift.get('absolute', 0):+.4f} (relative {100 * (lift.get('relative') or 0):+.1f}%)"
        f", p = {ab['p_value']:.3g}; SRM p = {ab['srm']['p_value']:.3g}"
    )


def print_staleness(console: Console, bench: Workbench, table_name: str) -> None:
    from model_rollout.adapters.ab_results import ABResults
    from model_rollout.strategies.ab import list_ab_results

    results = list_ab_results(
        ENDPOINT, results=ABResults(bench.client("dynamodb"), table_name=table_name)
    )
    rows = []
    for result in results:
        rel = result.get("relative_lift")
        rows.append(
            [
                str(result["ended_at"]),
                str(result["challenger_package_arn"]).rsplit("/", 1)[-1],
                result["verdict"],
                "n/a" if rel is None else f"{rel * 100:+.1f}%",
                "n/a" if result.get("p_value") is None else f"{result['p_value']:.3g}",
            ]
        )
    print_table(
        console,
        [
            Column("ended", min_width=19),
            Column("challenger", min_width=10),
            Column("verdict", min_width=12),
            Column("relative lift", justify="right", hide=1),
            Column("p", justify="right", hide=2),
        ],
        rows,
        title=f"A/B results of {ENDPOINT}, oldest first",
    )


def run_story(bench: Workbench, console: Console, table_name: str) -> bool:
    all_as_expected = True
    with ExitStack() as running:
        for number, version in enumerate(VERSIONS, start=1):
            console.rule(f"[bold]{version.label}[/]: {version.story}")
            bench.put_policy(GROUP, {**POLICY, "strategy": version.strategy})
            package_arn = register_version(bench, number, version)
            bench.approve(package_arn)
            if version.rates is not None:
                report_outcomes(bench, bench.running_execution(package_arn), version.rates)
            execution = bench.wait_for_execution(package_arn, timeout=180)
            print_timeline(console, bench, execution)
            for line in (
                shadow_summary(bench, execution["executionArn"]),
                ab_summary(bench, execution["executionArn"]),
            ):
                if line:
                    console.print(line)
            status, error = execution["status"], execution.get("error")
            ok = status == version.expected_status and error == version.expected_error
            all_as_expected &= ok
            verdict = "[green]as expected[/]" if ok else "[red]NOT as expected[/]"
            console.print(f"outcome: [bold]{status}[/] {error or ''}: {verdict}")
            if execution.get("cause"):
                console.print(f"cause: {execution['cause']}")
            console.print(endpoint_summary(bench))
            if number == 1:  # the application calls the endpoint once it exists
                running.enter_context(bench.traffic(ENDPOINT, rate_per_second=25))
    print_staleness(console, bench, table_name)
    return all_as_expected


def demo_strategies(
    port: int = typer.Option(0, help="Port of the local stack (0: a free one)."),
) -> None:
    """Shadow comparisons (accepted, rejected) and A/B tests (challenger wins, inconclusive)."""
    console = Console()
    on_local_stack(
        console,
        port,
        lambda stack: run_story(
            Workbench(endpoint_url=stack.endpoint_url), console, stack.resources["ABResultsTable"]
        ),
        passed=f"all {len(VERSIONS)} outcomes as expected",
        failed="the demo's outcomes differ from the expected ones",
    )
