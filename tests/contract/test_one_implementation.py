"""What the CLI and the gateway both need has one implementation, in the protocol package:
chunked upload, the service stubs, the option choices; the CLI's global flags are declared once."""

from __future__ import annotations

import io
import subprocess
import sys

import click
import grpc

from gpt_image.v1 import images_pb2, results_pb2, transparent_pb2
from gpt_image_cli.connect import Engine
from gpt_image_cli.globalflags import GLOBAL_FLAGS, GlobalFlags, add_global_options
from gpt_image_gateway.client import _Stubs
from gpt_image_protocol import jsonshape, validation
from gpt_image_protocol.address import parse_address
from gpt_image_protocol.channel import CHUNK_SIZE
from gpt_image_protocol.stubs import EngineStubs
from gpt_image_protocol.uploads import upload_requests


def test_upload_is_a_header_then_bounded_chunks() -> None:
    data = bytes(range(256)) * (CHUNK_SIZE * 5 // 512)  # 2.5 chunks
    parts = list(upload_requests("a.png", "image/png", io.BytesIO(data), len(data), "ab" * 32))
    assert parts[0].WhichOneof("part") == "header"
    assert (parts[0].header.name, parts[0].header.size_bytes, parts[0].header.sha256) == ("a.png", len(data), "ab" * 32)
    chunks = [p.chunk for p in parts[1:]]
    assert all(p.WhichOneof("part") == "chunk" for p in parts[1:]) and len(chunks) == 3
    assert all(len(c) <= CHUNK_SIZE for c in chunks) and b"".join(chunks) == data
    assert [p.WhichOneof("part") for p in upload_requests("e", "", io.BytesIO(b""), 0)] == ["header"]


def test_every_engine_connection_uses_the_one_stub_set() -> None:
    channel = grpc.insecure_channel("127.0.0.1:9")
    try:
        cli = Engine(address=parse_address("127.0.0.1:9"), channel=channel)
        gateway = _Stubs(parse_address("127.0.0.1:9"), channel)
        for holder in (cli, gateway, EngineStubs(channel)):
            assert isinstance(holder, EngineStubs)
            assert holder.jobs is holder.jobs  # made once, on first use
            assert type(holder.queue).__name__ == "QueueServiceStub"
            assert type(holder.secrets).__name__ == "SecretsServiceStub"
    finally:
        channel.close()


def test_stubs_load_only_the_service_they_use() -> None:
    code = (
        "import sys, grpc\n"
        "from gpt_image_protocol.stubs import EngineStubs\n"
        "EngineStubs(grpc.insecure_channel('127.0.0.1:9')).system\n"
        "print(sorted(m for m in sys.modules if m.startswith('gpt_image.v1.') and m.endswith('_grpc')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "['gpt_image.v1.system_pb2_grpc']", out.stderr


def test_global_flags_are_declared_once() -> None:
    root = add_global_options(click.Command("root"))
    names = {opt: not p.is_flag for p in root.params if isinstance(p, click.Option) for opt in p.opts}
    assert names == GLOBAL_FLAGS
    assert [p.name for p in root.params] == [f for f in GlobalFlags.__dataclass_fields__]
    # The upstream's global flags (switches, then options taking a value), in its order.
    assert list(GLOBAL_FLAGS) == [
        "--json", "--json-events", "--verbose", "--provider", "--api-key", "--openai-api-base",
        "--config", "--auth-file", "--endpoint", "--engine", "--engine-token-file",
    ]  # fmt: skip


def test_option_choices_come_from_one_table() -> None:
    from gpt_image_cli.commands import images_cmds, transparent_cmds
    from gpt_image_gateway import openapi

    def choices(command: click.Command, name: str) -> tuple[str, ...]:
        option = next(p for p in command.params if p.name == name)
        assert isinstance(option.type, click.Choice)
        return tuple(option.type.choices)

    generate = images_cmds.COMMANDS[0].commands["generate"]  # type: ignore[attr-defined]
    assert choices(generate, "quality") == validation.QUALITIES
    assert choices(generate, "format_") == validation.FORMATS
    assert choices(generate, "background") == validation.BACKGROUNDS
    assert choices(generate, "moderation") == validation.MODERATIONS
    extract = transparent_cmds.COMMANDS[0].commands["extract"]  # type: ignore[attr-defined]
    assert choices(extract, "profile") == validation.PROFILES == jsonshape.PROFILE_CHOICES
    assert choices(extract, "method") == validation.METHODS == jsonshape.METHOD_CHOICES
    assert openapi.IMAGE_FIELDS["quality"]["enum"] == list(validation.QUALITIES)
    assert openapi.TRANSPARENT_FIELDS["profile"]["enum"] == list(validation.PROFILES)
    # The words cross the wire as the enums' numbers.
    options = transparent_pb2.TransparentOptions(transparent_profile=jsonshape.PROFILES["seal"])
    assert jsonshape.PROFILE_NAMES[options.transparent_profile] == "seal"
    assert images_pb2.ImageOptions(quality="high").quality in validation.QUALITIES


def test_gateway_sends_the_enum_and_refuses_a_word_the_contract_does_not_name() -> None:
    import pytest

    from gpt_image_gateway.forms import enum_word
    from gpt_image_protocol.errors import AppError

    assert enum_word({"profile": "icon"}, "profile", jsonshape.PROFILES) == results_pb2.TRANSPARENT_PROFILE_ICON
    assert enum_word({}, "profile", jsonshape.PROFILES) == results_pb2.TRANSPARENT_PROFILE_UNSPECIFIED
    with pytest.raises(AppError) as err:
        enum_word({"method": "magic"}, "method", jsonshape.METHODS)
    assert (err.value.code, err.value.message) == ("invalid_command", "--method must be one of auto, chroma, dual.")
