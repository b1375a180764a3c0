"""Lineage metadata, tags and the release's names and configs."""

from __future__ import annotations

import pytest

from model_rollout.domain.deployment import ServingState, VariantRef
from model_rollout.domain.lineage import (
    lineage_tags,
    required_lineage,
    sanitize_tag_key,
    sanitize_tag_value,
)
from model_rollout.domain.policy import Policy
from model_rollout.domain.release import NAME_PATTERN, plan_release, release_names, short_id
from model_rollout.errors import ValidationFailed

ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/7"
REQUIRED = ["git_commit", "data_version", "build_id"]
METADATA = {"git_commit": "0a1b2c", "data_version": "2026-01", "build_id": "b-9", "x": "y"}


class TestRequiredLineage:
    def test_present(self) -> None:
        assert required_lineage(METADATA, REQUIRED, model_package_arn=ARN) == {
            "git_commit": "0a1b2c",
            "data_version": "2026-01",
            "build_id": "b-9",
        }

    def test_missing_keys_are_named_with_the_package(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            required_lineage(
                {"git_commit": "abc", "build_id": " "}, REQUIRED, model_package_arn=ARN
            )
        message = str(caught.value)
        assert ARN in message and "data_version, build_id" in message
        assert "CustomerMetadataProperties" in message

    def test_no_metadata_at_all(self) -> None:
        with pytest.raises(ValidationFailed, match="git_commit, data_version, build_id"):
            required_lineage(None, REQUIRED, model_package_arn=ARN)

    def test_nothing_required(self) -> None:
        assert required_lineage({"git_commit": "abc"}, [], model_package_arn=ARN) == {
            "git_commit": "abc"
        }

    def test_other_required_keys_are_kept(self) -> None:
        lineage = required_lineage({"owner": "team-a"}, ["owner"], model_package_arn=ARN)
        assert lineage == {"owner": "team-a"}


class TestTags:
    def test_lineage_tags(self) -> None:
        tags = lineage_tags(
            model_package_arn=ARN,
            model_package_group="churn",
            model_package_version=7,
            deployment_id="exec-1",
            lineage={"git_commit": "0a1b2c", "data_version": "2026-01", "build_id": "b-9"},
            endpoint_name="churn-prod",
        )
        assert tags == {
            "rollout:model-package-arn": ARN,
            "rollout:model-package-group": "churn",
            "rollout:model-package-version": "7",
            "rollout:deployment-id": "exec-1",
            "rollout:endpoint-name": "churn-prod",
            "rollout:git-commit": "0a1b2c",
            "rollout:data-version": "2026-01",
            "rollout:build-id": "b-9",
        }

    def test_other_keys_get_a_rollout_prefix(self) -> None:
        tags = lineage_tags(
            model_package_arn=ARN,
            model_package_group="g",
            model_package_version=1,
            deployment_id="d",
            lineage={"owner_team": "a"},
        )
        assert tags["rollout:owner-team"] == "a"

    @pytest.mark.parametrize(
        ("raw", "clean"),
        [
            ("abc123", "abc123"),
            ("s3://bucket/key=1+2@x", "s3://bucket/key=1+2@x"),
            ("v1 (final)!", "v1 _final__"),
            ("héllo wörld", "héllo wörld"),
            ("line\nbreak\ttab", "line_break_tab"),
            ('{"a": 1}', "__a_: 1_"),
        ],
    )
    def test_values_are_sanitised(self, raw: str, clean: str) -> None:
        assert sanitize_tag_value(raw) == clean

    def test_values_are_truncated(self) -> None:
        assert len(sanitize_tag_value("x" * 1000)) == 256

    def test_keys_are_sanitised(self) -> None:
        assert sanitize_tag_key("rollout:a*b") == "rollout:a_b"
        assert len(sanitize_tag_key("k" * 500)) == 128


class TestNames:
    def test_names_follow_sagemaker_rules(self) -> None:
        names = release_names(
            deployment_id="0d2a6f3e-5b8c-4e0b-9c1d-1234567890ab",
            endpoint_name="churn-prod",
            model_package_version=7,
            resource_prefix="model-rollout",
        )
        sid = short_id("0d2a6f3e-5b8c-4e0b-9c1d-1234567890ab")
        assert names.model_name == f"model-rollout-churn-prod-v7-{sid}"
        assert names.variant_name == f"v7-{sid}"
        assert names.bake_config_name == f"model-rollout-churn-prod-v7-{sid}-bake"
        assert names.final_config_name == f"model-rollout-churn-prod-v7-{sid}-final"
        for name in (names.model_name, names.variant_name, *names.config_names):
            assert NAME_PATTERN.match(name), name

    def test_long_names_are_truncated_and_stay_distinct(self) -> None:
        names = release_names(
            deployment_id="d" * 80,
            endpoint_name="e" * 63,
            model_package_version=123456,
            resource_prefix="very_long.prefix",
        )
        all_names = [names.model_name, names.bake_config_name, names.final_config_name]
        assert len(set(all_names)) == 3
        for name in all_names:
            assert len(name) <= 63 and NAME_PATTERN.match(name), name

    def test_names_are_unique_per_deployment_and_stable(self) -> None:
        kwargs = {"endpoint_name": "e", "model_package_version": 1, "resource_prefix": "p"}
        a = release_names(deployment_id="exec-a", **kwargs)  # type: ignore[arg-type]
        b = release_names(deployment_id="exec-b", **kwargs)  # type: ignore[arg-type]
        assert a.model_name != b.model_name
        assert a == release_names(deployment_id="exec-a", **kwargs)  # type: ignore[arg-type]

    def test_first_deployment_bakes_on_the_final_config(self) -> None:
        names = release_names(
            deployment_id="d",
            endpoint_name="e",
            model_package_version=1,
            resource_prefix="p",
            first_deployment=True,
        )
        assert names.bake_config_name == names.final_config_name
        assert names.config_names == [names.final_config_name]


class TestPlan:
    policy = Policy(endpoint_name="churn-prod", instance_type="ml.m5.xlarge", instance_count=2)

    def test_first_deployment(self) -> None:
        plan = plan_release(
            deployment_id="d",
            endpoint_name="churn-prod",
            model_package_version=3,
            policy=self.policy,
            previous=None,
            resource_prefix="p",
        )
        assert plan.bake_variants == plan.final_variants
        (green,) = plan.final_variants
        assert (green.weight, green.instance_type, green.instance_count) == (1.0, "ml.m5.xlarge", 2)
        assert plan.previous_variant_name is None

    def test_blue_stays_provisioned_at_weight_zero(self) -> None:
        previous = ServingState(
            endpoint_config_name="old",
            model_package_arn=ARN,
            variants=[
                VariantRef(
                    variant_name="blue",
                    model_name="blue-model",
                    weight=1.0,
                    instance_type="ml.c5.xlarge",
                    instance_count=3,
                ),
                VariantRef(variant_name="stale", model_name="m0", weight=0.0),
            ],
        )
        plan = plan_release(
            deployment_id="d",
            endpoint_name="churn-prod",
            model_package_version=3,
            policy=self.policy,
            previous=previous,
            resource_prefix="p",
        )
        green, blue = plan.bake_variants
        assert green == plan.final_variants[0] and green.weight == 1.0
        assert blue.variant_name == "blue" and blue.model_name == "blue-model"
        assert (blue.weight, blue.instance_type, blue.instance_count) == (0.0, "ml.c5.xlarge", 3)
        assert plan.previous_variant_name == "blue"
        assert plan.names.bake_config_name != plan.names.final_config_name
