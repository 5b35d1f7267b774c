"""SystemService: doctor, auth inspection, models, version and graceful shutdown."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import grpc

from gpt_image.v1 import system_pb2, system_pb2_grpc
from gpt_image_engine import __version__
from gpt_image_engine.call import call_from_proto
from gpt_image_engine.security.redaction import redact_urls
from gpt_image_engine.servicers.common import coded_unary
from gpt_image_engine.state import Engine
from gpt_image_engine.store.atomic import atomic_write_bytes
from gpt_image_protocol import __version__ as CONTRACT_VERSION
from gpt_image_protocol.jsonshape import with_result


def engine_id(data_dir: Path) -> str:
    """A stable id for this engine's data directory (written once, 0600)."""
    path = data_dir / "engine.id"
    try:
        return path.read_text().strip()
    except OSError:
        value = "e" + secrets.token_hex(6)
        atomic_write_bytes(path, (value + "\n").encode())
        return value


def stores(engine: Engine) -> dict[str, object]:
    """The store kinds clients read from GetVersion: with a shared history and a shared bucket
    any engine answers any call, so a client of several engines needs no job-owner routing."""
    history = "postgresql" if engine.paths.database_url else "sqlite"
    return {
        "history": history,
        "artifacts": engine.artifacts.kind,
        "shared": history != "sqlite" and engine.artifacts.remote,
    }


def _result(payload: object) -> system_pb2.SystemResult:
    # Configured endpoints are echoed here: a key in their userinfo or query never is.
    return with_result(system_pb2.SystemResult(), redact_urls(payload))  # type: ignore[no-any-return]


class SystemServicer(system_pb2_grpc.SystemServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.engine_id = engine_id(engine.paths.shared_dir)

    @coded_unary
    def Doctor(self, request: system_pb2.DoctorRequest, context: grpc.ServicerContext) -> system_pb2.SystemResult:
        from gpt_image_engine.system import doctor

        payload = doctor(self.engine.paths, call_from_proto(request.options), self.engine.env)
        payload.setdefault("engine", self._engine_info())
        # Where this engine keeps artifacts, and whether the bucket answers now (never a key).
        payload["artifact_store"] = self.engine.artifacts.status()
        cluster = self.engine.jobs.cluster_info()
        if cluster is not None:  # the shared queue and the engines on it
            payload["cluster"] = cluster
        return _result(payload)

    @coded_unary
    def InspectAuth(
        self, request: system_pb2.InspectAuthRequest, context: grpc.ServicerContext
    ) -> system_pb2.SystemResult:
        from gpt_image_engine.system import auth_inspect

        return _result(auth_inspect(self.engine.paths, call_from_proto(request.options), self.engine.env))

    @coded_unary
    def ListModels(
        self, request: system_pb2.ListModelsRequest, context: grpc.ServicerContext
    ) -> system_pb2.SystemResult:
        from gpt_image_engine.system import models_list

        return _result(models_list())

    @coded_unary
    def GetVersion(
        self, request: system_pb2.GetVersionRequest, context: grpc.ServicerContext
    ) -> system_pb2.SystemResult:
        return _result(self._engine_info())

    @coded_unary
    def Shutdown(self, request: system_pb2.ShutdownRequest, context: grpc.ServicerContext) -> system_pb2.SystemResult:
        self.engine.stop_requested.set()
        return _result({"stopping": True, "pid": os.getpid()})

    @coded_unary
    def ReadLogs(self, request: system_pb2.ReadLogsRequest, context: grpc.ServicerContext) -> system_pb2.SystemResult:
        from gpt_image_engine.logsetup import read_recent_logs

        return _result(read_recent_logs(self.engine.paths.log_file, request.limit or 500, request.level))

    def _engine_info(self) -> dict[str, object]:
        return {
            "version": __version__,
            "contract": CONTRACT_VERSION,
            "engine_id": self.engine_id,
            "pid": os.getpid(),
            "uptime_seconds": round(time.time() - self.engine.started_at, 3),
            "data_dir": str(self.engine.paths.shared_dir),
            "running_jobs": len(self.engine.jobs.running_jobs()),
            "stores": stores(self.engine),
        }
