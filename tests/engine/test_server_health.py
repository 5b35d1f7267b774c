"""The engine's health answers in process: started but not yet serving (the preload still
running) says NOT_SERVING for the whole server, so a client that waits for SERVING never
meets a service that is not registered yet; serving says SERVING for "" and every service."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gpt_image_engine.server import SERVICE_NAMES, EngineServer
from gpt_image_engine.state import Engine
from gpt_image_engine.store.paths import EnginePaths


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[EngineServer, str]]:
    env = {"HOME": str(tmp_path), "CODEX_HOME": str(tmp_path / "codex")}
    engine = Engine.open(EnginePaths.from_env(env), env=env)
    socket = Path(tempfile.mkdtemp(prefix="gi2h-")) / "e.sock"
    srv = EngineServer(engine, max_workers=4)
    srv.bind_unix(socket, start=False)
    srv.start()
    try:
        yield srv, f"unix://{socket}"
    finally:
        srv.stop(0)
        engine.jobs.shutdown(5)
        engine.close()


def status(address: str, service: str) -> int:
    with grpc.insecure_channel(address) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        return int(reply.status)


def test_started_is_not_serving_until_the_engine_says_so(server: tuple[EngineServer, str]) -> None:
    srv, address = server
    assert status(address, "") == health_pb2.HealthCheckResponse.NOT_SERVING
    srv.set_serving(True)
    assert status(address, "") == health_pb2.HealthCheckResponse.SERVING
    for name in SERVICE_NAMES:
        assert status(address, name) == health_pb2.HealthCheckResponse.SERVING, name
    srv.set_serving(False)
    assert status(address, "") == health_pb2.HealthCheckResponse.NOT_SERVING
