"""The staleness curve of an endpoint as an HTML page: model age at each A/B test against the
challenger's lift (``model_rollout.strategies.ab.staleness_curve``), and every result."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from model_rollout.reporting.charts import scatter_chart


def _cell(value: Any, kind: str = "") -> str:
    if value is None:
        return "<td>-</td>"
    if kind == "percent":
        return f"<td>{value * 100:+.1f}%</td>"
    if kind == "number":
        return f"<td>{value:.3g}</td>"
    return f"<td>{escape(str(value))}</td>"


def plotted(curve: Sequence[dict[str, Any]]) -> list[tuple[float, float, str]]:
    """The curve's points that have both an age and a lift: (age days, lift, label)."""
    return [
        (
            float(row["incumbent_age_days"]),
            float(row["relative_lift"]),
            f"{row['started_at']}: {row['verdict']}",
        )
        for row in curve
        if row.get("incumbent_age_days") is not None and row.get("relative_lift") is not None
    ]


def staleness_page(endpoint: str, curve: Sequence[dict[str, Any]]) -> str:
    chart = scatter_chart(
        "staleness",
        f"{endpoint}: the challenger's lift against the incumbent's age",
        plotted(curve),
        x_label="incumbent's age at the test (days)",
        y_label="relative lift",
        y_format="percent",
    )
    rows = "".join(
        "<tr>"
        + _cell((row.get("started_at") or "")[:19])
        + _cell(row.get("incumbent_package_arn"))
        + _cell(row.get("incumbent_age_days"), "number")
        + _cell(row.get("challenger_package_arn"))
        + _cell(row.get("test_kind"))
        + _cell(row.get("verdict"))
        + _cell(row.get("relative_lift"), "percent")
        + _cell(row.get("p_value"), "number")
        + "</tr>"
        for row in curve
    )
    title = escape(f"A/B results of {endpoint}")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;"
        "font-size:13px}</style></head><body>"
        f"<h1>{title}</h1>{chart}"
        "<table><thead><tr><th>started</th><th>incumbent</th><th>age (days)</th>"
        "<th>challenger</th><th>test</th><th>verdict</th><th>relative lift</th><th>p</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></body></html>\n"
    )
