"""A live engine answers the standard health check, lists the v1 services by
reflection, and keeps its Unix socket private (0600). One engine serves the module."""

from __future__ import annotations

import stat

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from gpt_image_protocol.address import parse_address
from gpt_image_protocol.channel import open_channel
from tests.conftest import EngineProc


@pytest.fixture(scope="module")
def engine(module_engine: EngineProc) -> EngineProc:
    return module_engine


V1_SERVICES = {
    "gpt_image.v1.ArtifactsService",
    "gpt_image.v1.ConfigService",
    "gpt_image.v1.SecretsService",
    "gpt_image.v1.ImagesService",
    "gpt_image.v1.JobsService",
    "gpt_image.v1.RequestsService",
    "gpt_image.v1.SystemService",
    "gpt_image.v1.TransparentService",
    "gpt_image.v1.WebSessionsService",
}


def test_health_serving_and_reflection(engine) -> None:  # type: ignore[no-untyped-def]
    channel = open_channel(parse_address(engine.address))
    try:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        for name in V1_SERVICES:
            per = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            assert per.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = list(
            stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
        )
        listed = {s.name for s in responses[0].list_services_response.service}
        assert listed >= V1_SERVICES
        assert "grpc.health.v1.Health" in listed
    finally:
        channel.close()


def test_socket_is_private(engine) -> None:  # type: ignore[no-untyped-def]
    mode = stat.S_IMODE(engine.socket.stat().st_mode)
    assert mode == 0o600, oct(mode)


def test_unknown_job_is_a_coded_error(engine) -> None:  # type: ignore[no-untyped-def]
    from gpt_image.v1 import jobs_pb2, jobs_pb2_grpc
    from gpt_image_protocol.rpc_errors import from_rpc_error

    channel = open_channel(parse_address(engine.address))
    try:
        stub = jobs_pb2_grpc.JobsServiceStub(channel)
        try:
            stub.GetJob(jobs_pb2.GetJobRequest(job_id="job-nope"), timeout=5)
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND
            err = from_rpc_error(exc)
            assert err.code == "history_not_found"
        else:
            raise AssertionError("expected an error")
    finally:
        channel.close()
