"""Standard grpc.health.v1 checks against the engine (used by autostart and probes)."""

from __future__ import annotations

import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ENGINE_SERVICE = ""  # overall server health


def is_serving(channel: grpc.Channel, timeout: float = 1.0) -> bool:
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        reply = stub.Check(health_pb2.HealthCheckRequest(service=ENGINE_SERVICE), timeout=timeout)
    except grpc.RpcError:
        return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def wait_for_serving(channel: grpc.Channel, timeout: float = 5.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if is_serving(channel, timeout=min(1.0, max(0.05, remaining))):
            return True
        time.sleep(interval)
