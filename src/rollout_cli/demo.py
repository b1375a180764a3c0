"""`rollout demo`: four approvals on the embedded local stack, each with its expected outcome.

v1 (good) creates the endpoint; v2 (good) cuts over, bakes and is promoted; v3 (good offline
metrics, but 30% of its answers are errors) cuts over, its error alarm fires under demo
traffic and it is rolled back to v2; v4 (accuracy below the gate) is rejected and the
endpoint is untouched; v5 goes out as a canary (20% → 50% → 100%, each step watched) and is
promoted; v6 (good offline, 30% errors online) goes out as a canary and is rolled back at its
first step, under live traffic. Exits non-zero if any outcome differs from the expected one.
"""

from __future__ import annotations

import json
import socket
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import typer
from rich.console import Console

from model_rollout.domain.lineage import TAG_DATA_VERSION, TAG_GIT_COMMIT, TAG_MODEL_PACKAGE_ARN
from model_rollout.domain.policy import default_policy
from rollout_cli.tables import Column, print_table
from rollout_local.workbench import Workbench, linear_model, quality_report

GROUP = "churn"
ENDPOINT = "churn-prod"
# the domain's default policy (model_rollout.domain.policy) with what the demo changes: a
# short bake, and alarms and a quality gate fit for the local stack's seconds-long periods
POLICY: dict[str, Any] = default_policy(
    ENDPOINT,
    strategy={"type": "all_at_once", "bake_seconds": 8},
    alarms={"max_error_rate": 0.05, "period_seconds": 10},
    validation={"metric": "accuracy", "min_value": 0.80, "max_regression": 0.02},
)


CANARY: dict[str, Any] = {"type": "canary", "steps": [20, 50], "bake_seconds": 4}


@dataclass(frozen=True)
class Version:
    label: str
    story: str
    accuracy: float
    error_rate: float
    expected_status: str
    expected_error: str | None
    strategy: dict[str, Any] | None = None  # the group's strategy from this version on


