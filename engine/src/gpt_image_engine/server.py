"""Builds the gRPC server: every v1 servicer, standard health checking and reflection.

Servicers turn messages into typed specs and domain calls, and results into
messages; the use cases live in `tasks/`. The server listens on a Unix socket created with mode 0600
and, when asked, on TCP (`bind_tcp`: TLS or loopback plaintext) behind the
token interceptor. Keepalive and max-connection-age are server-wide: the
engine pings idle peers so half-open connections die, accepts the clients'
30 s pings, and ends each connection after `max_connection_age` with a grace
long enough for a running WatchJob stream, so load balancers can rebalance.
"""

from __future__ import annotations

import os
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    outputs_pb2,
    outputs_pb2_grpc,
    requests_pb2,
    requests_pb2_grpc,
    system_pb2,
    system_pb2_grpc,
    transparent_pb2,
    transparent_pb2_grpc,
    websessions_pb2,
    websessions_pb2_grpc,
)
from gpt_image_engine.interceptors import CallerInterceptor, TokenAuthInterceptor
from gpt_image_engine.security.auth import TokenCheck
from gpt_image_engine.state import Engine

SERVICE_NAMES = [
    artifacts_pb2.DESCRIPTOR.services_by_name["ArtifactsService"].full_name,
    config_pb2.DESCRIPTOR.services_by_name["ConfigService"].full_name,
    config_pb2.DESCRIPTOR.services_by_name["SecretsService"].full_name,
    images_pb2.DESCRIPTOR.services_by_name["ImagesService"].full_name,
    jobs_pb2.DESCRIPTOR.services_by_name["JobsService"].full_name,
    jobs_pb2.DESCRIPTOR.services_by_name["QueueService"].full_name,
    outputs_pb2.DESCRIPTOR.services_by_name["OutputsService"].full_name,
    requests_pb2.DESCRIPTOR.services_by_name["RequestsService"].full_name,
    system_pb2.DESCRIPTOR.services_by_name["SystemService"].full_name,
    transparent_pb2.DESCRIPTOR.services_by_name["TransparentService"].full_name,
    websessions_pb2.DESCRIPTOR.services_by_name["WebSessionsService"].full_name,
]


@dataclass(frozen=True)
class ConnectionPolicy:
    """Keepalive and connection-age settings (seconds)."""

    keepalive_time: float = 60.0  # ping a silent peer after this long
    keepalive_timeout: float = 20.0  # drop it if the ping is not acked in time
    min_client_ping_interval: float = 10.0  # clients ping every 30 s; faster is abuse
    max_connection_age: float = 30 * 60.0  # then GOAWAY, so a balancer can move the client
    max_connection_age_grace: float = 15 * 60.0  # open streams (a WatchJob) may finish meanwhile

    def options(self) -> list[tuple[str, Any]]:
        ms = lambda seconds: max(1, int(seconds * 1000))  # noqa: E731
        return [
            ("grpc.keepalive_time_ms", ms(self.keepalive_time)),
            ("grpc.keepalive_timeout_ms", ms(self.keepalive_timeout)),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_pings_without_data", 0),
            ("grpc.http2.min_recv_ping_interval_without_data_ms", ms(self.min_client_ping_interval)),
            ("grpc.http2.max_ping_strikes", 2),
            ("grpc.max_connection_age_ms", ms(self.max_connection_age)),
            ("grpc.max_connection_age_grace_ms", ms(self.max_connection_age_grace)),
        ]


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path
    client_ca: Path | None = None  # set: clients must present a certificate it signed (mTLS)

    def credentials(self) -> grpc.ServerCredentials:
        from gpt_image_protocol.errors import AppError

        try:
            cert, key = self.cert.read_bytes(), self.key.read_bytes()
            client_ca = self.client_ca.read_bytes() if self.client_ca else None
        except OSError as exc:
            raise AppError("engine_credentials_invalid", f"Cannot read a TLS file: {exc}") from exc
        return grpc.ssl_server_credentials(
            [(key, cert)], root_certificates=client_ca, require_client_auth=client_ca is not None
        )


