"""The base of the control plane's own strict documents (pure)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError


class Strict(BaseModel):
    """A document whose unknown fields are an error, never ignored: a misspelt field must
    not silently become its default."""

    model_config = ConfigDict(extra="forbid")


def describe_errors(error: ValidationError) -> str:
    """Every problem pydantic found, each with where: ``a.b: message; c: message``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors()
    )
