"""`rollout local up` and `rollout local invoke`, as an operator runs them."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.local.support import FIXTURE_STACK, FIXTURE_TEMPLATE, PROJECT_ROOT
from typer.testing import CliRunner

from rollout_cli.main import app
from rollout_local import accounts
from rollout_local.server import LocalStack, free_port, port_is_free
from rollout_local.template import DeployedStack

ROLLOUT = str(Path(sys.executable).with_name("rollout"))
# these start `rollout local up` in processes of their own
pytestmark = pytest.mark.stack


def _lines(stream: object) -> queue.Queue[str]:
    """Read a subprocess's stdout on a thread, so the test can wait with a deadline."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


@contextmanager
def local_up(tmp_path: Path, port: int, *options: str, timeout: float) -> Iterator[str]:
    """``rollout local up`` in a process of its own: its ready line; then SIGINT, which must
    stop it cleanly (killed if it does not)."""
    with (tmp_path / "stderr").open("w") as stderr:
        process = subprocess.Popen(
            [ROLLOUT, "local", "up", "--port", str(port), *options],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=PROJECT_ROOT,
        )
        try:
            lines = _lines(process.stdout)
            ready = ""
            while "ready" not in ready:
                ready = lines.get(timeout=timeout)
            yield ready
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()


def local_client(service: str, port: int) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def test_up_serves_until_sigint_then_frees_the_port(tmp_path: Path) -> None:
    port = free_port()
    with local_up(tmp_path, port, timeout=60) as ready:
        assert f"http://127.0.0.1:{port}" in ready
        assert ":stateMachine:model-rollout-DeployModelStateMachine" in ready
        sfn = local_client("stepfunctions", port)
        machines = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
        assert sorted(machines) == [
            "model-rollout-BatchTransformStateMachine",
            "model-rollout-DeployModelStateMachine",
        ]
    assert port_is_free(port)


STAGE_ACCOUNTS = ("--stage-accounts", "111111111111,222222222222")


def test_up_with_stage_accounts_deploys_staging_and_production_in_their_accounts(
    tmp_path: Path,
) -> None:
    port = free_port()
    with local_up(tmp_path, port, "--no-logs", *STAGE_ACCOUNTS, timeout=120) as ready:
        assert ":111111111111:stateMachine:staging-DeployModelStateMachine" in ready
        assert ":222222222222:stateMachine:production-DeployModelStateMachine" in ready
        iam = accounts.administered(local_client("iam", port), "222222222222")
        role = iam.get_role(RoleName="model-rollout-stage-promotion")["Role"]
        trust = json.dumps(role["AssumeRolePolicyDocument"])
        assert "111111111111" in trust


def test_up_refuses_malformed_stage_accounts() -> None:
    refused = CliRunner().invoke(app, ["local", "up", "--stage-accounts", "111111111111"])
    assert refused.exit_code == 2 and "two different 12-digit accounts" in refused.stderr


def test_invoke_on_a_throwaway_stack(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"hello": "cli"}))
    command = [ROLLOUT, "local", "invoke", "EchoFunction", "-e", str(event)]
    command += ["--port", str(free_port()), "-t", str(FIXTURE_TEMPLATE)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["event"] == {"hello": "cli"}
    assert result["function_name"] == "model-rollout-EchoFunction"


def test_invoke_against_a_running_stack_reports_the_error(
    local_stack: LocalStack, fixture_stack: DeployedStack, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"message": "accuracy too low"}))
    options = ["-e", str(event), "--port", str(local_stack.port), "-t", str(FIXTURE_TEMPLATE)]
    options += ["--stack-name", FIXTURE_STACK]
    runner = CliRunner()
    failed = runner.invoke(app, ["local", "invoke", "FailFunction", *options])
    assert failed.exit_code == 1
    assert "ValidationFailed" in failed.stderr and "accuracy too low" in failed.stderr
    echoed = runner.invoke(app, ["local", "invoke", "EchoFunction", *options])
    assert echoed.exit_code == 0, echoed.stderr
    assert json.loads(echoed.stdout)["event"] == {"message": "accuracy too low"}


def test_invoke_errors_name_the_problem(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        app, ["local", "invoke", "EchoFunction", "-e", str(tmp_path / "nope.json")]
    )
    assert missing.exit_code == 2 and "nope.json does not exist" in missing.stderr
    event = tmp_path / "event.json"
    event.write_text("{}")
    unknown = runner.invoke(app, ["local", "invoke", "NoSuchFunction", "-e", str(event)])
    assert unknown.exit_code == 2
    assert "NoSuchFunction" in unknown.stderr and "ResolvePolicyFunction" in unknown.stderr


STOP_SCRIPT = """
import json, sys, threading
from rollout_local.server import LocalStack, free_port, port_is_free
from rollout_local.extensions import eventbridge_targets
stack = LocalStack(port=free_port(), template_path=sys.argv[1])
with stack:
    stack.client("events").put_events(Entries=[{
        "Source": "rollout.fixture", "DetailType": "Record", "Detail": json.dumps({"key": "k"})}])
    assert eventbridge_targets.wait_idle(10)
    try:
        LocalStack(port=free_port()).start()
    except RuntimeError as exc:
        print("second:", exc)
left = [t.name for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()]
print(json.dumps({"non_daemon": left, "port_free": port_is_free(stack.port)}))
"""


def test_stop_leaves_no_thread_and_frees_the_port() -> None:
    done = subprocess.run(
        [sys.executable, "-c", STOP_SCRIPT, str(FIXTURE_TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert any(line.startswith("second: a LocalStack already runs") for line in lines)
    assert json.loads(lines[-1]) == {"non_daemon": [], "port_free": True}
