"""Lambda ``Invoke`` of a template function runs its real handler in this process.

moto's Docker-less Lambda backend (``LambdaSimpleBackend``) answers every invoke with a
canned body. This patch hands the invokes of functions registered from the template
(``rollout_local.lambda_runtime.register``) to the in-process runtime, as the Lambda API
reference's ``Invoke`` describes them: ``InvocationType`` ``RequestResponse`` returns the
handler's result, with ``X-Amz-Function-Error: Unhandled`` and the Python runtime's error
payload when it raised; ``Event`` runs it in the background and returns at once; ``DryRun``
runs nothing. ``X-Amz-Executed-Version`` is ``$LATEST``. Functions created by other means
keep moto's behaviour.

``install``/``uninstall`` are toggled by the local stack at each start and stop.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend

from rollout_local import lambda_runtime
from rollout_local.extensions._fence import original, replace, restore

_PARAMS = ("self", "function_name", "qualifier", "body", "headers", "response_headers")
_moto_invoke = original(LambdaSimpleBackend, "invoke", _PARAMS)


def _invoke(
    self: LambdaSimpleBackend,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: Any,
) -> str | bytes | None:
    spec = lambda_runtime.registered(
        self.get_function(function_name, qualifier).function_name, self.account_id
    )
    if spec is None:
        return _moto_invoke(self, function_name, qualifier, body, headers, response_headers)
    invocation_type = headers.get("X-Amz-Invocation-Type", "RequestResponse")
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        lambda_runtime.run_async(spec, body)
        return b""
    payload, error = lambda_runtime.run(spec, body)
    if error:
        response_headers["x-amz-function-error"] = error
    response_headers["x-amz-executed-version"] = "$LATEST"
    return payload


def install() -> None:
    replace(LambdaSimpleBackend, "invoke", _invoke, _PARAMS)


def uninstall() -> None:
    restore(LambdaSimpleBackend, "invoke")
