"""The gateway checks each engine's contract (GetVersion) at startup and on every reconnect:
an engine of another contract major makes `/api` answer 502 `engine_incompatible`."""

from __future__ import annotations

import time
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from gpt_image.v1 import system_pb2, system_pb2_grpc
from gpt_image_gateway.app import create_app
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.settings import Settings
from gpt_image_protocol import __version__ as CONTRACT
from gpt_image_protocol import jsonshape
from gpt_image_protocol.address import parse_address
from gpt_image_protocol.channel import ClientSettings


class FakeSystem(system_pb2_grpc.SystemServiceServicer):  # type: ignore[misc]
    def __init__(self, contract: str) -> None:
        self.contract = contract

    def GetVersion(self, request: Any, context: Any) -> system_pb2.SystemResult:
        payload = {"version": "9.9.9", "contract": self.contract, "engine_id": "efake"}
        return jsonshape.with_result(system_pb2.SystemResult(), payload)


def fake_engine(contract: str, port: int = 0) -> tuple[grpc.Server, int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    system_pb2_grpc.add_SystemServiceServicer_to_server(FakeSystem(contract), server)
    checker = health.HealthServicer()
    checker.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    port = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    return server, port


def other_major() -> str:
    major, minor = (int(x) for x in CONTRACT.split(".")[:2])
    return f"{major + 1}.0" if major else f"0.{minor + 1}"


def test_incompatible_engine_is_502_at_startup() -> None:
    server, port = fake_engine(other_major())
    client = EngineClient(parse_address(f"127.0.0.1:{port}"), settings=ClientSettings())
    try:
        http = create_app(client, Settings()).test_client()
        for path in ("/api/health", "/api/jobs", "/api/jobs/job-1", "/api/queue"):
            reply = http.get(path)
            assert reply.status_code == 502, (path, reply.get_json())
            err = reply.get_json()["error"]
            assert err["code"] == "engine_incompatible"
            assert err["detail"]["engine_contract"] == other_major() and err["detail"]["client_contract"] == CONTRACT
        assert http.get("/api/version").get_json()["engine"]["contract"] == other_major()  # still tells both sides
    finally:
        client.close()
        server.stop(None)


def test_contract_is_checked_again_when_the_engine_comes_back() -> None:
    server, port = fake_engine(CONTRACT)
    client = EngineClient(parse_address(f"127.0.0.1:{port}"), settings=ClientSettings(), monitor_interval=0.1)
    try:
        http = create_app(client, Settings()).test_client()
        assert http.get("/api/health").status_code == 200
        server.stop(None).wait()
        deadline = time.monotonic() + 10
        while client.up is not False and time.monotonic() < deadline:
            time.sleep(0.05)
        server, _ = fake_engine(other_major(), port)  # an engine of another contract behind the same address
        while time.monotonic() < deadline:
            reply = http.get("/api/health")
            if reply.status_code == 502:
                break
            time.sleep(0.05)
        assert reply.status_code == 502 and reply.get_json()["error"]["code"] == "engine_incompatible"
        server.stop(None).wait()
        server, _ = fake_engine(CONTRACT, port)  # upgraded back: the gateway serves again
        while time.monotonic() < deadline + 10:
            reply = http.get("/api/health")
            if reply.status_code == 200:
                break
            time.sleep(0.05)
        assert reply.status_code == 200
    finally:
        client.close()
        server.stop(None)
