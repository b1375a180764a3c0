"""The stage adapters on moto: the promotion event, roles of other accounts, the registry's
write-back (ModelLifeCycle, quarantine), and their named errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from tests.helpers.moto_env import RolloutWorld, mocked_aws

from model_rollout.adapters.accounts import AssumedRoles, account_of, role_arn
from model_rollout.adapters.promotions import PromotionEvents
from model_rollout.adapters.registry import ModelRegistry
from model_rollout.errors import ModelPackageNotFound, PromotionFailed

BUS = "arn:aws:events:us-east-1:123456789012:event-bus/default"


@pytest.fixture
def world() -> Iterator[RolloutWorld]:
    with mocked_aws() as world:
        yield world


def test_a_promotion_event_reaches_the_bus_with_its_source_and_detail(
    world: RolloutWorld,
) -> None:
    events = boto3.client("events", region_name="us-east-1")
    queue = boto3.client("sqs", region_name="us-east-1")
    url = queue.create_queue(QueueName="promotions")["QueueUrl"]
    arn = queue.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    events.put_rule(
        Name="promotions",
        EventPattern=json.dumps(
            {"source": ["model-rollout"], "detail-type": ["Model Rollout Stage Promotion"]}
        ),
    )
    events.put_targets(Rule="promotions", Targets=[{"Id": "q", "Arn": arn["QueueArn"]}])

    event_id = PromotionEvents().put(
        {"ToStage": "prod"}, bus=BUS, resource="arn:pkg", role_arn=None, what="promoting"
    )

    [message] = queue.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    delivered = json.loads(message["Body"])
    assert event_id and delivered["id"] == event_id
    assert (delivered["source"], delivered["detail"]) == ("model-rollout", {"ToStage": "prod"})
    assert delivered["resources"] == ["arn:pkg"]


class Refusing:
    """EventBridge refusing the entry, as PutEvents answers a partial failure."""

    def put_events(self, **_: Any) -> dict[str, Any]:
        return {
            "FailedEntryCount": 1,
            "Entries": [{"ErrorCode": "AccessDeniedException", "ErrorMessage": "not allowed"}],
        }


class NoRole:
    def client(self, service: str, arn: str) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": f"not authorized on {arn}"}},
            "AssumeRole",
        )


def test_a_refused_entry_or_an_unassumable_role_is_promotion_failed() -> None:
    with pytest.raises(PromotionFailed, match="PutEvents refused the event: AccessDenied"):
        PromotionEvents(Refusing()).put({}, bus=BUS, resource="r", role_arn=None, what="p")
    role = "arn:aws:iam::222222222222:role/model-rollout-stage-promotion"
    with pytest.raises(PromotionFailed, match=f"cannot assume {role}: AccessDenied"):
        PromotionEvents(roles=NoRole()).put(  # type: ignore[arg-type]
            {}, bus=BUS, resource="r", role_arn=role, what="p"
        )


def test_a_role_of_another_account_acts_there(world: RolloutWorld) -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    roles = AssumedRoles()

    client = roles.client("sts", arn)

    assert ":assumed-role/r/model-rollout" in client.get_caller_identity()["Arn"]
    assert roles.client("sts", arn) is client  # one session per role, reused
    assert account_of(arn) == "123456789012"
    assert role_arn("222222222222", "x") == "arn:aws:iam::222222222222:role/x"


def test_the_registry_records_a_stage_and_quarantines_a_version(world: RolloutWorld) -> None:
    arn = world.create_package("churn")
    registry = ModelRegistry()

    registry.quarantine(arn, stage="staging", reason="staging: Quarantined: AlarmFired")

    package = registry.describe(arn)
    assert package.approval_status == "Rejected"
    assert package.approval_description == "quarantined: staging: Quarantined: AlarmFired"
    with pytest.raises(ModelPackageNotFound, match="cannot be updated"):
        registry.record_stage(
            arn.replace("/1", "/99"), stage="prod", status="Succeeded", description="x"
        )
