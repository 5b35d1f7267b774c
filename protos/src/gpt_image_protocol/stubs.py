"""One engine connection's service stubs, shared by the CLI, the gateway and the job router.

`EngineStubs(channel).jobs` is the JobsService stub on `channel`, and so on for every
service of the contract. Each stub's generated module is imported on first use, so a
command that calls one service (`doctor`) never loads the others' code.
"""

from __future__ import annotations

import importlib
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import grpc

    from gpt_image.v1 import (
        artifacts_pb2_grpc,
        config_pb2_grpc,
        images_pb2_grpc,
        jobs_pb2_grpc,
        outputs_pb2_grpc,
        requests_pb2_grpc,
        system_pb2_grpc,
        transparent_pb2_grpc,
        websessions_pb2_grpc,
    )


def _stub(channel: Any, module: str, name: str) -> Any:
    return getattr(importlib.import_module(f"gpt_image.v1.{module}_pb2_grpc"), name)(channel)


class EngineStubs:
    """Lazily made stubs of every service on `self.channel` (set by the constructor, or by a
    dataclass subclass that declares `channel`)."""

    channel: grpc.Channel

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel

    @cached_property
    def system(self) -> system_pb2_grpc.SystemServiceStub:
        return _stub(self.channel, "system", "SystemServiceStub")  # type: ignore[no-any-return]

    @cached_property
    def config(self) -> config_pb2_grpc.ConfigServiceStub:
        return _stub(self.channel, "config", "ConfigServiceStub")  # type: ignore[no-any-return]

    @cached_property
    def secrets(self) -> config_pb2_grpc.SecretsServiceStub:
        return _stub(self.channel, "config", "SecretsServiceStub")  # type: ignore[no-any-return]

    @cached_property
    def outputs(self) -> outputs_pb2_grpc.OutputsServiceStub:
        return _stub(self.channel, "outputs", "OutputsServiceStub")  # type: ignore[no-any-return]

    @cached_property
    def images(self) -> images_pb2_grpc.ImagesServiceStub:
        return _stub(self.channel, "images", "ImagesServiceStub")  # type: ignore[no-any-return]

    @cached_property
    def transparent(self) -> transparent_pb2_grpc.TransparentServiceStub:
        return _stub(self.channel, "transparent", "TransparentServiceStub")  # type: ignore[no-any-return]

    @cached_property
    def requests(self) -> requests_pb2_grpc.RequestsServiceStub:
        return _stub(self.channel, "requests", "RequestsServiceStub")  # type: ignore[no-any-return]

    @cached_property
    def jobs(self) -> jobs_pb2_grpc.JobsServiceStub:
        return _stub(self.channel, "jobs", "JobsServiceStub")  # type: ignore[no-any-return]

    @cached_property
    def queue(self) -> jobs_pb2_grpc.QueueServiceStub:
        return _stub(self.channel, "jobs", "QueueServiceStub")  # type: ignore[no-any-return]

    @cached_property
    def artifacts(self) -> artifacts_pb2_grpc.ArtifactsServiceStub:
        return _stub(self.channel, "artifacts", "ArtifactsServiceStub")  # type: ignore[no-any-return]

    @cached_property
    def web_sessions(self) -> websessions_pb2_grpc.WebSessionsServiceStub:
        return _stub(self.channel, "websessions", "WebSessionsServiceStub")  # type: ignore[no-any-return]
