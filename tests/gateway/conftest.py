"""Fixtures for gateway tests: one real engine + fake upstream per module, and the
Flask app built by `create_app` around a real `EngineClient` aimed at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gpt_image_gateway.app import create_app
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.settings import Settings
from tests.gateway.support import Stack, engine_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with engine_stack(tmp_path_factory.mktemp("gw")) as s:
        yield s


@pytest.fixture(scope="module")
def engine_client(stack: Stack) -> Iterator[EngineClient]:
    from gpt_image_protocol.address import parse_address

    client = EngineClient(parse_address(stack.address))
    yield client
    client.close()


@pytest.fixture(scope="module")
def app(engine_client: EngineClient) -> Flask:
    return create_app(engine_client, Settings(sse_heartbeat_s=1.0))


@pytest.fixture
def http(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def down_app() -> Iterator[Flask]:
    """An app whose engine address has nothing listening."""
    import tempfile

    from gpt_image_protocol.address import parse_address

    client = EngineClient(parse_address(f"unix://{tempfile.mkdtemp(prefix='gi2-down-')}/none.sock"))
    yield create_app(client, Settings())
    client.close()


def sse_events(body: bytes | str) -> list[dict[str, Any]]:
    """Parse an SSE body into messages {id, event, data}."""
    text = body.decode() if isinstance(body, bytes) else body
    out = []
    for block in text.split("\n\n"):
        msg: dict[str, Any] = {}
        for line in block.splitlines():
            if line.startswith(":") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            msg[key] = value[1:] if value.startswith(" ") else value
        if "data" in msg:
            msg["data"] = json.loads(msg["data"])
            out.append(msg)
    return out


def follow(http: FlaskClient, job_id: str, after: int | None = None) -> list[dict[str, Any]]:
    headers = {"Last-Event-ID": str(after)} if after is not None else {}
    reply = http.get(f"/api/jobs/{job_id}/events", headers=headers)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.mimetype == "text/event-stream"
    return sse_events(reply.get_data())


@pytest.fixture
def tmp_home(tmp_path: Path) -> Path:
    return tmp_path
