"""Shadow and A/B deployments on the real template: every path, the endpoint's variants and
weights during each phase (read with DescribeEndpoint while the execution is in that state),
the final state, the reports and the kept A/B results.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.cli.conftest import Cli
from tests.e2e.scenario import Scenario

from model_rollout.adapters.ab_results import ABResults
from model_rollout.strategies.ab import list_ab_results
from rollout_local.experiment_workbench import conversions, publish_outcomes
from rollout_local.workbench import Workbench, linear_model, quality_report

SHADOW_HEAD = ["Strategy", "ShadowWindow", "WatchShadow", "CompareShadow", "ShadowVerdict"]
AB_HEAD = ["Strategy", "StartAB", "AwaitAB", "WatchAB", "EvaluateAB", "ABVerdict"]
PROMOTED = ["Promote", "AwaitPromote", "Finalize", "RecordStage", "StageOutcome", "Deployed"]
ROLLBACK = ["Rollback", "AwaitRollbackTraffic", "RestoreConfig", "AwaitRestore"]
ENDS = ["FinishRollback", "RecordStage", "StageOutcome"]
# an experiment's verdict that keeps the serving model: its own path back, not a rollback
EXPERIMENT_END = [
    "RestoreIncumbent",
    "AwaitIncumbentTraffic",
    "RestoreIncumbentConfig",
    "AwaitIncumbentConfig",
    "EndExperiment",
    "RecordStage",
    "StageOutcome",
]
NAMESPACE = "ModelRollout/AB-e2e"


def after_alarms(bench: Workbench, execution_arn: str) -> list[str]:
    states = bench.entered_states(execution_arn)
    return states[states.index("CreateAlarms") + 1 :]


def serving(scenario: Scenario) -> dict[str, Any]:
    described = scenario.endpoint_state()
    assert described is not None
    return {
        "status": described["EndpointStatus"],
        "config": described["EndpointConfigName"],
        "weights": scenario.weights(),
        "shadows": [v["VariantName"] for v in described.get("ShadowProductionVariants", [])],
        "package": scenario.tags().get("rollout:model-package-arn"),
    }


def shares(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {name: round(weight / total, 6) for name, weight in weights.items()}


def register(scenario: Scenario, **model: Any) -> str:
    """A version whose local model is ``linear_model(**model)`` (default: the scenario's)."""
    scenario.versions += 1
    name = f"{scenario.group}-v{scenario.versions}"
    spec = linear_model(**{"weights": [0.5, -0.25, 0.1], **model})
    arn = scenario.bench.register(
        scenario.group,
        model_url=scenario.bench.upload_model(name, spec),
        report_url=scenario.bench.upload_report(name, quality_report("accuracy", 0.9)),
        metadata={
            "git_commit": f"c{scenario.versions}",
            "data_version": f"d{scenario.versions}",
            "build_id": f"b{scenario.versions}",
        },
    )
    scenario.packages.append(arn)
    return arn


def start(scenario: Scenario, **model: Any) -> tuple[str, str]:
    arn = register(scenario, **model)
    scenario.bench.approve(arn)
    return arn, scenario.bench.running_execution(arn)


def first_deployment(scenario: Scenario) -> tuple[str, dict[str, Any]]:
    scenario.policy()
    _, execution = scenario.deploy()
    assert execution["status"] == "SUCCEEDED", execution
    before = serving(scenario)
    return next(iter(before["weights"])), before


def during(bench: Workbench, execution_arn: str, state: str, endpoint: str) -> dict[str, Any]:
    """The endpoint as DescribeEndpoint shows it while the execution is in ``state``."""
    bench.wait_for_state(execution_arn, state, timeout=60)
    described = bench.describe_endpoint(endpoint) or {}
    return {
        "config": described.get("EndpointConfigName"),
        "weights": shares(bench.weights(endpoint)),
        "shadows": {
            v["VariantName"]: v.get("CurrentWeight")
            for v in described.get("ShadowProductionVariants", [])
        },
        "capture": described.get("DataCaptureConfig", {}).get("CaptureStatus"),
    }


def read_s3(bench: Workbench, url: str) -> str:
    bucket, key = url[5:].split("/", 1)
    return str(bench.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode())


def shadow_strategy(**extra: Any) -> dict[str, Any]:
    return {
        "type": "shadow",
        "sample_percent": 100,
        "duration_seconds": 4,
        "comparison": {"min_pairs": 10},
        **extra,
    }


# ---------------------------------------------------------------------- shadow


def test_shadow_accepted_then_promoted_by_the_follow_up_canary(scenario: Scenario) -> None:
    blue, _ = first_deployment(scenario)
    scenario.policy(
        strategy=shadow_strategy(then={"type": "canary", "percent": 50, "bake_seconds": 2})
    )

    with scenario.bench.traffic(scenario.endpoint, rate_per_second=25):
        v2, execution_arn = start(scenario)  # the same scorer: the outputs agree
        shadow_phase = during(scenario.bench, execution_arn, "WatchShadow", scenario.endpoint)
        canary_phase = during(scenario.bench, execution_arn, "WatchStep", scenario.endpoint)
        execution = scenario.bench.wait_for_execution(v2)

    assert execution["status"] == "SUCCEEDED", execution
    assert after_alarms(scenario.bench, execution_arn) == [
        *SHADOW_HEAD,
        "ShadowFollowUp",
        "Deploy",
        "AwaitDeploy",
        "CreateAlarms",
        "Strategy",
        *["NextStep", "AwaitStep", "WatchStep", "CheckStep", "StepVerdict"] * 2,
        *PROMOTED,
    ]
    green = next(iter(shadow_phase["shadows"]))
    assert shadow_phase["weights"] == {blue: 1.0}  # production keeps every request
    assert shadow_phase["shadows"] == {green: 1.0} and shadow_phase["capture"] == "Started"
    assert shadow_phase["config"].endswith("-shadow")
    assert canary_phase["weights"] == {green: 0.5, blue: 0.5} and not canary_phase["shadows"]
    after = serving(scenario)
    assert after["weights"] == {green: 1.0} and after["shadows"] == []
    assert after["package"] == v2

    output = json.loads(execution["output"])
    result = output["shadow"]
    assert result["verdict"] == "accepted" and result["then"] == "canary"
    assert result["pairs"] >= 10
    report = json.loads(read_s3(scenario.bench, result["report_url"]))
    assert report["verdict"] == "accepted"
    assert report["outputs"]["agreement"] == 1.0 and report["outputs"]["mean_abs_diff"] == 0.0
    assert report["outputs"]["psi"] == 0.0 and report["outputs"]["ks_d"] == 0.0
    assert report["metrics"]["shadow"]["invocations"] >= report["capture"]["paired_requests"]
    assert report["metrics"]["shadow"]["error_rate"] == 0.0
    summary = read_s3(scenario.bench, result["summary_url"])
    assert "ACCEPTED" in summary and "| agreement | 1 | >= 0.95 | pass |" in summary


def test_shadow_rejected_restores_the_endpoint_and_names_the_comparison(
    scenario: Scenario,
) -> None:
    _, before = first_deployment(scenario)
    scenario.policy(strategy=shadow_strategy(then={"type": "all_at_once", "bake_seconds": 2}))

    with scenario.bench.traffic(scenario.endpoint, rate_per_second=25):
        # a candidate whose scores are shifted up: it says "yes" where production says "no"
        v2, execution_arn = start(scenario, bias=3.0)
        shadow_phase = during(scenario.bench, execution_arn, "WatchShadow", scenario.endpoint)
        execution = scenario.bench.wait_for_execution(v2)

    assert (execution["status"], execution["error"]) == ("FAILED", "ShadowRejected")
    assert after_alarms(scenario.bench, execution_arn) == [
        *SHADOW_HEAD,
        "RejectShadow",
        *EXPERIMENT_END,
        "ShadowRejected",
    ]
    assert len(shadow_phase["shadows"]) == 1
    cause = execution["cause"]
    assert "shadow comparison rejected the candidate" in cause
    assert "< min_agreement 0.95" in cause and "> max_psi 0.2" in cause, cause
    assert "> max_mean_abs_diff 0.1" in cause
    assert "the shadow variant was removed" in cause and "serves endpoint" in cause
    assert serving(scenario) == before  # same config, weights, lineage; no shadow variant
    document = scenario.bench.state_output(execution_arn, "CompareShadow")
    assert document is not None
    report = json.loads(read_s3(scenario.bench, document["shadow"]["report_url"]))
    assert report["verdict"] == "rejected"
    failed = {c["name"] for c in report["checks"] if not c["passed"]}
    assert {"min_agreement", "max_mean_abs_diff", "max_psi"} <= failed
    assert report["outputs"]["agreement"] < 0.95


def test_shadow_without_follow_up_stops_after_the_report(scenario: Scenario) -> None:
    _, before = first_deployment(scenario)
    scenario.policy(strategy=shadow_strategy())

    with scenario.bench.traffic(scenario.endpoint, rate_per_second=25):
        v2, execution_arn = start(scenario)
        execution = scenario.bench.wait_for_execution(v2)

    assert execution["status"] == "SUCCEEDED", execution
    assert after_alarms(scenario.bench, execution_arn) == [
        *SHADOW_HEAD,
        "EndShadow",
        *EXPERIMENT_END,
        "ShadowReported",
    ]
    assert serving(scenario) == before
    output = json.loads(execution["output"])
    assert output["shadow"]["verdict"] == "accepted"
    assert output["outcome"]["status"] == "SHADOW_COMPLETED"
    # a verdict, not a failure: $.failure carries failures only
    assert (
        output.get("failure") is None and output["experiment_end"]["status"] == "SHADOW_COMPLETED"
    )


def test_shadow_alarm_on_the_shadow_variant_rolls_back(scenario: Scenario) -> None:
    _, before = first_deployment(scenario)
    scenario.policy(strategy=shadow_strategy(duration_seconds=120))

    with scenario.bench.traffic(scenario.endpoint, rate_per_second=25):
        v2, execution_arn = start(scenario, error_rate=0.5)  # its errors reach no user
        execution = scenario.bench.wait_for_execution(v2)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert "error-rate" in execution["cause"]
    assert after_alarms(scenario.bench, execution_arn) == [
        "Strategy",
        "ShadowWindow",
        "WatchShadow",
        *ROLLBACK,
        *ENDS,
        "RolledBack",
    ]
    assert serving(scenario) == before


# ---------------------------------------------------------------------- A/B


def ab_strategy(**extra: Any) -> dict[str, Any]:
    """A fixed-horizon test (the sequential one: test_ab_sequential_stops_at_the_first_...)."""
    return {
        "type": "ab",
        "test": "fixed",
        "weights": {"incumbent": 50, "challenger": 50},
        "metric": {"name": "Converted", "namespace": NAMESPACE, "kind": "conversion"},
        "min_samples_per_variant": 200,
        "alpha": 0.05,
        # the test publishes its outcomes once WatchAB is entered: margin for a loaded machine
        "duration_seconds": 8,
        "on_insufficient_data": "keep_incumbent",
        **extra,
    }


def run_ab(
    scenario: Scenario, blue: str, outcomes: dict[str, list[float]], *, continuous: bool = False
) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """Approve a challenger; during the test, publish ``outcomes`` per role; return the
    package, the execution, the endpoint during the test and the ended execution."""
    v2, execution_arn = start(scenario)
    test_phase = during(scenario.bench, execution_arn, "WatchAB", scenario.endpoint)
    green = next(v for v in test_phase["weights"] if v != blue)
    variants = {"incumbent": blue, "challenger": green}
    for role, values in outcomes.items():
        publish_outcomes(
            scenario.bench,
            scenario.endpoint,
            variants[role],
            namespace=NAMESPACE,
            metric="Converted",
            values=values,
            continuous=continuous,
        )
    return v2, execution_arn, test_phase, scenario.bench.wait_for_execution(v2)


@pytest.fixture(scope="module")
def ab_results(local_stack: Any) -> ABResults:
    return ABResults(
        local_stack.client("dynamodb"), table_name=local_stack.resources["ABResultsTable"]
    )


def test_ab_challenger_wins_takes_all_traffic_and_results_form_a_staleness_curve(
    scenario: Scenario, ab_results: ABResults
) -> None:
    blue, _ = first_deployment(scenario)
    scenario.policy(strategy=ab_strategy())

    v2, execution_arn, test_phase, execution = run_ab(
        scenario,
        blue,
        {"incumbent": conversions(1000, 100), "challenger": conversions(1000, 160)},
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert after_alarms(scenario.bench, execution_arn) == [*AB_HEAD, *PROMOTED]
    green = next(v for v in test_phase["weights"] if v != blue)
    assert test_phase["weights"] == {green: 0.5, blue: 0.5}
    after = serving(scenario)
    assert after["weights"] == {green: 1.0} and after["package"] == v2
    ab = json.loads(execution["output"])["ab"]
    assert ab["verdict"] == "challenger_wins"
    assert ab["variants"]["challenger"]["count"] == 1000
    assert ab["variants"]["challenger"]["mean"] == pytest.approx(0.16)
    assert ab["lift"]["absolute"] == pytest.approx(0.06)
    assert ab["lift"]["relative"] == pytest.approx(0.6)
    assert ab["p_value"] < 0.001 and ab["srm"]["p_value"] == 1.0
    # the curve so far, for the report: this test, with the incumbent's age (from the registry)
    assert [point["verdict"] for point in ab["staleness"]] == ["challenger_wins"]
    assert ab["incumbent_created_at"] is not None
    assert 0 <= ab["staleness"][0]["incumbent_age_days"] * 86_400 < 600

    # a second test on the same endpoint: the new incumbent's lift has decayed
    blue = green
    v3, _, _, second = run_ab(
        scenario,
        blue,
        {"incumbent": conversions(1000, 160), "challenger": conversions(1000, 150)},
    )
    assert (second["status"], second["error"]) == ("FAILED", "ABIncumbentKept")
    curve = list_ab_results(scenario.endpoint, results=ab_results)
    assert [r["challenger_package_arn"] for r in curve] == [v2, v3]
    assert [r["verdict"] for r in curve] == ["challenger_wins", "inconclusive"]
    assert curve[0]["relative_lift"] == pytest.approx(0.6)
    assert curve[1]["relative_lift"] == pytest.approx(150 / 160 - 1)

    # the operator's view of the same curve: `rollout experiments`, with each incumbent's age
    cli = Cli(scenario.bench.endpoint_url)
    listed = cli.json("experiments", scenario.endpoint)["experiments"]
    assert [row["challenger_package_arn"] for row in listed] == [v2, v3]
    assert [row["verdict"] for row in listed] == ["challenger_wins", "inconclusive"]
    ages = [row["incumbent_age_days"] for row in listed]
    # the incumbents were registered minutes (here) before their tests: ages in days
    assert all(age is not None and 0 <= age * 86_400 < 600 for age in ages), ages
    assert listed[1]["incumbent_package_arn"] == v2
    assert listed[1]["incumbent_version"] == listed[0]["challenger_version"]
    text = cli.run("experiments", scenario.endpoint).stdout
    assert "challenger_wins" in text and "+60.0%" in text and "-6.2%" in text
    assert "relative lift of the challenger" in text and " o" in text


def test_ab_sequential_stops_at_the_first_conclusive_look(scenario: Scenario) -> None:
    """The default test: looked at every 2 s, it promotes at the first look that sees the
    challenger's lift, long before its 120 s duration."""
    blue, _ = first_deployment(scenario)
    scenario.policy(strategy=ab_strategy(test="sequential", duration_seconds=120, look_seconds=2))

    v2, execution_arn, test_phase, execution = run_ab(
        scenario,
        blue,
        {"incumbent": conversions(1000, 100), "challenger": conversions(1000, 160)},
    )

    assert execution["status"] == "SUCCEEDED", execution
    ab = json.loads(execution["output"])["ab"]
    assert (ab["verdict"], ab["test_kind"]) == ("challenger_wins", "sequential")
    assert ab["elapsed_seconds"] < 60, ab["elapsed_seconds"]  # stopped early
    look = ab["sequential"]["look"]
    # the looks without a verdict (publishing may miss the first) and then the verdict
    assert after_alarms(scenario.bench, execution_arn) == [
        *AB_HEAD,
        *(["ExtendAB", "WatchAB", "EvaluateAB", "ABVerdict"] * (look - 1)),
        *PROMOTED,
    ]
    assert ab["p_value"] < 0.05 and ab["lift"]["absolute"] == pytest.approx(0.06)
    low, high = ab["sequential"]["confidence_sequence"]
    assert 0 < low < 0.06 < high
    green = next(v for v in test_phase["weights"] if v != blue)
    assert serving(scenario)["weights"] == {green: 1.0}
    assert serving(scenario)["package"] == v2


@pytest.mark.parametrize(
    ("outcomes", "verdict", "phrase"),
    [
        (
            {"incumbent": conversions(1000, 160), "challenger": conversions(1000, 100)},
            "incumbent_wins",
            "the challenger is worse",
        ),
        (
            {"incumbent": conversions(1000, 100), "challenger": conversions(1000, 104)},
            "inconclusive",
            "no significant difference",
        ),
        (
            {"incumbent": conversions(500, 50), "challenger": conversions(900, 100)},
            "invalid_srm",
            "sample ratio mismatch: 500 incumbent / 900 challenger units",
        ),
        (
            {"incumbent": conversions(50, 5), "challenger": conversions(60, 9)},
            "insufficient_data",
            "min_samples_per_variant 200 not reached",
        ),
    ],
)
def test_ab_verdicts_that_keep_the_incumbent(
    scenario: Scenario, outcomes: dict[str, list[float]], verdict: str, phrase: str
) -> None:
    blue, before = first_deployment(scenario)
    scenario.policy(strategy=ab_strategy())

    _, execution_arn, test_phase, execution = run_ab(scenario, blue, outcomes)

    assert (execution["status"], execution["error"]) == ("FAILED", "ABIncumbentKept")
    assert f": {verdict}" in execution["cause"] and phrase in execution["cause"]
    assert "incumbent kept" in execution["cause"]
    assert after_alarms(scenario.bench, execution_arn) == [
        *AB_HEAD,
        "KeepIncumbent",
        *EXPERIMENT_END,
        "ABIncumbentKept",
    ]
    green = next(v for v in test_phase["weights"] if v != blue)
    assert test_phase["weights"] == {green: 0.5, blue: 0.5}
    assert serving(scenario) == before


def test_ab_insufficient_data_extends_once_then_decides(scenario: Scenario) -> None:
    blue, _ = first_deployment(scenario)
    scenario.policy(
        strategy=ab_strategy(
            on_insufficient_data="extend",
            duration_seconds=3,
            max_duration_seconds=15,
            metric={"name": "Converted", "namespace": NAMESPACE, "kind": "continuous"},
        )
    )
    v2, execution_arn = start(scenario)
    scenario.bench.wait_for_state(execution_arn, "WatchAB")
    green = next(v for v in scenario.weights() if v != blue)
    scenario.bench.wait_for_state(execution_arn, "ExtendAB", timeout=30)
    # revenue per unit, published during the extension: the challenger earns more
    for variant, base in ((blue, 10.0), (green, 12.0)):
        publish_outcomes(
            scenario.bench,
            scenario.endpoint,
            variant,
            namespace=NAMESPACE,
            metric="Converted",
            values=[base + (k % 7) - 3 for k in range(300)],
            continuous=True,
        )
    execution = scenario.bench.wait_for_execution(v2)

    assert execution["status"] == "SUCCEEDED", execution
    assert after_alarms(scenario.bench, execution_arn) == [
        *AB_HEAD,
        "ExtendAB",
        "WatchAB",
        "EvaluateAB",
        "ABVerdict",
        *PROMOTED,
    ]
    ab = json.loads(execution["output"])["ab"]
    assert ab["verdict"] == "challenger_wins" and ab["extended"] is True
    assert ab["test"]["name"] == "Welch t"
    assert ab["lift"]["absolute"] == pytest.approx(2.0)
    assert serving(scenario)["package"] == v2


def test_ab_guardrail_alarm_rolls_back_at_once(scenario: Scenario) -> None:
    blue, before = first_deployment(scenario)
    scenario.policy(strategy=ab_strategy(duration_seconds=120))

    v2, execution_arn = start(scenario)
    test_phase = during(scenario.bench, execution_arn, "WatchAB", scenario.endpoint)
    document = scenario.bench.state_output(execution_arn, "CreateAlarms")
    assert document is not None
    alarm = document["alarms"]["alarm_names"][0]
    scenario.bench.client("cloudwatch").set_alarm_state(
        AlarmName=alarm, StateValue="ALARM", StateReason="guardrail breached (test)"
    )
    execution = scenario.bench.wait_for_execution(v2)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert alarm in execution["cause"]
    assert after_alarms(scenario.bench, execution_arn) == [
        "Strategy",
        "StartAB",
        "AwaitAB",
        "WatchAB",
        *ROLLBACK,
        *ENDS,
        "RolledBack",
    ]
    green = next(v for v in test_phase["weights"] if v != blue)
    assert test_phase["weights"] == {green: 0.5, blue: 0.5}
    assert serving(scenario) == before
