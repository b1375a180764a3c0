"""Inline SVG charts for deployment reports (pure; no JavaScript, no external assets).

Each chart is one ``<svg class="chart" data-chart="<name>">`` with one
``<path class="series" data-series="<label>">`` (or ``<rect class="segment">`` for timelines)
per series, so that a report renders anywhere, offline, and tests can find what was drawn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
STATE_COLOURS = {
    "OK": "#2ca02c",
    "watching": "#9ecae1",
    "INSUFFICIENT_DATA": "#bdbdbd",
    "ALARM": "#d62728",
    "succeeded": "#2ca02c",
    "caught": "#ff7f0e",
    "failed": "#d62728",
    "running": "#1f77b4",
}
WIDTH, HEIGHT = 760, 230
LEFT, RIGHT, TOP, BOTTOM = 64, 150, 28, 36

Point = tuple[float, float]  # (epoch seconds, value)


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    label: str


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S")


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    step = (high - low) / (count - 1)
    return [low + i * step for i in range(count)]


def _number(value: float) -> str:
    if abs(value) >= 100 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


class _Frame:
    """Axes mapping time (x) and value (y) into the plot area."""

    def __init__(
        self,
        t0: float,
        t1: float,
        y0: float,
        y1: float,
        *,
        left: float = LEFT,
        height: float = HEIGHT,
    ) -> None:
        self.t0, self.t1 = t0, t1 if t1 > t0 else t0 + 1
        self.y0, self.y1 = y0, y1 if y1 > y0 else y0 + 1
        self.left = left
        self.width = WIDTH - left - RIGHT
        self.height = height - TOP - BOTTOM

    def x(self, t: float) -> float:
        return (
            self.left + (min(max(t, self.t0), self.t1) - self.t0) / (self.t1 - self.t0) * self.width
        )

    def y(self, v: float) -> float:
        return TOP + self.height - (v - self.y0) / (self.y1 - self.y0) * self.height

    def axes(
        self, y_label: str, *, y_format: str = "number", x_label: str | None = None
    ) -> list[str]:
        """Grid, y ticks, x ticks (clock times; numbers under ``x_label`` when given)."""
        parts = [
            f'<rect class="plot" x="{self.left}" y="{TOP}" width="{self.width}" '
            f'height="{self.height}" fill="#fafafa" stroke="#ccc"/>'
        ]
        for value in _ticks(self.y0, self.y1):
            y = self.y(value)
            text = f"{value * 100:.0f}%" if y_format == "percent" else _number(value)
            parts.append(
                f'<line x1="{self.left}" x2="{self.left + self.width}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="#e5e5e5"/>'
                f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                f"{text}</text>"
            )
        for t in _ticks(self.t0, self.t1):
            x = self.x(t)
            parts.append(
                f'<text x="{x:.1f}" y="{TOP + self.height + 16}" text-anchor="middle" '
                f'font-size="11">{_clock(t) if x_label is None else _number(t)}</text>'
            )
        if x_label is not None:
            parts.append(
                f'<text x="{self.left + self.width / 2:.0f}" y="{TOP + self.height + 32}" '
                f'text-anchor="middle" font-size="11">{escape(x_label)}</text>'
            )
        parts.append(
            f'<text x="14" y="{TOP + self.height / 2:.0f}" font-size="11" '
            f'transform="rotate(-90 14 {TOP + self.height / 2:.0f})" text-anchor="middle">'
            f"{escape(y_label)}</text>"
        )
        return parts


def _svg(name: str, title: str, body: Iterable[str], *, height: float = HEIGHT) -> str:
    return (
        f'<svg class="chart" data-chart="{escape(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{escape(title)}">'
        f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _legend(labels: Sequence[tuple[str, str]]) -> list[str]:
    parts = []
    for i, (label, fill) in enumerate(labels):
        y = TOP + 6 + i * 18
        parts.append(
            f'<rect x="{WIDTH - RIGHT + 12}" y="{y}" width="12" height="12" fill="{fill}"/>'
            f'<text x="{WIDTH - RIGHT + 30}" y="{y + 10}" font-size="11">'
            f"{escape(label[:22])}</text>"
        )
    return parts


def _empty(frame: _Frame, message: str) -> str:
    return (
        f'<text class="no-data" x="{frame.left + frame.width / 2:.0f}" '
        f'y="{TOP + frame.height / 2:.0f}" text-anchor="middle" font-size="12" fill="#777">'
        f"{escape(message)}</text>"
    )


def line_chart(
    name: str,
    title: str,
    series: dict[str, list[Point]],
    *,
    t0: float,
    t1: float,
    y_label: str,
    step: bool = False,
    y_max: float | None = None,
    y_format: str = "number",
) -> str:
    """Lines (or steps: a value holds until the next point) per series over [t0, t1]."""
    values = [v for points in series.values() for _, v in points]
    top = y_max if y_max is not None else max(values, default=1.0) * 1.1 or 1.0
    frame = _Frame(t0, t1, 0.0, top)
    body = frame.axes(y_label, y_format=y_format)
    if not values:
        body.append(_empty(frame, "no data in this period"))
    legend = []
    for index, (label, points) in enumerate(series.items()):
        if not points:
            continue
        points = sorted(points)
        coords: list[tuple[float, float]] = []
        for i, (t, v) in enumerate(points):
            if step and i:
                coords.append((frame.x(t), coords[-1][1]))
            coords.append((frame.x(t), frame.y(v)))
        if step:
            coords.append((frame.x(t1), coords[-1][1]))
        path = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        fill = colour(index)
        body.append(
            f'<path class="series" data-series="{escape(label)}" d="{path}" fill="none" '
            f'stroke="{fill}" stroke-width="2"/>'
        )
        if not step or len(points) == 1:
            body.extend(
                f'<circle cx="{frame.x(t):.1f}" cy="{frame.y(v):.1f}" r="2.5" fill="{fill}"/>'
                for t, v in points
            )
        legend.append((label, fill))
    body.extend(_legend(legend))
    return _svg(name, title, body)


def timeline_chart(
    name: str, title: str, rows: dict[str, list[Segment]], *, t0: float, t1: float
) -> str:
    """One row per item (alarm, state), coloured segments by label (OK, ALARM, …)."""
    height = max(HEIGHT, TOP + BOTTOM + 8 + 15 * len(rows))  # a readable row per item
    frame = _Frame(t0, t1, 0.0, 1.0, left=150, height=height)
    row_height = max(10.0, min(26.0, frame.height / max(len(rows), 1)))
    body = [
        f'<rect class="plot" x="{frame.left}" y="{TOP}" width="{frame.width}" '
        f'height="{frame.height}" fill="#fafafa" stroke="#ccc"/>'
    ]
    body.extend(
        f'<text x="{frame.x(t):.1f}" y="{TOP + frame.height + 16}" text-anchor="middle" '
        f'font-size="11">{_clock(t)}</text>'
        for t in _ticks(t0, t1)
    )
    if not rows:
        body.append(_empty(frame, "nothing to show"))
    labels: dict[str, str] = {}
    for index, (row, segments) in enumerate(rows.items()):
        y = TOP + 4 + index * row_height
        body.append(
            f'<text x="{frame.left - 4}" y="{y + row_height * 0.65:.1f}" text-anchor="end" '
            f'font-size="10">{escape(row[-24:])}</text>'
        )
        for segment in segments:
            fill = STATE_COLOURS.get(segment.label, colour(len(labels)))
            labels.setdefault(segment.label, fill)
            x0, x1 = frame.x(segment.start), frame.x(segment.end)
            body.append(
                f'<rect class="segment" data-row="{escape(row)}" '
                f'data-label="{escape(segment.label)}" x="{x0:.1f}" y="{y:.1f}" '
                f'width="{max(x1 - x0, 1.5):.1f}" height="{row_height - 4:.1f}" fill="{fill}">'
                f"<title>{escape(row)}: {escape(segment.label)} "
                f"{_clock(segment.start)} to {_clock(segment.end)}</title></rect>"
            )
    body.extend(_legend(list(labels.items())))
    return _svg(name, title, body, height=height)


def scatter_chart(
    name: str,
    title: str,
    points: Sequence[tuple[float, float, str]],
    *,
    x_label: str,
    y_label: str,
    y_format: str = "number",
) -> str:
    """Points ``(x, y, label)`` over numeric axes (both from their data, y through 0), joined
    in order by a thin line: e.g. the staleness curve, model age against lift."""
    height = HEIGHT + 16
    xs, ys = [x for x, _, _ in points], [y for _, y, _ in points]
    low, high = min([0.0, *ys]), max([0.0, *ys])
    pad = (high - low) * 0.1 or 0.1
    frame = _Frame(
        min(xs, default=0.0), max(xs, default=1.0), low - pad, high + pad, height=height - 16
    )
    body = frame.axes(y_label, y_format=y_format, x_label=x_label)
    if not points:
        body.append(_empty(frame, "no results with a lift and an age yet"))
        return _svg(name, title, body, height=height)
    zero = frame.y(0.0)
    body.append(
        f'<line class="zero" x1="{frame.left}" x2="{frame.left + frame.width}" '
        f'y1="{zero:.1f}" y2="{zero:.1f}" stroke="#999" stroke-dasharray="4 3"/>'
    )
    coords = [(frame.x(x), frame.y(y)) for x, y, _ in points]
    path = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    body.append(
        f'<path class="series" data-series="{escape(name)}" d="{path}" fill="none" '
        f'stroke="{colour(0)}" stroke-width="1" opacity="0.5"/>'
    )
    for (cx, cy), (_, _, label) in zip(coords, points, strict=True):
        body.append(
            f'<circle class="point" cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour(0)}">'
            f"<title>{escape(label)}</title></circle>"
        )
    return _svg(name, title, body, height=height)
