"""The deployments table as the steps use it: a port (``adapters.records.DeploymentRecords``).

Finalize, FinishRollback and RecoverEndpoint write a deployment's final record; the protocols
here are what they need of the table, so that each step's init imports only the adapter."""

from __future__ import annotations

from typing import Any, Protocol


class RecordFinisher(Protocol):
    """Writes a deployment's final status, once."""

    def finish(
        self,
        deployment_id: str,
        status: str,
        *,
        error: str | None = None,
        cause: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Any: ...


class RecordStore(RecordFinisher, Protocol):
    """Reads a deployment's record too."""

    def get(self, deployment_id: str) -> dict[str, Any] | None: ...
