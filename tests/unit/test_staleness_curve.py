"""The staleness curve: A/B results in time order with the incumbent's age and the lift, in
JSON, as a text plot and as an HTML page (``rollout experiments``)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from model_rollout.reporting.charts import scatter_chart
from model_rollout.reporting.staleness import plotted, staleness_page
from model_rollout.strategies.ab import staleness_curve
from rollout_cli.plot import text_scatter

DAY = 86_400.0
V1, V2, V3 = "arn:pkg/1", "arn:pkg/2", "arn:pkg/3"


def result(started: str, incumbent: str, challenger: str, lift: float | None, verdict: str) -> Any:
    return {
        "result_key": f"{started}#d-{challenger[-1]}",
        "started_at": started,
        "ended_at": started,
        "deployment_id": f"d-{challenger[-1]}",
        "incumbent_package_arn": incumbent,
        "challenger_package_arn": challenger,
        "verdict": verdict,
        "p_value": 0.01,
        "lift": None if lift is None else {"relative": lift, "absolute": lift / 10},
        "variants": {"incumbent": {"count": 1000}, "challenger": {"count": 990}},
    }


def test_the_curve_is_in_time_order_with_the_incumbents_age_at_each_test() -> None:
    created = {V1: 0.0, V2: 10 * DAY, V3: None}
    results = [
        result("1970-01-31T00:00:00.000Z", V2, V3, 0.12, "challenger_wins"),
        result("1970-01-06T00:00:00.000Z", V1, V2, 0.02, "inconclusive"),
    ]
    curve = staleness_curve(results, created)
    assert [row["challenger_package_arn"] for row in curve] == [V2, V3]
    assert [row["incumbent_age_days"] for row in curve] == [5.0, 20.0]
    assert [row["relative_lift"] for row in curve] == [0.02, 0.12]
    assert curve[0]["units"] == [1000, 990] and curve[0]["test_kind"] == "fixed"
    # unknown creation time: no age, the result stays
    assert staleness_curve(results, {})[0]["incumbent_age_days"] is None


def test_a_result_without_a_lift_stays_in_the_list_but_not_on_the_plot() -> None:
    curve = staleness_curve(
        [result("1970-01-06T00:00:00.000Z", V1, V2, None, "insufficient_data")], {V1: 0.0}
    )
    assert curve[0]["relative_lift"] is None and plotted(curve) == []


def test_text_scatter_places_points_by_age_and_lift() -> None:
    lines = text_scatter(
        [(0.0, -0.1), (10.0, 0.3)],
        width=11,
        height=5,
        x_label="age",
        y_label="lift",
        y_percent=True,
    )
    grid = [line.split("|", 1)[1] for line in lines if "|" in line]
    assert grid[0].rstrip().endswith("o")  # the highest lift at the oldest age, top right
    assert grid[-1].startswith("o")  # the lowest at the youngest, bottom left
    assert any(set(row) == {"-"} for row in grid)  # the zero line
    assert lines[0] == "lift" and lines[-1].strip() == "age"
    assert "+30%" in lines[1] and "-10%" in lines[5]
    assert text_scatter([], x_label="age", y_label="lift") == ["(lift against age: no points yet)"]


def test_the_html_page_draws_every_point_and_escapes_what_it_shows() -> None:
    curve = staleness_curve(
        [
            result("1970-01-06T00:00:00.000Z", V1, "<script>x</script>", 0.02, "inconclusive"),
            result("1970-01-31T00:00:00.000Z", V2, V3, 0.12, "challenger_wins"),
        ],
        {V1: 0.0, V2: 10 * DAY},
    )
    page = staleness_page("ep<1>", curve)
    assert "<script>x" not in page and "&lt;script&gt;x" in page and "ep&lt;1&gt;" in page
    assert len(re.findall(r'<circle class="point"', page)) == 2
    assert "+12.0%" in page and "age at the test (days)" in page


def test_scatter_chart_without_points_says_so() -> None:
    svg = scatter_chart("s", "t", [], x_label="x", y_label="y")
    assert 'class="no-data"' in svg and "<circle" not in svg


class Packages:
    def __init__(self, created: dict[str, float | None]) -> None:
        self.created = created

    def created_at(self, model_package_arn: str) -> float | None:
        return self.created.get(model_package_arn)


def test_evaluate_ab_keeps_the_incumbents_age_and_returns_the_curve_so_far() -> None:
    from tests.unit.test_experiment_steps import BLUE, GREEN, NOW, FakeOutcomes, FakeResults
    from tests.unit.test_sequential_ab import ab_doc

    from model_rollout.adapters.experiment_metrics import OutcomeStats
    from model_rollout.strategies.ab import evaluate_ab

    results = FakeResults()
    clear = FakeOutcomes({BLUE: OutcomeStats(2000, 200), GREEN: OutcomeStats(2000, 320)})
    document = ab_doc(NOW - 60, test="fixed")
    incumbent = document.previous.model_package_arn if document.previous else None
    assert incumbent is not None
    got = evaluate_ab(
        document,
        outcomes=clear,
        results=results,
        packages=Packages({incumbent: NOW - 60 - 3 * DAY}),
        clock=lambda: NOW,
    )
    assert got["incumbent_created_at"] is not None
    assert [round(p["incumbent_age_days"], 3) for p in got["staleness"]] == [3.0]
    assert got["staleness"][0]["relative_lift"] == pytest.approx(0.6)
    (kept,) = results.items.values()
    assert kept["staleness"] is None  # the table keeps the test, not the curve
    assert kept["incumbent_created_at"] == got["incumbent_created_at"]
    # an unreadable package (another account's registry): no age, the result all the same
    again = evaluate_ab(
        document, outcomes=clear, results=FakeResults(), packages=Packages({}), clock=lambda: NOW
    )
    assert again["verdict"] == "challenger_wins" and again["incumbent_created_at"] is None


def test_the_deployment_report_draws_an_ab_verdicts_staleness_curve() -> None:
    from model_rollout.reporting.reports import _staleness_chart

    part = {
        "verdict": "challenger_wins",
        "staleness": [
            {"started_at": "t1", "incumbent_age_days": 3.0, "relative_lift": 0.1, "verdict": "x"},
            {"started_at": "t2", "incumbent_age_days": 9.0, "relative_lift": 0.3, "verdict": "y"},
        ],
    }
    svg = _staleness_chart(part)
    assert 'data-chart="staleness"' in svg and svg.count('class="point"') == 2
    assert _staleness_chart({"verdict": "accepted"}) == ""
