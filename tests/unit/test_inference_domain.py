"""Batch requests, the fixed-set reader and async submissions (pure domain, fakes for AWS)."""

from __future__ import annotations

from typing import Any

import pytest

from model_rollout.config import AsyncSubmitSettings, TransformSettings
from model_rollout.domain.policy import Policy, ValidationDataset
from model_rollout.errors import AsyncRequestRefused, InvalidBatchRequest, InvalidMetricsReport
from model_rollout.modes.asynchronous import (
    MAX_INPUT_BYTES,
    AsyncInput,
    SubmitRequest,
    async_inference_config,
    scaling_plan,
    submit,
)
from model_rollout.workflow.fixed_set import parse_joined
from model_rollout.workflow.transforms import parse_batch_input, validation_filter

CONFIG = TransformSettings(
    inference_bucket="inf",
    batch_input_prefix="batch/incoming/",
    batch_output_prefix="batch/output/",
    transform_wait_seconds=600,
    transform_instance_type="ml.m5.large",
    async_success_topic_arn="arn:aws:sns:us-east-1:111122223333:ok",
    async_error_topic_arn="arn:aws:sns:us-east-1:111122223333:err",
)
SUBMIT = AsyncSubmitSettings(
    inference_bucket="inf",
    async_success_topic_arn="arn:aws:sns:us-east-1:111122223333:ok",
    async_error_topic_arn="arn:aws:sns:us-east-1:111122223333:err",
    allowed_buckets=("shared",),
)


def s3_event(key: str, bucket: str = "inf") -> dict[str, Any]:
    return {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": bucket}, "object": {"key": key, "size": 10}},
    }


def test_an_s3_event_names_the_endpoint_and_the_content_type() -> None:
    request = parse_batch_input(s3_event("batch/incoming/churn-prod/2024/06/day.jsonl"), CONFIG)
    assert request.endpoint_name == "churn-prod"
    assert request.input_s3_uri == "s3://inf/batch/incoming/churn-prod/2024/06/day.jsonl"
    assert request.content_type == "application/jsonlines"
    with pytest.raises(InvalidBatchRequest, match="<endpoint-name>/<file>"):
        parse_batch_input(s3_event("batch/incoming/only-a-file.csv"), CONFIG)
    with pytest.raises(InvalidBatchRequest, match=r"\.csv, \.jsonl or \.json"):
        parse_batch_input(s3_event("batch/incoming/ep/data.parquet"), CONFIG)


def test_requests_name_exactly_one_model_and_unknown_fields_are_errors() -> None:
    with pytest.raises(InvalidBatchRequest, match="exactly one"):
        parse_batch_input({"input_s3_uri": "s3://b/k"}, CONFIG)
    with pytest.raises(InvalidBatchRequest, match="exactly one"):
        parse_batch_input(
            {"endpoint_name": "e", "model_package_arn": "arn", "input_s3_uri": "s3://b/k"}, CONFIG
        )
    with pytest.raises(InvalidBatchRequest, match="input_fliter"):
        parse_batch_input({"endpoint_name": "e", "input_s3_uri": "s3://b/k", "input_fliter": "$"})
    with pytest.raises(InvalidBatchRequest, match="schedule fired without an input"):
        parse_batch_input({"detail-type": "Scheduled Event", "detail": {}}, CONFIG)


def test_validation_filters_pass_the_features_only() -> None:
    assert validation_filter(ValidationDataset(s3_uri="s3://b/k", label=0)) == "$[1:]"
    assert validation_filter(ValidationDataset(s3_uri="s3://b/k", label=-1)) == "$[:-1]"
    assert validation_filter(ValidationDataset(s3_uri="s3://b/k", label=2)) == "$[0:2,3:]"
    jsonl = ValidationDataset(
        s3_uri="s3://b/k", content_type="application/jsonlines", label="y", features="x"
    )
    assert validation_filter(jsonl) == "$.x"


