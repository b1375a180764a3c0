"""Shadow and A/B steps (pure domain, fakes for S3/CloudWatch/DynamoDB): policy shapes, the
release's shadow config, captured outputs and their pairing, the comparison's checks and
report, every A/B verdict, the one extension, the kept results in time order."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from tests.helpers.rollout_steps import RELEASE, deployment_document

from model_rollout.adapters.experiment_metrics import OutcomeStats, ServingStats
from model_rollout.domain.deployment import (
    ABResult,
    Deployment,
    Outcome,
    ServingState,
    VariantRef,
)
from model_rollout.domain.experiments import verdict_outcome
from model_rollout.domain.policy import ABStrategy, Policy, parse_policy
from model_rollout.domain.release import plan_release
from model_rollout.errors import InvalidPolicy
from model_rollout.reporting.reports import iso
from model_rollout.strategies.ab import analyse, arm, evaluate_ab, list_ab_results
from model_rollout.strategies.progressive import initial_shares, traffic_plan
from model_rollout.strategies.shadow import (
    compare_shadow,
    pair_scores,
    scores_of,
    shadow_data_capture,
)

GREEN = RELEASE["variant_name"]
BLUE = "blue"
NOW = 1_780_000_000.0


def doc(strategy: dict[str, Any], **extra: Any) -> Deployment:
    document = deployment_document(strategy=strategy, **extra)
    document["release"]["previous_variant_name"] = BLUE
    return Deployment.model_validate(document)


# ---------------------------------------------------------------------- policy and release


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        ({"type": "ab", "metric": {"name": "m"}, "weights": {"a": 1, "b": 1}}, "exactly"),
        (
            {"type": "ab", "metric": {"name": "m"}, "weights": {"incumbent": 0, "challenger": 1}},
            "0",
        ),
        (
            {
                "type": "ab",
                "metric": {"name": "m"},
                "duration_seconds": 60,
                "max_duration_seconds": 30,
            },
            "at least",
        ),
        ({"type": "ab"}, "metric"),
        ({"type": "shadow", "then": {"type": "shadow"}}, "then"),
        ({"type": "shadow", "comparison": {"min_agreement": 2}}, "min_agreement"),
    ],
)
def test_invalid_experiment_policies_are_named(strategy: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidPolicy, match=message):
        parse_policy(json.dumps({"endpoint_name": "e", "strategy": strategy}), source="t")


def test_autoscaling_range_is_checked() -> None:
    raw = {"endpoint_name": "e", "autoscaling": {"min_capacity": 3, "max_capacity": 2}}
    with pytest.raises(InvalidPolicy, match="max_capacity"):
        parse_policy(json.dumps(raw), source="t")


def test_a_shadow_release_has_a_shadow_config_with_blue_alone_in_production() -> None:
    policy = Policy.model_validate(
        {"endpoint_name": "churn-prod", "strategy": {"type": "shadow", "sample_percent": 40}}
    )
    previous = ServingState(
        endpoint_config_name="old",
        variants=[VariantRef(variant_name=BLUE, model_name="m-old", instance_count=2)],
    )
    plan = plan_release(
        deployment_id="d" * 40,
        endpoint_name="churn-prod",
        model_package_version=7,
        policy=policy,
        previous=previous,
        resource_prefix="model-rollout-with-a-long-prefix",
    )
    assert plan.shadow_config_name is not None
    assert plan.shadow_config_name.endswith(f"-{plan.names.variant_name}-shadow")
    assert len(plan.shadow_config_name) <= 63
    assert [(v.variant_name, v.weight) for v in plan.shadow_production] == [(BLUE, 1.0)]
    assert [(v.variant_name, v.weight) for v in plan.shadow_variants] == [
        (plan.names.variant_name, 0.4)
    ]
    # no follow-up: the bake config is all_at_once's (green all traffic, blue at 0)
    assert [v.weight for v in plan.bake_variants] == [1.0, 0.0]


def test_starting_shares_and_plans_of_shadow_and_ab() -> None:
    release = doc({"type": "shadow"}).release
    assert release is not None
    assert initial_shares(release, doc({"type": "shadow"}).strategy) == {BLUE: 1.0}
    ab = doc({"type": "ab", "metric": {"name": "m"}, "weights": {"incumbent": 3, "challenger": 1}})
    assert initial_shares(release, ab.strategy) == {GREEN: 0.0, BLUE: 1.0}
    assert traffic_plan(ab.strategy) == [25.0]


def test_shadow_capture_goes_to_the_reports_bucket_unless_the_policy_names_a_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from model_rollout import config as settings_module

    monkeypatch.setenv("REPORTS_BUCKET", "reports-b")
    settings_module.settings.cache_clear()
    try:
        shadow = doc({"type": "shadow", "capture_percent": 30}).strategy
        config = shadow_data_capture(shadow, "churn-prod")
        assert config is not None
        assert config["DestinationS3Uri"] == "s3://reports-b/data-capture"
        assert config["InitialSamplingPercentage"] == 30
        named = doc({"type": "shadow", "capture_s3_uri": "s3://elsewhere/cap"}).strategy
        assert shadow_data_capture(named, "e")["DestinationS3Uri"] == "s3://elsewhere/cap"  # type: ignore[index]
        assert shadow_data_capture(doc({"type": "all_at_once"}).strategy, "e") is None
    finally:
        settings_module.settings.cache_clear()


# ---------------------------------------------------------------------- captured outputs


def record(event_id: str, data: str, encoding: str = "CSV", at: float = NOW) -> dict[str, Any]:
    return {
        "captureData": {
            "endpointInput": {"data": "1,2,3", "encoding": "CSV", "mode": "INPUT"},
            "endpointOutput": {"data": data, "encoding": encoding, "mode": "OUTPUT"},
        },
        "eventMetadata": {"eventId": event_id, "inferenceTime": iso(at)},
        "eventVersion": "0",
    }


@pytest.mark.parametrize(
    ("payload", "scores"),
    [
        ({"data": "0.25\n0.75\n", "encoding": "CSV"}, [0.25, 0.75]),
        ({"data": '{"predictions": [0.1, 0.9]}', "encoding": "JSON"}, [0.1, 0.9]),
        ({"data": base64.b64encode(b"0.5\n").decode(), "encoding": "BASE64"}, [0.5]),
        ({"data": "[[0.3], [0.4]]", "encoding": "JSON"}, [0.3, 0.4]),
    ],
)
def test_scores_of_every_capture_encoding(payload: dict[str, Any], scores: list[float]) -> None:
    assert scores_of(payload) == pytest.approx(scores)


def test_pairs_are_made_by_event_id_inside_the_window() -> None:
    production = [record("a", "0.2\n0.3"), record("b", "0.5"), record("old", "0.1", at=NOW - 99)]
    shadow = [record("b", "0.6"), record("a", "0.25\n0.35"), record("c", "0.9")]
    pairs, counts = pair_scores(production, shadow, NOW - 10, NOW + 10)
    assert pairs == [(0.2, 0.25), (0.3, 0.35), (0.5, 0.6)]
    assert counts == {
        "production_records": 2,
        "shadow_records": 3,
        "paired_requests": 2,
        "paired_scores": 3,
    }


class FakeCaptures:
    def __init__(self, records: dict[str, list[dict[str, Any]]]) -> None:
        self.by_variant = records
        self.written: dict[str, str] = {}

    def records(self, destination: str, endpoint: str, variant: str, start: float, end: float):  # type: ignore[no-untyped-def]
        return self.by_variant.get(variant, [])

    def put(self, bucket: str, key: str, body: str, content_type: str) -> str:
        self.written[key] = body
        return f"s3://{bucket}/{key}"


class FakeServing:
    def __init__(self, stats: dict[str, ServingStats]) -> None:
        self.stats = stats

    def serving(self, endpoint: str, variant: str, start: float, end: float) -> ServingStats:
        return self.stats[variant]


def shadow_doc(**comparison: Any) -> Deployment:
    return doc(
        {
            "type": "shadow",
            "duration_seconds": 60,
            "capture_s3_uri": "s3://captures/data-capture",
            "comparison": {"min_pairs": 3, **comparison},
        },
        shadow={"started_at": iso(NOW - 60)},
    )


def test_compare_shadow_accepts_agreeing_outputs_and_writes_both_reports() -> None:
    scores = [0.1, 0.4, 0.6, 0.9]
    captures = FakeCaptures(
        {
            BLUE: [record(f"e{k}", str(s)) for k, s in enumerate(scores)],
            GREEN: [record(f"e{k}", str(s + 0.01)) for k, s in enumerate(scores)],
        }
    )
    ok = ServingStats(invocations=100, errors_5xx=0, latency_p50_ms=20, latency_p99_ms=21)
    result = compare_shadow(
        shadow_doc(),
        captures=captures,
        metrics=FakeServing({BLUE: ok, GREEN: ok}),
        reports=captures,
        reports_bucket="rb",
        clock=lambda: NOW,
    )
    assert result["verdict"] == "accepted" and result["pairs"] == 4
    assert "no follow-up strategy: stopped" in result["cause"]
    key = f"reports/{RELEASE['tags']['rollout:endpoint-name']}/{shadow_doc().deployment_id}.shadow"
    report = json.loads(captures.written[f"{key}.json"])
    assert report["outputs"]["agreement"] == 1.0
    assert report["outputs"]["mean_abs_diff"] == pytest.approx(0.01)
    assert result["summary_url"] == f"s3://rb/{key}.md"
    assert "| agreement | 1 | >= 0.95 | pass |" in captures.written[f"{key}.md"]


def test_compare_shadow_rejects_naming_each_failed_check_with_value_and_threshold() -> None:
    captures = FakeCaptures(
        {
            BLUE: [record(f"e{k}", "0.2") for k in range(5)],
            GREEN: [record(f"e{k}", "0.8") for k in range(5)],
        }
    )
    metrics = FakeServing(
        {
            BLUE: ServingStats(100, 0, 20, 25),
            GREEN: ServingStats(100, 10, 20, 90),
        }
    )
    result = compare_shadow(
        shadow_doc(max_p99_latency_increase_ms=50),
        captures=captures,
        metrics=metrics,
        reports=captures,
        reports_bucket="rb",
        clock=lambda: NOW,
    )
    assert result["verdict"] == "rejected"
    cause = result["cause"]
    assert "error rate increase 0.1 > max_error_rate_increase 0.01" in cause
    assert "p99 latency increase (ms) 65 > max_p99_latency_increase_ms 50" in cause
    assert "agreement 0 < min_agreement 0.95" in cause
    assert "mean absolute score difference 0.6 > max_mean_abs_diff 0.1" in cause
    assert "> max_psi 0.2" in cause


def test_too_few_pairs_reject_without_judging_the_outputs() -> None:
    captures = FakeCaptures({BLUE: [record("e1", "0.2")], GREEN: [record("e1", "0.2")]})
    ok = ServingStats(10, 0, 20, 20)
    result = compare_shadow(
        shadow_doc(),
        captures=captures,
        metrics=FakeServing({BLUE: ok, GREEN: ok}),
        reports=captures,
        reports_bucket="",
        clock=lambda: NOW,
    )
    assert result["verdict"] == "rejected"
    assert "paired requests 1 < min_pairs 3" in result["cause"]
    assert "agreement" not in result["cause"] and result["report_url"] is None


def test_a_verdict_that_keeps_the_serving_model_has_its_own_outcome() -> None:
    rejected = {"status": "SHADOW_REJECTED", "cause": "x < y"}
    deployment = doc({"type": "shadow"}, experiment_end=rejected)
    assert deployment.failure is None  # a verdict, not a failure
    outcome = verdict_outcome(deployment)
    assert outcome == Outcome(
        status="SHADOW_REJECTED",
        error="ShadowRejected",
        cause=f"x < y. config {deployment.previous.endpoint_config_name} serves endpoint "  # type: ignore[union-attr]
        f"{deployment.endpoint_name} as before",
    )
    kept = doc({"type": "shadow"}, experiment_end={"status": "INCUMBENT_KEPT", "cause": "c"})
    assert verdict_outcome(kept).error == "ABIncumbentKept"


# ---------------------------------------------------------------------- A/B


def ab(**extra: Any) -> ABStrategy:
    raw = {
        "type": "ab",
        "test": "fixed",
        "metric": {"name": "Converted"},
        "min_samples_per_variant": 100,
        **extra,
    }
    strategy = doc(raw).strategy
    assert isinstance(strategy, ABStrategy)
    return strategy


def conversion(role: str, units: int, converted: int, alpha: float = 0.05) -> Any:
    return arm(role, role, OutcomeStats(count=units, total=converted), "conversion", alpha)


@pytest.mark.parametrize(
    ("incumbent", "challenger", "extra", "verdict"),
    [
        ((1000, 100), (1000, 160), {}, "challenger_wins"),
        ((1000, 160), (1000, 100), {}, "incumbent_wins"),
        ((1000, 100), (1000, 104), {}, "inconclusive"),
        ((50, 5), (60, 9), {}, "insufficient_data"),
        ((500, 50), (900, 100), {}, "invalid_srm"),
        ((300, 30), (900, 90), {"weights": {"incumbent": 25, "challenger": 75}}, "inconclusive"),
        # complaints: fewer is better
        (
            (1000, 160),
            (1000, 100),
            {"metric": {"name": "Complaints", "greater_is_better": False}},
            "challenger_wins",
        ),
    ],
)
def test_every_ab_verdict(
    incumbent: tuple[int, int], challenger: tuple[int, int], extra: dict[str, Any], verdict: str
) -> None:
    strategy = ab(**extra)
    got, out = analyse(strategy, conversion("i", *incumbent), conversion("c", *challenger))
    assert got == verdict
    assert out["srm"]["observed"] == [incumbent[0], challenger[0]]


def test_continuous_metric_uses_welch_and_the_t_interval() -> None:
    values_i = [10.0 + (k % 5) for k in range(200)]
    values_c = [11.0 + (k % 7) for k in range(200)]

    def stats(values: list[float]) -> OutcomeStats:
        return OutcomeStats(len(values), sum(values), sum(v * v for v in values))

    strategy = ab(metric={"name": "Revenue", "kind": "continuous"})
    incumbent = arm("incumbent", "i", stats(values_i), "continuous", 0.05)
    challenger = arm("challenger", "c", stats(values_c), "continuous", 0.05)
    verdict, out = analyse(strategy, incumbent, challenger)
    from scipy import stats as sp  # reference

    reference = sp.ttest_ind(values_c, values_i, equal_var=False)
    assert out["test"]["statistic"] == pytest.approx(reference.statistic, rel=1e-9)
    assert out["p_value"] == pytest.approx(reference.pvalue, rel=1e-6)
    assert verdict == "challenger_wins"
    assert challenger.variance == pytest.approx(sp.tvar(values_c))


class FakeOutcomes:
    def __init__(self, by_variant: dict[str, OutcomeStats]) -> None:
        self.by_variant = by_variant

    def outcomes(self, namespace, metric, endpoint, variant, start, end, *, squares=False):  # type: ignore[no-untyped-def]
        return self.by_variant[variant]


class FakeResults:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def put(self, endpoint: str, key: str, result: dict[str, Any]) -> None:
        self.items[(endpoint, key)] = result

    def query(self, endpoint: str) -> list[dict[str, Any]]:
        return [r for (e, k), r in sorted(self.items.items()) if e == endpoint]


def ab_doc(started: float, **strategy: Any) -> Deployment:
    step = {
        "index": 0,
        "count": 1,
        "percent": 50,
        "weights": {GREEN: 0.5, BLUE: 0.5},
        "expect": {"endpoint_config_name": RELEASE["bake_config_name"]},
        "bake_seconds": 60,
        "watch_seconds": 60,
        "started_at": started,
        "last": True,
    }
    raw = {
        "type": "ab",
        "test": "fixed",
        "metric": {"name": "Converted"},
        "min_samples_per_variant": 100,
        "duration_seconds": 60,
        "max_duration_seconds": 150,
        **strategy,
    }
    return doc(raw, step=step)


def test_insufficient_data_extends_once_then_keeps_the_incumbent() -> None:
    few = FakeOutcomes({BLUE: OutcomeStats(10, 1), GREEN: OutcomeStats(12, 2)})
    results = FakeResults()
    first = evaluate_ab(ab_doc(NOW - 60), outcomes=few, results=results, clock=lambda: NOW)
    assert first["verdict"] == "extend" and first["extend_seconds"] == 90
    assert results.items == {}  # nothing kept until the test ends

    # the state machine puts the first evaluation at $.ab; the next step parses it
    again = ab_doc(NOW - 150).model_copy(update={"ab": ABResult.model_validate(first)})
    second = evaluate_ab(again, outcomes=few, results=results, clock=lambda: NOW)
    assert second["verdict"] == "insufficient_data" and second["extended"] is True
    assert "min_samples_per_variant 100 not reached within 150s" in second["cause"]
    assert list(results.items.values()) == [second]


def test_results_are_kept_per_endpoint_and_listed_oldest_first() -> None:
    results = FakeResults()
    for started, converted in ((NOW - 86_400 * 30, 160), (NOW - 86_400, 120)):
        outcomes = FakeOutcomes(
            {BLUE: OutcomeStats(1000, 100), GREEN: OutcomeStats(1000, converted)}
        )
        evaluate_ab(
            ab_doc(started), outcomes=outcomes, results=results, clock=lambda s=started: s + 60
        )
    curve = list_ab_results(RELEASE["tags"]["rollout:endpoint-name"], results=results)
    assert [r["verdict"] for r in curve] == ["challenger_wins", "inconclusive"]
    assert [round(r["relative_lift"], 6) for r in curve] == [0.6, 0.2]
