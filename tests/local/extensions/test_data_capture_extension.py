"""Data capture: SageMaker's JSON Lines capture files for production and shadow variants."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import boto3

from rollout_local.extensions import data_capture

from .conftest import BUCKET, create_config, create_model, put_model, status, wait_until

KEY = re.compile(
    r"^capture/(?P<endpoint>[^/]+)/(?P<variant>[^/]+)/\d{4}/\d{2}/\d{2}/\d{2}/"
    r"\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$"
)


def endpoint_with_capture(session: boto3.Session, name: str, capture: dict[str, Any]) -> None:
    create_model(session, f"{name}-p", put_model(session, f"{name}/p.tar.gz"))
    create_model(session, f"{name}-s", put_model(session, f"{name}/s.tar.gz", bias=1.0))
    create_config(
        session,
        f"{name}-cfg",
        [("prod", f"{name}-p", 1.0)],
        shadows=[("shadow", f"{name}-s", 1.0)],
        DataCaptureConfig={"DestinationS3Uri": f"s3://{BUCKET}/capture", **capture},
    )
    session.client("sagemaker").create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-cfg")
    wait_until(lambda: status(session, name) == "InService")


def records(session: boto3.Session, endpoint: str) -> dict[str, list[dict[str, Any]]]:
    data_capture.flush_all()
    s3 = session.client("s3")
    found: dict[str, list[dict[str, Any]]] = {}
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"capture/{endpoint}/").get("Contents", [])
    for item in listed:
        match = KEY.match(item["Key"])
        assert match, item["Key"]
        body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode()
        found.setdefault(match["variant"], []).extend(
            json.loads(line) for line in body.splitlines() if line
        )
    return found


def test_sampled_requests_are_captured_for_both_variants_under_one_event_id(
    aws: boto3.Session,
) -> None:
    endpoint_with_capture(
        aws,
        "cap",
        {
            "InitialSamplingPercentage": 50,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        },
    )
    described = aws.client("sagemaker").describe_endpoint(EndpointName="cap")
    assert described["DataCaptureConfig"]["CurrentSamplingPercentage"] == 50
    runtime = aws.client("sagemaker-runtime")
    for k in range(10):
        runtime.invoke_endpoint(
            EndpointName="cap", ContentType="text/csv", Body=f"{k},1", InferenceId=f"req-{k}"
        )

    found = records(aws, "cap")
    assert sorted(found) == ["prod", "shadow"]
    assert len(found["prod"]) == len(found["shadow"]) == 5  # 50 % of 10 requests
    prod = {r["eventMetadata"]["eventId"]: r for r in found["prod"]}
    shadow = {r["eventMetadata"]["eventId"]: r for r in found["shadow"]}
    assert set(prod) == set(shadow)  # the shadow copy carries the production request's id
    for event_id, record in prod.items():
        twin = shadow[event_id]
        assert record["eventVersion"] == "0"
        assert set(record["eventMetadata"]) == {"eventId", "inferenceId", "inferenceTime"}
        assert re.match(
            r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", record["eventMetadata"]["inferenceTime"]
        )
        assert record["eventMetadata"]["inferenceId"] == twin["eventMetadata"]["inferenceId"]
        request = record["captureData"]["endpointInput"]
        assert request == {
            "observedContentType": "text/csv",
            "mode": "INPUT",
            "data": twin["captureData"]["endpointInput"]["data"],
            "encoding": "CSV",
        }
        answer = record["captureData"]["endpointOutput"]
        assert (answer["mode"], answer["encoding"]) == ("OUTPUT", "CSV")
        # the shadow model (bias 1) scores higher than production on the same request
        assert float(twin["captureData"]["endpointOutput"]["data"]) > float(answer["data"])


def test_without_a_content_type_header_data_is_base64_and_capture_options_choose_parts(
    aws: boto3.Session,
) -> None:
    endpoint_with_capture(
        aws,
        "cap64",
        {"InitialSamplingPercentage": 100, "CaptureOptions": [{"CaptureMode": "Input"}]},
    )
    aws.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="cap64", ContentType="text/csv", Body="1,2"
    )
    found = records(aws, "cap64")
    record = found["prod"][0]
    assert set(record["captureData"]) == {"endpointInput"}
    assert record["captureData"]["endpointInput"]["encoding"] == "BASE64"
    assert base64.b64decode(record["captureData"]["endpointInput"]["data"]) == b"1,2"
    assert "inferenceId" not in record["eventMetadata"]


def test_disabled_capture_writes_nothing(aws: boto3.Session) -> None:
    endpoint_with_capture(
        aws,
        "capoff",
        {
            "EnableCapture": False,
            "InitialSamplingPercentage": 100,
            "CaptureOptions": [{"CaptureMode": "InputAndOutput"}],
        },
    )
    aws.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="capoff", ContentType="text/csv", Body="1,2"
    )
    assert records(aws, "capoff") == {}
