"""What the adapters share: one classification of AWS errors (a missing SageMaker resource,
one already there) and one DynamoDB converter, by hand-made ClientErrors and on moto."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.helpers.moto_env import DEPLOYMENTS_TABLE, RolloutWorld, mocked_aws

from model_rollout.adapters.async_requests import AsyncRuntime
from model_rollout.adapters.aws import is_already_exists, is_not_found
from model_rollout.adapters.dynamodb import (
    from_dynamo,
    from_item,
    to_attribute,
    to_dynamo,
    to_item,
)
from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.releases import Releases
from model_rollout.errors import ModelPackageNotFound


def client_error(code: str, message: str, operation: str = "DescribeEndpoint") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.fixture
def world() -> Iterator[RolloutWorld]:
    with mocked_aws() as world:
        yield world


# ---------------------------------------------------------------------- classification
@pytest.mark.parametrize(
    ("code", "message"),
    [
        # SageMaker's own answers for an endpoint, config or model that is not there
        ("ValidationException", 'Could not find endpoint "arn:aws:sagemaker:x:1:endpoint/e".'),
        ("ValidationException", "Could not find endpoint configuration 'c'."),
        ("ValidationException", "Could not find model 'arn:aws:sagemaker:x:1:model/m'."),
        (
            "ValidationException",
            "ModelPackage arn:aws:sagemaker:x:1:model-package/g/1 does not exist.",
        ),
        ("ValidationException", "Model package arn:aws:sagemaker:x:1:model-package/g/1 not found"),
        # the code of the APIs that have one for it says so whatever the message
        ("ResourceNotFound", "Requested resource not found"),
        ("ResourceNotFound", ""),
    ],
)
def test_a_missing_resource_is_not_found(code: str, message: str) -> None:
    assert is_not_found(client_error(code, message))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        # the same code rejects malformed input: that is no absence
        (
            "ValidationException",
            "1 validation error detected: Value 'a b' at 'endpointName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern",
        ),
        ("ValidationException", "Cannot update in-progress endpoint 'e'."),
        ("ThrottlingException", "Rate exceeded"),
        ("ResourceInUse", "Cannot create an already existing endpoint configuration 'c'."),
        ("AccessDeniedException", "Could not find credentials with access to the endpoint"),
    ],
)
def test_anything_else_is_not_not_found(code: str, message: str) -> None:
    assert not is_not_found(client_error(code, message))


def test_already_exists() -> None:
    assert is_already_exists(
        client_error("ValidationException", "Cannot create already existing model 'm'.")
    )
    assert is_already_exists(client_error("ResourceInUse", "Model m already exists"))
    assert not is_already_exists(client_error("ValidationException", "Could not find model"))


class TestOnMoto:
    def test_what_moto_answers_for_missing_resources(self, world: RolloutWorld) -> None:
        for call in (
            lambda: world.sagemaker.describe_endpoint(EndpointName="nope"),
            lambda: world.sagemaker.describe_endpoint_config(EndpointConfigName="nope"),
            lambda: world.sagemaker.delete_model(ModelName="nope"),
            lambda: world.sagemaker.describe_model_package(
                ModelPackageName="arn:aws:sagemaker:us-east-1:123456789012:model-package/g/9"
            ),
        ):
            with pytest.raises(ClientError) as caught:
                call()
            assert is_not_found(caught.value), caught.value.response["Error"]

    def test_both_sagemaker_adapters_see_absence_alike(self, world: RolloutWorld) -> None:
        for adapter in (Endpoints(), Releases()):
            assert adapter.describe_endpoint("nope") is None
            assert adapter.describe_endpoint_config("nope") is None
            assert adapter.delete_model("nope") is False
            assert adapter.delete_endpoint_config("nope") is False
        endpoints = Endpoints()
        assert endpoints.describe("nope") is None
        assert endpoints.describe_config("nope") is None
        assert endpoints.config_tags("nope") is None
        assert endpoints.delete("nope") is False
        assert AsyncRuntime().is_async_endpoint("nope") is False
        with pytest.raises(ModelPackageNotFound):
            Releases().package_container(
                "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/9"
            )

    def test_both_see_an_existing_endpoint_alike(self, world: RolloutWorld) -> None:
        config = world.serve("e", model_package_arn=None)
        described = [Endpoints().describe_endpoint("e"), Releases().describe_endpoint("e")]
        assert described[0] == described[1]
        assert described[0] is not None and described[0]["EndpointConfigName"] == config
        assert "ResponseMetadata" not in described[0]


# ---------------------------------------------------------------------- DynamoDB converter
NESTED: dict[str, Any] = {
    "tenth": 0.1,
    "tiny": 1e-9,
    "large": 2**70,
    "negative": -12345678901234567890,
    "integral_float": 3.0,
    "yes": True,
    "no": False,
    "nothing": None,
    "text": "0.1",
    "list": [1, 0.25, [2.5, {"deep": 1e-9}], None, True],
    "map": {"a": {"b": [0.1, 7]}, "empty": {}},
}


def test_floats_are_the_decimal_of_their_repr() -> None:
    assert to_dynamo(0.1) == Decimal("0.1")
    assert to_dynamo(1e-9) == Decimal("1E-9")
    assert to_attribute(0.1) == {"N": "0.1"}
    assert to_attribute(1e-9) == {"N": "1E-9"}
    assert to_attribute(2**70) == {"N": str(2**70)}
    assert to_attribute(True) == {"BOOL": True}
    assert to_attribute(None) == {"NULL": True}


def test_numbers_come_back_int_when_integral_else_float() -> None:
    assert from_dynamo(Decimal("7")) == 7 and isinstance(from_dynamo(Decimal("7")), int)
    assert from_dynamo(Decimal("3.0")) == 3 and isinstance(from_dynamo(Decimal("3.0")), int)
    assert from_dynamo(Decimal("0.1")) == 0.1 and isinstance(from_dynamo(Decimal("0.1")), float)


def test_round_trip_of_plain_values() -> None:
    back = from_item(to_item(NESTED))
    assert back == NESTED
    assert back["large"] == 2**70 and isinstance(back["large"], int)
    assert back["yes"] is True and back["no"] is False and back["nothing"] is None
    assert back["tenth"] == 0.1 and back["tiny"] == 1e-9


def test_round_trip_through_moto(world: RolloutWorld) -> None:
    item = {"deployment_id": "dep-1", **NESTED}
    world.dynamodb.put_item(TableName=DEPLOYMENTS_TABLE, Item=to_item(item))
    stored = world.dynamodb.get_item(
        TableName=DEPLOYMENTS_TABLE, Key={"deployment_id": {"S": "dep-1"}}
    )["Item"]
    assert from_item(stored) == item


def test_sets_come_back_as_sorted_lists() -> None:
    assert to_attribute({"b", "a"})["SS"] in (["a", "b"], ["b", "a"])
    assert from_item(to_item({"keys": {"b", "a"}})) == {"keys": ["a", "b"]}
