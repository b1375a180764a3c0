"""The local model: artifact formats, scoring, deterministic errors, clear load errors."""

from __future__ import annotations

import json
import math

import boto3
import pytest

from rollout_local.local_model import (
    LinearModel,
    ModelInputError,
    ModelInstance,
    ModelLoadError,
    ModelServerError,
    load_model,
    parse_artifact,
)

from .conftest import BUCKET, put_model


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_tarball_and_json_artifacts_load_from_moto_s3(aws: boto3.Session) -> None:
    tar_url = put_model(aws, "a/model.tar.gz", weights=[2.0, 1.0], bias=0.5, latency_ms=7)
    json_url = put_model(aws, "b/model.json", weights=[2.0, 1.0], bias=0.5)
    for url in (tar_url, json_url):
        model = load_model(url)
        assert model.weights == (2.0, 1.0)
        assert model.bias == 0.5
    assert load_model(tar_url).latency_ms == 7
    assert load_model(tar_url) is load_model(tar_url)  # cached per ModelDataUrl


def test_overwritten_artifact_is_reloaded(aws: boto3.Session) -> None:
    url = put_model(aws, "c/model.json", weights=[1.0])
    assert load_model(url).weights == (1.0,)
    put_model(aws, "c/model.json", weights=[3.0])
    assert load_model(url).weights == (3.0,)


def test_csv_in_csv_out_and_json_in_json_out() -> None:
    instance = ModelInstance(LinearModel(weights=(1.0, -1.0), bias=0.0), "s3://x/y.json")
    csv = instance.invoke(b"1,0\n0,1\n", "text/csv")
    assert csv.content_type == "text/csv"
    scores = [float(line) for line in csv.body.decode().splitlines()]
    assert scores == pytest.approx([sigmoid(1), sigmoid(-1)])
    out = instance.invoke(json.dumps({"instances": [[2, 0]]}), "application/json")
    assert json.loads(out.body) == {"predictions": [pytest.approx(sigmoid(2))]}
    assert out.model_latency_us == 20_000


@pytest.mark.parametrize(
    ("body", "ctype"),
    [("1,2,3", "text/csv"), ("a,b", "text/csv"), ("{}", "application/json"), ("1,2", "image/png")],
)
def test_bad_input_is_a_client_error(body: str, ctype: str) -> None:
    instance = ModelInstance(LinearModel(weights=(1.0, 1.0)), "s3://x/y.json")
    with pytest.raises(ModelInputError):
        instance.invoke(body, ctype)


def test_error_rate_is_deterministic() -> None:
    instance = ModelInstance(LinearModel(weights=(1.0,), error_rate=0.25), "s3://x/y.json")
    failed = []
    for k in range(1, 13):
        try:
            instance.invoke("1", "text/csv")
        except ModelServerError:
            failed.append(k)
    assert failed == [4, 8, 12]


@pytest.mark.parametrize(
    ("data", "source", "message"),
    [
        (b"not a tarball", "s3://b/model.tar.gz", "valid tar.gz archive"),
        (b"{not json", "s3://b/model.json", "not valid JSON"),
        (b'{"type": "tree", "weights": [1]}', "s3://b/model.json", "unsupported model type"),
        (b'{"weights": []}', "s3://b/model.json", "non-empty list"),
        (b'{"weights": [1], "error_rate": 2}', "s3://b/model.json", "between 0 and 1"),
    ],
)
def test_bad_artifacts_have_clear_errors(data: bytes, source: str, message: str) -> None:
    with pytest.raises(ModelLoadError, match=message):
        parse_artifact(data, source)


def test_missing_artifact(aws: boto3.Session) -> None:
    with pytest.raises(ModelLoadError, match="Could not find model data"):
        load_model(f"s3://{BUCKET}/nope/model.tar.gz")
    with pytest.raises(ModelLoadError, match="not an s3://"):
        load_model("https://example.com/model.tar.gz")
