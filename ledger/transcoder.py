"""Canonical orjson transcoding of event state.

Event hashes are taken over the stored bytes, so the bytes for one state must never vary:
keys are sorted, there is no whitespace, and every non-JSON value is written as a tagged
object ``{"_type_": name, "_data_": value}`` (the same convention as the library's
``JSONTranscoder``), so decoding gives back the same Python types.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Transcoder

__all__ = ["CanonicalTranscoder", "canonical_json", "register_value_class"]

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

# Value classes that may appear inside event state, keyed by their stored name. Frozen
# dataclasses register themselves with ``register_value_class``.
_VALUE_CLASSES: dict[str, type[Any]] = {}


def register_value_class(cls: type[Any]) -> type[Any]:
    """Class decorator: allow a frozen dataclass inside event state."""
    _VALUE_CLASSES[cls.__name__] = cls
    return cls


def _encode_default(value: Any) -> Any:
    # datetime is a subclass of date: test it first.
    if isinstance(value, datetime):
        return {"_type_": "datetime", "_data_": value.isoformat()}
    if isinstance(value, date):
        return {"_type_": "date", "_data_": value.isoformat()}
    if isinstance(value, Decimal):
        return {"_type_": "decimal", "_data_": str(value)}
    if isinstance(value, UUID):
        return {"_type_": "uuid", "_data_": value.hex}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _VALUE_CLASSES.get(name) is not type(value):
            msg = f"value class {name} is not registered for transcoding"
            raise TypeError(msg)
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"_type_": name, "_data_": fields}
    msg = f"cannot transcode {type(value).__name__}"
    raise TypeError(msg)


def _decode_tagged(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode_tagged(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 2 and "_type_" in value and "_data_" in value:
        return _decode_value(value["_type_"], value["_data_"])
    return {k: _decode_tagged(v) for k, v in value.items()}


def _decode_value(kind: str, data: Any) -> Any:
    if kind == "date":
        return date.fromisoformat(data)
    if kind == "datetime":
        return datetime.fromisoformat(data)
    if kind == "decimal":
        return Decimal(data)
    if kind == "uuid":
        return UUID(data)
    cls = _VALUE_CLASSES.get(kind)
    if cls is None:
        msg = f"unknown value class {kind!r} in stored event"
        raise ValueError(msg)
    return cls(**{k: _decode_tagged(v) for k, v in data.items()})


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of a JSON-able value (also used for signed messages)."""
    # Tuples are written as JSON arrays and come back as lists: event state uses lists.
    return orjson.dumps(value, default=_encode_default, option=_OPTIONS)


class CanonicalTranscoder(Transcoder):
    """The library's ``Transcoder`` interface over ``canonical_json``."""

    def encode(self, obj: Any) -> bytes:
        return canonical_json(obj)

    def decode(self, data: bytes) -> Any:
        return _decode_tagged(orjson.loads(data))
