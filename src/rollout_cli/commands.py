"""The operator commands: deployments, show, watch, promote, abort, approve, rollback,
lineage, experiments, report, diagram, console. Each works against AWS
(``--profile``/``--region``) or the local stack (``--local`` / ``--endpoint-url`` /
``AWS_ENDPOINT_URL``), and prints JSON with ``--json`` (``console``: a local web page).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from rollout_cli.context import DEFAULT_STACK, CliError, Context
from rollout_cli.tables import Column, print_block, print_fields, print_table

err = Console(stderr=True, soft_wrap=True)


def _console() -> Console:
    """stdout, as wide as the terminal (or ``COLUMNS``) is at the time of the command."""
    return Console()


Local = Annotated[
    bool,
    typer.Option("--local", help="The local stack: http://127.0.0.1:4566 (or --endpoint-url)."),
]
EndpointUrl = Annotated[
    str | None,
    typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL", help="AWS API endpoint URL."),
]
Profile = Annotated[str | None, typer.Option("--profile", help="AWS profile.")]
Region = Annotated[str | None, typer.Option("--region", help="AWS region.")]
StackName = Annotated[
    str, typer.Option("--stack-name", help="CloudFormation stack of model-rollout.")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
Deployment = Annotated[
    str, typer.Argument(help="Deployment id (execution name), execution ARN or unique prefix.")
]

STATUS_STYLES = {
    "succeeded": "green",
    "caught": "yellow",
    "failed": "red",
    "running": "cyan",
    "not reached": "dim",
    "PROMOTED": "green",
    "SUCCEEDED": "green",
    "RUNNING": "cyan",
    "ROLLED_BACK": "yellow",
    "FAILED": "red",
    "ROLLBACK_FAILED": "red bold",
    "OK": "green",
    "ALARM": "red bold",
    "INSUFFICIENT_DATA": "dim",
    # a package's ModelLifeCycle.StageStatus (model_rollout.domain.stages)
    "Succeeded": "green",
    "InProgress": "cyan",
    "Quarantined": "red bold",
    "Requalified": "yellow",
    "Failed": "red",
    "Stopped": "dim",
}


def _ctx(
    local: bool, endpoint_url: str | None, profile: str | None, region: str | None, stack: str
) -> Context:
    return Context.create(
        local=local, endpoint_url=endpoint_url, profile=profile, region=region, stack_name=stack
    )


@contextmanager
def _errors() -> Iterator[None]:
    """Problems an operator can act on: one line, exit 1 (no traceback)."""
    try:
        yield
    except CliError as error:
        err.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from error
    except (ClientError, BotoCoreError) as error:
        err.print(f"[red]AWS error:[/red] {error}")
        raise typer.Exit(1) from error


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _styled(value: Any) -> Text:
    text = "" if value is None else str(value)
    return Text(text, style=STATUS_STYLES.get(text, ""))


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    value = float(value)
    return f"{value:.1f}s" if value < 120 else f"{value / 60:.1f}m"


# ---------------------------------------------------------------------- deployments


def deployments(
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Only this endpoint.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    local: Local = False,
    endpoint_url: EndpointUrl = None,
    profile: Profile = None,
    region: Region = None,
    stack_name: StackName = DEFAULT_STACK,
    as_json: Json = False,
) -> None:
    """Deployments, newest first: endpoint, version, strategy, status, duration, outcome."""
    console = _console()
    from rollout_cli.views import list_deployments, strategy_text

    with _errors():
        ctx = _ctx(local, endpoint_url, profile, region, stack_name)
        rows = list_deployments(ctx, endpoint=endpoint, limit=limit)
    if as_json:
        _print_json(rows)
        return
    columns = [
        Column("deployment", min_width=13),
        Column("endpoint", min_width=10),
        Column("model version", min_width=10, hide=3),
        Column("strategy", min_width=10, hide=5),
        Column("status", min_width=15),
        Column("started", min_width=19, hide=4),
        Column("duration", justify="right", hide=2),
        Column("outcome", min_width=10),
        Column("reason", min_width=12, hide=1),
    ]
    print_table(
        console,
        columns,
        [
            [
                row["deployment_id"],
                row["endpoint"],
                row["model_version"],
                strategy_text(row["strategy"]),
                _styled(row["status"]),
                (row["started"] or "")[:19].replace("T", " "),
                _seconds(row["seconds"]),
                row["outcome"],
                row["reason"],
            ]
            for row in rows
        ],
        title=f"deployments ({ctx.deployments_table})",
    )


# ---------------------------------------------------------------------- show


def show(
    deployment: Deployment,
    io: Annotated[bool, typer.Option("--io", help="Each state's input and output.")] = False,
    local: Local = False,
    endpoint_url: EndpointUrl = None,
    profile: Profile = None,
    region: Region = None,
    stack_name: StackName = DEFAULT_STACK,
    as_json: Json = False,
) -> None:
    """The execution, like the console's view: each state's status and duration, the error."""
    console = _console()
    from rollout_cli.views import execution_view

    with _errors():
        ctx = _ctx(local, endpoint_url, profile, region, stack_name)
        view = execution_view(ctx, deployment, io=io)
    if as_json:
        _print_json(view)
        return
    console.print(
        Text.assemble(
            (view["deployment_id"], "bold"),
            f"  {view['execution_arn']}\nstatus ",
            _styled(view["status"]),
            f"  started {view['started']}  took {_seconds(view['seconds'])}",
        ),
        soft_wrap=not console.is_terminal,
    )
    marks = {"succeeded": "✔", "caught": "↪", "failed": "✘", "running": "…", "not reached": "·"}
    columns = [
        Column("", min_width=1),
        Column("state", min_width=12),
        Column("type", min_width=6, hide=3),
        Column("status", min_width=11),
        Column("run", justify="right", min_width=3, hide=4),
        Column("traffic step", min_width=8, hide=2),
        Column("seconds", justify="right", hide=5),
        Column("error", min_width=10, hide=1),
    ]
    rows: list[list[Any]] = []
    for run in view["runs"]:  # every run, in the order they ran
        step = run.get("traffic_step")
        rows.append(
            [
                marks.get(run["status"], "?"),
                run["name"],
                run["type"],
                _styled(run["status"]),
                f"{run['run']}/{run['runs']}",
                _step_text(step),
                f"{run['seconds']:.2f}",
                run.get("error") or "",
            ]
        )
    for state in view["states"]:  # then the states it did not reach, in the ASL's order
        if not state["visits"]:
            rows.append(
                ["·", state["name"], state["type"], _styled(state["status"]), "0", "", "", ""]
            )
    print_table(console, columns, rows)
    if view["error"] or view["cause"]:
        print_block(console, str(view["error"]), str(view["cause"] or ""))
    if io:
        for run in view["runs"]:
            console.rule(f"{run['name']} (run {run['run']}/{run['runs']})")
            console.print_json(data={"input": run["input"], "output": run["output"]})


def _step_text(step: dict[str, Any] | None) -> str:
    if not step:
        return ""
    percent = step.get("percent")
    share = f" at {percent:g}%" if isinstance(percent, int | float) else ""
    return f"{step['number']}/{step['count']}{share}"


# ---------------------------------------------------------------------- watch


def watch_view(snap: dict[str, Any]) -> Group:
    """One frame of ``watch``."""
    head = Text.assemble(
        (f"{snap['deployment_id']}", "bold"),
        f"  endpoint {snap['endpoint']}  ",
        (snap["status"], STATUS_STYLES.get(snap["status"], "")),
    )
    step = Text(
        f"step {snap['step']}/{snap['steps']}: {snap['current_state'] or '(ended)'}"
        + (f" for {snap['state_seconds']:.0f}s" if snap["state_seconds"] is not None else "")
    )
    progress = Table.grid(padding=(0, 1))
    progress.add_row(
        "deployment",
        ProgressBar(total=1.0, completed=snap["progress"], width=40),
        f"{snap['progress'] * 100:.0f}%",
    )
    bake = snap.get("bake")
    if bake:
        progress.add_row(
            "bake",
            ProgressBar(total=bake["seconds"], completed=bake["elapsed"], width=40),
            f"{bake['left']:.0f}s left of {bake['seconds']}s"
            + (f" (ended: {bake['ended_by']})" if bake.get("ended_by") else ""),
        )
    weights = Table(title="traffic", header_style="bold", box=None, padding=(0, 2))
    weights.add_column("variant")
    weights.add_column("weight", justify="right")
    weights.add_column("")
    endpoint = snap.get("weights") or {}
    for variant, share in (endpoint.get("variants") or {}).items():
        weights.add_row(
            variant, f"{share * 100:.0f}%", ProgressBar(total=1.0, completed=share, width=20)
        )
    alarms = Table(title="alarms", header_style="bold", box=None, padding=(0, 2))
    alarms.add_column("alarm")
    alarms.add_column("state")
    for name, state in (snap.get("alarms") or {}).items():
        alarms.add_row(name, _styled(state))
    parts: list[Any] = [
        head,
        step,
        progress,
        Text(f"endpoint {endpoint.get('status', '?')} on {endpoint.get('config') or '-'}"),
        weights,
    ]
    if snap.get("alarms"):
        parts.append(alarms)
    if snap["ended"] and (snap.get("error") or snap.get("cause")):
        parts.append(Text(f"{snap.get('error')}: {snap.get('cause') or ''}", style="yellow"))
    return Group(*parts)


def watch(
    deployment: Deployment,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 1.0,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 3600.0,
    local: Local = False,
    endpoint_url: EndpointUrl = None,
    profile: Profile = None,
    region: Region = None,
    stack_name: StackName = DEFAULT_STACK,
    as_json: Json = False,
) -> None:
    """Live: current step, traffic per variant, alarms, bake time left; ends with the deployment
    (exit 0 if it deployed, 1 if it ended otherwise, 2 at --timeout)."""
    console = _console()
    from rollout_cli.views import find_record, happy_path, snapshot

    with _errors():
        ctx = _ctx(local, endpoint_url, profile, region, stack_name)
        record = find_record(ctx, deployment)
        path = happy_path(ctx, record)
        deadline = time.monotonic() + timeout

        def poll() -> dict[str, Any]:
            return snapshot(ctx, record, path)

        snap = _follow(poll, deadline, interval, as_json, console)
    if not snap["ended"]:
        err.print(f"[yellow]still {snap['status']} after {timeout:.0f}s[/] (--timeout)")
        raise typer.Exit(2)
    raise typer.Exit(0 if snap["status"] == "SUCCEEDED" else 1)


def _follow(
    poll: Callable[[], dict[str, Any]],
    deadline: float,
    interval: float,
    as_json: bool,
    console: Console,
) -> dict[str, Any]:
    snap = poll()
    if as_json:  # one JSON object per line, one line per poll
        print(json.dumps(snap, default=str), flush=True)
        while not snap["ended"] and time.monotonic() < deadline:
            time.sleep(interval)
            snap = poll()
            print(json.dumps(snap, default=str), flush=True)
        return snap
    with Live(watch_view(snap), console=console, refresh_per_second=4, transient=False) as live:
        while not snap["ended"] and time.monotonic() < deadline:
            time.sleep(interval)
            snap = poll()
            live.update(watch_view(snap))
    return snap


# ---------------------------------------------------------------------- decisions


def _decision(action: str) -> Callable[..., None]:
    def command(
        deployment: Deployment,
        reason: Annotated[str, typer.Option("--reason", "-r", help="Why (recorded).")] = "",
        local: Local = False,
        endpoint_url: EndpointUrl = None,
        profile: Profile = None,
        region: Region = None,
        stack_name: StackName = DEFAULT_STACK,
        as_json: Json = False,
    ) -> None:
        from rollout_cli.steering import decide

        console = _console()
        with _errors():
            ctx = _ctx(local, endpoint_url, profile, region, stack_name)
            result = decide(ctx, deployment, action, reason or f"{action} by operator")
        if as_json:
            _print_json(result)
        else:
            console.print(
                f"[bold]{action}[/] sent to deployment {result['deployment_id']} "
                f"(it was waiting at its {result['point']}); the state machine takes it from here"
            )

    command.__doc__ = {
        "promote": "Promote now: end the bake (or approve a waiting approval).",
        "abort": "Abort: fail the bake with Aborted; the state machine rolls back.",
        "approve": "Approve the promotion a deployment waits for (policy require_approval).",
    }[action]
    return command


promote = _decision("promote")
abort = _decision("abort")
approve = _decision("approve")


def rollback(
    endpoint: Annotated[str, typer.Argument(help="The endpoint to roll back.")],
    to: Annotated[
        str | None, typer.Option("--to", help="Model package ARN (default: the previous one).")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why (recorded).")] = "",
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the rollback ends.")] = False,
    timeout: Annotated[float, typer.Option(help="With --wait: give up after seconds.")] = 3600.0,
    local: Local = False,
    endpoint_url: EndpointUrl = None,
    profile: Profile = None,
    region: Region = None,
    stack_name: StackName = DEFAULT_STACK,
    as_json: Json = False,
) -> None:
    """Deploy the previously deployed version again, through the state machine."""
    console = _console()
    from rollout_cli.steering import rollback as start_rollback

    with _errors():
        ctx = _ctx(local, endpoint_url, profile, region, stack_name)
        result = start_rollback(ctx, endpoint, to=to, reason=reason)
        if wait:
            result["status"] = _wait_for_execution(ctx, result["execution_arn"], timeout)
    if as_json:
        _print_json(result)
    else:
        console.print(
            f"rollback of [bold]{endpoint}[/] to {result['model_version']} started: "
            f"deployment {result['deployment_id']}"
            + (f", ended {result['status']}" if "status" in result else "")
        )
    if wait and result["status"] != "SUCCEEDED":
        raise typer.Exit(1)


def _wait_for_execution(ctx: Context, execution_arn: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    sfn = ctx.client("stepfunctions")
    while True:
        status = str(sfn.describe_execution(executionArn=execution_arn)["status"])
        if status != "RUNNING":
            return status
        if time.monotonic() >= deadline:
            raise CliError(f"execution {execution_arn} still RUNNING after {timeout:.0f}s")
        time.sleep(0.5)


# ---------------------------------------------------------------------- lineage


def lineage(
    endpoint: Annotated[str, typer.Argument(help="The endpoint.")],
    local: Local = False,
    endpoint_url: EndpointUrl = None,
    profile: Profile = None,
    region: Region = None,
    stack_name: StackName = DEFAULT_STACK,
    as_json: Json = False,
) -> None:
    """What serves now and what served before: package, commit, data, build, gate, approval."""
    console = _console()
    from rollout_cli.views import lineage as read_lineage

    with _errors():
        ctx = _ctx(local, endpoint_url, profile, region, stack_name)
        data = read_lineage(ctx, endpoint)
    if as_json:
        _print_json(data)
        return
    serving = data["serving"]
    if serving is None:
        console.print(f"endpoint {endpoint} does not exist now; its deployments:")
    else:
        _print_lineage(console, "serving now", serving["package"], serving)
    for before in data["served_before"]:
        _print_lineage(console, "served before", before["package"], before)
    if data["rollbacks"]:
        print_table(
            console,
            [
                Column("deployment", min_width=13),
                Column("version", min_width=10, hide=2),
                Column("started", min_width=19, hide=3),
                Column("status", min_width=15),
                Column("reason", min_width=12, hide=1),
            ],
            [
                [
                    row["deployment_id"],
                    row["model_version"],
                    (row["started"] or "")[:19],
                    _styled(row["status"]),
                    row["reason"],
                ]
                for row in data["rollbacks"]
            ],
            title="rollbacks",
        )


def _print_lineage(
    console: Console, title: str, package: dict[str, Any] | None, entry: dict[str, Any]
) -> None:
    package = package or {}
    approval = package.get("approval") or {}
    deployment = entry.get("deployment") or {}
    rows = [
        ("model package", package.get("model_package_arn")),
        ("version", f"{package.get('group')} v{package.get('version')}"),
        ("git commit", package.get("git_commit")),
        ("data version", package.get("data_version")),
        ("build id", package.get("build_id")),
        ("model data", package.get("model_data_url")),
        ("metrics report", package.get("metrics_report")),
        (
            "approved",
            f"{approval.get('status')} at {approval.get('at')} by {approval.get('by')}: "
            f"{approval.get('description') or ''}",
        ),
        (
            "deployment",
            f"{deployment.get('deployment_id')} ({deployment.get('status')}, "
            f"{(deployment.get('started') or '')[:19]}, {_seconds(deployment.get('seconds'))})",
        ),
        ("execution", deployment.get("execution_arn")),
    ]
    gate = entry.get("gate")
    if gate:
        baseline = gate.get("baseline_value")
        rows.append(
            (
                "gate",
                f"{gate['metric']} {gate['candidate_value']}"
                + (f" vs serving {baseline}" if baseline is not None else "")
                + f" (min {gate.get('min_value')}, max regression {gate.get('max_regression')}):"
                + (" passed" if gate.get("passed") else " failed"),
            )
        )
    if "weights" in entry:
        rows.append(
            (
                "endpoint",
                f"{entry['status']} on {entry['endpoint_config']}, weights "
                + ", ".join(f"{k}={v:.0%}" for k, v in entry["weights"].items()),
            )
        )
    if deployment.get("report_url"):
        rows.append(("report", deployment["report_url"]))
    print_fields(console, title, rows)


# ---------------------------------------------------------------------- report


def report(
    deployment: Deployment,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="HTML file (default <deployment>.html).")
    ] = None,
    local: Local = False,
    endpoint_url: EndpointUrl = None,
    profile: Profile = None,
    region: Region = None,
    stack_name: StackName = DEFAULT_STACK,
    as_json: Json = False,
) -> None:
    """A self-contained HTML report with charts (weights, alarms, invocations, errors, latency)."""
    console = _console()
    from rollout_cli.views import execution_arn_of, find_record

    with _errors():
        ctx = _ctx(local, endpoint_url, profile, region, stack_name)
        record = find_record(ctx, deployment)
        from model_rollout.reporting.reports import ReportWriter, render_html  # the layer (views)

        writer = ReportWriter(
            stepfunctions=ctx.client("stepfunctions"),
            cloudwatch=ctx.client("cloudwatch"),
            s3=ctx.client("s3"),
            bucket="",
        )
        data = writer.collect(
            execution_arn_of(ctx, record),
            deployment_id=str(record["deployment_id"]),
            endpoint_name=record.get("endpoint_name"),
            status=str(record.get("status") or "") or None,
            error=record.get("error"),
            cause=record.get("cause"),
        )
        html = render_html(data)
    target = output or Path(f"{record['deployment_id']}.html")
    target.write_text(html)
    summary = {
        "path": str(target),
        "bytes": len(html.encode()),
        "deployment_id": record["deployment_id"],
        "status": data.status,
        "charts": ["weights", "alarms", "invocations", "errors", "latency", "states"],
        "variants": sorted(data.weights),
        "alarms": sorted(data.alarms),
        "comparison": sorted(data.comparison),
        "published": (record.get("details") or {}).get("report_url"),
    }
    if as_json:
        _print_json(summary)
    else:
        console.print(
            f"report of {record['deployment_id']} ({data.status}) written to {target}"
            + (
                f"; the state machine's copy: {summary['published']}"
                if summary["published"]
                else ""
            )
        )


# ---------------------------------------------------------------------- experiments


def experiments(
    endpoint: Annotated[str, typer.Argument(help="The endpoint.")],
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the curve as an HTML page.")
    ] = None,
    local: Local = False,
    endpoint_url: EndpointUrl = None,
    profile: Profile = None,
    region: Region = None,
    stack_name: StackName = DEFAULT_STACK,
    as_json: Json = False,
) -> None:
    """Every A/B test of the endpoint in time order: the incumbent's age, the challenger's
    lift, the verdict; and the staleness curve (age against lift)."""
    console = _console()
    from rollout_cli.plot import text_scatter
    from rollout_cli.views import experiments as read_experiments

    with _errors():
        ctx = _ctx(local, endpoint_url, profile, region, stack_name)
        data = read_experiments(ctx, endpoint)
    curve = data["experiments"]
    if html is not None:
        from model_rollout.reporting.staleness import staleness_page

        html.write_text(staleness_page(endpoint, curve))
        data["html"] = str(html)
    if as_json:
        _print_json(data)
        return
    if not curve:
        console.print(f"endpoint {endpoint} has no A/B results yet")
        return

    def percent(value: float | None) -> str:
        return "" if value is None else f"{value * 100:+.1f}%"

    print_table(
        console,
        [
            Column("started", min_width=16),
            Column("incumbent", min_width=4, hide=3),
            Column("age (days)", min_width=6),
            Column("challenger", min_width=4, hide=3),
            Column("test", min_width=5, hide=2),
            Column("verdict", min_width=12),
            Column("lift", min_width=6),
            Column("p", min_width=6, hide=1),
        ],
        [
            [
                (row["started_at"] or "")[:19],
                str(row.get("incumbent_version") or row.get("incumbent_package_arn") or ""),
                "" if row["incumbent_age_days"] is None else f"{row['incumbent_age_days']:.2f}",
                str(row.get("challenger_version") or row.get("challenger_package_arn") or ""),
                str(row.get("test_kind") or ""),
                _styled(row["verdict"]),
                percent(row["relative_lift"]),
                "" if row["p_value"] is None else f"{row['p_value']:.3g}",
            ]
            for row in curve
        ],
        title=f"A/B results of {endpoint}, oldest first",
    )
    points = [
        (row["incumbent_age_days"], row["relative_lift"])
        for row in curve
        if row["incumbent_age_days"] is not None and row["relative_lift"] is not None
    ]
    width = max(20, min(60, console.width - 12))
    for line in text_scatter(
        points,
        width=width,
        x_label="incumbent's age at the test (days)",
        y_label="relative lift of the challenger",
        y_percent=True,
    ):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if html is not None:
        console.print(f"staleness curve written to {html}")


# ---------------------------------------------------------------------- diagram


def diagram(
    asl: Annotated[list[Path], typer.Argument(help="ASL files (statemachines/*.asl.json).")],
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Default: docs/statemachines/.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only check that the diagrams are up to date.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Mermaid diagram of each state machine, generated from its ASL."""
    console = _console()
    from rollout_cli.diagram import DOCS, diagram_name, render, write

    directory = out_dir or DOCS
    results = []
    for path in asl:
        target = directory / f"{diagram_name(path)}.md"
        if check:
            current = target.read_text() if target.exists() else None
            results.append(
                {"asl": str(path), "diagram": str(target), "up_to_date": current == render(path)}
            )
        else:
            results.append({"asl": str(path), "diagram": str(write(path, directory))})
    if as_json:
        _print_json(results)
    else:
        for result in results:
            state = "" if not check else (" up to date" if result["up_to_date"] else " OUT OF DATE")
            console.print(f"{result['asl']} → {result['diagram']}{state}")
    if check and not all(r["up_to_date"] for r in results):
        raise typer.Exit(1)


