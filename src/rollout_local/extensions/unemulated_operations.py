"""An operation moto does not implement answers as AWS answers an unknown operation.

AWS answers a request for an operation a service does not have with a client error, never
with a server error: the JSON protocols (SageMaker, Step Functions, CloudWatch Logs, ...;
also CloudWatch's JSON and CBOR encodings) with HTTP 400 and the error type
``UnknownOperationException``; the query protocols (CloudWatch's query encoding, STS, SNS,
...) with HTTP 400 and the XML error code ``InvalidAction`` ("The action or operation
requested is invalid", the common errors of the query APIs). moto instead raises
``NotImplementedError`` out of ``BaseResponse.call_action``: a 500 with a traceback in server
mode, a Python exception in the caller's process with ``mock_aws``.

This module wraps ``BaseResponse.call_action``. When the requested action has no method on
the service's response class, or that method raises ``NotImplementedError`` (moto's way of
saying "not implemented"), the answer is that client error, serialized by moto's own
serializer for the request's protocol, with a message naming the service and the operation
and saying that the local stack does not emulate it.

Nothing else changes: every other exception inside an implemented operation is answered
exactly as moto answers it (the Step Functions interpreter and botocore's retries depend
on that answer), and so are the responses of the operations moto implements.
"""

from __future__ import annotations

from typing import Any

from moto.core import errors as moto_errors
from moto.core import responses as moto_responses
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import camelcase_to_underscores

from rollout_local.extensions._fence import original, replace

#: the error code AWS answers an unknown operation with, by the request's protocol
JSON_CODE = "UnknownOperationException"
QUERY_CODE = "InvalidAction"
_QUERY_PROTOCOLS = frozenset({"query", "ec2", "rest-xml"})


class UnemulatedOperation(ServiceException):
    """The client error for an operation the local stack does not emulate."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def message(service: str, operation: str) -> str:
    return (
        f"The local stack does not emulate the {service} operation {operation} (moto does "
        "not implement it); see docs/local-stack.md, 'Not emulated'."
    )


def _protocol_and_service(response: BaseResponse) -> tuple[str, str]:
    try:
        model = moto_responses.get_service_model(response.boto3_service_name)
    except Exception:  # a service botocore does not know: answer in JSON
        return "json", str(response.service_name or "AWS")
    return response.determine_response_protocol(model), str(model.service_id)


def _operation_name(response: BaseResponse) -> str:
    action = response._get_action()
    return str(action or "")


def _answer(response: BaseResponse) -> Any:
    operation = _operation_name(response)
    protocol, service = _protocol_and_service(response)
    code = QUERY_CODE if protocol in _QUERY_PROTOCOLS else JSON_CODE
    exc = UnemulatedOperation(code, message(service, operation))
    status, headers, body = response.serialized(ActionResult(exc))
    headers["status"] = str(status)
    headers, body = response._enrich_response(headers, body)
    return status, headers, body


def _implemented(response: BaseResponse) -> bool:
    action = camelcase_to_underscores(_operation_name(response))
    return not action or action in moto_responses.method_names_from_class(response.__class__)


_moto_call_action = original(BaseResponse, "call_action", ("self",))


def call_action(self: BaseResponse) -> Any:
    if not _implemented(self):
        return _answer(self)
    try:
        return _moto_call_action(self)
    except NotImplementedError:
        return _answer(self)


#: moto warns of an error code that no error shape of the service has; these two are AWS's
#: common errors of every service (as moto's own common codes are)
_COMMON_ERROR_CODES = [*moto_errors.COMMON_ERROR_CODES, JSON_CODE, QUERY_CODE]


def install() -> None:
    replace(moto_errors, "COMMON_ERROR_CODES", _COMMON_ERROR_CODES)
    replace(BaseResponse, "call_action", call_action, ("self",))
