"""The policy, registry, records and releases adapters against moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from unittest import mock

import pytest
from botocore.exceptions import ClientError
from tests.helpers.documents import ACCOUNT, REGION, policy_document
from tests.helpers.moto_env import ROLE_ARN, RolloutWorld, mocked_aws

from model_rollout.adapters.policies import PolicyStore
from model_rollout.adapters.records import DeploymentRecords
from model_rollout.adapters.registry import ModelRegistry
from model_rollout.adapters.releases import Releases
from model_rollout.domain.deployment import Approval, Deployment, Limits, VariantRef
from model_rollout.domain.policy import Policy
from model_rollout.errors import (
    InvalidMetricsReport,
    InvalidPolicy,
    ModelPackageNotFound,
    PolicyNotFound,
    Throttled,
)


@pytest.fixture
def world() -> Iterator[RolloutWorld]:
    with mocked_aws() as world:
        yield world


def throttling(operation: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation
    )


# ---------------------------------------------------------------------- policies
class TestPolicyStore:
    def test_loads_the_groups_policy(self, world: RolloutWorld) -> None:
        world.put_policy("churn", policy_document("churn-prod"))
        policy = PolicyStore().load("churn")
        assert policy.endpoint_name == "churn-prod"

    def test_missing_policy_names_the_parameter(self, world: RolloutWorld) -> None:
        with pytest.raises(PolicyNotFound) as caught:
            PolicyStore().load("nobody")
        assert "/model-rollout/policies/nobody" in str(caught.value)
        assert "'nobody'" in str(caught.value)

    def test_bad_json(self, world: RolloutWorld) -> None:
        world.put_policy("churn", "{not json")
        with pytest.raises(InvalidPolicy, match="/model-rollout/policies/churn"):
            PolicyStore().load("churn")

    def test_unknown_field(self, world: RolloutWorld) -> None:
        world.put_policy("churn", {**policy_document(), "bake_secnds": 5})
        with pytest.raises(InvalidPolicy, match="bake_secnds"):
            PolicyStore().load("churn")

    def test_custom_prefix(self, world: RolloutWorld) -> None:
        world.ssm.put_parameter(Name="/x/churn", Value=json.dumps(policy_document()), Type="String")
        assert PolicyStore(prefix="/x/").load("churn").endpoint_name == "churn-prod"

    def test_throttling(self) -> None:
        ssm = mock.Mock()
        ssm.get_parameter.side_effect = throttling("GetParameter")
        with pytest.raises(Throttled, match="ThrottlingException"):
            PolicyStore(ssm, prefix="/p/").load("g")


# ---------------------------------------------------------------------- registry
class TestModelRegistry:
    def test_describe_and_report(self, world: RolloutWorld) -> None:
        arn = world.create_package("churn", accuracy=0.91)
        package = ModelRegistry().describe(arn)
        assert package.arn == arn and package.group == "churn" and package.version == 1
        assert package.approval_status == "Approved"
        assert package.customer_metadata["git_commit"] == "0a1b2c3d"
        report = ModelRegistry().quality_report(package)
        assert report["binary_classification_metrics"]["accuracy"]["value"] == 0.91

    def test_strategy_override(self, world: RolloutWorld) -> None:
        arn = world.create_package("churn", metadata={"rollout:strategy": '{"type": "x"}'})
        assert ModelRegistry().describe(arn).strategy_override == '{"type": "x"}'

    def test_unknown_package(self, world: RolloutWorld) -> None:
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/none/1"
        with pytest.raises(ModelPackageNotFound, match=arn):
            ModelRegistry().describe(arn)

    def test_no_report(self, world: RolloutWorld) -> None:
        arn = world.create_package("churn", accuracy=None)
        registry = ModelRegistry()
        with pytest.raises(InvalidMetricsReport, match="no model quality report"):
            registry.quality_report(registry.describe(arn))

    def test_report_object_missing(self, world: RolloutWorld) -> None:
        world.put_report({})
        arn = world.create_package("churn", report_uri="s3://model-reports/nothing.json")
        registry = ModelRegistry()
        with pytest.raises(InvalidMetricsReport) as caught:
            registry.quality_report(registry.describe(arn))
        assert "s3://model-reports/nothing.json" in str(caught.value)
        assert "NoSuchKey" in str(caught.value)

    def test_report_bucket_missing(self, world: RolloutWorld) -> None:
        arn = world.create_package("churn", report_uri="s3://no-bucket/e.json")
        registry = ModelRegistry()
        with pytest.raises(InvalidMetricsReport, match="cannot be read"):
            registry.quality_report(registry.describe(arn))

    @pytest.mark.parametrize(("body", "fragment"), [("not json", "not JSON"), ("[1]", "object")])
    def test_report_not_a_json_object(self, world: RolloutWorld, body: str, fragment: str) -> None:
        arn = world.create_package("churn", report=body)
        registry = ModelRegistry()
        with pytest.raises(InvalidMetricsReport, match=fragment):
            registry.quality_report(registry.describe(arn))

    def test_not_an_s3_uri(self, world: RolloutWorld) -> None:
        arn = world.create_package("churn", report_uri="https://example.com/e.json")
        registry = ModelRegistry()
        with pytest.raises(InvalidMetricsReport, match="s3://"):
            registry.quality_report(registry.describe(arn))


# ---------------------------------------------------------------------- records
def deployment(deployment_id: str = "exec-1", endpoint: str = "churn-prod") -> Deployment:
    policy = Policy(endpoint_name=endpoint)
    return Deployment(
        deployment_id=deployment_id,
        execution_arn=f"arn:aws:states:{REGION}:{ACCOUNT}:execution:deploy:{deployment_id}",
        model_package_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/3",
        model_package_group="churn",
        model_package_version=3,
        endpoint_name=endpoint,
        policy=policy,
        strategy=policy.strategy,
        limits=Limits(endpoint_wait_seconds=60),
        approval=Approval(event_id="e", event_time="2026-01-01T00:00:00Z"),
    )


class TestDeploymentRecords:
    def test_claim_is_exactly_once(self, world: RolloutWorld) -> None:
        records = DeploymentRecords()
        assert records.claim_approval("arn@t1", "exec-1") is True
        assert records.claim_approval("arn@t1", "exec-2") is False
        assert records.claim_holder("arn@t1") == "exec-1"
        # a retry of the same execution's step is not a duplicate
        assert records.claim_approval("arn@t1", "exec-1") is True
        # a later approval of the same version is a new claim
        assert records.claim_approval("arn@t2", "exec-2") is True
        item = world.item("approval#arn@t1")
        assert item is not None and item["claimed_by"] == "exec-1"

    def test_start_and_finish(self, world: RolloutWorld) -> None:
        records = DeploymentRecords()
        records.start(deployment())
        item = records.get("exec-1")
        assert item is not None
        assert item["status"] == "RUNNING" and item["endpoint_name"] == "churn-prod"
        assert item["model_package_version"] == 3
        assert item["strategy"] == {"type": "all_at_once", "bake_seconds": 600}
        assert item["execution_arn"].endswith(":exec-1") and item["started_at"]
        records.finish(
            "exec-1", "FAILED", error="ValidationFailed", cause="too low", details={"x": 0.5}
        )
        item = records.get("exec-1")
        assert item is not None
        assert (item["status"], item["error"], item["cause"]) == (
            "FAILED",
            "ValidationFailed",
            "too low",
        )
        assert item["details"] == {"x": 0.5} and item["finished_at"]

    def test_finish_without_start(self, world: RolloutWorld) -> None:
        DeploymentRecords().finish("exec-9", "FAILED", error="InvalidEvent", cause="bad")
        item = world.item("exec-9")
        assert item is not None and item["status"] == "FAILED"

    def test_list_for_endpoint_newest_first_without_claims(self, world: RolloutWorld) -> None:
        records = DeploymentRecords()
        records.claim_approval("k", "a")
        for name in ("a", "b", "c"):
            records.start(deployment(name))
        records.start(deployment("other", endpoint="other-endpoint"))
        listed = records.list_for_endpoint("churn-prod")
        assert [item["deployment_id"] for item in listed] == ["c", "b", "a"]
        assert records.list_for_endpoint("nothing") == []

    def test_throttling(self) -> None:
        client = mock.Mock()
        client.put_item.side_effect = throttling("PutItem")
        with pytest.raises(Throttled):
            DeploymentRecords(client, table_name="t").claim_approval("k", "d")


# ---------------------------------------------------------------------- releases
class TestReleases:
    def test_no_endpoint(self, world: RolloutWorld) -> None:
        assert Releases().serving_state("churn-prod") is None

    def test_serving_state(self, world: RolloutWorld) -> None:
        arn = world.create_package("churn")
        world.serve("churn-prod", model_package_arn=arn)
        state = Releases().serving_state("churn-prod")
        assert state is not None
        assert state.endpoint_config_name == "churn-prod-config-old"
        assert state.model_package_arn == arn
        assert state.endpoint_status == "InService"
        assert state.variants == [
            VariantRef(
                variant_name="blue",
                model_name="blue-model",
                weight=1.0,
                instance_type="ml.c5.xlarge",
                instance_count=2,
            )
        ]

    def test_serving_state_of_an_untagged_endpoint(self, world: RolloutWorld) -> None:
        world.serve("churn-prod", model_package_arn=None)
        state = Releases().serving_state("churn-prod")
        assert state is not None and state.model_package_arn is None

    def test_current_weight_wins(self) -> None:
        client = mock.Mock()
        client.describe_endpoint.return_value = {
            "EndpointArn": "arn:e",
            "EndpointConfigName": "c",
            "EndpointStatus": "InService",
            "ProductionVariants": [
                {"VariantName": "a", "CurrentWeight": 0.0, "CurrentInstanceCount": 1},
                {"VariantName": "b", "CurrentWeight": 1.0, "CurrentInstanceCount": 4},
            ],
        }
        client.describe_endpoint_config.return_value = {
            "EndpointConfigArn": "arn:c",
            "ProductionVariants": [
                {"VariantName": "a", "ModelName": "ma", "InitialVariantWeight": 1.0},
                {"VariantName": "b", "ModelName": "mb", "InitialVariantWeight": 0.0},
            ],
        }
        client.list_tags.side_effect = [
            {"Tags": []},
            {"Tags": [{"Key": "rollout:model-package-arn", "Value": "pkg"}]},
        ]
        state = Releases(client).serving_state("e")
        assert state is not None and state.model_package_arn == "pkg"
        primary = state.primary_variant()
        assert primary is not None and primary.variant_name == "b"
        assert primary.instance_count == 4

    def test_create_and_delete(self, world: RolloutWorld) -> None:
        arn = world.create_package("churn")
        releases = Releases()
        tags = {"rollout:model-package-arn": arn}
        assert releases.create_model("m-1", arn, tags) is True
        variant = VariantRef(
            variant_name="v1", model_name="m-1", instance_type="ml.m5.large", instance_count=1
        )
        assert releases.create_endpoint_config("c-1", [variant], tags) is True
        model = world.sagemaker.describe_model(ModelName="m-1")
        assert model["Containers"] == [{"ModelPackageName": arn}]
        assert model["ExecutionRoleArn"] == ROLE_ARN
        config = world.sagemaker.describe_endpoint_config(EndpointConfigName="c-1")
        assert config["ProductionVariants"][0]["InstanceType"] == "ml.m5.large"
        listed = world.sagemaker.list_tags(ResourceArn=config["EndpointConfigArn"])["Tags"]
        assert {"Key": "rollout:model-package-arn", "Value": arn} in listed
        assert releases.delete_endpoint_config("c-1") is True
        assert releases.delete_endpoint_config("c-1") is False
        assert releases.delete_model("m-1") is True
        assert releases.delete_model("m-1") is False

    def test_create_is_idempotent_on_already_exists(self) -> None:
        client = mock.Mock()
        exists = ClientError(
            {
                "Error": {
                    "Code": "ValidationException",
                    "Message": 'Cannot create already existing model "m".',
                }
            },
            "CreateModel",
        )
        client.create_model.side_effect = exists
        assert Releases(client, execution_role_arn="r").create_model("m", "arn", {}) is False

    def test_throttling(self) -> None:
        client = mock.Mock()
        client.describe_endpoint.side_effect = throttling("DescribeEndpoint")
        with pytest.raises(Throttled, match="DescribeEndpoint"):
            Releases(client).serving_state("e")

    def test_other_errors_are_named(self) -> None:
        from model_rollout.errors import DeploymentFailed

        client = mock.Mock()
        client.create_endpoint_config.side_effect = ClientError(
            {"Error": {"Code": "ResourceLimitExceeded", "Message": "too many"}},
            "CreateEndpointConfig",
        )
        with pytest.raises(DeploymentFailed, match="ResourceLimitExceeded: too many"):
            Releases(client).create_endpoint_config("c", [], {})
