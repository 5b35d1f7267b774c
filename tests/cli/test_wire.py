"""`gpt_image_cli.wire` encodes the system calls by hand (start-up): its bytes must be exactly
what the generated code produces, field by field, and it must read what the engine sends."""

from __future__ import annotations

from gpt_image.v1 import common_pb2, system_pb2
from gpt_image_cli import wire
from gpt_image_protocol import jsonshape


def test_every_call_option_field_encodes_like_the_generated_code() -> None:
    fields = common_pb2.CallOptions.DESCRIPTOR.fields
    assert [f.name for f in sorted(fields, key=lambda f: f.number)] == list(wire.CALL_OPTION_FIELDS)
    assert [f.number for f in sorted(fields, key=lambda f: f.number)] == list(range(1, len(fields) + 1))
    for name in wire.CALL_OPTION_FIELDS:
        for value in ("x", "é ✓ long value " * 20, ""):
            expected = system_pb2.DoctorRequest(options=common_pb2.CallOptions(**{name: value})).SerializeToString()
            assert wire.options_request({name: value}) == expected, (name, value)
    every = {name: f"{name}-{i}" * (i + 1) for i, name in enumerate(wire.CALL_OPTION_FIELDS)}
    generated = system_pb2.InspectAuthRequest(options=common_pb2.CallOptions(**every)).SerializeToString()
    assert wire.options_request(every) == generated
    assert wire.options_request({}) == system_pb2.DoctorRequest(options=common_pb2.CallOptions()).SerializeToString()


def test_reads_the_result_object_and_skips_unknown_fields() -> None:
    payload = {"ok": True, "note": "ü" * 300, "n": 3, "x": 0.5, "none": None, "list": [1, {"a": []}], "big": 2**80}
    reply = system_pb2.SystemResult()
    reply.result.CopyFrom(jsonshape.to_object(payload))
    data = reply.SerializeToString()
    assert wire.json_object(wire.message_field(data, 2) or b"") == payload
    assert wire.message_field(b"", 2) is None
    # Fields a newer engine might add (varint, fixed64, fixed32, another string) are skipped.
    extra = b"\x10\x96\x01" + b"\x19" + b"\x00" * 8 + b"\x25" + b"\x00" * 4 + b"\x32\x02hi"
    assert wire.json_object(wire.message_field(extra + data, 2) or b"") == payload
