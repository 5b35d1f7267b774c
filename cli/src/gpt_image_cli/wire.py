"""The three start-up-critical calls (`doctor`, `auth inspect`, `models list`) without
protobuf's Python runtime.

Importing it (descriptor pool, text format, containers, well-known types) costs about a
quarter of `import grpc`, more than the rest of the CLI together, and these commands
send nothing but strings: a request `{CallOptions options = 1}` (every CallOptions field
a string) and a reply `SystemResult {string result_json = 1}`. So they are encoded here
on gRPC's raw-bytes path. `tests/cli/test_wire.py` holds the bytes to the generated code
for every field, so the contract cannot drift unnoticed.
"""

from __future__ import annotations

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


def string_field(data: bytes, number: int) -> str:
    """The last value of string field `number` in a serialized message (other fields skipped)."""
    pos, found = 0, ""
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        kind = key & 7
        if kind == 0:
            _, pos = _read_varint(data, pos)
        elif kind == 1:
            pos += 8
        elif kind == 5:
            pos += 4
        elif kind == 2:
            length, pos = _read_varint(data, pos)
            if key >> 3 == number:
                found = data[pos : pos + length].decode()
            pos += length
        else:
            raise ValueError(f"unsupported wire type {kind}")
    return found


def system_call(channel: Any, method: str, values: Mapping[str, str], timeout: float | None = None) -> str:
    """Call `SystemService/<method>` with CallOptions `values`; the reply's `result_json`."""
    call = channel.unary_unary(SYSTEM_SERVICE + method)  # no serializers: bytes in, bytes out
    reply: bytes = call(options_request(values), timeout=timeout)
    return string_field(reply, 1)