# ---------------------------------------------------------------------- console


def console(
    port: Annotated[int, typer.Option("--port", help="TCP port (0: any free one).")] = 8080,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (default: this machine only).")
    ] = "127.0.0.1",
    allow_decisions: Annotated[
        bool,
        typer.Option(
            "--allow-decisions",
            help="Show promote/abort/approve buttons and accept them (default: read-only).",
        ),
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between a live page's polls.")
    ] = 2.0,
    local: Local = False,
    endpoint_url: EndpointUrl = None,
    profile: Profile = None,
    region: Region = None,
    stack_name: StackName = DEFAULT_STACK,
) -> None:
    """A local web page: the deployments, each one's state machine and live traffic, the
    endpoints' lineage. Read-only unless --allow-decisions; stops on Ctrl-C."""
    from rollout_cli.console.app import LOOPBACK_HOSTS, create_app, serve

    with _errors():
        ctx = _ctx(local, endpoint_url, profile, region, stack_name)
        # fail now, not at the first page, where the stack cannot be reached
        table, machine = ctx.deployments_table, ctx.state_machine_arn
        app = create_app(
            ctx,
            allow_decisions=allow_decisions,
            interval=interval,
            loopback_only=host in LOOPBACK_HOSTS,
        )
    mode = "decisions allowed (--allow-decisions)" if allow_decisions else "read-only"

    def ready(address: str) -> None:
        print(f"rollout console on {address} ({mode}; Ctrl-C stops it)", flush=True)
        err.print(
            f"reading {table} and {machine.rsplit(':', 1)[-1]} "
            f"{'at ' + ctx.endpoint_url if ctx.endpoint_url else 'on AWS'}"
        )

    try:
        serve(app, host=host, port=port, ready=ready)
    except OSError as error:  # the port is taken, the address is not this machine's
        err.print(f"[red]error:[/red] cannot serve on {host}:{port}: {error}")
        raise typer.Exit(1) from error
    print("rollout console stopped", flush=True)


