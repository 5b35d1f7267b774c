"""The three start-up-critical calls (`doctor`, `auth inspect`, `models list`) without
protobuf's Python runtime.

Importing it (descriptor pool, text format, containers, well-known types) costs about a
quarter of `import grpc`, more than the rest of the CLI together, and these commands
send a request `{CallOptions options = 1}` (every CallOptions field a string) and read a
reply `SystemResult {JsonObject result = 2}` (the JSON value tree of common.proto). So
they are encoded and decoded here on gRPC's raw-bytes path. `tests/cli/test_wire.py`
holds the bytes to the generated code for every field and every kind of JSON value, so
the contract cannot drift unnoticed.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

# CallOptions field names by field number (protos/gpt_image/v1/common.proto).
CALL_OPTION_FIELDS = (
    "provider",
    "api_key",
    "openai_api_base",
    "config_file",
    "auth_file",
    "endpoint",
    "env_openai_api_key",
    "env_openai_base_url",
    "request_id",
)
SYSTEM_SERVICE = "/gpt_image.v1.SystemService/"


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def call_options(values: Mapping[str, str]) -> bytes:
    """A serialized CallOptions (empty strings are left out, as protobuf does)."""
    return b"".join(
        _field(number, values[name].encode())
        for number, name in enumerate(CALL_OPTION_FIELDS, start=1)
        if values.get(name)
    )


def options_request(values: Mapping[str, str]) -> bytes:
    """A serialized `{CallOptions options = 1}` request (DoctorRequest, InspectAuthRequest, ...)."""
    return _field(1, call_options(values))


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(number, wire type, value) of each field: varints as ints, fixed64 as 8 bytes,
    length-delimited as bytes (fixed32 is skipped: no field here uses it)."""
    out: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        kind = key & 7
        if kind == 0:
            value, pos = _read_varint(data, pos)
            out.append((key >> 3, kind, value))
        elif kind == 1:
            out.append((key >> 3, kind, data[pos : pos + 8]))
            pos += 8
        elif kind == 5:
            pos += 4
        elif kind == 2:
            length, pos = _read_varint(data, pos)
            out.append((key >> 3, kind, data[pos : pos + length]))
            pos += length
        else:
            raise ValueError(f"unsupported wire type {kind}")
    return out


def json_value(data: bytes) -> Any:
    """A serialized `JsonValue` as its Python value (common.proto: null 1, bool 2, sint64 3,
    double 4, string 5, list 6, object 7, big integer digits 8); unset is None."""
    found: Any = None
    for field, _, value in _fields(data):
        if field == 2:
            found = bool(value)
        elif field == 3:
            found = (value >> 1) ^ -(value & 1)  # zigzag
        elif field == 4:
            found = struct.unpack("<d", value)[0]
        elif field == 5:
            found = value.decode()
        elif field == 6:
            found = [json_value(item) for number, _, item in _fields(value) if number == 1]
        elif field == 7:
            found = json_object(value)
        elif field == 8:
            found = int(value.decode())
        elif field == 1:
            found = None
    return found


def json_object(data: bytes) -> dict[str, Any]:
    """A serialized `JsonObject {repeated JsonMember members = 1}` (member: key 1, value 2)."""
    out: dict[str, Any] = {}
    for number, _, member in _fields(data):
        if number != 1:
            continue
        key, item = "", None
        for field, _, value in _fields(member):
            if field == 1:
                key = value.decode()
            elif field == 2:
                item = json_value(value)
        out[key] = item
    return out


def message_field(data: bytes, number: int) -> bytes | None:
    """The bytes of message field `number` (None when unset)."""
    found = None
    for field, kind, value in _fields(data):
        if field == number and kind == 2:
            found = value
    return found


def system_call(channel: Any, method: str, values: Mapping[str, str], timeout: float | None = None) -> dict[str, Any]:
    """Call `SystemService/<method>` with CallOptions `values`; the reply's payload (`result`)."""
    call = channel.unary_unary(SYSTEM_SERVICE + method)  # no serializers: bytes in, bytes out
    reply: bytes = call(options_request(values), timeout=timeout)
    result = message_field(reply, 2)
    return {} if result is None else json_object(result)
