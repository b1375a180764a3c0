"""The endpoint, bake and closing handlers on moto (UpdateEndpoint is unit-tested: moto
lacks it). Task tokens are recorded by a fake: moto cannot mint real ones."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from tests.helpers.handlers import load_handler
from tests.helpers.lambda_context import FakeLambdaContext
from tests.helpers.moto_env import ROLE_ARN, RolloutWorld, mocked_aws
from tests.helpers.rollout_steps import (
    DEPLOYMENT_ID,
    ENDPOINT,
    RELEASE,
    FakeTasks,
    create_waiters_table,
    deployment_document,
    event,
)

from model_rollout.adapters.waiters import Waiters, alarm_key, endpoint_key
from model_rollout.domain.alarm_specs import created_alarm_names
from model_rollout.domain.deployment import Deployment

CONTEXT = FakeLambdaContext()
FINAL = RELEASE["final_config_name"]
GREEN = RELEASE["variant_name"]


@pytest.fixture
def world() -> Iterator[RolloutWorld]:
    with mocked_aws() as world:
        create_waiters_table(world.dynamodb)
        yield world


def _release_resources(world: RolloutWorld, *, name: str, tags: dict[str, str]) -> None:
    world.sagemaker.create_model(
        ModelName=f"{name}-model",
        PrimaryContainer={"Image": "img:1"},
        ExecutionRoleArn=ROLE_ARN,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    world.sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": GREEN,
                "ModelName": f"{name}-model",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            }
        ],
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )


def _with_tasks(step: str) -> tuple[Any, FakeTasks]:
    module = load_handler(step)
    tasks = FakeTasks()
    module.tasks = tasks  # type: ignore[attr-defined]
    return module, tasks


def test_first_deployment_then_await_releases_the_token_at_once(world: RolloutWorld) -> None:
    _release_resources(world, name=FINAL, tags=RELEASE["tags"])
    document = deployment_document(first=True, previous=None)
    change = load_handler("deploy").lambda_handler(document, CONTEXT)
    assert change["expect"] == {
        "endpoint_config_name": FINAL,
        "weights": {GREEN: 1.0},
        "absent": False,
        "settled": False,
    }
    endpoint = world.sagemaker.describe_endpoint(EndpointName=ENDPOINT)
    tags = world.sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
    assert {"Key": "rollout:deployment-id", "Value": DEPLOYMENT_ID} in tags

    module, tasks = _with_tasks("await_endpoint")
    payload = {
        "task_token": "tok-await",
        "deployment_id": DEPLOYMENT_ID,
        "endpoint_name": ENDPOINT,
        "expect": change["expect"],
    }
    assert module.lambda_handler(payload, CONTEXT) == {"result": "met"}
    token, output = tasks.succeeded[0]
    assert token == "tok-await"
    assert output["endpoint_config_name"] == FINAL and output["status"] == "InService"
    assert Waiters().get(endpoint_key(ENDPOINT)) is None


def test_endpoint_event_fails_the_waiter_on_a_silent_fallback(world: RolloutWorld) -> None:
    world.serve(ENDPOINT, model_package_arn=None)  # InService on churn-prod-config-old
    Waiters().park(
        endpoint_key(ENDPOINT), "tok", DEPLOYMENT_ID, {"endpoint_config_name": "the-bake"}, 60
    )
    module, tasks = _with_tasks("endpoint_event")
    result = module.lambda_handler(event("endpoint-state-change.in-service.json"), CONTEXT)
    assert result == {"result": "failed"}
    token, error, cause = tasks.failed[0]
    assert (token, error) == ("tok", "DeploymentFailed")
    assert "InService on config churn-prod-config-old, not on the requested the-bake" in cause
    assert Waiters().get(endpoint_key(ENDPOINT)) is None


def test_endpoint_event_without_a_waiter_does_nothing(world: RolloutWorld) -> None:
    module, tasks = _with_tasks("endpoint_event")
    result = module.lambda_handler(event("endpoint-state-change.in-service.json"), CONTEXT)
    assert result == {"result": "no-waiter"} and not tasks.failed and not tasks.succeeded


def test_rollback_shifts_weights_on_moto(world: RolloutWorld) -> None:
    world.serve(ENDPOINT, model_package_arn=None)  # variant "blue" on the old config
    document = deployment_document(failure={"Error": "AlarmFired", "Cause": "alarm"})
    # the endpoint still on the previous config: a fallback; nothing to shift
    change = load_handler("rollback").lambda_handler(document, CONTEXT)
    assert change["action"] == "none"
    assert change["expect"]["endpoint_config_name"] == "churn-prod-config-old"


def test_alarms_watch_and_alarm_event(world: RolloutWorld) -> None:
    document = deployment_document(
        policy={"endpoint_name": ENDPOINT, "alarms": {"extra_alarm_names": ["kpi"]}}
    )
    alarm_set = load_handler("create_alarms").lambda_handler(document, CONTEXT)
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    created = alarm_set["created_alarm_names"]
    assert alarm_set["alarm_names"] == [*created, "kpi"]
    described = cloudwatch.describe_alarms(AlarmNames=created)["MetricAlarms"]
    assert {a["AlarmName"] for a in described} == set(created)

    module, tasks = _with_tasks("watch")
    payload = {
        "task_token": "bake-token",
        "deployment_id": DEPLOYMENT_ID,
        "endpoint_name": ENDPOINT,
        "alarm_names": alarm_set["alarm_names"],
    }
    result = module.lambda_handler(payload, CONTEXT)
    assert result == {"result": "watching", "missing_alarms": ["kpi"]}
    assert Waiters().get(alarm_key(created[0])) is not None

    alarm_event = event("alarm-state-change.alarm.json")
    alarm_event["detail"]["alarmName"] = created[0]
    module, tasks = _with_tasks("alarm_event")
    result = module.lambda_handler(alarm_event, CONTEXT)
    assert result["result"] == "fired"
    token, error, cause = tasks.failed[0]
    assert (token, error) == ("bake-token", "AlarmFired")
    assert cause.startswith(f"alarm {created[0]} entered ALARM: error rate 0.0532 > threshold 0.01")
    assert Waiters().get(alarm_key(created[1])) is None  # all of the bake's alarm waiters


def test_watch_fails_at_once_when_an_alarm_is_already_in_alarm(world: RolloutWorld) -> None:
    document = deployment_document()
    alarm_set = load_handler("create_alarms").lambda_handler(document, CONTEXT)
    latency = alarm_set["created_alarm_names"][1]
    boto3.client("cloudwatch", region_name="us-east-1").set_alarm_state(
        AlarmName=latency,
        StateValue="ALARM",
        StateReason="Threshold Crossed: 1 datapoint [812000.0] was greater than the threshold",
        StateReasonData=json.dumps({"recentDatapoints": [812000.0], "threshold": 500000.0}),
    )
    module, tasks = _with_tasks("watch")
    payload = {
        "task_token": "bake-token",
        "deployment_id": DEPLOYMENT_ID,
        "endpoint_name": ENDPOINT,
        "alarm_names": alarm_set["alarm_names"],
    }
    assert module.lambda_handler(payload, CONTEXT)["result"] == "fired"
    _, error, cause = tasks.failed[0]
    assert error == "AlarmFired"
    assert "ModelLatency p99 812 ms > threshold 500 ms" in cause


def test_finalize_cleans_up_prunes_and_records(world: RolloutWorld, monkeypatch: Any) -> None:
    monkeypatch.setenv("RETAINED_RELEASES", "1")
    from model_rollout.config import settings

    settings.cache_clear()
    # four older releases of this endpoint, one of another endpoint sharing the prefix
    for n in range(1, 5):
        tags = {"rollout:deployment-id": f"dep-{n}", "rollout:endpoint-name": ENDPOINT}
        _release_resources(world, name=f"mr-{ENDPOINT}-v{n}-final", tags=tags)
        time.sleep(0.01)
    other = {"rollout:deployment-id": "dep-x", "rollout:endpoint-name": f"{ENDPOINT}-eu"}
    _release_resources(world, name=f"mr-{ENDPOINT}-eu-v1-final", tags=other)
    _release_resources(world, name=FINAL, tags=RELEASE["tags"])
    world.sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=FINAL)
    document = deployment_document(
        previous={"endpoint_config_name": f"mr-{ENDPOINT}-v2-final", "variants": []}
    )
    document["alarms"] = load_handler("create_alarms").lambda_handler(document, CONTEXT)
    Waiters().park(endpoint_key(ENDPOINT), "t", DEPLOYMENT_ID, None, 60)

    outcome = load_handler("finalize").lambda_handler(document, CONTEXT)

    assert outcome["status"] == "PROMOTED" and outcome["error"] is outcome["cause"] is None
    assert outcome["report_url"] is None  # no ReportsBucket in this test's environment
    assert outcome["duration_seconds"] > 0  # since the approval event
    configs = {
        c["EndpointConfigName"] for c in world.sagemaker.list_endpoint_configs()["EndpointConfigs"]
    }
    # kept: serving (FINAL), previous (v2), the newest other release (v4), the other endpoint's
    assert configs == {
        FINAL,
        f"mr-{ENDPOINT}-v2-final",
        f"mr-{ENDPOINT}-v4-final",
        f"mr-{ENDPOINT}-eu-v1-final",
    }
    models = {m["ModelName"] for m in world.sagemaker.list_models()["Models"]}
    assert f"mr-{ENDPOINT}-v1-final-model" not in models
    assert f"mr-{ENDPOINT}-v2-final-model" in models
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    names = created_alarm_names(Deployment.model_validate(document), "mr")
    assert cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"] == []
    assert Waiters().get(endpoint_key(ENDPOINT)) is None
    item = world.item(DEPLOYMENT_ID)
    assert item is not None and item["status"] == "PROMOTED"


def test_finish_rollback_records_the_reason(world: RolloutWorld) -> None:
    cause = "alarm mr-churn-prod-x-error-rate entered ALARM: error rate 0.05 > threshold 0.01"
    document = deployment_document(failure={"Error": "AlarmFired", "Cause": cause})
    outcome = load_handler("finish_rollback").lambda_handler(document, CONTEXT)
    assert outcome["error"] == "RolledBack" and outcome["cause"].startswith(cause)
    item = world.item(DEPLOYMENT_ID)
    assert item is not None and (item["status"], item["error"]) == ("ROLLED_BACK", "RolledBack")