# ---------------------------------------------------------------------- stages


def stage(
    package_arn: Annotated[str, typer.Argument(help="The model package version's ARN.")],
    local: Local = False,
    endpoint_url: EndpointUrl = None,
    profile: Profile = None,
    region: Region = None,
    stack_name: StackName = DEFAULT_STACK,
    as_json: Json = False,
) -> None:
    """Where a version is on its way through the stages, as the registry records it."""
    from rollout_cli.stages import status

    with _errors():
        data = status(_ctx(local, endpoint_url, profile, region, stack_name), package_arn)
    if as_json:
        _print_json(data)
        return
    console = _console()
    console.print(f"[bold]{data['model_package_arn']}[/bold]")
    console.print(f"  approval  {data['approval_status']}  {data['approval_description'] or ''}")
    console.print(
        f"  stage     {data['stage'] or '-'}  ", _styled(data["stage_status"] or "-"), sep=""
    )
    if data["stage_description"]:
        console.print(f"            {data['stage_description']}")
    if data["quarantined"]:
        console.print("  [yellow]quarantined[/yellow]: only `rollout requalify` approves it again")


def requalify(
    package_arn: Annotated[str, typer.Argument(help="The quarantined version's ARN.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it may be deployed again.")],
    local: Local = False,
    endpoint_url: EndpointUrl = None,
    profile: Profile = None,
    region: Region = None,
    stack_name: StackName = DEFAULT_STACK,
    as_json: Json = False,
) -> None:
    """Approve a quarantined version again: records who and why, then deploys it from the
    first stage."""
    from rollout_cli.stages import requalify as requalify_package

    with _errors():
        data = requalify_package(
            _ctx(local, endpoint_url, profile, region, stack_name), package_arn, reason
        )
    if as_json:
        _print_json(data)
        return
    _console().print(
        f"{package_arn} requalified by {data['requalified_by']}: approved again; its "
        "deployment starts at the first stage"
    )


COMMANDS: dict[str, Callable[..., None]] = {
    "deployments": deployments,
    "show": show,
    "watch": watch,
    "promote": promote,
    "abort": abort,
    "approve": approve,
    "rollback": rollback,
    "lineage": lineage,
    "experiments": experiments,
    "report": report,
    "diagram": diagram,
    "console": console,
    "stage": stage,
    "requalify": requalify,
}


def register(app: typer.Typer) -> None:
    for name, command in COMMANDS.items():
        app.command(name)(command)
