"""Each handler imports only what it uses at init, with tracing on as on Lambda.

Every ``functions/<step>/app.py`` is imported in a fresh interpreter with the environment a
deployed function has at init (``LAMBDA_TASK_ROOT`` set: the Powertools Tracer is enabled,
the X-Ray SDK is in its Lambda mode), and what it loaded is checked:

- the X-Ray SDK patched botocore (a step's AWS calls are traced) and nothing else: no
  ``requests``, ``httplib``, ``sqlite3``, ... patchers and their libraries
  (``model_rollout.handler.Tracer``);
- the report writer (reporting), the statistics (domain.stats) and the experiment strategies
  only in the handlers that use them;
- none of the test-only numerical libraries;
- and traces still show the handler and its AWS calls (subsegments sent to the daemon).

``make bench`` (bench/cold_start.py) has the figures; this keeps the saving from regressing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))

LOADED = (
    "import json, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import app, botocore.client; "
    "print(json.dumps({'modules': sorted(sys.modules), "
    "'botocore_traced': hasattr(botocore.client, '_xray_enabled')}))"
)

# heavy at import, used only by some steps: module prefix -> the handlers allowed to load it
ONLY_WHERE_USED = {
    "model_rollout.reporting": {
        "compare_shadow",
        "evaluate_ab",
        "finalize",
        "finish_rollback",
        "record_failure",
    },
    "model_rollout.domain.stats": {"compare_shadow", "evaluate_ab"},
    "model_rollout.strategies.shadow": {"compare_shadow"},
    "model_rollout.strategies.ab": {"evaluate_ab"},
}
# never at a handler's init: the X-Ray SDK's other patchers (and the libraries they import),
# the SDK's sampling-rule poller (not used on Lambda), test-only numerical libraries
NEVER = (
    "aws_xray_sdk.ext.requests",
    "aws_xray_sdk.ext.httplib",
    "aws_xray_sdk.ext.sqlite3",
    "aws_xray_sdk.ext.httpx",
    "aws_xray_sdk.ext.pynamodb",
    "aws_xray_sdk.ext.aiobotocore",
    "aws_xray_sdk.core.sampling.sampler",
    "requests",
    "sqlite3",
    "httpx",
    "numpy",
    "scipy",
    "sklearn",
)


def loaded_modules(handler: str) -> dict[str, object]:
    folder = ROOT / "functions" / handler
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env = {
        **keep,
        "LAMBDA_TASK_ROOT": str(folder),
        "AWS_LAMBDA_FUNCTION_NAME": handler,
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "model-rollout",
        "POWERTOOLS_METRICS_NAMESPACE": "ModelRollout",
    }
    result = subprocess.run(
        [sys.executable, "-c", LOADED, str(folder), str(ROOT / "src")],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.mark.parametrize("handler", HANDLERS)
def test_handler_imports_only_what_it_uses(handler: str) -> None:
    loaded = loaded_modules(handler)
    modules = set(loaded["modules"])  # type: ignore[call-overload]

    assert loaded["botocore_traced"], "the X-Ray SDK did not patch botocore: AWS calls untraced"
    assert "aws_xray_sdk.ext.botocore" in modules
    never = sorted(module for module in modules for prefix in NEVER if under(module, prefix))
    assert never == [], f"{handler} loads at init what no step uses: {never}"
    unused = sorted(
        module
        for prefix, users in ONLY_WHERE_USED.items()
        if handler not in users
        for module in modules
        if under(module, prefix)
    )
    assert unused == [], f"{handler} imports what it never uses: {unused}"


TRACED = r"""
import json, os, socket, sys
sys.path[:0] = [sys.argv[1]]
daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
daemon.bind(("127.0.0.1", 0))
daemon.settimeout(2)
os.environ["AWS_XRAY_DAEMON_ADDRESS"] = "127.0.0.1:%d" % daemon.getsockname()[1]
os.environ["_X_AMZN_TRACE_ID"] = (
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
)
import boto3
from botocore.stub import Stubber
from model_rollout.handler import Tracer

tracer = Tracer()
s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
stubber = Stubber(s3)
stubber.add_response("list_buckets", {"Buckets": []})
stubber.activate()


@tracer.capture_lambda_handler
def lambda_handler(event, context):
    s3.list_buckets()


class Context:
    function_name, aws_request_id = "step", "request"


lambda_handler({}, Context())
sent = []
try:
    while True:
        header, document = daemon.recv(65536).decode().split("\n", 1)
        sent.append([json.loads(document).get("name"), json.loads(document).get("namespace")])
except socket.timeout:
    pass
print(json.dumps(sent))
"""


def test_traces_show_the_handler_and_its_aws_calls(tmp_path: Path) -> None:
    """Tracing as on Lambda: the handler's subsegment and one per AWS call reach the daemon."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env = {
        **keep,
        "LAMBDA_TASK_ROOT": str(tmp_path),
        "AWS_LAMBDA_FUNCTION_NAME": "step",
        "POWERTOOLS_SERVICE_NAME": "model-rollout",
    }
    result = subprocess.run(
        [sys.executable, "-c", TRACED, str(ROOT / "src")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout.strip().splitlines()[-1])
    assert ["## lambda_handler", "local"] in sent
    assert ["s3", "aws"] in sent
