"""Stages in the policy, the promotion event, the registry's say, and what quarantines."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from model_rollout.domain.policy import Policy, StageChecks, parse_policy
from model_rollout.domain.stages import (
    LifeCycle,
    check_promotion,
    check_stage,
    deployment_in,
    describe_stage,
    parse_promotion_event,
    quarantines,
)
from model_rollout.errors import (
    InvalidEvent,
    InvalidPolicy,
    LowTraffic,
    PromotionRefused,
    StageChecksFailed,
)

ARN = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/3"


def policy(**fields: Any) -> Policy:
    return Policy.model_validate({"endpoint_name": "churn", **fields})


def test_a_stage_inherits_what_it_does_not_say_and_overrides_what_it_does() -> None:
    staged = policy(
        strategy={"type": "canary", "percent": 10, "bake_seconds": 60},
        stages=[
            {"name": "staging", "endpoint_name": "churn-staging"},
            {
                "name": "prod",
                "account_id": "222222222222",
                "strategy": {"type": "linear", "step_percent": 25, "interval_seconds": 60},
                "alarms": {"max_error_rate": 0.001},
            },
        ],
    )

    staging, prod = staged.for_stage("staging"), staged.for_stage("prod")

    assert (staging.endpoint_name, staging.strategy.type) == ("churn-staging", "canary")
    assert staging.alarms == staged.alarms
    assert (prod.endpoint_name, prod.strategy.type) == ("churn", "linear")
    assert prod.alarms.max_error_rate == 0.001
    assert staged.next_stage("staging") is not None and staged.next_stage("prod") is None
    with pytest.raises(ValueError, match="no stage 'qa'"):
        staged.for_stage("qa")


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([{"name": "a"}, {"name": "a"}], "unique"),
        ([{"name": "Prod"}], "stages.0.name"),
        ([{"name": "p", "account_id": "12"}], "account_id"),
        ([{"name": "p", "role_arn": "arn:aws:iam::222222222222:role/x"}], "needs 'account_id'"),
        (
            [
                {
                    "name": "p",
                    "account_id": "333333333333",
                    "role_arn": "arn:aws:iam::222222222222:role/x",
                }
            ],
            "role of account 222222222222",
        ),
        ([{"name": "p", "promotion": "sometimes"}], "promotion"),
        ([{"name": "p", "canary": 1}], "Extra inputs"),
        ([], "at least 1"),
    ],
)
def test_an_invalid_stage_list_is_an_invalid_policy_that_names_it(
    stages: list[dict[str, Any]], message: str
) -> None:
    document = Policy.model_validate({"endpoint_name": "churn"}).model_dump_json()
    raw = document[:-1] + ', "stages": ' + json.dumps(stages) + "}"
    with pytest.raises(InvalidPolicy, match=message):
        parse_policy(raw, source="/model-rollout/policies/churn")


def test_a_stage_strategy_must_suit_the_mode() -> None:
    with pytest.raises(ValueError, match="stage 'prod': mode 'async'"):
        policy(
            mode="async",
            stages=[{"name": "prod", "strategy": {"type": "canary", "percent": 10}}],
        )


EVENT: dict[str, Any] = {
    "version": "0",
    "id": "0d1f",
    "detail-type": "Model Rollout Stage Promotion",
    "source": "model-rollout",
    "account": "222222222222",
    "time": "2026-12-03T09:00:00Z",
    "region": "us-east-1",
    "resources": [ARN],
    "detail": {
        "ModelPackageArn": ARN,
        "ModelPackageGroupName": "churn",
        "ModelPackageVersion": 3,
        "FromStage": "staging",
        "ToStage": "prod",
        "FromDeploymentId": "d-42",
        "PromotionId": "d-42:prod",
    },
}


def event(**detail: Any) -> dict[str, Any]:
    raw = copy.deepcopy(EVENT)
    raw["detail"].update(detail)
    return raw


def test_a_promotion_event_parses_and_its_key_names_package_and_stage() -> None:
    promotion = parse_promotion_event(EVENT)
    assert (promotion.from_stage, promotion.to_stage) == ("staging", "prod")
    assert promotion.dedup_key == f"promotion:{ARN}@prod"
    assert promotion.event_time == "2026-12-03T09:00:00Z"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({**EVENT, "source": "aws.sagemaker"}, "source 'aws.sagemaker'"),
        (event(ModelPackageVersion=0), "ModelPackageVersion"),
        (event(PromotionId="d-41:prod"), "PromotionId"),
        (event(Extra="x"), "Extra"),
        ("not an event", "source None"),
    ],
)
def test_a_malformed_promotion_is_an_invalid_event(raw: Any, message: str) -> None:
    with pytest.raises(InvalidEvent, match=message):
        parse_promotion_event(raw)


def passed(stage: str = "staging", deployment: str = "d-42") -> LifeCycle:
    description = describe_stage(
        stage=stage,
        status="Succeeded",
        deployment_id=deployment,
        endpoint="churn",
        account="111111111111",
        what="promoted",
    )
    return LifeCycle(stage=stage, stage_status="Succeeded", stage_description=description)


def test_the_registry_backs_the_promotion_of_the_stage_before() -> None:
    check_promotion(
        parse_promotion_event(EVENT),
        stage_names=["staging", "prod"],
        approval_status="Approved",
        life_cycle=passed(),
    )


@pytest.mark.parametrize(
    ("names", "status", "life_cycle", "message"),
    [
        (["staging", "qa"], "Approved", passed(), "no such stage"),
        (["staging", "qa", "prod"], "Approved", passed(), "the stage before it is qa"),
        (["prod", "staging"], "Approved", passed(), "it is the first stage"),
        (["staging", "prod"], "Rejected", passed(), "'Rejected'"),
        (["staging", "prod"], "Approved", passed(deployment="d-41"), "does not record"),
        (["staging", "prod"], "Approved", passed(stage="prod"), "does not record"),
        (["staging", "prod"], "Approved", LifeCycle(), "does not record"),
        (
            ["staging", "prod"],
            "Approved",
            LifeCycle(stage="staging", stage_status="InProgress", stage_description="x"),
            "status 'InProgress'",
        ),
    ],
)
def test_a_promotion_the_registry_does_not_back_is_refused(
    names: list[str], status: str, life_cycle: LifeCycle, message: str
) -> None:
    with pytest.raises(PromotionRefused, match=message):
        check_promotion(
            parse_promotion_event(EVENT),
            stage_names=names,
            approval_status=status,
            life_cycle=life_cycle,
        )


def test_a_description_names_its_deployment_and_fits_the_registry() -> None:
    text = describe_stage(
        stage="prod",
        status="Failed",
        deployment_id="d-7",
        endpoint="e",
        account="1",
        what="x" * 2000,
    )
    assert len(text) == 1024 and deployment_in(text) == "d-7"
    assert deployment_in("written by a person") is None


@pytest.mark.parametrize(
    ("status", "error", "quarantined"),
    [
        ("ROLLED_BACK", "AlarmFired", True),
        ("ROLLED_BACK", "StepJudgedWorse", True),
        ("ROLLED_BACK", "StageChecksFailed", True),
        ("ROLLED_BACK", "Aborted", True),
        ("ROLLED_BACK", "ApprovalTimedOut", False),
        ("ROLLED_BACK", "LowTraffic", False),
        ("FAILED", "ValidationFailed", True),
        ("FAILED", "InvalidMetricsReport", True),
        ("FAILED", "InvalidPolicy", False),
        ("FAILED", "PromotionRefused", False),
        ("FAILED", "Throttled", False),
        ("SHADOW_REJECTED", "ShadowRejected", True),
        ("INCUMBENT_KEPT", "ABIncumbentKept", False),
        ("PROMOTED", None, False),
    ],
)
def test_only_the_versions_own_failures_quarantine_it(
    status: str, error: str | None, quarantined: bool
) -> None:
    assert quarantines(status, error) is quarantined


def test_stage_checks_judge_what_the_new_variant_served() -> None:
    checks = StageChecks(min_invocations=100, max_error_rate=0.01)
    check_stage("staging", checks, variant="v2", invocations=400, errors=4)  # exactly 1 %
    with pytest.raises(LowTraffic, match="served 99 requests, fewer than"):
        check_stage("staging", checks, variant="v2", invocations=99, errors=0)
    with pytest.raises(StageChecksFailed, match=r"5 of 400 requests .*1\.25%"):
        check_stage("staging", checks, variant="v2", invocations=400, errors=5)
    # no minimum and no traffic: nothing to judge the error rate on
    check_stage("staging", StageChecks(max_error_rate=0.0), variant="v2", invocations=0, errors=0)


def test_stage_checks_are_for_real_time_endpoints() -> None:
    with pytest.raises(ValueError, match="'checks' applies to mode 'real_time'"):
        policy(
            mode="async",
            stages=[{"name": "prod", "checks": {"min_invocations": 10}}],
        )
