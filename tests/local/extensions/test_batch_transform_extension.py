"""Transform jobs on the local model: DataProcessing semantics, outputs, statuses, events."""

from __future__ import annotations

import json
import math
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from rollout_local.extensions._data_processing import (
    FilterError,
    apply_path,
    join_with_input,
)

from .conftest import BUCKET, Events, create_model, put_model, wait_until


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def job(session: boto3.Session, name: str, uri: str, **extra: Any) -> dict[str, Any]:
    sagemaker = session.client("sagemaker")
    request: dict[str, Any] = {
        "TransformJobName": name,
        "ModelName": "tm",
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": f"s3://{BUCKET}/out", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        **extra,
    }
    sagemaker.create_transform_job(**request)
    return dict(
        wait_until(
            lambda: (
                (d := sagemaker.describe_transform_job(TransformJobName=name))["TransformJobStatus"]
                in ("Completed", "Failed")
                and d
            )
        )
    )


def read(session: boto3.Session, key: str) -> list[str]:
    body = session.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return body.splitlines()


@pytest.fixture
def model(aws: boto3.Session) -> boto3.Session:
    create_model(aws, "tm", put_model(aws, "tm/model.tar.gz"))  # weights [1, -1]
    return aws


def test_csv_job_joins_every_output_line_with_its_input(model: boto3.Session) -> None:
    rows = ["7,1,0", "8,0,1", "9,2,2"]
    model.client("s3").put_object(Bucket=BUCKET, Key="in/a.csv", Body="\n".join(rows) + "\n")
    events = Events(model, {"detail-type": ["SageMaker Transform Job State Change"]})

    done = job(
        model,
        "j1",
        f"s3://{BUCKET}/in/a.csv",
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$"},
    )

    assert done["TransformJobStatus"] == "Completed", done
    assert done["DataProcessing"]["JoinSource"] == "Input"
    assert done["TransformEndTime"] >= done["TransformStartTime"]
    lines = read(model, "out/a.csv.out")
    assert len(lines) == 3
    for row, line in zip(rows, lines, strict=True):
        fields = line.split(",")
        assert fields[:3] == row.split(",")  # the input, unfiltered, then the inference
        x1, x2 = float(fields[1]), float(fields[2])
        assert float(fields[3]) == pytest.approx(sigmoid(x1 - x2))
    statuses = [
        e["detail"]["TransformJobStatus"]
        for e in events.wait_for(lambda e: e["detail"]["TransformJobStatus"] == "Completed")
    ]
    seen = [e["detail"]["TransformJobStatus"] for e in events.seen]
    assert statuses == ["Completed"] and seen[0] == "InProgress"


def test_output_filter_keeps_an_id_column_and_the_inference(model: boto3.Session) -> None:
    model.client("s3").put_object(Bucket=BUCKET, Key="in2/b.csv", Body="id1,1,0\nid2,0,1\n")
    job(
        model,
        "j2",
        f"s3://{BUCKET}/in2/",
        BatchStrategy="SingleRecord",
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    )
    lines = read(model, "out/b.csv.out")
    assert [line.split(",")[0] for line in lines] == ["id1", "id2"]
    assert float(lines[0].split(",")[1]) == pytest.approx(sigmoid(1))


def test_json_lines_join_adds_sagemaker_output(model: boto3.Session) -> None:
    records = [{"id": 1, "features": [1, 0], "label": 1}, {"id": 2, "features": [0, 3], "label": 0}]
    body = "\n".join(json.dumps(r) for r in records)
    model.client("s3").put_object(Bucket=BUCKET, Key="in3/c.jsonl", Body=body)
    done = job(
        model,
        "j3",
        f"s3://{BUCKET}/in3/c.jsonl",
        TransformInput={
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/in3/c.jsonl"}
            },
            "ContentType": "application/jsonlines",
            "SplitType": "Line",
        },
        DataProcessing={
            "InputFilter": "$.features",
            "JoinSource": "Input",
            "OutputFilter": "$['id','label','SageMakerOutput']",
        },
    )
    assert done["TransformJobStatus"] == "Completed", done
    out = [json.loads(line) for line in read(model, "out/c.jsonl.out")]
    assert [o["id"] for o in out] == [1, 2]
    assert set(out[0]) == {"id", "label", "SageMakerOutput"}
    assert out[1]["SageMakerOutput"]["predictions"][0] == pytest.approx(sigmoid(-3))


def test_a_record_the_model_rejects_fails_the_job_with_the_reason(model: boto3.Session) -> None:
    model.client("s3").put_object(Bucket=BUCKET, Key="in4/d.csv", Body="1,0\n1,2,3\n")
    done = job(model, "j4", f"s3://{BUCKET}/in4/d.csv", BatchStrategy="SingleRecord")
    assert done["TransformJobStatus"] == "Failed"
    assert done["FailureReason"].startswith("ClientError: ")
    assert "record" in done["FailureReason"] and "expected 2 features" in done["FailureReason"]


def test_missing_input_and_unknown_model_fail_clearly(model: boto3.Session) -> None:
    done = job(model, "j5", f"s3://{BUCKET}/nothing-here/")
    assert done["TransformJobStatus"] == "Failed"
    assert "No S3 objects found" in done["FailureReason"]
    with pytest.raises(ClientError, match="Could not find model"):
        model.client("sagemaker").create_transform_job(
            TransformJobName="j6",
            ModelName="nope",
            TransformInput={
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://x/y"}}
            },
            TransformOutput={"S3OutputPath": "s3://x/o"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )
    with pytest.raises(ClientError, match="already exists"):
        job(model, "j5", f"s3://{BUCKET}/nothing-here/")


def test_jsonpath_subset_and_join_semantics() -> None:
    assert apply_path(["a", "b", "c", "d"], "$[1:]") == ["b", "c", "d"]
    assert apply_path(["a", "b", "c", "d"], "$[0,2:]") == ["a", "c", "d"]
    assert apply_path(["a", "b", "c"], "$[-1]") == "c"
    assert apply_path({"x": {"y": [1, 2]}}, "$.x.y[0]") == 1
    assert apply_path({"a": 1, "b": 2, "c": 3}, "$['a','c']") == {"a": 1, "c": 3}
    assert apply_path([1, 2], "$") == [1, 2]
    with pytest.raises(FilterError, match="outside"):
        apply_path(["a"], "$[3]")
    with pytest.raises(FilterError, match="no attribute"):
        apply_path({"a": 1}, "$.b")
    assert join_with_input(["1", "2"], ["0.5"], csv=True) == ["1", "2", "0.5"]
    assert join_with_input({"f": [1]}, 0.5, csv=False) == {"f": [1], "SageMakerOutput": 0.5}
    assert join_with_input([1, 2], 0.5, csv=False) == {
        "SageMakerInput": [1, 2],
        "SageMakerOutput": 0.5,
    }
