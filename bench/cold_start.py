"""Cold start: each handler's import time beside its floor, measured in the same run; sizes.

What is measured, in a fresh interpreter each time, with the environment a deployed function
has at init: the template's variables (``POWERTOOLS_SERVICE_NAME``,
``POWERTOOLS_METRICS_NAMESPACE``), the region, and ``LAMBDA_TASK_ROOT`` /
``AWS_LAMBDA_FUNCTION_NAME``, which Lambda sets. With those set, the Powertools Tracer is
enabled (``Tracing: Active``; it is only disabled outside Lambda or by
``POWERTOOLS_TRACE_DISABLED``) and the X-Ray SDK runs as it does on Lambda (the trace's
segment comes from Lambda; no sampling-rule poller and its X-Ray client). Without
``LAMBDA_TASK_ROOT`` neither holds: the Tracer is off, and the SDK creates two botocore X-Ray
clients for a sampler Lambda never uses, about 150 ms that no deployed function pays.

- ``import``: ``import app`` (the handler module, its Powertools Logger, Metrics and Tracer,
  the parser, pydantic, the domain it uses and its adapters).
- ``floor``: what any Lambda using boto3 with Powertools pays at the same point: ``import
  boto3``, a Powertools ``Logger()`` and ``Metrics()``.
- ``over``: import - floor, what the handler adds (the goal: within 50 ms).
- ``with_clients`` / ``floor_with_clients``: the same two, each followed by creating the boto3
  clients of the handler's adapters (those of the adapter objects in ``app``'s namespace, the
  services their classes name). The adapters create their clients on first use, not at
  import: these are what the first invocation pays before its first AWS call, and what a
  Lambda creating those clients at init pays. Like with like: both sides create the same
  clients with the same ``Config``.

Each figure is the best of BENCH_COLD_REPEATS (5) runs, handler and floor interleaved (one of
each per handler and round), so both see the same load on the machine.

What a handler adds over its floor (CPU, measured as above): pydantic (about 45 ms) and the
domain's pydantic models, built at import (``domain.policy`` and ``domain.deployment``, some
35 models, 40 to 80 ms), which every step parses its input or state into; the X-Ray SDK with
botocore patched (about 20 ms: its core, wrapt, asyncio for its async recorder); the step's
own modules, a few ms. Powertools' default, patching every module the SDK supports, cost about
30 ms more (the requests, httplib and sqlite3 patchers and their libraries), traced nothing
a step calls: ``model_rollout.handler.Tracer`` patches botocore only. So the difference is
mostly pydantic's, not the Tracer's, and stays above 50 ms while the steps build their models
at import (``defer_build`` would move that cost to the first invocation, not save it).

Sizes are what `sam build` would zip: a function's CodeUri, the rollout layer as it is,
and the dependencies layer as pip installs layers/dependencies/requirements.txt.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "src"  # what the layer's Makefile packages (model_rollout)
REPEATS = int(os.environ.get("BENCH_COLD_REPEATS", "5"))
PER_HANDLER = "handler_import_ms"  # the figures' key of the per-handler table

# argv: mode ("handler" or "floor"), comma-separated services, then the sys.path entries
CHILD = r"""
import json, sys, time
mode, services = sys.argv[1], [s for s in sys.argv[2].split(",") if s]
sys.path[:0] = sys.argv[3:]
wall, cpu = time.perf_counter(), time.process_time()
if mode == "handler":
    import app
    from model_rollout.adapters.aws import default_client as client
else:
    import boto3
    from aws_lambda_powertools import Logger, Metrics
    from botocore.config import Config

    Logger()
    Metrics()

    def client(service):
        config = Config(retries={"mode": "standard", "max_attempts": 3})
        return boto3.client(service, config=config)
imported = time.perf_counter(), time.process_time()
for service in services:
    client(service)
done = time.perf_counter(), time.process_time()
found = set()
if mode == "handler":  # the services of the adapters in app's namespace, and in theirs
    import inspect, re
    seen, todo = set(), list(vars(app).values())
    while todo:
        value = todo.pop()
        kind = type(value)
        if id(value) in seen or not kind.__module__.startswith("model_rollout."):
            continue
        seen.add(id(value))
        if kind.__module__.startswith("model_rollout.adapters."):
            found.add(getattr(value, "service", ""))
        for klass in kind.__mro__:
            if klass.__module__.startswith("model_rollout.adapters."):
                source = inspect.getsource(klass)
                found.update(re.findall(r'default_client\("([\w-]+)"\)', source))
        todo.extend(getattr(value, "__dict__", {}).values())
    found.discard("")
