"""Regenerate events/<function>.json from a real deployment on the embedded local stack.

Every Lambda step's input is taken from the execution history of a deployment (first
deployment, then a second one that is rolled back, then one that fails its gate, then one of a
staged group promoted from its first stage to its second), so the events are exactly what
the state machine sends; `sam local invoke -e events/<f>.json` and `rollout local invoke`
take them as they are. Run: `.venv/bin/python -m scripts.capture_events [LogicalId ...]`
(only those functions' events, when named).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rollout_cli.demo import POLICY, free_port
from rollout_local.server import LocalStack
from rollout_local.workbench import Workbench, linear_model, quality_report

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
GROUP, ENDPOINT = "churn", "churn-prod"
STAGED_GROUP = "fraud"
# the steps only a staged deployment reaches, or reaches with a stage to record
STAGED_STEPS = ("RecordStage", "PromoteStage")


def function_inputs(bench: Workbench, execution_arn: str) -> dict[str, Any]:
    """The input of each function the execution invoked (the last invocation wins)."""
    inputs: dict[str, Any] = {}
    for event in bench.history(execution_arn):
        if "lambdaFunctionScheduledEventDetails" in event:
            details = event["lambdaFunctionScheduledEventDetails"]
            inputs[details["resource"].rsplit(":", 1)[-1]] = json.loads(details["input"])
        elif "taskScheduledEventDetails" in event:
            parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
            name = str(parameters.get("FunctionName", "")).rsplit(":", 1)[-1]
            if name:
                inputs[name] = parameters.get("Payload")
    return inputs


def code_dir(stack: LocalStack, function_name: str) -> str | None:
    for logical_id, physical in stack.resources.items():
        if physical == function_name:
            return logical_id
    return None


def staged_inputs(bench: Workbench) -> dict[str, Any]:
    """The inputs of a staged deployment promoted from its first stage to the next."""
    bench.put_policy(
        STAGED_GROUP,
        {
            **POLICY,
            "strategy": {"type": "all_at_once", "bake_seconds": 2},
            "stages": [
                {"name": "staging", "endpoint_name": "fraud-staging"},
                {"name": "prod", "endpoint_name": "fraud-prod"},
            ],
        },
    )
    arn = bench.register(
        STAGED_GROUP,
        model_url=bench.upload_model("fraud-v1", linear_model([0.4, 0.1], bias=0.1)),
        report_url=bench.upload_report("fraud-v1", quality_report("accuracy", 0.9)),
        metadata={"git_commit": "5a7e1c0", "data_version": "s3://fraud/1", "build_id": "b-1"},
    )
    bench.approve(arn)
    staging = bench.wait_for_execution(arn, timeout=90)
    return function_inputs(bench, staging["executionArn"])


def main(only: list[str]) -> None:
    with LocalStack(port=free_port()) as stack:
        bench = Workbench(endpoint_url=stack.endpoint_url)
        bench.put_policy(GROUP, {**POLICY, "strategy": {"type": "all_at_once", "bake_seconds": 2}})
        captured: dict[str, Any] = {}
        for number, accuracy in ((1, 0.9), (2, 0.91), (3, 0.5)):
            name = f"{GROUP}-v{number}"
            arn = bench.register(
                GROUP,
                model_url=bench.upload_model(name, linear_model([0.4, 0.1], bias=0.1)),
                report_url=bench.upload_report(name, quality_report("accuracy", accuracy)),
                metadata={
                    "git_commit": f"9fceb0{number}",
                    "data_version": f"s3://churn-data/2026-11-0{number}",
                    "build_id": f"build-{number}",
                },
            )
            bench.approve(arn)
            if number == 2:  # roll the second one back by hand during its bake
                execution_arn = bench.running_execution(arn)
                bench.wait_for_state(execution_arn, "Watch")
                alarms = bench.state_output(execution_arn, "CreateAlarms") or {}
                bench.client("cloudwatch").set_alarm_state(
                    AlarmName=alarms["alarms"]["alarm_names"][0],
                    StateValue="ALARM",
                    StateReason="Threshold Crossed: captured for events/",
                )
            execution = bench.wait_for_execution(arn, timeout=90)
            for function_name, payload in function_inputs(bench, execution["executionArn"]).items():
                captured.setdefault(function_name, payload)
        for function_name, payload in staged_inputs(bench).items():
            if any(step in function_name for step in STAGED_STEPS):
                captured[function_name] = payload
        for function_name, payload in sorted(captured.items()):
            logical_id = code_dir(stack, function_name) or function_name
            if only and logical_id not in only:
                continue
            target = EVENTS / f"{logical_id}.json"
            target.write_text(json.dumps(payload, indent=2, default=str) + "\n")
            print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
