"""`make bench`: figures of the control plane, measured on the embedded local stack in one run.

Writes bench/results/latest.json and prints a Markdown table (the one in README). Figures
that the machine's speed would blur are given as counts or ratios.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from rollout_cli.demo import free_port
from rollout_local.workbench import Workbench, linear_model, quality_report, wait_until

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
ROLLBACKS = int(os.environ.get("BENCH_ROLLBACKS", "20"))
INVOCATIONS = int(os.environ.get("BENCH_INVOCATIONS", "500"))

# Public list prices, us-east-1: Step Functions Standard per state transition; Lambda per
# request and per GB-second (x86). Checked against the pricing pages when this was written.
PRICE_PER_TRANSITION = 0.000025
PRICE_PER_LAMBDA_REQUEST = 0.0000002
PRICE_PER_GB_SECOND = 0.0000166667

console = Console(stderr=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def policy(endpoint: str, bake_seconds: int) -> dict[str, Any]:
    return {
        "endpoint_name": endpoint,
        "strategy": {"type": "all_at_once", "bake_seconds": bake_seconds},
        "alarms": {"max_error_rate": 0.05, "period_seconds": 10, "evaluation_periods": 1},
        "validation": {"metric": "accuracy", "min_value": 0.5, "max_regression": 0.05},
    }


class Fleet:
    """Registers versions of one group, each deployable with one call."""

    def __init__(self, bench: Workbench, group: str) -> None:
        self.bench, self.group, self.count = bench, group, 0

    def approve(self, error_rate: float = 0.0) -> str:
        self.count += 1
        name = f"{self.group}-v{self.count}"
        arn = self.bench.register(
            self.group,
            model_url=self.bench.upload_model(
                name, linear_model([0.3, 0.2], error_rate=error_rate)
            ),
            report_url=self.bench.upload_report(name, quality_report("accuracy", 0.9)),
            metadata={"git_commit": "bench", "data_version": "bench", "build_id": str(self.count)},
        )
        self.bench.approve(arn)
        return arn


def measure_startup() -> dict[str, float]:
    """Seconds from `rollout local up` to its `ready` line, in a fresh process."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "rollout_cli.main", "local", "up", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    try:
        deadline = time.monotonic() + 120
        for line in process.stdout:
            if "ready" in line:
                return {"startup_seconds": round(time.perf_counter() - started, 2)}
            if time.monotonic() > deadline:
                break
        raise RuntimeError("the local stack did not print ready within 120 s")
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure_invocations(bench: Workbench) -> dict[str, float]:
    fleet = Fleet(bench, "bench-invoke")
    bench.put_policy(fleet.group, policy("bench-invoke", 1))
    execution = bench.wait_for_execution(fleet.approve(), timeout=120)
    assert execution["status"] == "SUCCEEDED", execution
    runtime = bench.client("sagemaker-runtime")
    latencies = []
    started = time.perf_counter()
    for _ in range(INVOCATIONS):
        t0 = time.perf_counter()
        runtime.invoke_endpoint(EndpointName="bench-invoke", ContentType="text/csv", Body="0.1,0.2")
        latencies.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - started
    return {
        "invoke_endpoint_p50_ms": round(statistics.median(latencies), 2),
        "invoke_endpoint_p95_ms": round(percentile(latencies, 0.95), 2),
        "invoke_endpoint_per_second_one_client": round(INVOCATIONS / wall, 1),
    }


def event_time(bench: Workbench, execution_arn: str, state: str) -> datetime:
    for event in bench.history(execution_arn):
        if event.get("stateEnteredEventDetails", {}).get("name") == state:
            return event["timestamp"]  # type: ignore[no-any-return]
    raise LookupError(f"{execution_arn} never entered {state}")


