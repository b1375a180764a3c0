"""STS role assumption checked against trust policies; assumed-role sessions' IAM enforced.

On AWS, ``sts:AssumeRole`` succeeds only when the role's trust policy names the caller as
a principal (IAM user guide, "Granting a user permissions to switch roles"; STS API
reference, ``AssumeRole``), and each request signed with the session's credentials is
allowed only when the role's permissions policies (inline and attached managed) allow it,
and no statement denies it (IAM user guide, "Policy evaluation logic"). moto's
``AssumeRole`` checks no trust policy, and its policy evaluation is off for every request
(``INITIAL_NO_AUTH_ACTION_COUNT``). This module wraps
``ActionAuthenticatorMixin._authenticate_and_authorize_action``, which every moto request
passes before its operation runs:

- ``AssumeRole``, by any caller: the role must exist and its trust policy must allow
  ``sts:AssumeRole`` for the caller, with no statement denying it. A principal matches
  the caller when it is ``"*"``, the caller's account (``"111111111111"`` or
  ``"arn:aws:iam::111111111111:root"``), the caller's role (an assumed-role session of
  ``arn:aws:iam::111111111111:role/name``), the caller's IAM user, or the caller's session
  ARN. Otherwise the answer is ``AccessDenied`` (HTTP 403): "User: <caller arn> is not
  authorized to perform: sts:AssumeRole on resource: <role arn>". A caller with the local
  stack's dummy keys is its account's root (``arn:aws:iam::<account>:root``).
- Requests signed with an assumed-role session's credentials: the signature is checked
  (moto's ``IAMRequest.check_signature``), then the role's inline and attached managed
  policies, and the session policy of the ``AssumeRole`` call if it passed one, are
  evaluated for the action and its resource: an explicit ``Deny`` wins, else an
  ``Allow`` is needed (in the session policy too, if any). A denied request answers as AWS
  does: ``AccessDeniedException`` (HTTP 400, AWS's common errors) for the JSON protocols
  (SageMaker and its runtime, Step Functions, EventBridge, ...), ``AccessDenied`` (HTTP
  403, XML) for the query protocols,
  "User: arn:aws:sts::<account>:assumed-role/<role>/<session> is not authorized to
  perform: <service>:<Action> on resource: <arn>"; S3 answers its own ``AccessDenied``.
- Requests signed with any other credentials (the local stack's dummy keys: each account's
  administrator) are not restricted, as before.

The resource of a request: moto's (the role ARN for ``AssumeRole``; SQS queues, IAM,
S3 buckets and objects), and, added here, ``events:PutEvents`` (each entry's bus ARN from
``EventBusName``, a name or an ARN; the account's ``default`` bus when absent; all must
be allowed), ``states:StartExecution`` / ``StartSyncExecution`` (``stateMachineArn``), and
SageMaker's endpoint operations (``EndpointName``) and model package operations
(``ModelPackageName``, ``ModelPackageGroupName``). For other actions the resource is not
known: an ``Allow`` of the action applies whatever its ``Resource`` names, a ``Deny`` only
when its ``Resource`` is ``"*"``, and a denial names resource ``*``. ``Condition``
elements are not evaluated (a statement applies as if its conditions held); permissions
boundaries, SCPs and resource-based policies are not evaluated.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import unquote, urlparse

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError, _RESTError

from rollout_local.extensions._fence import original, replace

_PARAMS = ("self", "iam_request_cls", "resource")
_moto_authorize = original(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", _PARAMS)

_ACCOUNT = re.compile(r"^\d{12}$")


class AccessDeniedJson(JsonRESTError):
    """``AccessDeniedException`` of the JSON protocols (awsJson: HTTP 400)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__("AccessDeniedException", message)
        self.code = status
        self.description = json.dumps({"__type": "AccessDeniedException", "Message": message})


class AccessDeniedXml(_RESTError):
    """``AccessDenied`` of the query protocols (HTTP 403)."""

    code = 403

    def __init__(self, message: str) -> None:
        super().__init__("AccessDenied", message)


# ---------------------------------------------------------------- who signed the request


def _authorization(headers: Any) -> str:
    value = headers.get("Authorization") or ""
    return value.decode() if isinstance(value, bytes) else str(value)


def _scope(headers: Any) -> tuple[str | None, str | None, str | None]:
    """The access key, region and service of a SigV4 ``Authorization`` header."""
    _, found, rest = _authorization(headers).partition("Credential=")
    if not found:
        return None, None, None
    parts = rest.split(",", 1)[0].split("/")
    if len(parts) < 4:
        return parts[0], None, None
    return parts[0], parts[2], parts[3]


def session_of(access_key: str) -> Any:
    """The assumed-role session (moto's ``AssumedRole``) that ``access_key`` belongs to."""
    if not access_key.startswith("ASIA"):  # the prefix of the keys STS issues
        return None
    from moto.sts.models import sts_backends

    for _account, partitions in list(sts_backends.items()):
        for backend in list(partitions.values()):
            found = backend.get_assumed_role_from_access_key(access_key)
            if found is not None:
                return found
    return None


