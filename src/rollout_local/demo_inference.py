"""``make demo-inference``: asynchronous inference and batch transform on the local stack.

1. A model version is approved for an endpoint whose policy says ``mode: async``: the
   pipeline deploys it with ``AsyncInferenceConfig`` and backlog autoscaling.
2. An input lands in S3 and is submitted (SubmitAsyncFunction → InvokeEndpointAsync); the
   model runs in the background, writes its output to S3 and SageMaker's SNS notification
   reaches AsyncResultFunction, which records it; AsyncStatusFunction reads it back.
3. A CSV lands under ``batch/incoming/<endpoint>/``: the batch state machine starts by
   itself, runs the serving model over it as a transform job and writes one output line
   per input line, the input record joined with its inference.

Exits non-zero if any outcome differs from the expected one.
"""

from __future__ import annotations

import json
import sys
import time

from rollout_local.inference_workbench import Inference
from rollout_local.server import LocalStack, free_port
from rollout_local.workbench import Workbench, linear_model, quality_report, wait_until

GROUP = "churn-async"
ENDPOINT = "churn-async"


def say(text: str = "") -> None:
    print(text, flush=True)


def run(bench: Workbench) -> bool:
    inference = Inference(bench)
    ok = True
    bench.put_policy(
        GROUP,
        {
            "endpoint_name": ENDPOINT,
            "mode": "async",
            "strategy": {"type": "all_at_once", "bake_seconds": 2},
            "async_inference": {"max_concurrent_invocations_per_instance": 4, "min_capacity": 0},
            "validation": {"metric": "accuracy", "min_value": 0.8},
        },
    )
    package = bench.register(
        GROUP,
        model_url=bench.upload_model(f"{GROUP}-v1", linear_model([0.8, -0.5, 0.3])),
        report_url=bench.upload_report(f"{GROUP}-v1", quality_report("accuracy", 0.91)),
        metadata={"git_commit": "4f2a9c1", "data_version": "2024-06-01", "build_id": "117"},
    )
    say(f"1. approve {package.rsplit('/', 2)[-2]}/1 (policy mode: async)")
    bench.approve(package)
    execution = bench.wait_for_execution(package, timeout=90)
    described = bench.describe_endpoint(ENDPOINT) or {}
    config = described.get("AsyncInferenceConfig", {})
    say(f"   deployment {execution['status']}; endpoint {described.get('EndpointStatus')}")
    say(f"   AsyncInferenceConfig: {json.dumps(config.get('OutputConfig', {}), indent=None)}")
    ok &= execution["status"] == "SUCCEEDED" and bool(config)

    say("\n2. asynchronous request")
    uri = inference.put("async/input/customer-42.csv", "0.9,0.1,0.4\n0.2,0.7,0.1\n")
    started = time.perf_counter()
    submitted = inference.submit_async(ENDPOINT, [{"s3_uri": uri, "content_type": "text/csv"}])
    request = submitted["requests"][0]
    say(f"   submitted {request['request_id']} ({request['status']}) input {uri}")
    done = inference.wait_async(request["request_id"])
    say(
        f"   {done['status']} after {time.perf_counter() - started:.2f} s "
        f"(SNS notification → AsyncResultFunction)"
    )
    if done["status"] == "Completed":
        say(f"   output {done['output_location']}:")
        for line in inference.read(done["output_location"]).split():
            say(f"     {line}")
    ok &= done["status"] == "Completed"

    say(f"\n3. batch transform: a CSV lands in s3://{inference.bucket}/batch/incoming/{ENDPOINT}/")
    already = {e["executionArn"] for e in inference.batch_executions()}
    rows = ["cust-1,0.9,0.1,0.4", "cust-2,0.2,0.7,0.1", "cust-3,0.5,0.5,0.5", "cust-4,0.0,1.0,0.9"]
    # the id column is kept in the output but not sent to the model: the request names
    # input_filter "$[1:]"; an upload uses the whole record, so this file has features only
    features = [",".join(r.split(",")[1:]) for r in rows]
    inference.put(f"batch/incoming/{ENDPOINT}/daily.csv", "\n".join(features) + "\n")
    started_by_s3 = wait_until(
        lambda: [e for e in inference.batch_executions() if e["executionArn"] not in already],
        timeout=20,
        what="the batch execution the upload starts",
    )
    batch = inference.wait_execution(started_by_s3[0]["executionArn"])
    ok &= batch["status"] == "SUCCEEDED"
    outcome = json.loads(batch.get("output") or "{}")
    say(f"   execution {batch['status']} (started by the S3 event), job {outcome.get('job_name')}")
    for line in inference.read(outcome["outputs"][0]).split():
        say(f"     {line}")

    say(
        "\n   the same rows with an id column, started directly"
        " (InputFilter $[1:], JoinSource Input)"
    )
    uri = inference.put("batch/requests/customers.csv", "\n".join(rows) + "\n")
    direct = inference.run_batch(
        {"endpoint_name": ENDPOINT, "input_s3_uri": uri, "input_filter": "$[1:]"}
    )
    ok &= direct["status"] == "SUCCEEDED"
    outcome = json.loads(direct.get("output") or "{}")
    joined = inference.read(outcome["outputs"][0]).split()
    for line in joined:
        say(f"     {line}")
    ok &= [line.rsplit(",", 1)[0] for line in joined] == rows
    say(f"   every output line carries its input: {'yes' if ok else 'NO'}")
    return ok


def main() -> None:
    with LocalStack(port=free_port()) as stack:
        say(f"local stack ready at {stack.endpoint_url}\n")
        ok = run(Workbench(endpoint_url=stack.endpoint_url))
    say("\nall outcomes as expected" if ok else "\nUNEXPECTED OUTCOME")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
