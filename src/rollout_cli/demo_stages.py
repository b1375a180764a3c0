"""`rollout demo-stages`: staging, then production, in two accounts of the local stack.

The real template is deployed twice: as staging's stack in account 111111111111 (which also
holds the model registry) and as production's in 222222222222. One policy, with its two
stages, sits in both accounts. v1 (good) is approved: staging deploys and bakes it, hands it
to production through production's promotion role, and production deploys it. v2 (a model
that does not start) fails in staging: it is rolled back there and quarantined in the
registry; production never hears of it. Then someone approves v2 again by hand: refused,
since only `rollout requalify` may do that. Exits non-zero if any outcome differs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console

from model_rollout.domain.policy import default_policy
from rollout_cli.tables import Column, print_table
from rollout_local.stage_accounts import deploy_stage_stacks
from rollout_local.workbench import Workbench, linear_model, quality_report

STAGING = "111111111111"
PRODUCTION = "222222222222"
GROUP = "fraud"
ENDPOINT = "fraud-scoring"
POLICY: dict[str, Any] = default_policy(
    ENDPOINT,
    strategy={"type": "all_at_once", "bake_seconds": 6},
    alarms={"max_error_rate": 0.05, "period_seconds": 10},
    validation={"metric": "accuracy", "min_value": 0.80, "max_regression": 0.02},
    stages=[
        {"name": "staging", "account_id": STAGING},
        {"name": "prod", "account_id": PRODUCTION},
    ],
)


@dataclass(frozen=True)
class Expected:
    account: str
    status: str
    error: str | None


def register(bench: Workbench, number: int, *, fail_to_start: bool = False) -> str:
    name = f"{GROUP}-v{number}"
    model = linear_model([0.6, -0.2, 0.4], bias=0.05 * number, fail_to_start=fail_to_start)
    return bench.register(
        GROUP,
        model_url=bench.upload_model(name, model),
        report_url=bench.upload_report(name, quality_report("accuracy", 0.9)),
        metadata={
            "git_commit": f"{number:x}a7e1c0{number}",
            "data_version": f"s3://fraud-data/2026-12-{number:02d}",
            "build_id": f"build-{200 + number}",
        },
    )


def registry_row(bench: Workbench, arn: str) -> list[str]:
    described = bench.client("sagemaker").describe_model_package(ModelPackageName=arn)
    life_cycle = described.get("ModelLifeCycle") or {}
    return [
        f"v{arn.rsplit('/', 1)[1]}",
        str(described.get("ModelApprovalStatus")),
        str(life_cycle.get("Stage", "")),
        str(life_cycle.get("StageStatus", "")),
        str(life_cycle.get("StageDescription") or described.get("ApprovalDescription", "")),
    ]


def check(
    console: Console, label: str, execution: dict[str, Any], expected: Expected, started: float
) -> bool:
    status, error = execution["status"], execution.get("error")
    ok = (status, error) == (expected.status, expected.error) and execution["executionArn"].split(
        ":"
    )[4] == expected.account
    verdict = "[green]as expected[/]" if ok else "[red]NOT as expected[/]"
    console.print(
        f"{label} (account {expected.account}): [bold]{status}[/] {error or ''} "
        f"after {time.monotonic() - started:.1f}s: {verdict}"
    )
    if execution.get("cause"):
        console.print(f"  cause: {execution['cause']}")
    return ok


def run_story(stack: Any, console: Console) -> bool:
    benches = {
        account: Workbench(endpoint_url=stack.endpoint_url, account_id=account)
        for account in (STAGING, PRODUCTION)
    }
    staging, prod = benches[STAGING], benches[PRODUCTION]
    with console.status("deploying template.yaml as staging's and production's stacks…"):
        deploy_stage_stacks(
            stack, staging=STAGING, production=PRODUCTION, artifact_bucket=staging.bucket
        )
    for bench in benches.values():
        bench.put_policy(GROUP, POLICY)
    ok = True

    console.rule("[bold]v1[/]: a good model, approved once: staging, then production")
    v1 = register(staging, 1)
    started = time.monotonic()
    staging.approve(v1)
    ok &= check(
        console,
        "staging",
        staging.wait_for_execution(v1, timeout=120),
        Expected(STAGING, "SUCCEEDED", None),
        started,
    )
    ok &= check(
        console,
        "production",
        prod.wait_for_execution(v1, timeout=120),
        Expected(PRODUCTION, "SUCCEEDED", None),
        started,
    )

    console.rule("[bold]v2[/]: a model that does not start: fails staging, quarantined")
    v2 = register(staging, 2, fail_to_start=True)
    started = time.monotonic()
    staging.approve(v2)
    ok &= check(
        console,
        "staging",
        staging.wait_for_execution(v2, timeout=120),
        Expected(STAGING, "FAILED", "RolledBack"),
        started,
    )
    handed_on = prod.executions_for(v2)
    console.print(f"production deployments of v2: {len(handed_on)}")
    ok &= not handed_on

    console.rule("[bold]v2[/] approved again by hand: refused (only `rollout requalify` may)")
    started = time.monotonic()
    staging.approve(v2)
    ok &= check(
        console,
        "staging",
        staging.wait_for_execution(v2, timeout=60, started_after=1),
        Expected(STAGING, "FAILED", "Quarantined"),
        started,
    )

    console.rule("where each version is")
    for account, label in ((STAGING, "staging"), (PRODUCTION, "production")):
        tags = benches[account].endpoint_tags(ENDPOINT)
        package = tags.get("rollout:model-package-arn", "?")
        console.print(f"{label} endpoint {ENDPOINT} (account {account}) serves {package}")
        ok &= package == v1
    print_table(
        console,
        [
            Column("version", min_width=7),
            Column("approval", min_width=8),
            Column("stage", min_width=7),
            Column("stage status", min_width=11),
            Column("registry says", min_width=20, hide=1),
        ],
        [registry_row(staging, arn) for arn in (v1, v2)],
        title=f"the registry (account {STAGING})",
    )
    return ok


def demo_stages(
    port: int = typer.Option(0, help="Port of the local stack (0: a free one)."),
) -> None:
    """Staging then production, in two accounts: one version promoted, one quarantined."""
    from rollout_cli.demo import on_local_stack

    console = Console()
    on_local_stack(
        console,
        port,
        lambda stack: run_story(stack, console),
        passed="all stage outcomes as expected",
        failed="the stages demo's outcomes differ from the expected ones",
    )
