"""The local contract as an outside client sees it: `rollout local up` in its own process,
plain boto3 in this one, an approval in the registry becoming an execution whose Lambda steps
are the real handlers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.local.support import PROJECT_ROOT

from rollout_local.server import free_port, port_is_free
from rollout_local.workbench import Workbench, linear_model, quality_report, wait_until

ROLLOUT = str(Path(sys.executable).with_name("rollout"))
# these start `rollout local up` in processes of their own
pytestmark = pytest.mark.stack


def test_approval_in_another_process_runs_the_real_handlers(tmp_path: Path) -> None:
    port = free_port()
    with (tmp_path / "stack.log").open("w") as log:
        process = subprocess.Popen(
            [ROLLOUT, "local", "up", "--no-logs", "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            cwd=PROJECT_ROOT,
        )
        try:
            assert process.stdout is not None
            wait_until(
                lambda: "ready" in process.stdout.readline(),  # type: ignore[union-attr]
                timeout=60,
                interval=0,
                what="the ready line",
            )
            bench = Workbench(endpoint_url=f"http://127.0.0.1:{port}")
            bench.put_policy(
                "outside",
                {
                    "endpoint_name": "outside-prod",
                    "strategy": {"type": "all_at_once", "bake_seconds": 1},
                },
            )
            arn = bench.register(
                "outside",
                model_url=bench.upload_model("outside-v1", linear_model([0.2, 0.4])),
                report_url=bench.upload_report("outside-v1", quality_report("accuracy", 0.9)),
                metadata={"git_commit": "abc", "data_version": "d1", "build_id": "b1"},
            )
            bench.approve(arn)
            execution = bench.wait_for_execution(arn, timeout=60)

            assert execution["status"] == "SUCCEEDED", (
                execution.get("error"),
                execution.get("cause"),
            )
            history = bench.history(execution["executionArn"])
            ran = {
                e["stateExitedEventDetails"]["name"]
                for e in history
                if "stateExitedEventDetails" in e
            }
            assert {"ResolvePolicy", "Validate", "Tag", "Deploy", "Finalize"} <= ran
            # A step's output is what the real handler computed, not a canned body.
            validated = bench.state_output(execution["executionArn"], "Validate") or {}
            assert validated["validation"]["gate"]["candidate_value"] == 0.9
            assert json.loads(execution["output"])["outcome"]["status"] == "PROMOTED"
            assert bench.endpoint_tags("outside-prod")["rollout:model-package-arn"] == arn
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
    assert port_is_free(port)
