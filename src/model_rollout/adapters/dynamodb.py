"""Plain Python values to DynamoDB attribute values and back: the one converter of the
DynamoDB adapters (deployments, locks, waiters, asynchronous requests, A/B results).

One number rule: a float is written as the ``Decimal`` of its ``repr`` (``0.1`` is ``0.1``,
not the binary expansion ``Decimal(0.1)`` would give); an int as itself. On the way back a
number is an ``int`` when it is integral, else a ``float``. Booleans stay booleans (not
numbers), ``None`` is ``NULL``, lists and dicts nest, sets come back as sorted lists. Other
values (datetimes, ...) are written as their ``str``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any


def to_dynamo(value: Any) -> Any:
    """``value`` with its numbers as DynamoDB takes them (floats as ``Decimal``)."""
    if value is None or isinstance(value, bool | str | bytes | Decimal):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return {to_dynamo(v) for v in value}
    if isinstance(value, list | tuple):
        return [to_dynamo(v) for v in value]
    return str(value)


def from_dynamo(value: Any) -> Any:
    """What ``TypeDeserializer`` gives, with plain numbers: ``int`` if integral, else float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(from_dynamo(v) for v in value)
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    return value


def to_attribute(value: Any) -> dict[str, Any]:
    """One DynamoDB attribute value (``{"S": ...}``, ``{"N": ...}``, ``{"M": ...}``, ...)."""
    serialized: dict[str, Any] = _serializer().serialize(to_dynamo(value))
    return serialized


def from_attribute(attribute_value: Mapping[str, Any]) -> Any:
    """The plain value of one DynamoDB attribute value."""
    return from_dynamo(_deserializer().deserialize(dict(attribute_value)))


def to_item(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """An item (or ``ExpressionAttributeValues``): each value as an attribute value."""
    return {key: to_attribute(value) for key, value in values.items()}


def from_item(attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """An item as DynamoDB returns it, as plain values."""
    return {key: from_attribute(value) for key, value in attributes.items()}


@cache
def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer  # imported lazily: handlers import fast

    return TypeSerializer()


@cache
def _deserializer() -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()
