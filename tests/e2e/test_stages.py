"""Stages: an approval deploys to staging; passing it promotes the same package to prod.

On one account (the stacks of several accounts: tests/e2e/test_stages_across_accounts.py).
Each test asserts the executions' status, error and last states, the endpoints' serving
package, and what the registry records (approval status, ``ModelLifeCycle``).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.e2e.scenario import Scenario

from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiters
from model_rollout.domain.stages import (
    PROMOTION_DETAIL_TYPE,
    PROMOTION_SOURCE,
    promotion_detail,
)
from model_rollout.workflow.decisions import abort, approve, pending
from rollout_local.workbench import wait_until

PROMOTED_AND_HANDED_ON = ["Finalize", "RecordStage", "StageOutcome", "PromoteStage", "Promoted"]


def staged_policy(scenario: Scenario, **prod: Any) -> dict[str, Any]:
    return scenario.policy(
        stages=[
            {"name": "staging", "endpoint_name": f"{scenario.endpoint}-staging"},
            {"name": "prod", "endpoint_name": f"{scenario.endpoint}-prod", **prod},
        ]
    )


def serving_package(scenario: Scenario, stage: str) -> str | None:
    return scenario.bench.endpoint_tags(f"{scenario.endpoint}-{stage}").get(
        "rollout:model-package-arn"
    )


def package(scenario: Scenario, arn: str) -> dict[str, Any]:
    described = scenario.bench.client("sagemaker").describe_model_package(ModelPackageName=arn)
    return dict(described)


def last_states(scenario: Scenario, execution: dict[str, Any], n: int) -> list[str]:
    return scenario.bench.entered_states(execution["executionArn"])[-n:]


def through_both(scenario: Scenario, **register: Any) -> tuple[str, dict[str, Any], dict]:
    arn = scenario.register(**register)
    scenario.bench.approve(arn)
    staging = scenario.bench.wait_for_execution(arn, timeout=90)
    prod = scenario.bench.wait_for_execution(arn, timeout=90, started_after=1)
    return arn, staging, prod


def put_promotion(scenario: Scenario, detail: dict[str, Any]) -> None:
    answer = scenario.bench.client("events").put_events(
        Entries=[
            {
                "Source": PROMOTION_SOURCE,
                "DetailType": PROMOTION_DETAIL_TYPE,
                "Detail": json.dumps(detail),
                "Resources": [detail["ModelPackageArn"]],
                "Time": datetime.now(UTC),
            }
        ]
    )
    assert answer["FailedEntryCount"] == 0


def promotion_of(arn: str, scenario: Scenario, *, from_deployment: str) -> dict[str, Any]:
    return promotion_detail(
        model_package_arn=arn,
        group=scenario.group,
        version=int(arn.rsplit("/", 1)[1]),
        from_stage="staging",
        to_stage="prod",
        from_deployment_id=from_deployment,
    )


def test_an_approval_goes_through_staging_then_prod_and_the_registry_records_each(
    scenario: Scenario,
) -> None:
    staged_policy(scenario)

    arn, staging, prod = through_both(scenario)

    assert staging["status"] == "SUCCEEDED", scenario.bench.explain(staging)
    assert last_states(scenario, staging, 5) == PROMOTED_AND_HANDED_ON
    handed = scenario.bench.state_output(staging["executionArn"], "PromoteStage")
    assert handed is not None
    assert handed["stage_promotion"]["to_stage"] == "prod"
    assert handed["stage_promotion"]["promotion_id"] == f"{staging['name']}:prod"
    assert prod["status"] == "SUCCEEDED", scenario.bench.explain(prod)
    assert last_states(scenario, prod, 3) == ["RecordStage", "StageOutcome", "Deployed"]
    assert serving_package(scenario, "staging") == arn
    assert serving_package(scenario, "prod") == arn
    described = package(scenario, arn)
    assert described["ModelApprovalStatus"] == "Approved"
    life_cycle = described["ModelLifeCycle"]
    assert (life_cycle["Stage"], life_cycle["StageStatus"]) == ("prod", "Succeeded")
    assert f"(deployment {prod['name']}," in life_cycle["StageDescription"]
    # the policy's own endpoint is never deployed: each stage has its own
    assert scenario.endpoint_state() is None


def test_a_version_that_fails_staging_is_quarantined_and_prod_is_untouched(
    scenario: Scenario,
) -> None:
    staged_policy(scenario)
    v1, _, _ = through_both(scenario)

    v2, staging = scenario.deploy(fail_to_start=True)

    assert (staging["status"], staging["error"]) == ("FAILED", "RolledBack")
    assert last_states(scenario, staging, 3) == ["RecordStage", "StageOutcome", "RolledBack"]
    assert len(scenario.bench.executions_for(v2)) == 1  # never handed to prod
    assert serving_package(scenario, "staging") == v1
    assert serving_package(scenario, "prod") == v1
    described = package(scenario, v2)
    assert described["ModelApprovalStatus"] == "Rejected"
    assert described["ApprovalDescription"].startswith("quarantined: staging: Quarantined")
    assert "DeploymentFailed" in described["ApprovalDescription"]
    assert described["ModelLifeCycle"]["StageStatus"] == "Quarantined"
    assert described["ModelLifeCycle"]["Stage"] == "staging"


def test_a_quarantined_version_approved_again_is_refused_and_rejected_again(
    scenario: Scenario,
) -> None:
    staged_policy(scenario)
    v1, _ = scenario.deploy(fail_to_start=True)  # quarantined in staging
    assert package(scenario, v1)["ModelApprovalStatus"] == "Rejected"

    scenario.bench.approve(v1)
    again = scenario.bench.wait_for_execution(v1, timeout=60, started_after=1)

    assert (again["status"], again["error"]) == ("FAILED", "Quarantined")
    assert "rollout requalify" in again["cause"]
    assert package(scenario, v1)["ModelApprovalStatus"] == "Rejected"
    assert scenario.bench.describe_endpoint(f"{scenario.endpoint}-staging") is None


def test_a_version_that_fails_prod_rolls_back_there_staging_keeps_it_and_it_is_quarantined(
    scenario: Scenario,
) -> None:
    staged_policy(scenario)
    v1, _, _ = through_both(scenario)
    # prod is stricter and bakes longer than staging, which sees no traffic here
    scenario.policy(
        alarms={"max_error_rate": 0.9, "period_seconds": 10, "evaluation_periods": 1},
        stages=[
            {"name": "staging", "endpoint_name": f"{scenario.endpoint}-staging"},
            {
                "name": "prod",
                "endpoint_name": f"{scenario.endpoint}-prod",
                "strategy": {"type": "all_at_once", "bake_seconds": 60},
                "alarms": {"max_error_rate": 0.05, "period_seconds": 10, "evaluation_periods": 1},
            },
        ],
    )

    with scenario.bench.traffic(f"{scenario.endpoint}-prod", rate_per_second=30):
        v2, staging, prod = through_both(scenario, error_rate=0.5)

    assert staging["status"] == "SUCCEEDED", scenario.bench.explain(staging)
    assert (prod["status"], prod["error"]) == ("FAILED", "RolledBack")
    assert "error-rate" in prod["cause"]
    assert serving_package(scenario, "prod") == v1
    assert serving_package(scenario, "staging") == v2
    described = package(scenario, v2)
    assert described["ModelApprovalStatus"] == "Rejected"
    assert (described["ModelLifeCycle"]["Stage"], described["ModelLifeCycle"]["StageStatus"]) == (
        "prod",
        "Quarantined",
    )


def test_a_repeated_promotion_is_ignored_and_a_forged_one_is_refused(
    scenario: Scenario,
) -> None:
    staged_policy(scenario)
    v1, staging, _ = through_both(scenario)
    prod_config = scenario.bench.describe_endpoint(f"{scenario.endpoint}-prod")
    assert prod_config is not None

    # the same promotion delivered again
    put_promotion(scenario, promotion_of(v1, scenario, from_deployment=staging["name"]))
    repeated = scenario.bench.wait_for_execution(v1, timeout=60, started_after=2)
    # a promotion that names a staging deployment the registry does not record
    forged = str(uuid.uuid4())
    put_promotion(scenario, promotion_of(v1, scenario, from_deployment=forged))
    refused = scenario.bench.wait_for_execution(v1, timeout=60, started_after=3)
    # a version nobody approved, "promoted" straight to prod
    v2 = scenario.register()
    put_promotion(scenario, promotion_of(v2, scenario, from_deployment=staging["name"]))
    unapproved = scenario.bench.wait_for_execution(v2, timeout=60)

    assert repeated["status"] == "SUCCEEDED"
    assert last_states(scenario, repeated, 1) == ["DuplicateIgnored"]
    assert (refused["status"], refused["error"]) == ("FAILED", "PromotionRefused")
    assert forged in refused["cause"] and "does not record" in refused["cause"]
    assert (unapproved["status"], unapproved["error"]) == ("FAILED", "PromotionRefused")
    assert "PendingManualApproval" in unapproved["cause"]
    after = scenario.bench.describe_endpoint(f"{scenario.endpoint}-prod")
    assert after is not None
    assert after["EndpointConfigName"] == prod_config["EndpointConfigName"]
    assert serving_package(scenario, "prod") == v1
    assert package(scenario, v1)["ModelLifeCycle"]["StageStatus"] == "Succeeded"


@pytest.mark.parametrize("decision", ["approve", "abort"])
def test_a_manual_promotion_waits_for_an_operator(
    scenario: Scenario, local_stack: Any, decision: str
) -> None:
    waiters = Waiters(
        local_stack.client("dynamodb"), table_name=local_stack.resources["WaitersTable"]
    )
    tasks = TaskTokens(local_stack.client("stepfunctions"))
    scenario.policy(
        stages=[
            {
                "name": "staging",
                "endpoint_name": f"{scenario.endpoint}-staging",
                "promotion": "manual",
            },
            {"name": "prod", "endpoint_name": f"{scenario.endpoint}-prod"},
        ]
    )
    arn = scenario.register()
    scenario.bench.approve(arn)
    execution = scenario.bench.running_execution(arn)
    scenario.bench.wait_for_state(execution, "AwaitStagePromotion", timeout=60)
    assert scenario.bench.describe_endpoint(f"{scenario.endpoint}-prod") is None

    deployment_id = execution.rsplit(":", 1)[1]
    # the state is entered before its function has parked the token for a person
    wait_until(lambda: pending(deployment_id, waiters=waiters) == "approval", timeout=30)
    decide = approve if decision == "approve" else abort
    decide(deployment_id, "checked by hand", waiters=waiters, tasks=tasks)
    staging = scenario.bench.wait_for_execution(arn, timeout=60)

    assert staging["status"] == "SUCCEEDED"
    if decision == "approve":
        assert last_states(scenario, staging, 2) == ["PromoteStage", "Promoted"]
        prod = scenario.bench.wait_for_execution(arn, timeout=90, started_after=1)
        assert prod["status"] == "SUCCEEDED"
        assert serving_package(scenario, "prod") == arn
    else:
        assert last_states(scenario, staging, 2) == ["AwaitStagePromotion", "NotPromoted"]
        assert len(scenario.bench.executions_for(arn)) == 1
        assert scenario.bench.describe_endpoint(f"{scenario.endpoint}-prod") is None


def test_a_stage_promotes_only_on_enough_traffic_served_well_enough(scenario: Scenario) -> None:
    staging_endpoint = f"{scenario.endpoint}-staging"

    def checks(**values: Any) -> None:
        scenario.policy(
            strategy={"type": "all_at_once", "bake_seconds": 8},
            alarms={"max_error_rate": 0.9, "period_seconds": 10, "evaluation_periods": 1},
            stages=[
                {"name": "staging", "endpoint_name": staging_endpoint, "checks": values},
                {"name": "prod", "endpoint_name": f"{scenario.endpoint}-prod"},
            ],
        )

    checks(min_invocations=5)
    v1, first = scenario.deploy()  # nobody calls the new endpoint: too little to judge
    assert (first["status"], first["error"]) == ("FAILED", "RolledBack")
    assert "LowTraffic" in first["cause"] and "fewer than" in first["cause"]
    assert package(scenario, v1)["ModelApprovalStatus"] == "Approved"  # not quarantined
    assert package(scenario, v1)["ModelLifeCycle"]["StageStatus"] == "Failed"

    checks()
    v2, _, _ = through_both(scenario)
    checks(min_invocations=5, max_error_rate=0.05)
    # 20% errors: under the lenient alarm (90% per period), above the stage's 5% over its time
    with scenario.bench.traffic(staging_endpoint, rate_per_second=20):
        v3, failed = scenario.deploy(error_rate=0.2)

    assert (failed["status"], failed["error"]) == ("FAILED", "RolledBack")
    assert "StageChecksFailed" in failed["cause"] and "5XX" in failed["cause"]
    assert serving_package(scenario, "staging") == v2
    assert package(scenario, v3)["ModelApprovalStatus"] == "Rejected"
    assert len(scenario.bench.executions_for(v3)) == 1


def test_an_approval_for_a_stage_of_another_account_is_not_deployed_here(
    scenario: Scenario,
) -> None:
    scenario.policy(
        stages=[
            {"name": "staging", "account_id": "999999999999"},
            {"name": "prod", "endpoint_name": f"{scenario.endpoint}-prod"},
        ]
    )

    arn, execution = scenario.deploy()

    assert (execution["status"], execution["error"]) == ("FAILED", "StageNotServed")
    assert "999999999999" in execution["cause"] and "123456789012" in execution["cause"]
    assert scenario.endpoint_state() is None
    assert scenario.bench.describe_endpoint(f"{scenario.endpoint}-prod") is None
    assert "ModelLifeCycle" not in package(scenario, arn)  # nothing written