VERSIONS = [
    Version(
        "v1", "good model, first deployment: creates the endpoint", 0.90, 0.0, "SUCCEEDED", None
    ),
    Version("v2", "better model: cut over, bake, promote", 0.91, 0.0, "SUCCEEDED", None),
    Version(
        "v3",
        "good offline metrics, 30% errors online: alarm, rollback to v2",
        0.92,
        0.3,
        "FAILED",
        "RolledBack",
    ),
    Version(
        "v4",
        "accuracy 0.70, below the gate: rejected, endpoint untouched",
        0.70,
        0.0,
        "FAILED",
        "ValidationFailed",
    ),
    Version(
        "v5",
        "canary: 20% → 50% → 100% of traffic, each step watched, then promoted",
        0.93,
        0.0,
        "SUCCEEDED",
        None,
        CANARY,
    ),
    Version(
        "v6",
        "canary, 30% errors online: alarm at its first step, traffic back to v5",
        0.94,
        0.3,
        "FAILED",
        "RolledBack",
        {**CANARY, "bake_seconds": 30},
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def print_timeline(console: Console, bench: Workbench, execution: dict[str, Any]) -> None:
    """States in the order entered, with how long each took, like the console's view."""
    events = bench.history(execution["executionArn"])
    entered: dict[str, datetime] = {}
    rows: list[tuple[str, float]] = []
    for event in events:
        if "stateEnteredEventDetails" in event:
            entered[event["stateEnteredEventDetails"]["name"]] = event["timestamp"]
        elif "stateExitedEventDetails" in event:
            name = event["stateExitedEventDetails"]["name"]
            start = entered.pop(name, event["timestamp"])
            rows.append((name, (event["timestamp"] - start).total_seconds()))
    for name, start in entered.items():  # entered but never exited: where it failed
        rows.append((name, (events[-1]["timestamp"] - start).total_seconds()))
    print_table(
        console,
        [Column("state", min_width=12), Column("seconds", justify="right")],
        [[name, f"{seconds:.2f}"] for name, seconds in rows],
    )


def traffic_steps(bench: Workbench, execution: dict[str, Any]) -> str:
    """The weights each traffic step of a canary/linear deployment asked for."""
    shares = []
    for event in bench.history(execution["executionArn"]):
        exited = event.get("stateExitedEventDetails") or {}
        if exited.get("name") == "NextStep" and exited.get("output"):
            step = json.loads(exited["output"]).get("step") or {}
            shares.append(f"{step.get('percent', 0):g}%")
    return " → ".join(shares)


def endpoint_summary(bench: Workbench) -> str:
    described = bench.describe_endpoint(ENDPOINT)
    if described is None:
        return f"{ENDPOINT}: does not exist"
    tags = bench.endpoint_tags(ENDPOINT)
    variants = ", ".join(
        f"{v['VariantName']}={float(v.get('CurrentWeight', 0)):g}"
        for v in described["ProductionVariants"]
    )
    package = tags.get(TAG_MODEL_PACKAGE_ARN, "?").rsplit("/", 2)
    return (
        f"endpoint {ENDPOINT}: {described['EndpointStatus']} on "
        f"{described['EndpointConfigName']} (weights {variants}); serving "
        f"{package[-2]} v{package[-1]}, commit {tags.get(TAG_GIT_COMMIT, '?')}, "
        f"data {tags.get(TAG_DATA_VERSION, '?')}"
    )


def register_version(bench: Workbench, number: int, version: Version) -> str:
    name = f"{GROUP}-{version.label}"
    model = linear_model([0.8, -0.4, 0.3], bias=0.1 * number, error_rate=version.error_rate)
    return bench.register(
        GROUP,
        model_url=bench.upload_model(name, model),
        report_url=bench.upload_report(name, quality_report("accuracy", version.accuracy)),
        metadata={
            "git_commit": f"{number:x}f3c2a1{number}",
            "data_version": f"s3://churn-data/2026-11-{number:02d}",
            "build_id": f"build-{100 + number}",
        },
    )


def run_story(bench: Workbench, console: Console) -> bool:
    bench.put_policy(GROUP, POLICY)
    all_as_expected = True
    outcomes: Counter[str] | None = None
    with ExitStack() as running:
        for number, version in enumerate(VERSIONS, start=1):
            console.rule(f"[bold]{version.label}[/]: {version.story}")
            if version.strategy is not None:
                bench.put_policy(GROUP, {**POLICY, "strategy": version.strategy})
            package_arn = register_version(bench, number, version)
            started = time.monotonic()
            bench.approve(package_arn)
            execution = bench.wait_for_execution(package_arn, timeout=120)
            elapsed = time.monotonic() - started
            print_timeline(console, bench, execution)
            steps = traffic_steps(bench, execution)
            if steps:
                console.print(f"traffic steps (new variant's share): {steps}")
            status, error = execution["status"], execution.get("error")
            ok = status == version.expected_status and error == version.expected_error
            all_as_expected &= ok
            verdict = "[green]as expected[/]" if ok else "[red]NOT as expected[/]"
            console.print(f"outcome: [bold]{status}[/] {error or ''} in {elapsed:.1f}s: {verdict}")
            if execution.get("cause"):
                console.print(f"cause: {execution['cause']}")
            console.print(endpoint_summary(bench))
            if outcomes is None:  # the application starts calling once the endpoint exists
                outcomes = running.enter_context(bench.traffic(ENDPOINT, rate_per_second=25))
    console.print(f"demo traffic (requests by variant and outcome): {dict(outcomes or {})}")
    return all_as_expected


def start_console(endpoint_url: str, port: int = 0) -> tuple[str, Callable[[], None]]:
    """The console of the demo's stack on a thread of this process: its address, its stop."""
    from rollout_cli.console.app import create_app, serve_in_background
    from rollout_cli.context import Context

    app = create_app(Context.create(endpoint_url=endpoint_url), interval=1.0)
    return serve_in_background(app, port=port)


def on_local_stack(
    console: Console, port: int, story: Callable[[Any], bool], *, passed: str, failed: str
) -> None:
    """Run ``story`` on a local stack of its own (started, then stopped); exit 1 unless it
    says every outcome was as expected."""
    from rollout_local.server import LocalStack

    with console.status("starting the local stack (template.yaml on moto)…"):
        stack = LocalStack(port=port or free_port())
        stack.start()
    try:
        console.print(f"local stack ready at {stack.endpoint_url}")
        ok = story(stack)
    finally:
        stack.stop()
    console.rule()
    if not ok:
        console.print(f"[red bold]{failed}[/]")
        raise typer.Exit(1)
    console.print(f"[green bold]{passed}[/]")


def demo(
    port: int = typer.Option(0, help="Port of the local stack (0: a free one)."),
    with_console: bool = typer.Option(
        False,
        "--console",
        help="Also serve `rollout console` (read-only, 127.0.0.1) on the demo's stack while "
        "the demo runs, and print its address.",
    ),
    console_port: int = typer.Option(0, help="With --console: its port (0: a free one)."),
) -> None:
    """Six approvals become six deployments: blue/green, rollback, gate, canaries."""
    console = Console()

    def story(stack: Any) -> bool:
        stop_console = None
        try:
            if with_console:
                address, stop_console = start_console(stack.endpoint_url, console_port)
                console.print(
                    f"rollout console on [bold]{address}[/] (read-only) while the demo runs"
                )
            return run_story(Workbench(endpoint_url=stack.endpoint_url), console)
        finally:
            if stop_console is not None:
                stop_console()

    on_local_stack(
        console,
        port,
        story,
        passed=f"all {len(VERSIONS)} outcomes as expected",
        failed="the demo's outcomes differ from the expected ones",
    )
