"""`make bench`: the control plane's figures, measured on the embedded local stack in one run.

Writes bench/results/latest.json, prints the table and puts it into docs/benchmarks.md between
the `bench:start` / `bench:end` markers (the README quotes its headline figures by hand).
Figures the machine's speed would blur are counts or ratios. Sizes: BENCH_ROLLBACKS (20),
BENCH_INVOCATIONS (500).
"""

from __future__ import annotations

import json
import os
import platform
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import cold_start, cost, reaction, scale, sequential_ab
from bench.transform import measure_transform_throughput
from rollout_local.server import LocalStack, free_port
from rollout_local.workbench import Workbench

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
TABLE_PAGE = ROOT / "docs" / "benchmarks.md"
ROLLBACKS = int(os.environ.get("BENCH_ROLLBACKS", "20"))
# BENCH_ONLY=startup,demo,cpu,cold,abstats,invoke,cost,reaction,polling,transform,scale: a subset.
INVOCATIONS = int(os.environ.get("BENCH_INVOCATIONS", "500"))

console = Console(stderr=True)


def table(figures: dict[str, Any]) -> str:
    rows = ["| figure | value |", "| --- | --- |"]
    for key, value in figures.items():
        if key == cold_start.PER_HANDLER:  # one row per handler: import, floor, difference
            rows.extend(f"| {key}.{name} | {cold_start.shown(v)} |" for name, v in value.items())
            continue
        shown = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
        rows.append(f"| {key} | {shown} |")
    return "\n".join(rows)


def write_table(text: str) -> None:
    page = TABLE_PAGE.read_text()
    marked = re.compile(r"(<!-- bench:start -->\n).*?(<!-- bench:end -->)", re.S)
    if marked.search(page):
        TABLE_PAGE.write_text(marked.sub(lambda m: m.group(1) + text + "\n" + m.group(2), page))


def measure(only: set[str]) -> dict[str, Any]:
    """Every benchmark, or those named in ``only`` (BENCH_ONLY=startup,cold,invoke,...)."""

    def wanted(name: str) -> bool:
        return not only or name in only

    figures: dict[str, Any] = {}
    if wanted("startup"):
        with console.status("start-up of `rollout local up`"):
            figures["local_stack_startup_s"] = scale.startup_seconds()
    if wanted("demo"):
        with console.status("`make demo` (rollout demo)"):
            figures["demo_wall_s"] = scale.demo_seconds()
    if wanted("cpu"):
        with console.status("CPU of the local stack per deployment"):
            figures.update(scale.stack_cpu_per_deployment())
    if wanted("cold"):
        with console.status("cold start: handler imports and package sizes"):
            figures.update(cold_start.measure())
    if wanted("abstats"):
        with console.status("sequential vs fixed A/B tests, watched at every look"):
            figures.update(sequential_ab.measure())
    stack = LocalStack(port=free_port()).start()
    try:
        bench = Workbench(endpoint_url=stack.endpoint_url)
        if wanted("invoke"):
            with console.status(f"{INVOCATIONS} InvokeEndpoint calls"):
                figures.update(scale.invocations(bench, INVOCATIONS))
        if wanted("cost"):
            with console.status("transitions and invocations per deployment"):
                figures.update(cost.per_deployment(bench))
        if wanted("reaction"):
            with console.status(f"{ROLLBACKS} event-driven rollbacks"):
                figures.update(reaction.event_driven(bench, ROLLBACKS))
        if wanted("polling"):
            with console.status(f"{ROLLBACKS} rollbacks with a 10 s polling watcher"):
                table_name = stack.resources["WaitersTable"]
                figures.update(reaction.polling(bench, table_name, ROLLBACKS))
        if wanted("reaction") and wanted("polling"):
            figures["polling_vs_event_rollback_median_ratio"] = round(
                figures["polling_10s_alarm_to_rollback_state_median_s"]
                / figures["event_alarm_to_rollback_state_median_s"],
                1,
            )
        if wanted("transform"):
            with console.status("batch transform of 100,000 lines"):
                figures.update(measure_transform_throughput(bench))
        if wanted("scale"):
            with console.status("1, 10 and 50 concurrent deployments"):
                figures.update(scale.concurrent_deployments(bench))
    finally:
        stack.stop()
    return figures


def main() -> None:
    started = time.perf_counter()
    only = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
    figures: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}",
        "command": "make bench" + (f" BENCH_ONLY={','.join(sorted(only))}" if only else ""),
    }
    figures.update(measure(only))
    figures["bench_wall_s"] = round(time.perf_counter() - started, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    text = table(figures)
    write_table(text)
    print(text)


if __name__ == "__main__":
    main()