print(json.dumps({
    "import": (imported[1] - cpu) * 1000,
    "clients": (done[1] - cpu) * 1000,
    "import_wall": (imported[0] - wall) * 1000,
    "clients_wall": (done[0] - wall) * 1000,
    "services": sorted(found),
}))
"""


def lambda_env(handler: Path) -> dict[str, str]:
    """The variables a deployed function has at init (template.yaml's Globals and Lambda's)."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {
        **keep,
        "LAMBDA_TASK_ROOT": str(handler),
        "AWS_LAMBDA_FUNCTION_NAME": handler.name,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "model-rollout",
        "POWERTOOLS_METRICS_NAMESPACE": "ModelRollout",
        # no shared config or credentials files: a function has none
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def run(handler: Path, mode: str, services: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, ",".join(services), str(handler), str(LAYER)],
        capture_output=True,
        text=True,
        check=True,
        env=lambda_env(handler),
        cwd=handler,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def handlers(names: set[str] | None = None) -> list[Path]:
    found = sorted(f.parent for f in (ROOT / "functions").glob("*/app.py"))
    return [h for h in found if not names or h.name in names]


def import_times(
    repeats: int = REPEATS, names: set[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Per handler, in ms: best of ``repeats`` interleaved runs of the handler and its floor."""
    # a first run per handler: its services, and every .pyc written before timing
    services = {h.name: run(h, "handler", [])["services"] for h in handlers(names)}
    keys = ("import", "clients", "import_wall", "clients_wall")
    samples: dict[str, dict[str, dict[str, list[float]]]] = {
        h.name: {side: {key: [] for key in keys} for side in ("handler", "floor")}
        for h in handlers(names)
    }
    for _ in range(repeats):
        for handler in handlers(names):
            for side in ("floor", "handler"):
                result = run(handler, side, services[handler.name])
                for key in keys:
                    samples[handler.name][side][key].append(result[key])
    figures = {}
    for name, sides in samples.items():
        mine = {key: min(values) for key, values in sides["handler"].items()}
        floor = {key: min(values) for key, values in sides["floor"].items()}
        figures[name] = {
            "import": round(mine["import"], 1),
            "floor": round(floor["import"], 1),
            "over": round(mine["import"] - floor["import"], 1),
            "import_wall": round(mine["import_wall"], 1),
            "floor_wall": round(floor["import_wall"], 1),
            "over_wall": round(mine["import_wall"] - floor["import_wall"], 1),
            "with_clients": round(mine["clients"], 1),
            "floor_with_clients": round(floor["clients"], 1),
            "over_with_clients": round(mine["clients"] - floor["clients"], 1),
            "clients": ",".join(services[name]),
        }
    return figures


def dominant_imports(handler: str = "resolve_policy", top: int = 4) -> list[str]:
    """The heaviest imports of one handler beyond the floor's, from `python -X importtime`."""
    folder = ROOT / "functions" / handler
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", CHILD, "handler", "", str(folder), str(LAYER)],
        capture_output=True,
        text=True,
        check=True,
        env=lambda_env(folder),
        cwd=folder,
    )
    rows = []
    for line in out.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            depth = len(parts[2]) - len(parts[2].lstrip())
            rows.append((int(parts[1]), depth, parts[2].strip()))
    # boto3/botocore and Logger/Metrics are the floor's; what else is heavy
    floor = ("boto3", "botocore", "aws_lambda_powertools.logging", "aws_lambda_powertools.metrics")
    heavy = sorted(
        (r for r in rows if 1 <= r[1] <= 6 and not r[2].startswith(floor) and r[2] != "app"),
        reverse=True,
    )[:top]
    return [f"{name} {cumulative / 1000:.0f} ms" for cumulative, _, name in heavy]


def zipped_size(folder: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(folder))
    return len(buffer.getvalue())


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
    over = sorted(t["over"] for t in times.values())
    sizes = {f.parent.name: zipped_size(f.parent) for f in (ROOT / "functions").glob("*/app.py")}
    return {
        "handler_import_ms_max": max(t["import"] for t in times.values()),
        "handler_import_floor_ms_min": min(t["floor"] for t in times.values()),
        "handler_import_over_floor_ms_max": over[-1],
        "handler_import_over_floor_ms_median": over[len(over) // 2],
        "handler_import_over_floor_with_clients_ms_max": max(
            t["over_with_clients"] for t in times.values()
        ),
        "handler_import_dominated_by": dominant_imports(),
        "function_package_bytes_max": max(sizes.values()),
        "rollout_layer_zip_bytes": zipped_size(LAYER / "model_rollout"),
        "dependencies_layer_zip_bytes": dependency_layer_size(),
        PER_HANDLER: times,
    }


def shown(row: dict[str, Any]) -> str:
    """A handler's row of the table (CPU ms; wall ms, which the machine's load blurs, after)."""
    return (
        f"{row['import']:.0f} vs floor {row['floor']:.0f}: {row['over']:+.0f} CPU ms"
        f" (wall {row['import_wall']:.0f} vs {row['floor_wall']:.0f}: {row['over_wall']:+.0f});"
        f" with its clients ({row['clients'] or 'none'}) {row['over_with_clients']:+.0f}"
    )


if __name__ == "__main__":  # python -m bench.cold_start [handler ...]: the import figures only
    print(json.dumps(import_times(names=set(sys.argv[1:])), indent=1))
