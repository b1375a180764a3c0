"""Scale of the local stack: concurrent deployments, start-up, and InvokeEndpoint."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import Fleet, summary
from rollout_local.server import free_port
from rollout_local.workbench import Workbench

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def stack_process(timeout: float = 120) -> Iterator[tuple[subprocess.Popen[str], str, float]]:
    """`rollout local up` in a fresh process: (process, endpoint URL, seconds to `ready`)."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "rollout_cli.main", "local", "up", "--no-logs", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        for line in process.stdout:
            if "ready" in line:
                break
        else:
            raise RuntimeError(f"the local stack printed no ready line within {timeout:.0f} s")
        timer.cancel()
        ready = time.perf_counter() - started
        # keep reading its output, so that it never blocks on a full pipe
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield process, f"http://127.0.0.1:{port}", ready
    finally:
        timer.cancel()
        process.terminate()
        process.wait(timeout=30)


def startup_seconds() -> float:
    """From `rollout local up` to its `ready` line, in a fresh process."""
    with stack_process() as (_, _, ready):
        return round(ready, 2)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (Linux: /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stack_cpu_per_deployment(count: int = 10, warm_up: int = 2) -> dict[str, float]:
    """CPU seconds the local stack's process spends on one `all_at_once` deployment (bake
    1 s) to a new endpoint, the median of ``count`` one after the other, after ``warm_up``
    (first use of each client and handler); and what the idle stack spends per second."""
    with stack_process() as (process, url, _):
        bench = Workbench(endpoint_url=url)
        for index in range(warm_up):
            Fleet(bench, f"bench-cpu-warm-{index}", bake_seconds=1).deploy()
        idle_start = process_cpu_seconds(process.pid)
        time.sleep(3)
        idle_per_s = (process_cpu_seconds(process.pid) - idle_start) / 3
        spent, walls = [], []
        for index in range(count):
            fleet = Fleet(bench, f"bench-cpu-{index}", bake_seconds=1)
            before, started = process_cpu_seconds(process.pid), time.perf_counter()
            execution = fleet.deploy()
            if execution["status"] != "SUCCEEDED":
                raise RuntimeError(f"deployment {index} of the CPU benchmark: {execution}")
            spent.append(process_cpu_seconds(process.pid) - before)
            walls.append(time.perf_counter() - started)
    return {
        "stack_cpu_s_per_all_at_once_deployment": round(statistics.median(spent), 3),
        "stack_wall_s_per_all_at_once_deployment": round(statistics.median(walls), 2),
        "stack_idle_cpu_s_per_s": round(idle_per_s, 4),
    }


def concurrent_deployments(
    bench: Workbench, sizes: tuple[int, ...] = (1, 10, 50)
) -> dict[str, Any]:
    """Wall time of N first deployments (bake 1 s) to N endpoints started at once."""
    figures: dict[str, Any] = {}
    for size in sizes:
        fleets = [Fleet(bench, f"bench-scale-{size}-{i}", bake_seconds=1) for i in range(size)]
        started = time.perf_counter()
        arns = [fleet.approve() for fleet in fleets]
        ended = [bench.wait_for_execution(arn, timeout=600) for arn in arns]
        wall = time.perf_counter() - started
        succeeded = sum(1 for e in ended if e["status"] == "SUCCEEDED")
        figures[f"deployments_{size}_concurrent_wall_s"] = round(wall, 1)
        figures[f"deployments_{size}_concurrent_succeeded"] = succeeded
    one = figures["deployments_1_concurrent_wall_s"]
    for size in sizes[1:]:
        figures[f"deployments_{size}_concurrent_wall_vs_one"] = round(
            figures[f"deployments_{size}_concurrent_wall_s"] / one, 2
        )
    return figures


def invocations(bench: Workbench, count: int = 500) -> dict[str, float]:
    fleet = Fleet(bench, "bench-invoke", bake_seconds=1)
    fleet.deploy()
    runtime = bench.client("sagemaker-runtime")
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        runtime.invoke_endpoint(EndpointName=fleet.endpoint, ContentType="text/csv", Body="0.1,0.2")
        latencies.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - started
    return {
        **{f"invoke_endpoint_{k}_ms": v for k, v in summary(latencies, 2).items()},
        "invoke_endpoint_mean_ms": round(statistics.mean(latencies), 2),
        "invoke_endpoint_per_second_one_client": round(count / wall, 1),
    }


def demo_seconds(timeout: float = 600) -> float:
    """Wall time of what `make demo` runs (`rollout demo`, then `rollout demo-strategies`),
    each in a fresh process."""
    started = time.perf_counter()
    for command in ("demo", "demo-strategies"):
        subprocess.run(
            [sys.executable, "-m", "rollout_cli.main", command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            timeout=timeout,
            check=True,
        )
    return round(time.perf_counter() - started, 1)
