"""Every table the operator commands print, built in one place.

- In a terminal: the table fits the terminal's width. Values too long for their column are
  cut, and end with ``…``; when cutting every column to its least width is not enough,
  columns are hidden (the least important first) and a note under the table names them.
- Anywhere else (a pipe, a file): a plain table, complete and uncut: columns separated by
  two spaces, no box characters, no colour, one line per row (a line break inside a value
  becomes a space), so that ``grep``, ``awk`` and ``cut`` read it.

``--json`` is for scripts that want the data itself; this is for people and pipes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.cells import cell_len
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

ELLIPSIS = "…"
GAP = 2  # spaces between two columns, in both modes


@dataclass(frozen=True)
class Column:
    """A column: its header, alignment, the width it may be cut to, and when it is hidden.

    ``hide`` orders the columns hidden for width: the highest first; ``None`` is never
    hidden. ``min_width`` is the least width the column is cut to (never below its header).
    """

    header: str
    justify: Literal["left", "right"] = "left"
    min_width: int = 8
    hide: int | None = None


Cell = str | Text | None


def _text(cell: Cell) -> Text:
    if cell is None:
        return Text("")
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    text.plain = text.plain.replace("\r\n", " ").replace("\n", " ")
    return text


@dataclass(frozen=True)
class Layout:
    """How a table fits a width: each shown column's width, and the hidden columns."""

    shown: list[int]  # indexes of the columns shown
    widths: list[int]  # their widths
    hidden: list[str]  # headers of the hidden columns, in table order


def fit(columns: Sequence[Column], rows: Sequence[Sequence[Text]], width: int) -> Layout:
    """Cut the widest columns first, down to their least width; then hide columns."""
    natural = [
        max([cell_len(c.header), *(row[i].cell_len for row in rows)]) for i, c in enumerate(columns)
    ]
    floors = [min(natural[i], max(cell_len(c.header), c.min_width)) for i, c in enumerate(columns)]
    shown = list(range(len(columns)))
    widths = dict(enumerate(natural))

    def total() -> int:
        return sum(widths[i] for i in shown) + GAP * (len(shown) - 1)

    while total() > width:
        shrinkable = [i for i in shown if widths[i] > floors[i]]
        if shrinkable:
            widest = max(shrinkable, key=lambda i: (widths[i] - floors[i], i))
            widths[widest] -= min(total() - width, widths[widest] - floors[widest])
            continue
        hideable = [i for i in shown if columns[i].hide is not None]
        if hideable and len(shown) > 1:
            dropped = max(hideable, key=lambda i: (columns[i].hide or 0, i))
            shown.remove(dropped)
            widths = {i: natural[i] for i in shown}
        elif any(floors[i] > 1 for i in shown):  # a very narrow terminal: below the floors
            floors = [1] * len(columns)
        else:
            break
    hidden = [c.header for i, c in enumerate(columns) if i not in shown]
    return Layout(shown=shown, widths=[widths[i] for i in shown], hidden=hidden)


def _cut(text: Text, width: int) -> Text:
    if text.cell_len <= width:
        return text
    cut = text.copy()
    cut.truncate(max(width - 1, 0))
    cut.append(ELLIPSIS)
    return cut


def print_table(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str | None = None,
) -> None:
    """Print ``rows`` under ``columns`` as this module's docstring describes."""
    cells = [[_text(cell) for cell in row] for row in rows]
    if not console.is_terminal:
        _plain(console, columns, cells, title)
        return
    layout = fit(columns, cells, console.width)
    table = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        box=None,
        padding=(0, GAP // 2),
        pad_edge=False,
        show_edge=False,
    )
    for index, width in zip(layout.shown, layout.widths, strict=True):
        column = columns[index]
        table.add_column(
            column.header, justify=column.justify, width=width, no_wrap=True, overflow="crop"
        )
    for row in cells:
        table.add_row(*(_cut(row[i], w) for i, w in zip(layout.shown, layout.widths, strict=True)))
    console.print(table, crop=True)
    if layout.hidden:
        console.print(
            Text(
                f"hidden for width ({console.width} columns): {', '.join(layout.hidden)} "
                "(widen the terminal, pipe the output, or use --json)",
                style="dim",
            )
        )


def _plain(
    console: Console, columns: Sequence[Column], rows: list[list[Text]], title: str | None
) -> None:
    plain = [[cell.plain for cell in row] for row in rows]
    headers = [c.header for c in columns]
    widths = [
        max([cell_len(h), *(cell_len(row[i]) for row in plain)]) for i, h in enumerate(headers)
    ]
    lines = [title] if title else []
    for row in [headers, *plain]:
        parts = []
        for i, value in enumerate(row):
            pad = " " * (widths[i] - cell_len(value))
            last = i == len(row) - 1
            if columns[i].justify == "right":
                parts.append(pad + value)
            else:
                parts.append(value if last else value + pad)
        lines.append((" " * GAP).join(parts).rstrip())
    _write(console, "\n".join(lines) + "\n")


def _write(console: Console, text: str) -> None:
    console.file.write(text)
    console.file.flush()


def print_fields(console: Console, title: str, fields: Sequence[tuple[str, Any]]) -> None:
    """A titled block of ``key: value`` lines (a deployment's lineage): a panel in a
    terminal (long values wrap, nothing is cut); plain lines anywhere else."""
    values = [(key, "" if value is None else str(value)) for key, value in fields]
    if not console.is_terminal:
        width = max((cell_len(key) for key, _ in values), default=0)
        lines = [f"{title}:"] + [
            f"  {key}{' ' * (width - cell_len(key))}  {value}".rstrip() for key, value in values
        ]
        _write(console, "\n".join(lines) + "\n")
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in values:
        grid.add_row(key, value)
    console.print(Panel(grid, title=title, title_align="left"))


def print_block(console: Console, title: str, text: str, *, style: str = "red") -> None:
    """A titled paragraph (an execution's error and cause): a panel in a terminal."""
    if not console.is_terminal:
        _write(console, f"{title}: {text}\n")
        return
    console.print(Panel(text, title=f"[{style}]{title}[/]"))