def test_joined_outputs_give_labels_and_scores() -> None:
    csv = ValidationDataset(s3_uri="s3://b/k", label=-1)
    assert parse_joined("0.1,0.2,1,0.73\n0.3,0.1,0,0.2\n", csv, "x") == ([1.0, 0.0], [0.73, 0.2])
    jsonl = ValidationDataset(s3_uri="s3://b/k", content_type="application/jsonlines", label="y")
    text = '{"x": [1], "y": 1, "SageMakerOutput": {"predictions": [0.9]}}\n'
    assert parse_joined(text, jsonl, "x") == ([1.0], [0.9])
    with pytest.raises(InvalidMetricsReport, match="record 1 of x"):
        parse_joined('{"x": [1], "SageMakerOutput": 0.5}\n', jsonl, "x")


class FakeRuntime:
    def __init__(self, sizes: dict[str, int], is_async: bool = True) -> None:
        self.sizes, self.is_async, self.invoked = sizes, is_async, []  # type: list[str]

    def object_size(self, uri: str) -> int | None:
        return self.sizes.get(uri)

    def is_async_endpoint(self, name: str) -> bool:
        return self.is_async

    def invoke_async(self, endpoint: str, uri: str, **kwargs: Any) -> dict[str, Any]:
        self.invoked.append(uri)
        rid = kwargs["inference_id"]
        return {"InferenceId": rid, "OutputLocation": f"s3://inf/o/{rid}.out"}


class FakeRequests:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def put_submitted(self, record: dict[str, Any], *, ttl_seconds: int) -> None:
        self.items.append(record)


def test_one_refused_input_refuses_the_whole_submission() -> None:
    runtime = FakeRuntime({"s3://inf/a.csv": 10, "s3://inf/big.csv": MAX_INPUT_BYTES + 1})
    requests = FakeRequests()
    request = SubmitRequest(
        endpoint_name="e",
        inputs=[
            AsyncInput(s3_uri="s3://inf/a.csv"),
            AsyncInput(s3_uri="s3://inf/big.csv"),
            AsyncInput(s3_uri="s3://elsewhere/c.csv"),
            AsyncInput(s3_uri="s3://shared/missing.csv"),
        ],
    )
    with pytest.raises(AsyncRequestRefused) as refused:
        submit(request, runtime=runtime, requests=requests, config=SUBMIT)  # type: ignore[arg-type]
    message = str(refused.value)
    assert message.startswith("3 of 4 inputs refused, nothing submitted")
    assert "over the 1 GB" in message and "outside the allowed buckets" in message
    assert "does not exist" in message
    assert runtime.invoked == [] and requests.items == []


def test_accepted_inputs_are_invoked_and_recorded() -> None:
    runtime = FakeRuntime({"s3://inf/a.csv": 10})
    requests = FakeRequests()
    request = SubmitRequest(endpoint_name="e", inputs=[AsyncInput(s3_uri="s3://inf/a.csv")])
    records = submit(request, runtime=runtime, requests=requests, config=SUBMIT)  # type: ignore[arg-type]
    assert [r.status for r in records] == ["Submitted"]
    assert requests.items[0]["output_location"].endswith(f"{records[0].request_id}.out")
    runtime.is_async = False
    with pytest.raises(AsyncRequestRefused, match="not an asynchronous endpoint"):
        submit(request, runtime=runtime, requests=requests, config=SUBMIT)  # type: ignore[arg-type]


def test_async_mode_configures_the_endpoint_and_scaling_to_zero() -> None:
    policy = Policy.model_validate({"endpoint_name": "ep", "mode": "async"})
    config = async_inference_config(policy, CONFIG)
    assert config is not None
    assert config["OutputConfig"]["S3OutputPath"] == "s3://inf/async/output/ep"
    assert config["OutputConfig"]["NotificationConfig"]["ErrorTopic"].endswith(":err")
    assert async_inference_config(Policy(endpoint_name="ep"), CONFIG) is None
    plan = scaling_plan(policy, "ep", "v1")
    assert plan["target"]["MinCapacity"] == 0
    assert plan["target"]["ResourceId"] == "endpoint/ep/variant/v1"
    tracking = plan["backlog_policy"]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["CustomizedMetricSpecification"]["MetricName"] == (
        "ApproximateBacklogSizePerInstance"
    )
    assert plan["from_zero_alarm"]["MetricName"] == "HasBacklogWithoutCapacity"
