"""The base of the control plane's own strict documents (pure)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A document whose unknown fields are an error, never ignored: a misspelt field must
    not silently become its default."""

    model_config = ConfigDict(extra="forbid")