def _user_of(access_key: str) -> Any:
    from moto.iam.models import iam_backends

    for _account, partitions in list(iam_backends.items()):
        for backend in list(partitions.values()):
            for user in list(backend.users.values()):
                if any(k.access_key_id == access_key for k in user.access_keys):
                    return user
    return None


def caller_arn(access_key: str | None, account_id: str) -> str:
    """The ARN AWS names the caller by: its session, its IAM user, else its account's root."""
    if access_key:
        session = session_of(access_key)
        if session is not None:
            return str(session.arn)
        user = _user_of(access_key)
        if user is not None:
            return str(user.arn)
    return f"arn:aws:iam::{account_id}:root"


# ---------------------------------------------------------------- policy evaluation


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _document(policy: Any) -> dict[str, Any]:
    from moto.iam.access_control import IAMPolicy

    if isinstance(policy, dict) and "Statement" in policy:
        return policy
    parsed: dict[str, Any] = IAMPolicy(policy)._policy_json
    return parsed


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(_wildcard(p, action, True) for p in _listed(statement["NotAction"]))
    return any(_wildcard(p, action, True) for p in _listed(statement.get("Action")))


def _resource_matches(statement: dict[str, Any], resource: str | None, allow: bool) -> bool:
    """``resource`` ``None``: unknown; an Allow applies, a Deny only if its Resource is *."""
    if "NotResource" in statement:
        if resource is None:
            return allow
        return not any(_wildcard(p, resource) for p in _listed(statement["NotResource"]))
    patterns = _listed(statement.get("Resource"))
    if resource is None:
        return allow or "*" in patterns
    return any(_wildcard(p, resource) for p in patterns)


def evaluate(policies: list[Any], action: str, resource: str | None) -> str:
    """``"deny"`` (an explicit Deny), ``"allow"`` or ``"implicit"`` (nothing allows it)."""
    allowed = False
    for policy in policies:
        for statement in _listed(_document(policy).get("Statement")):
            allow = statement.get("Effect") == "Allow"
            if not _action_matches(statement, action):
                continue
            if not _resource_matches(statement, resource, allow):
                continue
            if not allow:
                return "deny"
            allowed = True
    return "allow" if allowed else "implicit"