class EngineServer:
    def __init__(
        self,
        engine: Engine,
        max_workers: int = 256,
        *,
        token: str | None = None,
        policy: ConnectionPolicy | None = None,
    ) -> None:
        self.engine = engine
        interceptors: list[grpc.ServerInterceptor] = [TokenAuthInterceptor(TokenCheck(token))] if token else []
        interceptors.append(CallerInterceptor())
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rpc"),
            interceptors=interceptors,
            options=[("grpc.so_reuseport", 0), *(policy or ConnectionPolicy()).options()],
        )
        self.has_token = bool(token)
        self.health = health.HealthServicer()
        # grpcio-health-checking starts "" as SERVING; the engine is not until `set_serving(True)`
        # (after start-up work such as the preload), so a client waiting for SERVING waits for that.
        self.health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        self._started = False
        self._register()

    def _register(self) -> None:
        from gpt_image_engine.servicers.artifacts import ArtifactsServicer
        from gpt_image_engine.servicers.config import ConfigServicer, SecretsServicer
        from gpt_image_engine.servicers.images import ImagesServicer
        from gpt_image_engine.servicers.jobs import JobsServicer, QueueServicer
        from gpt_image_engine.servicers.outputs import OutputsServicer
        from gpt_image_engine.servicers.requests import RequestsServicer
        from gpt_image_engine.servicers.system import SystemServicer
        from gpt_image_engine.servicers.transparent import TransparentServicer
        from gpt_image_engine.servicers.websessions import WebSessionsServicer
        from gpt_image_engine.tasks.run import work_from_stored

        e = self.engine
        # A cluster engine runs jobs other engines accepted from their stored spec.
        e.jobs.rebuild = lambda stored: work_from_stored(e, stored)
        artifacts_pb2_grpc.add_ArtifactsServiceServicer_to_server(ArtifactsServicer(e), self.server)
        config_pb2_grpc.add_ConfigServiceServicer_to_server(ConfigServicer(e), self.server)
        config_pb2_grpc.add_SecretsServiceServicer_to_server(SecretsServicer(e), self.server)
        outputs_pb2_grpc.add_OutputsServiceServicer_to_server(OutputsServicer(e), self.server)
        images_pb2_grpc.add_ImagesServiceServicer_to_server(ImagesServicer(e), self.server)
        jobs_pb2_grpc.add_JobsServiceServicer_to_server(JobsServicer(e), self.server)
        requests_pb2_grpc.add_RequestsServiceServicer_to_server(RequestsServicer(e), self.server)
        system_pb2_grpc.add_SystemServiceServicer_to_server(SystemServicer(e), self.server)
        transparent_pb2_grpc.add_TransparentServiceServicer_to_server(TransparentServicer(e), self.server)
        jobs_pb2_grpc.add_QueueServiceServicer_to_server(QueueServicer(e), self.server)
        websessions_pb2_grpc.add_WebSessionsServiceServicer_to_server(WebSessionsServicer(e), self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            self.server,
        )

    def bind_unix(self, socket_path: Path, *, start: bool = True) -> None:
        socket_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        old = os.umask(0o177)
        try:
            if self.server.add_insecure_port(f"unix://{socket_path}") == 0:
                raise OSError(f"cannot bind unix socket {socket_path}")
            if start:
                self.start()
        finally:
            os.umask(old)
        os.chmod(socket_path, 0o600)

    def bind_tcp(self, host: str, port: int, tls: TlsFiles | None) -> int:
        """Add a TCP listener (before `start`); returns the bound port. Needs a token."""
        if not self.has_token:
            from gpt_image_protocol.errors import AppError

            raise AppError("engine_listen_refused", "A TCP listener needs a bearer token.", {"host": host})
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        bound = self.server.add_secure_port(target, tls.credentials()) if tls else self.server.add_insecure_port(target)
        if bound == 0:
            raise OSError(f"cannot listen on {target}")
        return int(bound)

    def start(self) -> None:
        if not self._started:
            self.server.start()
            self._started = True

    def bind_health(self, host: str, port: int) -> int:
        """A plaintext listener that serves grpc.health.v1 only (kubelet `grpc:` probes speak no TLS).

        It shares the health servicer, so it says SERVING exactly when the engine does,
        and exposes nothing else: no token is needed because nothing else is there."""
        self._health_server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="health"),
            options=[("grpc.so_reuseport", 0)],
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._health_server)
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        bound = self._health_server.add_insecure_port(target)
        if bound == 0:
            raise OSError(f"cannot listen on {target}")
        self._health_server.start()
        return int(bound)

    def set_serving(self, serving: bool) -> None:
        """Every service's status, the whole server's ("") last when it starts serving and first
        when it stops: a client that waited for "" SERVING finds each service SERVING too."""
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        names = [*SERVICE_NAMES, ""] if serving else ["", *SERVICE_NAMES]
        for name in names:
            self.health.set(name, status)

    def stop(self, grace: float) -> None:
        self.set_serving(False)
        self.server.stop(grace).wait()
        health_server = getattr(self, "_health_server", None)
        if health_server is not None:
            health_server.stop(0).wait()
