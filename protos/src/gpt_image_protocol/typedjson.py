"""Typed messages <-> the upstream's JSON objects, by the one rule of json.proto's `JsonUnset`.

A typed message (results.proto: `ImageResult`, `Verification`, ...) shows as a JSON object
whose keys are its fields in declaration order under their own names; a oneof shows under
the oneof's name as the member that is set; a `JsonObject extra` holds the keys the message
does not name, appended last. A field with presence (message, `optional` scalar, oneof) is
left out when unset, or shown as null with `[(json_unset) = JSON_UNSET_NULL]`; a plain scalar
or enum is always shown; a repeated field is always shown, or left out when empty with
`JSON_UNSET_OMIT`; a `StringList` shows as its array (unset: left out). Enums show as their value's name without the enum's prefix, lower case
(`PROVIDER_KIND_OPENAI_COMPATIBLE` -> "openai-compatible": the separator is per enum, `SEPARATORS`).

`to_dict(msg)` reads a message into that object. `fill(msg, data)` writes an object into a
message and says whether the message now shows exactly `data`, key order, int vs float and
null vs absent included (it reads the message back and compares the JSON texts): a caller
keeps the object whole (`other_result`, `verbatim`) when it does not, so nothing is ever
reshaped. The rules are read once per message type from the descriptors (`_plan`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from gpt_image.v1 import json_pb2
from gpt_image_protocol.jsonvalue import INT64_RANGE, document_text, fill_object, fill_value, obj, value
from gpt_image_protocol.validation import is_repeated_field

__all__ = ["SEPARATORS", "enum_words", "fill", "to_dict"]

# The word separator of enums whose JSON words are not snake_case.
SEPARATORS = {
    "gpt_image.v1.JobCommand": " ",
    "gpt_image.v1.ProviderKind": "-",
    "gpt_image.v1.EditRegionMode": "-",
}
_JSON_VALUE = json_pb2.JsonValue.DESCRIPTOR.full_name
_JSON_OBJECT = json_pb2.JsonObject.DESCRIPTOR.full_name
_STRING_LIST = json_pb2.StringList.DESCRIPTOR.full_name
_OPEN = frozenset({_JSON_VALUE, _JSON_OBJECT, _STRING_LIST})  # shown as JSON values, not as objects
_NULL_ENUM = "google.protobuf.NullValue"
_NULL, _OMIT = json_pb2.JSON_UNSET_NULL, json_pb2.JSON_UNSET_OMIT
_INT_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_UINT32,
    }
)
_BAD = object()  # a value that does not fit its field


@functools.cache
def enum_words(enum: EnumDescriptor) -> tuple[dict[int, str], dict[str, int]]:
    """({number: word}, {word: number}) of an enum, its zero value left out."""
    prefix = "".join("_" + c if c.isupper() and i else c for i, c in enumerate(enum.name)).upper() + "_"
    sep = SEPARATORS.get(enum.full_name, "_")
    words = {v.number: v.name.removeprefix(prefix).lower().replace("_", sep) for v in enum.values if v.number}
    return words, {w: n for n, w in words.items()}


@dataclass(frozen=True)
class _Slot:
    """One JSON key: a field, or a oneof and its members."""

    key: str
    fields: tuple[FieldDescriptor, ...]
    oneof: bool
    unset: int
    repeated: bool = False
    presence: bool = False


@dataclass(frozen=True)
class _Plan:
    slots: tuple[_Slot, ...]
    index: dict[str, int]
    extra: bool


def _real_oneof(field: FieldDescriptor) -> Any:
    """The field's oneof, unless it is the synthetic one of a proto3 `optional` field."""
    oneof = field.containing_oneof
    if oneof is None or (len(oneof.fields) == 1 and oneof.name == "_" + field.name):
        return None
    return oneof


@functools.cache
def _plan(desc: Descriptor) -> _Plan:
    slots: list[_Slot] = []
    seen: set[str] = set()
    extra = False
    for field in desc.fields:
        if field.name == "extra" and field.message_type is not None and field.message_type.full_name == _JSON_OBJECT:
            extra = True
            continue
        oneof = _real_oneof(field)
        if oneof is not None:
            if oneof.name not in seen:
                seen.add(oneof.name)
                slots.append(_Slot(oneof.name, tuple(oneof.fields), True, 0))
            continue
        unset = field.GetOptions().Extensions[json_pb2.json_unset]
        slots.append(_Slot(field.name, (field,), False, unset, is_repeated_field(field), field.has_presence))
    return _Plan(tuple(slots), {s.key: i for i, s in enumerate(slots)}, extra)


# --- message -> JSON ----------------------------------------------------------------------------


