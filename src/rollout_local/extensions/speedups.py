"""Where moto repeats work per request that gives the same result every time: done once.

These patches change no answer of any API, only how often moto recomputes it:

- ``asl_program``: moto's Step Functions interpreter lexes and parses the state machine's
  ASL (ANTLR, pure Python) and builds its evaluation components at every
  ``StartExecution``: about 0.2 s of CPU for the deploy-model machine, a fifth of a
  deployment's. The components of a definition are built once and shared by its executions:
  they keep an execution's state in its ``Environment``, never in themselves (the one
  exception, each component's lazily drawn ``heap_key``, is drawn before the program is
  shared, so that concurrent executions cannot draw two).
- ``backend_for_host``: moto's server resolves which backend serves a request by listing its
  own package directory and matching hundreds of URL patterns, under a global lock, twice
  per request. The answer for a host never changes while the process runs: memoized.
- ``interpreter_clients``: the interpreter creates a new boto3 client for every Lambda task
  (and every other service integration); a boto3 client is thread-safe and costs ~10 ms to
  make, so one is kept per (service, region, endpoint).
- ``jsonpath_expressions``: the interpreter parses every JSONPath of every state's
  ``InputPath``, ``Parameters``, ``ResultSelector`` and ``ResultPath`` (jsonpath-ng, a PLY
  parser) each time the state runs. Parsed expressions are immutable: cached by their text.
- ``response_methods``: moto's request dispatch lists the response class's methods with
  ``inspect.getmembers`` (hundreds) on every request. Cached per class, recomputed if the
  class (or a base) gains or loses an attribute.

Each replaced function is checked by the fence (``rollout_local.extensions._fence``): it
must exist with the parameters these caches were written against. ``install()`` is
idempotent; the extension layer's ``install()`` calls it.
"""

from __future__ import annotations

import functools
import sys
import threading
from typing import Any

from antlr4 import ParserRuleContext
from moto.core import responses as moto_responses
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.parse import asl_parser
from moto.stepfunctions.parser.asl.utils import boto_client, json_path

from rollout_local.extensions._fence import replace

_installed = False
_lock = threading.Lock()

_original_parse = asl_parser.AmazonStateLanguageParser.parse
_original_backend_for_host = DomainDispatcherApplication.get_backend_for_host
_original_boto_client_for = boto_client.boto_client_for
_original_jsonpath_parse = json_path.parse
_original_result_path_parse = result_path.parse
_original_method_names = moto_responses.method_names_from_class


def _draw_heap_keys(root: EvalComponent) -> None:
    """Touch ``heap_key`` on every component reachable from ``root``."""
    seen: set[int] = set()
    pending: list[Any] = [root]
    while pending:
        value = pending.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, EvalComponent):
            _ = value.heap_key
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            pending.extend(value)
        elif hasattr(value, "__dict__") and type(value).__module__.startswith("moto."):
            pending.extend(vars(value).values())


@functools.lru_cache(maxsize=64)
def _parse(definition: str) -> tuple[EvalComponent, ParserRuleContext]:
    """A definition's program and parse tree (syntax errors raise and are not cached)."""
    program, tree = _original_parse(definition)
    _draw_heap_keys(program)
    return program, tree


def _backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
    cache: dict[str | None, Any] = self.__dict__.setdefault("_rollout_backend_for_host", {})
    if host not in cache:
        cache[host] = _original_backend_for_host(self, host)
    return cache[host]


_clients: dict[tuple[str, str, bool, str], Any] = {}
_clients_lock = threading.Lock()


def _boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    # moto's client ignores ``state_credentials`` (it signs with fixed dummy keys): so does
    # the key of the cache
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port

    key = (region, service, bool(botocore_stubber.enabled), str(moto_server_port()))
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _original_boto_client_for(region, service)
    return client


_BOTO_CLIENT_FOR_PARAMS = ("region", "service", "state_credentials")
_jsonpath_parse = functools.lru_cache(maxsize=4096)(_original_jsonpath_parse)
_result_path_parse = functools.lru_cache(maxsize=1024)(_original_result_path_parse)

_method_names: dict[type, tuple[int, list[str]]] = {}


def _method_names_from_class(clazz: Any) -> list[str]:
    shape = sum(len(vars(c)) for c in clazz.__mro__)
    cached = _method_names.get(clazz)
    if cached is None or cached[0] != shape:
        cached = _method_names[clazz] = (shape, _original_method_names(clazz))
    return list(cached[1])


def install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        replace(
            asl_parser.AmazonStateLanguageParser, "parse", staticmethod(_parse), ("definition",)
        )
        replace(
            DomainDispatcherApplication,
            "get_backend_for_host",
            _backend_for_host,
            ("self", "host"),
        )
        # the interpreter's modules import the function by name: rebind it in each of them
        replace(boto_client, "boto_client_for", _boto_client_for, _BOTO_CLIENT_FOR_PARAMS)
        for name, module in list(sys.modules.items()):
            if (
                name.startswith("moto.stepfunctions.parser")
                and getattr(module, "boto_client_for", None) is _original_boto_client_for
            ):
                replace(module, "boto_client_for", _boto_client_for, _BOTO_CLIENT_FOR_PARAMS)
        replace(json_path, "parse", _jsonpath_parse, ("path", "debug"))
        replace(result_path, "parse", _result_path_parse, ("string",))
        replace(moto_responses, "method_names_from_class", _method_names_from_class, ("clazz",))
        _installed = True


def clear() -> None:
    """Forget the interpreter's clients (they point at a server port that is gone)."""
    with _clients_lock:
        _clients.clear()
