"""`rollout local`: the embedded local stack in the foreground, and `sam local invoke` without
Docker (the function's real handler, in-process, against a running or a throwaway stack)."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

from rollout_local.function_logs import InvocationOutput
from rollout_local.server import DEFAULT_TEMPLATE, LocalStack, LocalStackError, free_port
from rollout_local.template import (
    DEFAULT_STACK_NAME,
    TemplateError,
    function_logical_ids,
    load_template,
    physical_name,
)

app = typer.Typer(help="The embedded local stack (moto + in-process Lambdas), no AWS account.")
err = Console(stderr=True, soft_wrap=True)


def _overrides(pairs: list[str]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}")
        result[key] = value
    return result


def _quiet_server_logs() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


TemplateOption = Annotated[Path, typer.Option("--template", "-t", help="SAM template.")]


@app.command()
def up(
    port: Annotated[int, typer.Option(help="Port to serve the AWS APIs on (127.0.0.1).")] = 4566,
    parameter_overrides: Annotated[
        list[str] | None,
        typer.Option("--parameter-overrides", help="Template parameter KEY=VALUE (repeatable)."),
    ] = None,
    template: TemplateOption = DEFAULT_TEMPLATE,
    logs: Annotated[
        bool,
        typer.Option(
            "--logs/--no-logs",
            help="Also print the functions' logs here (they always go to CloudWatch Logs, "
            "/aws/lambda/<function>).",
        ),
    ] = True,
    stage_accounts: Annotated[
        str | None,
        typer.Option(
            "--stage-accounts",
            help="STAGING,PRODUCTION: also deploy the template as staging's stack (with the "
            "registry) and production's, each in that account, set up for stages across "
            "accounts (docs/stages.md). Clients reach an account with the `x-moto-account-id` "
            "header or its credentials.",
        ),
    ] = None,
) -> None:
    """Serve AWS APIs with the template deployed, until SIGINT/SIGTERM."""
    accounts = _stage_accounts(stage_accounts)
    _quiet_server_logs()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    overrides = _overrides(parameter_overrides or [])
    stack = LocalStack(port=port, template_path=template, parameter_overrides=overrides)
    try:
        stack.start()
    except (LocalStackError, TemplateError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    try:
        if stack.stack.unsupported:
            err.print("[yellow]not emulated:[/yellow] " + "; ".join(stack.stack.unsupported))
        if isinstance(sys.stdout, InvocationOutput):
            sys.stdout.echo = logs
        machines = [v for v in stack.resources.values() if ":stateMachine:" in v]
        if accounts is not None:
            from rollout_local.stage_accounts import deploy_stage_stacks
            from rollout_local.workbench import Workbench

            staging, production = accounts
            bucket = Workbench(endpoint_url=stack.endpoint_url, account_id=staging).bucket
            stacks = deploy_stage_stacks(
                stack, staging=staging, production=production, artifact_bucket=bucket
            )
            for deployed in stacks.values():
                machines += [v for v in deployed.resources.values() if ":stateMachine:" in v]
        print(f"ready: {stack.endpoint_url} state machines: {' '.join(machines)}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        stack.stop()
    print("stopped", flush=True)


def _stage_accounts(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if (
        len(parts) != 2
        or not all(p.isdigit() and len(p) == 12 for p in parts)
        or parts[0] == parts[1]
    ):
        err.print(
            f"[red]error:[/red] --stage-accounts {text!r}: give two different 12-digit "
            "accounts, STAGING,PRODUCTION"
        )
        raise typer.Exit(2)
    return parts[0], parts[1]


def _stack_answers(port: int) -> bool:
    probe = LocalStack(port=port)
    try:
        probe.client(
            "lambda", config=Config(connect_timeout=1, read_timeout=5, retries={"max_attempts": 0})
        ).list_functions(MaxItems=1)
    except (BotoCoreError, ClientError):
        return False
    return True


def _invoke(stack: LocalStack, function_name: str, payload: bytes) -> dict[str, Any]:
    client = stack.client("lambda", config=Config(read_timeout=900, retries={"max_attempts": 0}))
    response = client.invoke(FunctionName=function_name, Payload=payload)
    return {"error": response.get("FunctionError"), "body": response["Payload"].read()}


@app.command()
def invoke(
    function: Annotated[str, typer.Argument(help="Logical id of the function in the template.")],
    event: Annotated[Path, typer.Option("--event", "-e", help="JSON file with the event.")],
    port: Annotated[
        int, typer.Option(help="Port of a running stack; if none answers, a throwaway one.")
    ] = 4566,
    template: TemplateOption = DEFAULT_TEMPLATE,
    stack_name: Annotated[
        str, typer.Option(help="Name the template was deployed under.")
    ] = DEFAULT_STACK_NAME,
) -> None:
    """Invoke one function's real handler with an event; print its result as JSON."""
    _quiet_server_logs()
    if not event.is_file():
        err.print(f"[red]error:[/red] event file {event} does not exist")
        raise typer.Exit(2)
    payload = event.read_bytes()
    try:
        json.loads(payload)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {event} is not JSON: {exc}")
        raise typer.Exit(2) from exc
    valid = function_logical_ids(load_template(template))
    if function not in valid:
        err.print(
            f"[red]error:[/red] no function {function} in {template}; valid: {', '.join(valid)}"
        )
        raise typer.Exit(2)
    name = physical_name(stack_name, function)
    if _stack_answers(port):
        result = _invoke(LocalStack(port=port), name, payload)
    elif stack_name != DEFAULT_STACK_NAME:
        err.print(f"[red]error:[/red] no stack answers on port {port} (needed by --stack-name)")
        raise typer.Exit(2)
    else:
        # Handlers log to stdout; keep stdout for the result, as `sam local invoke` does.
        with (
            contextlib.redirect_stdout(sys.stderr),
            LocalStack(port=free_port(), template_path=template) as stack,
        ):
            result = _invoke(stack, name, payload)
    body = result["body"].decode()
    if result["error"]:
        try:
            failure = json.loads(body)
            err.print(f"[red]{failure.get('errorType')}:[/red] {failure.get('errorMessage')}")
        except ValueError:
            err.print(f"[red]{result['error']}:[/red] {body}")
        print(body)
        raise typer.Exit(1)
    print(body)