def measure_rollbacks(bench: Workbench) -> dict[str, Any]:
    """From an alarm entering ALARM to (a) the Rollback state and (b) the endpoint serving
    100% on the previous model, over ROLLBACKS deployments."""
    fleet = Fleet(bench, "bench-rollback")
    endpoint = "bench-rollback"
    bench.put_policy(fleet.group, policy(endpoint, 1))
    first = bench.wait_for_execution(fleet.approve(), timeout=120)
    assert first["status"] == "SUCCEEDED", first
    bench.put_policy(fleet.group, policy(endpoint, 300))  # rollbacks end every bake early
    cloudwatch = bench.client("cloudwatch")
    to_rollback_state, to_traffic_restored = [], []
    for _ in range(ROLLBACKS):
        arn = fleet.approve()
        execution_arn = bench.running_execution(arn, timeout=60)
        bench.wait_for_state(execution_arn, "Watch", timeout=60)
        document = bench.state_output(execution_arn, "CreateAlarms") or {}
        alarm = document["alarms"]["alarm_names"][0]
        blue = document["previous"]["variants"][0]["variant_name"]
        fired = time.time()
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="bench")
        wait_until(
            lambda blue=blue: bench.weights(endpoint).get(blue) == 1.0,
            timeout=30,
            interval=0.01,
            what="traffic back on the previous variant",
        )
        to_traffic_restored.append(time.time() - fired)
        ended = bench.wait_for_execution(arn, timeout=120)
        assert ended["error"] == "RolledBack", ended
        to_rollback_state.append(event_time(bench, execution_arn, "Rollback").timestamp() - fired)
    return {
        "rollbacks": ROLLBACKS,
        "alarm_to_rollback_state_median_s": round(statistics.median(to_rollback_state), 3),
        "alarm_to_rollback_state_p95_s": round(percentile(to_rollback_state, 0.95), 3),
        "alarm_to_previous_model_serving_median_s": round(
            statistics.median(to_traffic_restored), 3
        ),
        "alarm_to_previous_model_serving_p95_s": round(percentile(to_traffic_restored, 0.95), 3),
        # A watcher polling every 10 s notices an alarm after U(0, 10) s: 5 s on average.
        "polling_10s_expected_detection_median_s": 5.0,
    }


def measure_transitions(bench: Workbench) -> dict[str, Any]:
    """History events per deployment at two bake times: equal by construction."""
    counts = {}
    for bake in (2, 10):
        fleet = Fleet(bench, f"bench-bake-{bake}")
        bench.put_policy(fleet.group, policy(f"bench-bake-{bake}", bake))
        bench.wait_for_execution(fleet.approve(), timeout=120)
        execution = bench.wait_for_execution(fleet.approve(), timeout=120)
        assert execution["status"] == "SUCCEEDED", execution
        history = bench.history(execution["executionArn"])
        counts[bake] = {
            "history_events": len(history),
            "state_transitions": sum(1 for e in history if "stateEnteredEventDetails" in e),
            "lambda_invocations": sum(
                1 for e in history if e["type"] in ("LambdaFunctionScheduled", "TaskScheduled")
            ),
        }
    transitions = counts[2]["state_transitions"]
    invocations = counts[2]["lambda_invocations"]
    return {
        "history_events_bake_2s": counts[2]["history_events"],
        "history_events_bake_10s": counts[10]["history_events"],
        "state_transitions_per_deployment": transitions,
        "lambda_invocations_per_deployment": invocations,
        "list_price_usd_per_deployment": round(
            transitions * PRICE_PER_TRANSITION
            + invocations * (PRICE_PER_LAMBDA_REQUEST + 0.25 * 0.2 * PRICE_PER_GB_SECOND),
            6,
        ),
    }


def measure_imports() -> dict[str, float]:
    """Import time of every handler module in a fresh interpreter (the cold-start share)."""
    times = {}
    layer = ROOT / "layers" / "rollout" / "python"
    for handler in sorted((ROOT / "functions").glob("*/app.py")):
        code = (
            "import sys, time; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
            "t = time.perf_counter(); import app; print(time.perf_counter() - t)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(handler.parent), str(layer)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        )
        times[handler.parent.name] = round(float(out.stdout.strip()) * 1000, 1)
    return {"handler_import_ms_max": max(times.values()), "handler_import_ms": times}  # type: ignore[dict-item]


def main() -> None:
    from rollout_local.server import LocalStack

    started = time.perf_counter()
    figures: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}",
    }
    with console.status("start-up"):
        figures.update(measure_startup())
    with console.status("cold start: handler imports"):
        figures.update(measure_imports())
    stack = LocalStack(port=free_port())
    stack.start()
    try:
        bench = Workbench(endpoint_url=stack.endpoint_url)
        with console.status("InvokeEndpoint"):
            figures.update(measure_invocations(bench))
        with console.status("transitions per deployment"):
            figures.update(measure_transitions(bench))
        with console.status(f"{ROLLBACKS} rollbacks"):
            figures.update(measure_rollbacks(bench))
    finally:
        stack.stop()
    figures["bench_wall_seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print("| figure | value |\n| --- | --- |")
    for key, value in figures.items():
        print(f"| {key} | {value} |")


if __name__ == "__main__":
    main()
