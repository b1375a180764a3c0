"""Asynchronous inference on the real template: an async endpoint deployed by the pipeline,
the submit function, the local InvokeEndpointAsync over S3, SNS notifications delivered to
the result function, and the status lookup.
"""

from __future__ import annotations

import math

import pytest
from tests.e2e.scenario import Scenario

from rollout_local.extensions.backends import put_sparse_object
from rollout_local.inference_workbench import FunctionFailed, Inference
from rollout_local.workbench import Workbench

WEIGHTS = [0.5, -0.25, 0.1]
ONE_GIB = 1024**3


@pytest.fixture
def inference(bench: Workbench) -> Inference:
    return Inference(bench)


def deploy_async(scenario: Scenario, **register: object) -> str:
    scenario.policy(mode="async", async_inference={"max_concurrent_invocations_per_instance": 2})
    package, execution = scenario.deploy(**register)  # type: ignore[arg-type]
    assert execution["status"] == "SUCCEEDED", execution
    return package


def test_async_request_succeeds_and_its_result_is_recorded(
    scenario: Scenario, inference: Inference
) -> None:
    deploy_async(scenario)
    described = scenario.endpoint_state()
    assert described is not None
    config = described["AsyncInferenceConfig"]
    assert config["ClientConfig"]["MaxConcurrentInvocationsPerInstance"] == 2
    assert config["OutputConfig"]["S3OutputPath"].endswith(f"/async/output/{scenario.endpoint}")
    notification = config["OutputConfig"]["NotificationConfig"]
    assert "AsyncSuccessTopic" in notification["SuccessTopic"]
    assert "AsyncErrorTopic" in notification["ErrorTopic"]
    # backlog autoscaling that can go to zero
    scaling = scenario.bench.client("application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    mine = [t for t in targets if t["ResourceId"].startswith(f"endpoint/{scenario.endpoint}/")]
    assert len(mine) == 1 and mine[0]["MinCapacity"] == 0
    policies = scaling.describe_scaling_policies(
        ServiceNamespace="sagemaker", ResourceId=mine[0]["ResourceId"]
    )["ScalingPolicies"]
    assert {p["PolicyType"] for p in policies} == {"TargetTrackingScaling", "StepScaling"}

    uri = inference.put(f"async/input/{scenario.group}/a.csv", "1,2,3\n0,0,1\n")
    submitted = inference.submit_async(
        scenario.endpoint, [{"s3_uri": uri, "content_type": "text/csv"}]
    )["requests"][0]
    assert submitted["status"] == "Submitted"
    assert submitted["output_location"].endswith(f"{submitted['request_id']}.out")

    done = inference.wait_async(submitted["request_id"])
    assert done["status"] == "Completed", done
    assert done["output_location"] == submitted["output_location"]
    assert "failure_reason" not in done
    scores = [float(x) for x in inference.read(done["output_location"]).split()]
    expected = [1 / (1 + math.exp(-(0.5 - 0.5 + 0.3))), 1 / (1 + math.exp(-0.1))]
    assert scores == pytest.approx(expected)


def test_async_model_error_is_recorded_with_its_reason(
    scenario: Scenario, inference: Inference
) -> None:
    deploy_async(scenario, error_rate=1.0)
    uri = inference.put(f"async/input/{scenario.group}/b.csv", "1,2,3\n")

    submitted = inference.submit_async(scenario.endpoint, [{"s3_uri": uri}])["requests"][0]
    done = inference.wait_async(submitted["request_id"])

    assert done["status"] == "Failed", done
    assert "Received server error (500) from model" in done["failure_reason"]
    assert done["failure_location"] == submitted["failure_location"]
    assert "output_location" not in done or done["output_location"] == submitted["output_location"]
    assert "Received server error (500)" in inference.read(done["failure_location"])


def test_oversized_and_foreign_inputs_are_refused_and_nothing_is_invoked(
    scenario: Scenario, inference: Inference
) -> None:
    deploy_async(scenario)
    small = inference.put(f"async/input/{scenario.group}/ok.csv", "1,2,3\n")
    put_sparse_object(inference.bucket, f"async/input/{scenario.group}/huge.csv", ONE_GIB + 1)
    huge = f"s3://{inference.bucket}/async/input/{scenario.group}/huge.csv"
    outputs_before = (
        scenario.bench.client("s3")
        .list_objects_v2(Bucket=inference.bucket, Prefix=f"async/output/{scenario.endpoint}/")
        .get("KeyCount", 0)
    )

    with pytest.raises(FunctionFailed) as refused:
        inference.submit_async(scenario.endpoint, [{"s3_uri": small}, {"s3_uri": huge}])
    assert refused.value.error_type == "AsyncRequestRefused"
    assert "over the 1 GB (1073741824 bytes) limit" in refused.value.message
    assert "nothing submitted" in refused.value.message

    with pytest.raises(FunctionFailed) as foreign:
        inference.submit_async(scenario.endpoint, [{"s3_uri": "s3://someone-else/x.csv"}])
    assert foreign.value.error_type == "AsyncRequestRefused"
    assert "outside the allowed buckets" in foreign.value.message

    # the small input of the refused submission was not invoked either
    outputs_after = (
        scenario.bench.client("s3")
        .list_objects_v2(Bucket=inference.bucket, Prefix=f"async/output/{scenario.endpoint}/")
        .get("KeyCount", 0)
    )
    assert outputs_after == outputs_before == 0
    assert inference.async_status("no-such-request") == {
        "request_id": "no-such-request",
        "found": False,
    }
