"""Local batch transform throughput: a 100,000-line CSV through the batch state machine.

``measure_transform_throughput(bench)`` registers a model version, uploads the input to the
stack's InferenceBucket and runs the real batch state machine on it (PrepareTransform →
RunTransform → the local transform job over S3, with InputFilter and JoinSource=Input →
FinishTransform). Figures: the job's own time (TransformStartTime → TransformEndTime) and
records per second over it, and the whole execution's wall time (start → SUCCEEDED,
including the temporary model, the event that ends the wait and the cleanup).

``python -m bench.transform`` runs it on a fresh embedded stack and prints the figures.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from rollout_local.inference_workbench import Inference
from rollout_local.workbench import Workbench, linear_model, quality_report

RECORDS = 100_000


def _input(records: int) -> str:
    rng = random.Random(5)
    return "".join(
        f"r{i},{rng.uniform(-1, 1):.4f},{rng.uniform(-1, 1):.4f},{rng.uniform(-1, 1):.4f}\n"
        for i in range(records)
    )


def measure_transform_throughput(bench: Workbench, records: int = RECORDS) -> dict[str, Any]:
    inference = Inference(bench)
    group = f"bench-transform-{int(time.time())}"
    package = bench.register(
        group,
        model_url=bench.upload_model(group, linear_model([0.3, -0.2, 0.1])),
        report_url=bench.upload_report(group, quality_report("accuracy", 0.9)),
        metadata={"git_commit": "bench", "data_version": "bench", "build_id": "1"},
    )
    uri = inference.put(f"bench/{group}/input.csv", _input(records))
    started = time.perf_counter()
    execution = inference.run_batch(
        {"model_package_arn": package, "input_s3_uri": uri, "input_filter": "$[1:]"},
        timeout=600,
    )
    wall = time.perf_counter() - started
    if execution["status"] != "SUCCEEDED":
        raise RuntimeError(f"the benchmark transform failed: {execution.get('cause')}")
    outcome = json.loads(execution["output"])
    job = bench.client("sagemaker").describe_transform_job(TransformJobName=outcome["job_name"])
    job_seconds = (job["TransformEndTime"] - job["TransformStartTime"]).total_seconds()
    written = inference.read(outcome["outputs"][0]).count("\n")
    if written != records:
        raise RuntimeError(f"{written} output lines for {records} input records")
    return {
        "transform_records": records,
        "transform_job_s": round(job_seconds, 2),
        "transform_records_per_s": round(records / job_seconds),
        "transform_execution_s": round(wall, 2),
        "transform_end_to_end_records_per_s": round(records / wall),
    }


def main() -> None:
    from rollout_local.server import LocalStack, free_port

    with LocalStack(port=free_port()) as stack:
        figures = measure_transform_throughput(Workbench(endpoint_url=stack.endpoint_url))
    for key, value in figures.items():
        print(f"{key:40} {value}")
    print(f"{figures['transform_records_per_s']} records/s")


if __name__ == "__main__":
    main()
