"""The JSON value tree of the contract (json.proto `JsonValue`, `JsonList`, `JsonObject`):
lossless both ways.

What the upstream leaves open (a provider's raw events, config documents, an error's detail,
request bodies) travels as this tree instead of JSON in strings. Unlike google.protobuf.Struct
it keeps int vs float (3 vs 3.0), integers of any size and key order, so the JSON a surface
prints from it is byte-for-byte the JSON the engine had. `gpt_image_protocol.jsonshape` builds
the upstream's shapes on top of it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from gpt_image.v1 import json_pb2
from gpt_image_protocol.errors import AppError

_BIG_INT = re.compile(r"-?[0-9]{1,4000}")

INT64_RANGE = (-(2**63), 2**63 - 1)


def fill_value(msg: json_pb2.JsonValue, obj: Any) -> None:
    """Write the JSON value `obj` into `msg` (as `json.dumps(obj, default=str)` would see it;
    a non-finite float becomes null, as `dumps_finite` prints it)."""
    if obj is None:
        msg.null_value = 0
    elif obj is True or obj is False:
        msg.bool_value = obj
    elif isinstance(obj, str):
        msg.string_value = obj
    elif isinstance(obj, int):
        if INT64_RANGE[0] <= obj <= INT64_RANGE[1]:
            msg.int_value = obj
        else:
            msg.big_int_value = str(obj)
    elif isinstance(obj, float):
        if math.isfinite(obj):
            msg.double_value = obj
        else:
            msg.null_value = 0
    elif isinstance(obj, Mapping):
        fill_object(msg.object_value, obj)
        if not obj:
            msg.object_value.SetInParent()
    elif isinstance(obj, (list, tuple)):
        values = msg.list_value.values
        for item in obj:
            fill_value(values.add(), item)
        if not obj:
            msg.list_value.SetInParent()
    else:
        msg.string_value = str(obj)


def _key(key: Any) -> str:
    """A dict key as json.dumps writes it."""
    if isinstance(key, str):
        return key
    if key is True or key is False:
        return "true" if key else "false"
    if key is None:
        return "null"
    return repr(key) if isinstance(key, float) else str(key)


def fill_object(msg: json_pb2.JsonObject, obj: Mapping[Any, Any]) -> json_pb2.JsonObject:
    members = msg.members
    for key, item in obj.items():
        member = members.add(key=_key(key))
        fill_value(member.value, item)
    return msg


def to_value(obj: Any) -> json_pb2.JsonValue:
    msg = json_pb2.JsonValue()
    fill_value(msg, obj)
    return msg


def to_object(obj: Mapping[Any, Any]) -> json_pb2.JsonObject:
    return fill_object(json_pb2.JsonObject(), obj)


def value(msg: json_pb2.JsonValue) -> Any:
    """The Python JSON value (dict, list, str, int, float, bool, None) of a JsonValue."""
    kind = msg.WhichOneof("kind")
    if kind == "string_value":
        return msg.string_value
    if kind == "object_value":
        return obj(msg.object_value)
    if kind == "int_value":
        return msg.int_value
    if kind == "list_value":
        return [value(item) for item in msg.list_value.values]
    if kind == "bool_value":
        return msg.bool_value
    if kind == "double_value":
        return msg.double_value
    if kind == "big_int_value":
        text = msg.big_int_value
        if not _BIG_INT.fullmatch(text):  # bad input, not an engine error (int() under its digit limit)
            raise AppError("invalid_argument", "A big_int_value must hold decimal digits.", {"value": text[:40]})
        return int(text)
    return None


def obj(msg: json_pb2.JsonObject) -> dict[str, Any]:
    return {m.key: value(m.value) for m in msg.members}


def optional_value(msg: Any, field: str, default: Any = None) -> Any:
    """`value` of a JsonValue/JsonObject field, `default` when the field is unset."""
    if not msg.HasField(field):
        return default
    sub = getattr(msg, field)
    return obj(sub) if isinstance(sub, json_pb2.JsonObject) else value(sub)


def document_text(value: Any) -> str:
    """A value as the engine's JSON fields carried it before the contract was typed (default
    separators, UTF-8 kept, non-finite numbers as null): the gateway's job lists are this text."""
    from gpt_image_protocol.validation import dumps_finite

    return dumps_finite(value, ensure_ascii=False, default=str)
