"""rollout_cli.tables: a table fits a terminal (cut with …, hidden columns named) and is
plain, complete and uncut anywhere else."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.text import Text

from rollout_cli.tables import Column, fit, print_block, print_fields, print_table

COLUMNS = [
    Column("deployment", min_width=13),
    Column("endpoint", min_width=10),
    Column("strategy", hide=3),
    Column("status", min_width=15),
    Column("seconds", justify="right", hide=2),
    Column("reason", min_width=12, hide=1),
]
LONG_ID = "0642c1d7-6b8e-4bd5-9f3a-2f0c4a1d9e77"
REASON = "alarm model-rollout-e1-errors went to ALARM: 12 of 40 requests failed (30%) " * 2
ROWS = [
    [
        LONG_ID,
        "endpoint-with-a-long-name",
        "canary 20% → 50% → 100%",
        "ROLLBACK_FAILED",
        "12.5",
        REASON,
    ],
    ["d2", "e", "all at once", Text("PROMOTED", style="green"), "1.0", None],
]


def render(width: int, *, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, color_system=None)
    print_table(console, COLUMNS, ROWS, title="deployments")
    return out.getvalue()


def test_at_80_columns_every_line_fits_and_cut_values_end_with_an_ellipsis() -> None:
    text = render(80, terminal=True)

    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    row = next(line for line in lines if line.startswith(LONG_ID[:8]))
    assert "…" in row and LONG_ID not in row  # cut, visibly
    assert "ROLLBACK_FAILED" in row  # never cut below its least width
    # cutting every column to its least width is enough at 80: nothing hidden
    assert "hidden for width" not in text
    assert lines[1].split() == ["deployment", "endpoint", "strategy", "status", "seconds", "reason"]


def test_columns_are_hidden_least_important_first_and_the_note_names_them() -> None:
    text = render(60, terminal=True)

    lines = text.splitlines()
    assert all(len(line) <= 60 for line in lines), lines
    header = lines[1]
    assert "strategy" not in header and "deployment" in header and "status" in header
    note = " ".join(" ".join(lines[4:]).split())
    assert note.startswith("hidden for width (60 columns): strategy")
    hidden = note.split(": ", 1)[1].split(" (")[0].split(", ")
    assert all(name not in header for name in hidden)


def test_a_very_narrow_terminal_still_cuts_with_an_ellipsis() -> None:
    lines = render(24, terminal=True).splitlines()
    table = lines[:4]
    assert all(len(line) <= 24 for line in table), table
    assert "…" in table[2]


def test_in_a_pipe_the_table_is_plain_complete_and_uncut() -> None:
    text = render(80, terminal=False)

    lines = text.splitlines()
    assert lines[0] == "deployments"
    assert lines[1].split() == ["deployment", "endpoint", "strategy", "status", "seconds", "reason"]
    assert LONG_ID in lines[2] and REASON.strip() in lines[2]
    assert "…" not in text and "hidden for width" not in text and "\x1b[" not in text
    assert not set(text) & set("─│┃━╭╮╰╯┏┓┗┛")
    # columns line up: each starts where its header starts; numbers are right-aligned
    start = lines[1].index("status")
    assert lines[2][start:].startswith("ROLLBACK_FAILED") and lines[3][start:].startswith(
        "PROMOTED"
    )
    end = lines[1].index("seconds") + len("seconds")
    assert lines[2][:end].endswith("12.5") and lines[3][:end].endswith("1.0")
    assert all(line == line.rstrip() for line in lines)


def test_a_line_break_in_a_value_keeps_a_row_on_one_line() -> None:
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=False)
    print_table(console, [Column("state"), Column("error")], [["Watch", "first\nsecond"]])
    assert out.getvalue().splitlines()[1].split() == ["Watch", "first", "second"]


@pytest.mark.parametrize("width", [40, 80, 120])
def test_fit_never_exceeds_the_width_when_it_can_help_it(width: int) -> None:
    cells = [
        [Text("" if c is None else c) if not isinstance(c, Text) else c for c in row]
        for row in ROWS
    ]
    layout = fit(COLUMNS, cells, width)
    assert sum(layout.widths) + 2 * (len(layout.widths) - 1) <= width
    assert [COLUMNS[i].header for i in layout.shown] + layout.hidden  # every column accounted


def test_fields_and_blocks_are_plain_lines_in_a_pipe() -> None:
    out = io.StringIO()
    console = Console(file=out, width=40, force_terminal=False)
    print_fields(console, "serving now", [("model package", "arn:" + "x" * 60), ("git", None)])
    print_block(console, "RolledBack", "alarm fired " * 8)
    lines = out.getvalue().splitlines()
    assert lines[0] == "serving now:"
    assert lines[1] == "  model package  arn:" + "x" * 60
    assert lines[2] == "  git"
    assert lines[3].rstrip() == "RolledBack: " + ("alarm fired " * 8).rstrip()  # not wrapped
