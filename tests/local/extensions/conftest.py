"""Fixtures for the extension tests: moto in-process (mock_aws) with the extensions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from rollout_local import extensions
from rollout_local.extensions._common import stop_all_timers
from rollout_local.local_model import model_tarball

REGION = "us-east-1"
BUCKET = "models"


def wait_until(condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Poll ``condition`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


class Events:
    """Events of the default bus captured through a rule → SQS target (native in moto)."""

    def __init__(self, session: boto3.Session, pattern: dict[str, Any]) -> None:
        self.sqs = session.client("sqs", region_name=REGION)
        events = session.client("events", region_name=REGION)
        name = "capture-" + str(abs(hash(json.dumps(pattern, sort_keys=True))))[:10]
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
        self.seen: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        while True:
            got = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                return self.seen
            for message in messages:
                self.seen.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0) -> Any:
        return wait_until(lambda: [e for e in self.drain() if predicate(e)], timeout)


def _stack(monkeypatch: pytest.MonkeyPatch, background: bool) -> Iterator[boto3.Session]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("ROLLOUT_LOCAL_PROVISION_SECONDS", "0.2")
    monkeypatch.setenv("ROLLOUT_LOCAL_WEIGHT_SECONDS", "0.05")
    extensions.install()
    with mock_aws():
        stop = extensions.start_background() if background else stop_all_timers
        try:
            session = boto3.Session(region_name=REGION)
            session.client("s3").create_bucket(Bucket=BUCKET)
            yield session
        finally:
            stop()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """moto in-process with the extensions and their background workers."""
    yield from _stack(monkeypatch, background=True)


@pytest.fixture
def aws_manual(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """The same without the alarm evaluator: tests call ``evaluate_all(now)`` themselves."""
    yield from _stack(monkeypatch, background=False)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto's HTTP server (ThreadedMotoServer) with the extensions, as the local stack runs
    it; yields the keyword arguments of a boto3 client against it."""
    monkeypatch.setenv("ROLLOUT_LOCAL_PROVISION_SECONDS", "0.2")
    extensions.install()
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    stop = extensions.start_background()
    host, port = srv.get_host_and_port()
    try:
        yield {
            "endpoint_url": f"http://{host}:{port}",
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
    finally:
        stop()
        srv.stop()


def put_model(session: boto3.Session, key: str, **spec: Any) -> str:
    """Upload a model.tar.gz (or a .json when ``key`` ends so) and return its URL."""
    body = {"type": "linear", "weights": [1.0, -1.0], "bias": 0.0, **spec}
    data = json.dumps(body).encode() if key.endswith(".json") else model_tarball(body)
    session.client("s3").put_object(Bucket=BUCKET, Key=key, Body=data)
    return f"s3://{BUCKET}/{key}"


def create_model(session: boto3.Session, name: str, url: str) -> None:
    session.client("sagemaker").create_model(
        ModelName=name,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
        PrimaryContainer={
            "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1",
            "ModelDataUrl": url,
        },
    )


def create_config(
    session: boto3.Session,
    name: str,
    variants: list[tuple[str, str, float]],
    shadows: list[tuple[str, str, float]] | None = None,
    **extra: Any,
) -> None:
    def pv(variant: str, model: str, weight: float) -> dict[str, Any]:
        return {
            "VariantName": variant,
            "ModelName": model,
            "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large",
            "InitialVariantWeight": weight,
        }

    kwargs: dict[str, Any] = {
        "EndpointConfigName": name,
        "ProductionVariants": [pv(*v) for v in variants],
        **extra,
    }
    if shadows:
        kwargs["ShadowProductionVariants"] = [pv(*v) for v in shadows]
    session.client("sagemaker").create_endpoint_config(**kwargs)


def status(session: boto3.Session, endpoint: str) -> str:
    return str(
        session.client("sagemaker").describe_endpoint(EndpointName=endpoint)["EndpointStatus"]
    )


def in_service_endpoint(
    session: boto3.Session,
    endpoint: str = "ep",
    weights: tuple[float, ...] = (1.0,),
    **model_spec: Any,
) -> None:
    """An InService endpoint with one variant per weight (v0, v1, ...), model per variant."""
    variants = []
    for i, weight in enumerate(weights):
        url = put_model(session, f"{endpoint}-v{i}/model.tar.gz", **model_spec)
        create_model(session, f"{endpoint}-m{i}", url)
        variants.append((f"v{i}", f"{endpoint}-m{i}", weight))
    create_config(session, f"{endpoint}-cfg", variants)
    session.client("sagemaker").create_endpoint(
        EndpointName=endpoint, EndpointConfigName=f"{endpoint}-cfg"
    )
    wait_until(lambda: status(session, endpoint) == "InService")
