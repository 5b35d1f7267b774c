"""Fixtures for the hardening suite: a module-wide engine (for tests that only read or
add isolated state, to keep the suite fast) and a gRPC channel to an engine."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.conftest import EngineProc, base_env


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProc]:
    home = tmp_path_factory.mktemp("hardening-home")
    sockdir = Path(tempfile.mkdtemp(prefix="gi2-h-"))
    proc = EngineProc(home=home, env=base_env(home), socket=sockdir / "e.sock")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def open_engine_channel(engine: EngineProc) -> grpc.Channel:
    from gpt_image_protocol.address import parse_address
    from gpt_image_protocol.channel import open_channel

    return open_channel(parse_address(engine.address))


def rpc_code(call: Any) -> str:
    """Run `call()` expecting a coded gRPC error (or a terminal error event); return the code."""
    from gpt_image_protocol.events import error_of
    from gpt_image_protocol.rpc_errors import from_rpc_error

    try:
        result = call()
        if hasattr(result, "__iter__") and not isinstance(result, (bytes, str)):
            for event in result:
                err = error_of(event)
                if err is not None:
                    return str(err.get("code"))
        return "<no error>"
    except grpc.RpcError as exc:
        return from_rpc_error(exc).code


def gateway_client(engine: EngineProc) -> tuple[Any, Any]:
    """A Flask test client of a real gateway app around a real EngineClient aimed at `engine`;
    close the second item when done."""
    from gpt_image_gateway.app import create_app
    from gpt_image_gateway.client import EngineClient
    from gpt_image_gateway.settings import Settings
    from gpt_image_protocol.address import parse_address

    client = EngineClient(parse_address(engine.address))
    return create_app(client, Settings()).test_client(), client
