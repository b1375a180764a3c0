"""A scatter plot in text, for terminals and pipes alike (the staleness curve)."""

from __future__ import annotations

from collections.abc import Sequence


def _label(value: float, percent: bool) -> str:
    return f"{value * 100:+.0f}%" if percent else f"{value:.3g}"


def text_scatter(
    points: Sequence[tuple[float, float]],
    *,
    width: int = 60,
    height: int = 12,
    x_label: str,
    y_label: str,
    y_percent: bool = False,
) -> list[str]:
    """Lines of a plot of ``points`` (x, y): ``o`` marks a point (``O`` several), ``-`` the
    zero line; the y axis on the left, the x axis below, both labelled with their range."""
    if not points:
        return [f"({y_label} against {x_label}: no points yet)"]
    xs, ys = [x for x, _ in points], [y for _, y in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min([0.0, *ys]), max([0.0, *ys])
    x1, y1 = (x1 if x1 > x0 else x0 + 1.0), (y1 if y1 > y0 else y0 + 1.0)

    def column(x: float) -> int:
        return round((x - x0) / (x1 - x0) * (width - 1))

    def row(y: float) -> int:
        return round((y1 - y) / (y1 - y0) * (height - 1))

    grid = [[" "] * width for _ in range(height)]
    zero = row(0.0)
    grid[zero] = ["-"] * width
    for x, y in points:
        r, c = row(y), column(x)
        grid[r][c] = "O" if grid[r][c] in ("o", "O") else "o"
    top, bottom, mid = _label(y1, y_percent), _label(y0, y_percent), _label(0.0, y_percent)
    margin = max(len(top), len(bottom), len(mid))
    lines = [f"{y_label}"]
    for index, cells in enumerate(grid):
        tick = {0: top, height - 1: bottom, zero: mid}.get(index, "")
        lines.append(f"{tick:>{margin}} |" + "".join(cells).rstrip())
    lines.append(" " * margin + " +" + "-" * width)
    left, right = f"{x0:.3g}", f"{x1:.3g}"
    lines.append(" " * (margin + 2) + left + " " * max(1, width - len(left) - len(right)) + right)
    lines.append(" " * (margin + 2) + x_label)
    return lines
