"""The gate on a fixed validation set, on the real template: the deploy-model state machine
runs the batch state machine (startExecution.sync:2) for the candidate and the serving
model, and Validate gates on the metric computed from their joined outputs.
"""

from __future__ import annotations

import random
from typing import Any

from tests.e2e.scenario import Scenario

from rollout_local.inference_workbench import Inference
from rollout_local.workbench import linear_model, quality_report

GOOD = [0.5, -0.25, 0.1]


def validation_set(inference: Inference, name: str, n: int = 60) -> str:
    """CSV: label (column 0) then three features; the label is what GOOD predicts."""
    rng = random.Random(11)
    lines = []
    for _ in range(n):
        x = [round(rng.uniform(-2, 2), 3) for _ in range(3)]
        label = int(sum(w * v for w, v in zip(GOOD, x, strict=True)) >= 0)
        lines.append(",".join([str(label), *(str(v) for v in x)]))
    return inference.put(f"validation/{name}/set.csv", "\n".join(lines) + "\n")


def register(scenario: Scenario, weights: list[float], reported_accuracy: float) -> str:
    scenario.versions += 1
    name = f"{scenario.group}-v{scenario.versions}"
    bench = scenario.bench
    arn = bench.register(
        scenario.group,
        model_url=bench.upload_model(name, linear_model(weights)),
        report_url=bench.upload_report(name, quality_report("accuracy", reported_accuracy)),
        metadata={
            "git_commit": f"c0ffee{scenario.versions}",
            "data_version": "d",
            "build_id": f"b{scenario.versions}",
        },
    )
    scenario.packages.append(arn)
    return arn


def deploy(scenario: Scenario, weights: list[float], reported: float) -> tuple[str, dict[str, Any]]:
    arn = register(scenario, weights, reported)
    scenario.bench.approve(arn)
    return arn, scenario.bench.wait_for_execution(arn, timeout=90)


def test_fixed_set_gate_rejects_a_candidate_worse_on_the_set_despite_its_report(
    scenario: Scenario, bench: Any
) -> None:
    inference = Inference(bench)
    dataset = validation_set(inference, scenario.group)
    scenario.policy(
        validation={
            "metric": "accuracy",
            "greater_is_better": True,
            "min_value": 0.8,
            "max_regression": 0.05,
            "dataset": {"s3_uri": dataset, "content_type": "text/csv", "label": 0},
        }
    )

    # v1: first deployment; only the candidate runs on the set (nothing serves yet)
    v1, first = deploy(scenario, GOOD, reported=0.9)
    assert first["status"] == "SUCCEEDED", first
    states = bench.entered_states(first["executionArn"])
    assert states.index("FixedSetTransforms") < states.index("Validate")
    recorded = bench.state_output(first["executionArn"], "Validate")["validation"]["fixed_set"]
    assert recorded["metric"] == "accuracy" and recorded["dataset"] == dataset
    assert recorded["candidate_value"] == 1.0 and recorded["records"] == 60
    assert recorded["baseline_value"] is None
    before = scenario.endpoint_state()
    assert before is not None

    # v2 reports accuracy 0.95 (better than v1's 0.9); on the set it scores 49/60, above
    # min_value but 0.18 worse than v1, more than max_regression
    v2, second = deploy(scenario, [0.5, 0.25, 0.1], reported=0.95)

    assert second["status"] == "FAILED", second
    assert second["error"] == "ValidationFailed"
    cause = second["cause"]
    assert "accuracy 0.816667 is worse than the serving model's 1 by 0.183333" in cause
    assert "more than max_regression 0.05" in cause
    assert f"on the fixed validation set {dataset}" in cause and v1 in cause
    states = bench.entered_states(second["executionArn"])
    assert "FixedSetTransforms" in states and states[-4:] == [
        "RecordFailure",
        "RecordStage",
        "StageOutcome",
        "Failed",
    ]
    assert "Tag" not in states and "Deploy" not in states
    # both models ran on the set, each in its own batch execution, joined outputs kept
    runs = bench.state_output(second["executionArn"], "FixedSetTransforms")["fixed_set_runs"]
    assert {r["role"]: r["status"] for r in runs} == {
        "candidate": "SUCCEEDED",
        "baseline": "SUCCEEDED",
    }
    by_role = {r["role"]: r["outcome"] for r in runs}
    assert by_role["candidate"]["model_package_arn"] == v2
    assert by_role["baseline"]["model_package_arn"] == v1
    joined = inference.read(by_role["candidate"]["outputs"][0]).splitlines()
    source = inference.read(dataset).splitlines()
    assert [line.rsplit(",", 1)[0] for line in joined] == source
    # the endpoint is untouched: same config, still v1's lineage
    after = scenario.endpoint_state()
    assert after is not None
    assert after["EndpointConfigName"] == before["EndpointConfigName"]
    assert scenario.tags()["rollout:model-package-arn"] == v1
