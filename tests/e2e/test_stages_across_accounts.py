"""Stages across accounts: staging's stack (and the registry) in one account, production's
in another, the real template in each, on one local stack.

Production's stack lets staging's assume ``<prefix>-stage-promotion`` (PromotionSourceAccounts)
and reaches the registry through ``<prefix>-registry-access`` in staging's account
(RegistryReaderAccounts). IAM is enforced for those sessions: the promotion role may put
events on production's bus and do nothing else.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from tests.e2e.scenario import Scenario, default_policy

from model_rollout.domain.stages import (
    PROMOTION_DETAIL_TYPE,
    PROMOTION_SOURCE,
    promotion_detail,
)
from rollout_local.server import LocalStack
from rollout_local.stage_accounts import deploy_stage_stacks
from rollout_local.workbench import Workbench

# accounts of their own: other modules deploy stacks into other accounts of the same stack
STAGING = "333333333333"
PRODUCTION = "444444444444"
PROMOTION_ROLE = f"arn:aws:iam::{PRODUCTION}:role/model-rollout-stage-promotion"


@pytest.fixture(scope="module")
def stacks(local_stack: LocalStack) -> dict[str, Workbench]:
    staging_bench = Workbench(endpoint_url=local_stack.endpoint_url, account_id=STAGING)
    deploy_stage_stacks(
        local_stack,
        staging=STAGING,
        production=PRODUCTION,
        artifact_bucket=staging_bench.bucket,
        names=("stages-staging", "stages-production"),
        overrides={"EndpointLockPollSeconds": "2"},
    )
    return {
        STAGING: staging_bench,
        PRODUCTION: Workbench(endpoint_url=local_stack.endpoint_url, account_id=PRODUCTION),
    }


@pytest.fixture
def staged(stacks: dict[str, Workbench], scenario: Scenario) -> Scenario:
    """A group whose registry is staging's; the same policy in both accounts' SSM."""
    here = Scenario(bench=stacks[STAGING], group=scenario.group, endpoint=scenario.endpoint)
    put_policy(stacks, here)
    return here


def put_policy(stacks: dict[str, Workbench], scenario: Scenario, **prod: Any) -> None:
    policy = default_policy(
        scenario.endpoint,
        stages=[
            {"name": "staging", "account_id": STAGING},
            {"name": "prod", "account_id": PRODUCTION, **prod},
        ],
    )
    for bench in stacks.values():
        bench.put_policy(scenario.group, policy)


def serving_package(bench: Workbench, endpoint: str) -> str | None:
    return bench.endpoint_tags(endpoint).get("rollout:model-package-arn")


def through_both(
    stacks: dict[str, Workbench], scenario: Scenario, **register: Any
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    arn = scenario.register(**register)
    stacks[STAGING].approve(arn)
    staging = stacks[STAGING].wait_for_execution(arn, timeout=90)
    prod = stacks[PRODUCTION].wait_for_execution(arn, timeout=120)
    return arn, staging, prod


def life_cycle(stacks: dict[str, Workbench], arn: str) -> dict[str, Any]:
    return dict(stacks[STAGING].client("sagemaker").describe_model_package(ModelPackageName=arn))


def promotion_session(local_stack: LocalStack, account: str, name: str = "promote") -> Any:
    credentials = local_stack.client("sts", account).assume_role(
        RoleArn=PROMOTION_ROLE, RoleSessionName=name
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="us-east-1",
    )


def test_a_version_is_promoted_from_the_staging_account_to_the_production_account(
    stacks: dict[str, Workbench], staged: Scenario
) -> None:
    arn, staging, prod = through_both(stacks, staged)

    assert staging["status"] == "SUCCEEDED", stacks[STAGING].explain(staging)
    assert stacks[STAGING].entered_states(staging["executionArn"])[-2:] == [
        "PromoteStage",
        "Promoted",
    ]
    sent = stacks[STAGING].state_output(staging["executionArn"], "PromoteStage")
    assert sent is not None and sent["stage_promotion"]["account_id"] == PRODUCTION
    assert prod["status"] == "SUCCEEDED", stacks[PRODUCTION].explain(prod)
    assert prod["executionArn"].split(":")[4] == PRODUCTION
    # each account's endpoint, and only there
    assert serving_package(stacks[STAGING], staged.endpoint) == arn
    assert serving_package(stacks[PRODUCTION], staged.endpoint) == arn
    # production wrote its result back to the registry in staging's account
    described = life_cycle(stacks, arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert (described["ModelLifeCycle"]["Stage"], described["ModelLifeCycle"]["StageStatus"]) == (
        "prod",
        "Succeeded",
    )
    assert f"account {PRODUCTION}" in described["ModelLifeCycle"]["StageDescription"]


def test_failed_in_staging_is_quarantined_and_production_never_hears_of_it(
    stacks: dict[str, Workbench], staged: Scenario
) -> None:
    v1, _, _ = through_both(stacks, staged)

    v2 = staged.register(fail_to_start=True)
    stacks[STAGING].approve(v2)
    staging = stacks[STAGING].wait_for_execution(v2, timeout=90)

    assert (staging["status"], staging["error"]) == ("FAILED", "RolledBack")
    assert stacks[PRODUCTION].executions_for(v2) == []
    assert serving_package(stacks[PRODUCTION], staged.endpoint) == v1
    described = life_cycle(stacks, v2)
    assert described["ModelApprovalStatus"] == "Rejected"
    assert described["ModelLifeCycle"]["StageStatus"] == "Quarantined"


def test_failed_in_production_rolls_back_there_staging_keeps_it_and_it_is_quarantined(
    stacks: dict[str, Workbench], staged: Scenario
) -> None:
    v1, _, _ = through_both(stacks, staged)
    put_policy(
        stacks,
        staged,
        strategy={"type": "all_at_once", "bake_seconds": 60},
        alarms={"max_error_rate": 0.05, "period_seconds": 10, "evaluation_periods": 1},
    )

    with stacks[PRODUCTION].traffic(staged.endpoint, rate_per_second=30):
        v2, staging, prod = through_both(stacks, staged, error_rate=0.5)

    assert staging["status"] == "SUCCEEDED", stacks[STAGING].explain(staging)
    assert (prod["status"], prod["error"]) == ("FAILED", "RolledBack")
    assert serving_package(stacks[PRODUCTION], staged.endpoint) == v1
    assert serving_package(stacks[STAGING], staged.endpoint) == v2
    described = life_cycle(stacks, v2)
    assert described["ModelApprovalStatus"] == "Rejected"
    assert described["ApprovalDescription"].startswith("quarantined: prod: Quarantined")
    assert (described["ModelLifeCycle"]["Stage"], described["ModelLifeCycle"]["StageStatus"]) == (
        "prod",
        "Quarantined",
    )


def test_the_production_role_serves_staging_for_the_promotion_and_nothing_else(
    stacks: dict[str, Workbench], staged: Scenario, local_stack: LocalStack
) -> None:
    v1, _, prod = through_both(stacks, staged)
    session = promotion_session(local_stack, STAGING)
    url = local_stack.endpoint_url

    def refused(call: Any) -> str:
        with pytest.raises(ClientError) as error:
            call()
        code = str(error.value.response["Error"]["Code"])
        assert code in {"AccessDenied", "AccessDeniedException"}, error.value.response
        return str(error.value.response["Error"]["Message"])

    sagemaker = session.client("sagemaker", endpoint_url=url)
    message = refused(
        lambda: sagemaker.update_endpoint(
            EndpointName=staged.endpoint, EndpointConfigName="anything"
        )
    )
    assert "assumed-role/model-rollout-stage-promotion/promote" in message
    assert "sagemaker:UpdateEndpoint" in message
    refused(lambda: sagemaker.describe_endpoint(EndpointName=staged.endpoint))
    sfn = session.client("stepfunctions", endpoint_url=url)
    machine = prod["stateMachineArn"]
    refused(lambda: sfn.start_execution(stateMachineArn=machine, input="{}"))
    refused(lambda: session.client("ssm", endpoint_url=url).get_parameter(Name="/x"))
    events = session.client("events", endpoint_url=url)
    other_bus = f"arn:aws:events:us-east-1:{PRODUCTION}:event-bus/elsewhere"
    refused(lambda: events.put_events(Entries=[entry(v1, staged, "x", bus=other_bus)]))
    # nobody but staging's account may assume it
    for account in ("123456789012", PRODUCTION):
        with pytest.raises(ClientError) as error:
            promotion_session(local_stack, account)
        assert error.value.response["Error"]["Code"] == "AccessDenied"

    # what it may do: put an event on production's bus, which production checks against the
    # registry: here a "promotion" that names a staging deployment the registry never saw
    forged = str(uuid.uuid4())
    answer = events.put_events(Entries=[entry(v1, staged, forged)])
    assert answer["FailedEntryCount"] == 0
    refusal = next(
        run
        for run in iter_runs(stacks[PRODUCTION], v1)
        if json.loads(run["input"])["detail"]["FromDeploymentId"] == forged
    )

    assert (refusal["status"], refusal["error"]) == ("FAILED", "PromotionRefused")
    assert forged in refusal["cause"] and "does not record" in refusal["cause"]
    assert serving_package(stacks[PRODUCTION], staged.endpoint) == v1


def entry(arn: str, scenario: Scenario, from_deployment: str, *, bus: str | None = None) -> Any:
    return {
        "Source": PROMOTION_SOURCE,
        "DetailType": PROMOTION_DETAIL_TYPE,
        "EventBusName": bus or f"arn:aws:events:us-east-1:{PRODUCTION}:event-bus/default",
        "Resources": [arn],
        "Detail": json.dumps(
            promotion_detail(
                model_package_arn=arn,
                group=scenario.group,
                version=int(arn.rsplit("/", 1)[1]),
                from_stage="staging",
                to_stage="prod",
                from_deployment_id=from_deployment,
            )
        ),
    }


def iter_runs(bench: Workbench, arn: str) -> list[dict[str, Any]]:
    """Production's ended executions for ``arn``, once one of the forged kind has ended."""
    from rollout_local.workbench import wait_until

    def ended() -> list[dict[str, Any]] | None:
        runs = [
            r
            for r in bench.executions_for(arn)
            if r["status"] != "RUNNING"
            and json.loads(r["input"]).get("detail-type") == PROMOTION_DETAIL_TYPE
        ]
        forged = [r for r in runs if r["name"] != runs[0]["name"]]
        return forged or None

    found = wait_until(ended, timeout=60, interval=0.25, what=f"production run of {arn}")
    return list(found)
