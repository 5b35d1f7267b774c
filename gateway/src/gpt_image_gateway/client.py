"""The gateway's handle on the engine: one gRPC channel, the stubs, and plain-dict methods.

Every method turns a gRPC failure into the engine's `AppError` (code, message,
detail), so views never see grpc. The gateway never starts an engine: when none
answers, calls fail fast with `engine_unavailable` and a background monitor keeps
probing, opening a fresh channel each time the engine is down so reconnection is
not held back by gRPC's growing backoff.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import IO, Any

import grpc

from gpt_image.v1 import (
    artifacts_pb2,
    artifacts_pb2_grpc,
    common_pb2,
    config_pb2,
    config_pb2_grpc,
    images_pb2,
    images_pb2_grpc,
    jobs_pb2,
    jobs_pb2_grpc,
    system_pb2,
    system_pb2_grpc,
    transparent_pb2,
    transparent_pb2_grpc,
)
from gpt_image_protocol.address import EngineAddress, resolve_address
from gpt_image_protocol.channel import CHUNK_SIZE, open_channel
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.events import loads_or_empty
from gpt_image_protocol.health import is_serving
from gpt_image_protocol.rpc_errors import from_rpc_error

UNARY_TIMEOUT = 30.0
START_TIMEOUT = 60.0  # a work RPC answers with job.queued right after validation and uploads


def _json(text: str) -> Any:
    return loads_or_empty(text)


class EngineClient:
    """Plain-Python facade over the engine's services, shared by all request threads."""

    def __init__(self, address: EngineAddress | None = None, *, monitor_interval: float = 1.0) -> None:
        self.address = address or resolve_address(None)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.up: bool | None = None
        self._open()
        self._monitor_interval = monitor_interval
        self._monitor = threading.Thread(target=self._watch_health, name="engine-monitor", daemon=True)
        self._monitor.start()

    # --- channel lifecycle

    def _open(self) -> None:
        channel = open_channel(self.address)
        with self._lock:
            old = getattr(self, "channel", None)
            self.channel = channel
            self.system = system_pb2_grpc.SystemServiceStub(channel)
            self.config = config_pb2_grpc.ConfigServiceStub(channel)
            self.secrets = config_pb2_grpc.SecretsServiceStub(channel)
            self.jobs = jobs_pb2_grpc.JobsServiceStub(channel)
            self.queue = jobs_pb2_grpc.QueueServiceStub(channel)
            self.images = images_pb2_grpc.ImagesServiceStub(channel)
            self.transparent = transparent_pb2_grpc.TransparentServiceStub(channel)
            self.artifacts = artifacts_pb2_grpc.ArtifactsServiceStub(channel)
        if old is not None:
            # Calls still running on the old channel keep it alive until they end.
            threading.Timer(600.0, old.close).start()

    def _watch_health(self) -> None:
        while not self._closed.is_set():
            serving = is_serving(self.channel, timeout=1.0)
            if not serving and not self._closed.is_set():
                self._open()  # a fresh channel connects at once instead of after a backoff
            self.up = serving
            self._closed.wait(self._monitor_interval if serving else min(self._monitor_interval, 0.5))

    def close(self) -> None:
        self._closed.set()
        self.channel.close()

    def healthy(self) -> bool:
        return is_serving(self.channel, timeout=1.0)

    # --- helpers

    @staticmethod
    def _call(fn: Any, request: Any, timeout: float = UNARY_TIMEOUT) -> Any:
        try:
            return fn(request, timeout=timeout)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc

    # --- system

    def version(self) -> dict[str, Any]:
        reply = self._call(self.system.GetVersion, system_pb2.GetVersionRequest(), timeout=5)
        result: dict[str, Any] = _json(reply.result_json)
        return result

    # --- config and secrets

    def config_call(self, method: str, **fields: Any) -> Any:
        request_type = getattr(config_pb2, f"{method}Request")
        reply = self._call(getattr(self.config, method), request_type(**fields))
        return _json(reply.result_json)

    def secrets_call(self, method: str, **fields: Any) -> Any:
        request_type = getattr(config_pb2, f"{method}Request")
        reply = self._call(getattr(self.secrets, method), request_type(**fields))
        return _json(reply.result_json)

    # --- jobs

    def list_jobs(self, *, limit: int, cursor: str, status: str, query: str) -> jobs_pb2.ListJobsResponse:
        reply: jobs_pb2.ListJobsResponse = self._call(
            self.jobs.ListJobs,
            jobs_pb2.ListJobsRequest(page_size=limit, page_token=cursor, status=status, query=query),
        )
        return reply

    def get_job(self, job_id: str, *, include_events: bool = False) -> jobs_pb2.GetJobResponse:
        return self._call(self.jobs.GetJob, jobs_pb2.GetJobRequest(job_id=job_id, include_events=include_events))

    def cancel_job(self, job_id: str) -> jobs_pb2.CancelJobResponse:
        return self._call(self.jobs.CancelJob, jobs_pb2.CancelJobRequest(job_id=job_id))

    def delete_job(self, job_id: str) -> jobs_pb2.DeleteJobResponse:
        return self._call(self.jobs.DeleteJob, jobs_pb2.DeleteJobRequest(job_id=job_id))

    def get_recovery(self, job_id: str) -> Any:
        reply = self._call(self.jobs.GetRecovery, jobs_pb2.GetRecoveryRequest(job_id=job_id))
        return _json(reply.recovery_json)

    def get_queue(self) -> jobs_pb2.QueueStatus:
        reply: jobs_pb2.QueueStatus = self._call(self.queue.GetQueue, jobs_pb2.GetQueueRequest())
        return reply

    def set_parallel(self, max_parallel: int) -> jobs_pb2.QueueStatus:
        reply: jobs_pb2.QueueStatus = self._call(
            self.queue.SetParallel, jobs_pb2.SetParallelRequest(max_parallel=max_parallel)
        )
        return reply

    def watch_job(self, job_id: str, after_seq: int = 0) -> Any:
        """The raw WatchJob call (an iterator with `.cancel()`); errors surface while iterating."""
        return self.jobs.WatchJob(jobs_pb2.WatchJobRequest(job_id=job_id, after_seq=after_seq))

    # --- work

    def start(self, service: str, method: str, request: Any) -> common_pb2.JobEvent:
        """Start detached work and return its first event (job.queued); the job keeps running."""
        first = self.first_event(service, method, request)
        if first is None:
            raise AppError("internal_error", "The engine ended the call without an event.")
        return first

    def first_event(self, service: str, method: str, request: Any) -> common_pb2.JobEvent | None:
        """The first event of a streaming call (None when it ends without one); the call is then dropped."""
        stub = getattr(self, service)
        call = getattr(stub, method)(request, timeout=None)
        try:
            first: common_pb2.JobEvent = next(call)
        except StopIteration:
            return None
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc
        finally:
            call.cancel()  # with detach=true the engine keeps the job running
        return first

    def run(self, service: str, method: str, request: Any, timeout: float = 120.0) -> common_pb2.JobEvent:
        """Run short work to its terminal event (verify); returns that event."""
        stub = getattr(self, service)
        last: common_pb2.JobEvent | None = None
        try:
            for event in getattr(stub, method)(request, timeout=timeout):
                last = event
                if event.terminal:
                    break
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc
        if last is None or not last.terminal:
            raise AppError("internal_error", "The engine ended the call before the job finished.")
        return last

    def generate(self, request: images_pb2.GenerateImageRequest) -> common_pb2.JobEvent:
        return self.start("images", "GenerateImage", request)

    def edit(self, request: images_pb2.EditImageRequest) -> common_pb2.JobEvent:
        return self.start("images", "EditImage", request)

    def transparent_generate(self, request: transparent_pb2.GenerateTransparentRequest) -> common_pb2.JobEvent:
        return self.start("transparent", "GenerateTransparent", request)

    def transparent_extract(self, request: transparent_pb2.ExtractTransparentRequest) -> common_pb2.JobEvent:
        return self.start("transparent", "ExtractTransparent", request)

    def retry_job(self, request: jobs_pb2.RetryJobRequest) -> common_pb2.JobEvent:
        """Start the new job (detached); its first event is job.queued with the new id."""
        return self.start("jobs", "RetryJob", request)

    def resume_job(self, request: jobs_pb2.ResumeJobRequest) -> common_pb2.JobEvent | None:
        """Carry out a recovery action: continue_save and resubmit start a new job (first event
        job.queued); discard answers with the old job's last event, or nothing."""
        return self.first_event("jobs", "ResumeJob", request)

    def transparent_verify(self, request: transparent_pb2.VerifyTransparentRequest) -> common_pb2.JobEvent:
        return self.run("transparent", "VerifyTransparent", request)

    # --- artifacts

    def upload(self, name: str, mime_type: str, stream: IO[bytes], size: int) -> common_pb2.ArtifactRef:
        def parts() -> Iterator[artifacts_pb2.UploadArtifactRequest]:
            yield artifacts_pb2.UploadArtifactRequest(
                header=artifacts_pb2.ArtifactHeader(name=name, mime_type=mime_type, size_bytes=size)
            )
            while True:
                block = stream.read(CHUNK_SIZE)
                if not block:
                    return
                yield artifacts_pb2.UploadArtifactRequest(chunk=block)

        ref: common_pb2.ArtifactRef = self._call(self.artifacts.UploadArtifact, parts(), timeout=120)
        return ref

    def download(self, artifact_id: str) -> tuple[common_pb2.ArtifactRef, Iterator[bytes]]:
        """The artifact's ref (from the first chunk) and an iterator over its bytes."""
        call = self.artifacts.DownloadArtifact(artifacts_pb2.DownloadArtifactRequest(artifact_id=artifact_id))
        try:
            first = next(call)
        except StopIteration:
            raise AppError("artifact_not_found", "The artifact is empty or gone.") from None
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc

        def rest() -> Iterator[bytes]:
            try:
                if first.data:
                    yield first.data
                for chunk in call:
                    yield chunk.data
            finally:
                call.cancel()

        return first.ref, rest()


def job_json(text: str) -> Any:
    return _json(text)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
