"""moto's server mode, configured as the local stack runs it.

- ``configure(port)``: moto's user config (``moto.core.config.default_user_config``) set to
  execute state machines (``stepfunctions.execute_state_machine``) and to run Lambdas without
  Docker (``lambda.use_docker``); returns what to ``restore``. (The interpreter calls the
  other services through boto3 at ``localhost:$MOTO_PORT``: the caller sets ``MOTO_PORT``.)
  The interpreter's logging of every failed state (expected ones too, with its parse tree)
  is silenced: the execution history has the same facts, readably.
- ``Server``: ``ThreadedMotoServer`` on ``127.0.0.1:port``; ``stop`` also closes its socket
  (moto's ``stop`` shuts the server down but leaves the port bound until collected).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from moto.core import config as moto_config
from moto.server import ThreadedMotoServer

_INTERPRETER_LOGGER = "moto.stepfunctions.parser.asl.component.eval_component"


def configure() -> Any:
    """Set moto's user config for the local stack; return the previous one."""
    logging.getLogger(_INTERPRETER_LOGGER).setLevel(logging.CRITICAL)
    config = moto_config.default_user_config
    saved = copy.deepcopy(config)
    config["stepfunctions"] = {**config.get("stepfunctions", {}), "execute_state_machine": True}
    config["lambda"] = {**config.get("lambda", {}), "use_docker": False}
    return saved


def restore(saved: Any) -> None:
    """Put back the user config ``configure`` returned."""
    moto_config.default_user_config.update(saved)


class Server:
    """moto's threaded HTTP server on ``127.0.0.1:port``."""

    def __init__(self, port: int) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()
        http_server = self._server._server
        if http_server is not None:
            http_server.server_close()
