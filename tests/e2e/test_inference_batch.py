"""Batch transform on the real template: the batch state machine, its functions, the local
transform jobs over S3, and the event that ends the wait.

Each test asserts the execution's status, error/cause and history, and what is left in
SageMaker and S3 (joined outputs, the job's lineage tags, no temporary model).
"""

from __future__ import annotations

import json
import math

import pytest
from botocore.exceptions import ClientError
from tests.e2e.scenario import Scenario

from rollout_local.inference_workbench import Inference
from rollout_local.workbench import Workbench, wait_until

WEIGHTS = [0.5, -0.25, 0.1]  # the scenario's model
BATCH_PATH = ["PrepareTransform", "RunTransform", "FinishTransform", "Outcome"]


def score(row: list[float]) -> float:
    return 1 / (1 + math.exp(-sum(w * x for w, x in zip(WEIGHTS, row, strict=True))))


@pytest.fixture
def inference(bench: Workbench) -> Inference:
    return Inference(bench)


def rows(n: int) -> list[list[float]]:
    return [[round(0.1 * i, 3), round(1 - 0.05 * i, 3), float(i % 3)] for i in range(n)]


def assert_model_gone(bench: Workbench, job_name: str) -> None:
    with pytest.raises(ClientError, match="Could not find model"):
        bench.client("sagemaker").describe_model(ModelName=job_name)


def test_batch_transform_joins_every_output_line_with_its_input(
    scenario: Scenario, inference: Inference
) -> None:
    package = scenario.register()
    data = rows(25)
    lines = [f"id-{i}," + ",".join(str(x) for x in row) for i, row in enumerate(data)]
    uri = inference.put(f"data/{scenario.group}/input.csv", "\n".join(lines) + "\n")

    execution = inference.run_batch(
        {
            "model_package_arn": package,
            "input_s3_uri": uri,
            "input_filter": "$[1:]",  # the id column is not a feature
            "join_source": "Input",
        }
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert scenario.bench.entered_states(execution["executionArn"]) == [
        *BATCH_PATH,
        "Transformed",
    ]
    outcome = json.loads(execution["output"])
    assert outcome["status"] == "Completed" and outcome["model_deleted"] is True
    assert len(outcome["outputs"]) == 1 and outcome["outputs"][0].endswith("/input.csv.out")
    out = inference.read(outcome["outputs"][0]).splitlines()
    assert len(out) == len(lines)
    for line, row, joined in zip(lines, data, out, strict=True):
        fields = joined.split(",")
        assert ",".join(fields[:-1]) == line  # the whole input record, id included
        assert float(fields[-1]) == pytest.approx(score(row))
    # lineage on the job; the temporary model is gone
    sagemaker = scenario.bench.client("sagemaker")
    job = sagemaker.describe_transform_job(TransformJobName=outcome["job_name"])
    assert job["TransformJobStatus"] == "Completed"
    assert job["DataProcessing"] == {
        "InputFilter": "$[1:]",
        "JoinSource": "Input",
        "OutputFilter": "$",
    }
    assert job["TransformInput"]["SplitType"] == "Line"
    assert job["BatchStrategy"] == "MultiRecord"
    tags = {
        t["Key"]: t["Value"]
        for t in sagemaker.list_tags(ResourceArn=job["TransformJobArn"])["Tags"]
    }
    assert tags["rollout:model-package-arn"] == package
    assert tags["rollout:git-commit"] == "c0ffee1"
    assert tags["rollout:batch-input"] == uri
    assert_model_gone(scenario.bench, outcome["job_name"])


def test_transform_failure_ends_with_the_jobs_failure_reason(
    scenario: Scenario, inference: Inference
) -> None:
    package = scenario.register()
    uri = inference.put(f"data/{scenario.group}/bad.csv", "1,2,3\n1,2\n")  # row 2: 2 features

    execution = inference.run_batch({"model_package_arn": package, "input_s3_uri": uri})

    assert execution["status"] == "FAILED"
    assert execution["error"] == "TransformFailed"
    assert "ended Failed: ClientError" in execution["cause"]
    assert "expected 3 features per row, got 2" in execution["cause"]
    assert scenario.bench.entered_states(execution["executionArn"]) == [
        *BATCH_PATH,
        "TransformFailed",
    ]
    document = scenario.bench.state_output(execution["executionArn"], "FinishTransform")
    assert document is not None
    job_name = document["transform"]["job_name"]
    job = scenario.bench.client("sagemaker").describe_transform_job(TransformJobName=job_name)
    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"] in execution["cause"]
    assert_model_gone(scenario.bench, job_name)


def test_bad_request_is_a_named_error_and_creates_nothing(
    scenario: Scenario, inference: Inference
) -> None:
    before = scenario.bench.client("sagemaker").list_models(MaxResults=100)["Models"]
    execution = inference.run_batch({"input_s3_uri": "s3://x/y.csv"})  # no model named

    assert execution["status"] == "FAILED"
    assert execution["error"] == "InvalidBatchRequest"
    assert "exactly one of 'model_package_arn' or 'endpoint_name'" in execution["cause"]
    after = scenario.bench.client("sagemaker").list_models(MaxResults=100)["Models"]
    assert len(after) == len(before)


def test_an_object_landing_in_s3_transforms_it_with_the_serving_model(
    scenario: Scenario, inference: Inference
) -> None:
    scenario.policy()
    package, deployed = scenario.deploy()
    assert deployed["status"] == "SUCCEEDED", deployed
    already = {e["executionArn"] for e in inference.batch_executions()}

    data = rows(4)
    uri = inference.put(
        f"batch/incoming/{scenario.endpoint}/daily.csv",
        "\n".join(",".join(str(x) for x in row) for row in data),
    )

    started = wait_until(
        lambda: [e for e in inference.batch_executions() if e["executionArn"] not in already],
        timeout=20,
        what="a batch execution started by the S3 upload",
    )
    execution = inference.wait_execution(started[0]["executionArn"])
    assert execution["status"] == "SUCCEEDED", execution
    outcome = json.loads(execution["output"])
    assert outcome["model_package_arn"] == package  # the approved package serving the endpoint
    assert outcome["endpoint_name"] == scenario.endpoint
    assert outcome["input_s3_uri"] == uri
    out = inference.read(outcome["outputs"][0]).splitlines()
    assert [float(line.split(",")[-1]) for line in out] == pytest.approx([score(r) for r in data])
    assert [line.split(",")[:-1] for line in out] == [[str(x) for x in r] for r in data]
