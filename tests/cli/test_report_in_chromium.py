"""The deployment report opened in headless Chromium (Debian's ``chromium``): the charts
are painted (the screenshot is not blank and shows the series' colours) and the page's
DOM, as Chromium parsed it, holds every chart with its series."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from tests.cli.conftest import Cli, Story
from tests.helpers.png_pixels import read_png

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install -y chromium)"
)
CHARTS = ("weights", "alarms", "invocations", "errors", "latency", "states")
SERIES_BLUE, SERIES_ORANGE, ALARM_RED = (0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E), (0xD6, 0x27, 0x28)


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-dev-shm-usage",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def near(pixel: tuple[int, int, int], colour: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def test_report_renders_its_charts_in_chromium(cli: Cli, story: Story, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    cli.run("report", story.executions["v3"]["name"], "-o", str(report))
    screenshot = tmp_path / "report.png"

    shot = chromium("--window-size=1280,2200", f"--screenshot={screenshot}", report.as_uri())
    dom = chromium("--dump-dom", report.as_uri())

    assert screenshot.exists(), shot.stderr
    width, height, rows = read_png(screenshot)
    assert (width, height) == (1280, 2200)
    pixels = Counter(p for row in rows[::2] for p in row[::2])
    white = sum(n for p, n in pixels.items() if min(p) >= 245)
    total = sum(pixels.values())
    assert white < total * 0.97, "the screenshot is (almost) blank"
    assert len(pixels) > 50, "the screenshot has almost no distinct colours"
    for colour in (SERIES_BLUE, SERIES_ORANGE, ALARM_RED):
        painted = sum(n for p, n in pixels.items() if near(p, colour))
        assert painted > 20, f"colour {colour} not painted ({painted} px)"
    # the DOM Chromium built: every chart, a series per variant, the alarm that fired
    html = dom.stdout
    assert dom.returncode == 0, dom.stderr
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in html
    assert len(re.findall(r'<svg class="chart"', html)) == len(CHARTS)
    weights = re.search(r'data-chart="weights".*?</svg>', html, re.S)
    assert weights is not None and len(re.findall(r'class="series"', weights.group(0))) == 2
    assert 'data-label="ALARM"' in html
    assert "RolledBack" in html and story.scenario.endpoint in html
