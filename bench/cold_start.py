"""Cold start: each handler's import time in a fresh interpreter, and package sizes.

Sizes are what `sam build` would zip: a function's CodeUri, the rollout layer as it is,
and the dependencies layer as pip installs layers/dependencies/requirements.txt.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "src"  # what the layer's Makefile packages (model_rollout)
IMPORT = (
    "import sys, time; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
    "t = time.perf_counter(); import app; print(time.perf_counter() - t)"
)


def zipped_size(folder: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(folder))
    return len(buffer.getvalue())


def import_times(repeats: int = 2) -> dict[str, float]:
    """Best of ``repeats`` fresh-interpreter imports of every handler, in ms."""
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "0"}
    times = {}
    for handler in sorted((ROOT / "functions").glob("*/app.py")):
        samples = []
        for _ in range(repeats):
            out = subprocess.run(
                [sys.executable, "-c", IMPORT, str(handler.parent), str(LAYER)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            )
            samples.append(float(out.stdout.strip()) * 1000)
        times[handler.parent.name] = round(min(samples), 1)
    return times


def dominant_imports(handler: str = "resolve_policy", top: int = 3) -> list[str]:
    """The heaviest top-level imports of one handler, from `python -X importtime`."""
    out = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            IMPORT,
            str(ROOT / "functions" / handler),
            str(LAYER),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            depth = len(parts[2]) - len(parts[2].lstrip())
            rows.append((int(parts[1]), depth, parts[2].strip()))
    heavy = sorted((r for r in rows if r[1] <= 4), reverse=True)[:top]
    return [f"{name} {cumulative / 1000:.0f} ms" for cumulative, _, name in heavy]


def dependency_layer_size() -> int | None:
    with tempfile.TemporaryDirectory() as target:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--target",
                target,
                "-r",
                str(ROOT / "layers" / "dependencies" / "requirements.txt"),
            ],
            capture_output=True,
        )
        return zipped_size(Path(target)) if result.returncode == 0 else None


def measure() -> dict[str, Any]:
    times = import_times()
    sizes = {f.parent.name: zipped_size(f.parent) for f in (ROOT / "functions").glob("*/app.py")}
    return {
        "handler_import_ms_max": max(times.values()),
        "handler_import_ms_median": sorted(times.values())[len(times) // 2],
        "handler_import_dominated_by": dominant_imports(),
        "function_package_bytes_max": max(sizes.values()),
        "rollout_layer_zip_bytes": zipped_size(LAYER / "model_rollout"),
        "dependencies_layer_zip_bytes": dependency_layer_size(),
        "handler_import_ms": times,
    }