def _read(field: FieldDescriptor, item: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        name = field.message_type.full_name
        if name == _JSON_VALUE:
            return value(item)
        if name == _JSON_OBJECT:
            return obj(item)
        if name == _STRING_LIST:
            return list(item.values)
        return to_dict(item)
    if field.type == FieldDescriptor.TYPE_ENUM:
        if field.enum_type.full_name == _NULL_ENUM:
            return None
        return enum_words(field.enum_type)[0].get(item, "")
    return item


def to_dict(msg: Message) -> dict[str, Any]:
    """The JSON object a typed message shows as."""
    plan = _plan(msg.DESCRIPTOR)
    out: dict[str, Any] = {}
    for slot in plan.slots:
        if slot.oneof:
            member = msg.WhichOneof(slot.key)
            if member is not None:
                field = msg.DESCRIPTOR.fields_by_name[member]
                out[slot.key] = _read(field, getattr(msg, member))
            continue
        field = slot.fields[0]
        if slot.repeated:
            items = getattr(msg, field.name)
            if items or slot.unset != _OMIT:
                out[slot.key] = [_read(field, item) for item in items]
        elif slot.presence and not msg.HasField(field.name):
            if slot.unset == _NULL:
                out[slot.key] = None
        else:
            out[slot.key] = _read(field, getattr(msg, field.name))
    if plan.extra:
        for member in msg.extra.members:  # type: ignore[attr-defined]
            out[member.key] = value(member.value)
    return out


# --- JSON -> message ----------------------------------------------------------------------------


def _scalar(field: FieldDescriptor, item: Any) -> Any:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return item if isinstance(item, str) else _BAD
    if kind == FieldDescriptor.TYPE_BOOL:
        return item if item is True or item is False else _BAD
    if kind in _INT_TYPES:
        ok = isinstance(item, int) and not isinstance(item, bool) and INT64_RANGE[0] <= item <= INT64_RANGE[1]
        return item if ok else _BAD
    if kind == FieldDescriptor.TYPE_DOUBLE:
        return item if isinstance(item, float) and math.isfinite(item) else _BAD
    if kind == FieldDescriptor.TYPE_ENUM:
        if field.enum_type.full_name == _NULL_ENUM:
            return 0 if item is None else _BAD
        return enum_words(field.enum_type)[1].get(item, _BAD) if isinstance(item, str) else _BAD
    return _BAD


def _put_message(field: FieldDescriptor, target: Any, item: Any) -> bool:
    """Write `item` into the sub-message `target` of `field`."""
    name = field.message_type.full_name
    if name == _JSON_VALUE:
        fill_value(target, item)
        return True
    if name == _STRING_LIST:
        if not isinstance(item, (list, tuple)) or not all(isinstance(x, str) for x in item):
            return False
        target.values.extend(item)
        target.SetInParent()
        return True
    if not isinstance(item, Mapping):
        return False
    if name == _JSON_OBJECT:
        fill_object(target, item)
    elif not _fill(target, item):
        return False
    target.SetInParent()
    return True


def _put(msg: Message, slot: _Slot, item: Any) -> bool:
    if slot.oneof:
        for field in slot.fields:  # the first member that shows exactly `item`
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                sub = getattr(msg, field.name)
                if field.message_type.full_name in _OPEN:
                    if _put_message(field, sub, item):
                        return True
                elif isinstance(item, Mapping) and fill(sub, item):
                    sub.SetInParent()
                    return True
                msg.ClearField(field.name)
            elif (scalar := _scalar(field, item)) is not _BAD:
                setattr(msg, field.name, scalar)
                return True
        return False
    field = slot.fields[0]
    if slot.repeated:
        if not isinstance(item, (list, tuple)):
            return False
        target = getattr(msg, field.name)
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            return all(_put_message(field, target.add(), x) for x in item)
        values = [_scalar(field, x) for x in item]
        if any(v is _BAD for v in values):
            return False
        target.extend(values)
        return True
    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name == _JSON_VALUE:
        fill_value(getattr(msg, field.name), item)
        return True
    if item is None:
        return slot.presence and slot.unset == _NULL  # unset shows null
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return _put_message(field, getattr(msg, field.name), item)
    scalar = _scalar(field, item)
    if scalar is _BAD:
        return False
    setattr(msg, field.name, scalar)
    return True


def _fill(msg: Message, data: Mapping[Any, Any]) -> bool:
    plan = _plan(msg.DESCRIPTOR)
    nxt = 0
    extra: Any = None
    for key, item in data.items():
        i = plan.index.get(key) if isinstance(key, str) else None
        if i is None or extra is not None:
            if i is not None or not plan.extra or not isinstance(key, str):
                return False  # a known key after an open one, or no room for open keys
            extra = msg.extra  # type: ignore[attr-defined]
            fill_value(extra.members.add(key=key).value, item)
            continue
        if i < nxt or not _put(msg, plan.slots[i], item):
            return False
        nxt = i + 1
    return True


def fill(msg: Message, data: Mapping[Any, Any]) -> bool:
    """Write `data` into the empty message `msg`; True when `to_dict(msg)` shows exactly `data`
    (the same JSON text). On False, `msg` holds a partial fill: the caller clears it."""
    return _fill(msg, data) and document_text(to_dict(msg)) == document_text(data)