def _principal_matches(principal: Any, caller: str, account_id: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for value in _listed(principal.get("AWS")):
        if value == "*" or value == caller:
            return True
        if _ACCOUNT.match(str(value)) and value == account_id:
            return True
        if value == f"arn:aws:iam::{account_id}:root":
            return True
        session = re.match(r"^arn:aws:sts::(\d{12}):assumed-role/([^/]+)/", caller)
        if session and value == f"arn:aws:iam::{session.group(1)}:role/{session.group(2)}":
            return True
    return False


def trusts(trust_policy: Any, caller: str, account_id: str) -> bool:
    """The trust policy allows ``sts:AssumeRole`` for ``caller`` (of ``account_id``)."""
    allowed = False
    for statement in _listed(_document(trust_policy).get("Statement")):
        if not _action_matches(statement, "sts:AssumeRole"):
            continue
        if "NotPrincipal" in statement:
            applies = not _principal_matches(statement["NotPrincipal"], caller, account_id)
        else:
            applies = _principal_matches(statement.get("Principal"), caller, account_id)
        if not applies:
            continue
        if statement.get("Effect") != "Allow":
            return False
        allowed = True
    return allowed


# ---------------------------------------------------------------- the request's resource


def _body(response: Any) -> dict[str, Any]:
    raw = getattr(response, "body", None) or getattr(response, "raw_body", None) or b"{}"
    try:
        parsed = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _sagemaker_arn(region: str, account: str, kind: str, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:sagemaker:{region}:{account}:{kind}/{name.lower()}"


_RESOLVED_SERVICES = ("events", "states", "sagemaker")
_INVOCATION_PATH = re.compile(r"^/endpoints/([^/?]+)/(?:async-)?invocations")
_ENDPOINT_ACTIONS = {
    "CreateEndpoint",
    "UpdateEndpoint",
    "DescribeEndpoint",
    "DeleteEndpoint",
    "UpdateEndpointWeightsAndCapacities",
    "InvokeEndpoint",
    "InvokeEndpointAsync",
}
_PACKAGE_ACTIONS = {"DescribeModelPackage", "UpdateModelPackage", "DeleteModelPackage"}
_GROUP_ACTIONS = {
    "CreateModelPackageGroup",
    "DescribeModelPackageGroup",
    "DeleteModelPackageGroup",
    "ListModelPackages",
    "CreateModelPackage",
}


def resources(
    service: str, action: str, params: dict[str, Any], region: str, account: str
) -> list[str] | None:
    """The ARNs ``service:action`` acts on, for the actions this module knows (else None)."""
    if service == "events" and action == "PutEvents":
        buses = {str(e.get("EventBusName") or "default") for e in params.get("Entries") or []}
        return sorted(
            bus if bus.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{bus}"
            for bus in buses or {"default"}
        )
    if service == "states" and action in ("StartExecution", "StartSyncExecution"):
        arn = params.get("stateMachineArn")
        return [str(arn)] if arn else None
    if service == "sagemaker":
        if action in _ENDPOINT_ACTIONS and params.get("EndpointName"):
            return [_sagemaker_arn(region, account, "endpoint", str(params["EndpointName"]))]
        if action in _PACKAGE_ACTIONS and params.get("ModelPackageName"):
            name = str(params["ModelPackageName"])
            return [_sagemaker_arn(region, account, "model-package", name)]
        if action in _GROUP_ACTIONS and params.get("ModelPackageGroupName"):
            name = str(params["ModelPackageGroupName"])
            return [_sagemaker_arn(region, account, "model-package-group", name)]
    return None


# ---------------------------------------------------------------- the check


@functools.cache
def _protocol(service_name: str) -> str:
    import botocore.session

    try:
        return str(botocore.session.get_session().get_service_model(service_name).protocol)
    except Exception:
        return ""


def _deny(response: Any, message: str) -> None:
    """Raise AWS's access denied answer in the protocol of ``response``'s service."""
    protocol = _protocol(str(getattr(response, "service_name", None) or ""))
    if protocol == "json" or (not protocol and response.headers.get("X-Amz-Target")):
        raise AccessDeniedJson(message)
    if protocol == "rest-json" or (
        not protocol and "json" in str(response.headers.get("Content-Type"))
    ):
        raise AccessDeniedJson(message)
    raise AccessDeniedXml(message)


def _role(role_arn: str) -> Any:
    from moto.iam.models import iam_backends

    match = re.match(r"^arn:aws:iam::(\d{12}):role/", role_arn or "")
    if match is None or match.group(1) not in iam_backends:
        return None
    try:
        return iam_backends[match.group(1)]["aws"].get_role_by_arn(role_arn)
    except Exception:
        return None


def _check_assume_role(response: Any, key: str | None) -> None:
    role_arn = str(response._get_param("RoleArn") or "")
    account = response.current_account
    caller = caller_arn(key, account)
    caller_account = caller.split(":")[4]
    role = _role(role_arn)
    if role is None or not trusts(role.assume_role_policy_document, caller, caller_account):
        _deny(
            response,
            f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        )


def _enforce(response: Any, iam_request_cls: type, resource: str, session: Any) -> None:
    parsed_url = urlparse(response.uri)
    path = parsed_url.path + (f"?{parsed_url.query}" if parsed_url.query else "")
    action = response._get_action()
    request = iam_request_cls(
        account_id=response.current_account,
        method=response.method,
        path=path,
        data=response.data,
        body=response.raw_body,
        headers=response.headers,
        action=action,
    )
    request.check_signature()
    _, region, service = _scope(response.headers)
    service = service or ""
    iam_action = f"{service}:{action}"
    if iam_action == "sts:GetCallerIdentity":  # always allowed, as on AWS
        return
    policies = list(request._access_key.collect_policies())
    session_policy = getattr(session, "policy", None)
    params = _body(response) if service in _RESOLVED_SERVICES else {}
    invocation = _INVOCATION_PATH.match(path) if service == "sagemaker" else None
    if invocation is not None:  # SageMaker Runtime (REST): the endpoint is in the path
        params = {"EndpointName": unquote(invocation.group(1))}
    known = resources(service, action, params, region or "us-east-1", session.account_id)
    targets: list[str | None] = list(known) if known else [None if resource == "*" else resource]
    for target in targets:
        verdict = evaluate(policies, iam_action, target)
        if verdict == "allow" and session_policy:
            verdict = evaluate([session_policy], iam_action, target)
        if verdict != "allow":
            if service == "s3":
                request._raise_access_denied()
            _deny(
                response,
                f"User: {session.arn} is not authorized to perform: {iam_action} on resource: "
                f"{target or '*'}",
            )


def _authenticate_and_authorize_action(
    self: Any, iam_request_cls: type, resource: str = "*"
) -> None:
    key, _, service = _scope(self.headers)
    if service == "sts" and self._get_action() == "AssumeRole":
        _check_assume_role(self, key)
    session = session_of(key) if key else None
    if session is None:
        _moto_authorize(self, iam_request_cls, resource)
        return None
    _enforce(self, iam_request_cls, resource, session)
    return None


def install() -> None:
    replace(
        ActionAuthenticatorMixin,
        "_authenticate_and_authorize_action",
        _authenticate_and_authorize_action,
        _PARAMS,
    )
