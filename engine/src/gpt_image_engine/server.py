"""Builds the gRPC server: every v1 servicer, standard health checking and reflection.

Servicers are thin: they turn messages into domain calls and domain results
into messages. The server listens on a Unix socket created with mode 0600.
"""

from __future__ import annotations

import os
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from gpt_image.v1 import (
    artifacts_pb2,
    artifacts_pb2_grpc,
    config_pb2,
    config_pb2_grpc,
    images_pb2,
    images_pb2_grpc,
    jobs_pb2,
    jobs_pb2_grpc,
    requests_pb2,
    requests_pb2_grpc,
    system_pb2,
    system_pb2_grpc,
    transparent_pb2,
    transparent_pb2_grpc,
)
from gpt_image_engine.state import Engine

SERVICE_NAMES = [
    artifacts_pb2.DESCRIPTOR.services_by_name["ArtifactsService"].full_name,
    config_pb2.DESCRIPTOR.services_by_name["ConfigService"].full_name,
    config_pb2.DESCRIPTOR.services_by_name["SecretsService"].full_name,
    images_pb2.DESCRIPTOR.services_by_name["ImagesService"].full_name,
    jobs_pb2.DESCRIPTOR.services_by_name["JobsService"].full_name,
    jobs_pb2.DESCRIPTOR.services_by_name["QueueService"].full_name,
    requests_pb2.DESCRIPTOR.services_by_name["RequestsService"].full_name,
    system_pb2.DESCRIPTOR.services_by_name["SystemService"].full_name,
    transparent_pb2.DESCRIPTOR.services_by_name["TransparentService"].full_name,
]


class EngineServer:
    def __init__(self, engine: Engine, max_workers: int = 32) -> None:
        self.engine = engine
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rpc"),
            options=[("grpc.so_reuseport", 0)],
        )
        self.health = health.HealthServicer()
        self._register()

    def _register(self) -> None:
        from gpt_image_engine.servicers.artifacts import ArtifactsServicer
        from gpt_image_engine.servicers.config import ConfigServicer, SecretsServicer
        from gpt_image_engine.servicers.images import ImagesServicer
        from gpt_image_engine.servicers.jobs import JobsServicer, QueueServicer
        from gpt_image_engine.servicers.requests import RequestsServicer
        from gpt_image_engine.servicers.system import SystemServicer
        from gpt_image_engine.servicers.transparent import TransparentServicer

        e = self.engine
        images, requests_ = ImagesServicer(e), RequestsServicer(e)
        transparent = TransparentServicer(e)
        e.handlers.update(
            GenerateImage=images.GenerateImage,
            EditImage=images.EditImage,
            CreateRequest=requests_.CreateRequest,
            GenerateTransparent=transparent.GenerateTransparent,
            ExtractTransparent=transparent.ExtractTransparent,
            VerifyTransparent=transparent.VerifyTransparent,
        )
        e.request_types.update(
            GenerateImage=images_pb2.GenerateImageRequest,
            EditImage=images_pb2.EditImageRequest,
            CreateRequest=requests_pb2.CreateRequestRequest,
            GenerateTransparent=transparent_pb2.GenerateTransparentRequest,
            ExtractTransparent=transparent_pb2.ExtractTransparentRequest,
            VerifyTransparent=transparent_pb2.VerifyTransparentRequest,
        )
        artifacts_pb2_grpc.add_ArtifactsServiceServicer_to_server(ArtifactsServicer(e), self.server)
        config_pb2_grpc.add_ConfigServiceServicer_to_server(ConfigServicer(e), self.server)
        config_pb2_grpc.add_SecretsServiceServicer_to_server(SecretsServicer(e), self.server)
        images_pb2_grpc.add_ImagesServiceServicer_to_server(images, self.server)
        jobs_pb2_grpc.add_JobsServiceServicer_to_server(JobsServicer(e), self.server)
        requests_pb2_grpc.add_RequestsServiceServicer_to_server(requests_, self.server)
        system_pb2_grpc.add_SystemServiceServicer_to_server(SystemServicer(e), self.server)
        transparent_pb2_grpc.add_TransparentServiceServicer_to_server(transparent, self.server)
        jobs_pb2_grpc.add_QueueServiceServicer_to_server(QueueServicer(e), self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            self.server,
        )

    def bind_unix(self, socket_path: Path) -> None:
        socket_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        old = os.umask(0o177)
        try:
            if self.server.add_insecure_port(f"unix://{socket_path}") == 0:
                raise OSError(f"cannot bind unix socket {socket_path}")
            self.server.start()
        finally:
            os.umask(old)
        os.chmod(socket_path, 0o600)

    def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        self.health.set("", status)
        for name in SERVICE_NAMES:
            self.health.set(name, status)

    def stop(self, grace: float) -> None:
        self.set_serving(False)
        self.server.stop(grace).wait()
