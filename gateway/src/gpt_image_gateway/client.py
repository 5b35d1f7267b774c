"""The gateway's handle on the engine(s): a channel per engine, the stubs, and plain-dict methods.

Every method turns a gRPC failure into the engine's `AppError` (code, message,
detail), so views never see grpc. The gateway never starts an engine: when none
answers, calls fail fast with `engine_unavailable` and a background monitor keeps
probing, opening a fresh channel each time an engine is down so reconnection is
not held back by gRPC's growing backoff.

Given several engines (`h1:p,h2:p` or `dns:///name:p`) the client keeps one
channel per engine (`gpt_image_protocol.routing.EngineRouter`): new work goes to
the next serving engine in turn, and every call that names a job goes to the
engine that owns it (the one that started it here, else the one whose GetJob
knows it). A request that uploads files and then starts work uses `pinned()`,
so the uploads and the job meet on one engine. The job list merges the
engines' pages. All of that is skipped when every engine reports shared stores
(GetVersion's `stores.shared`: one PostgreSQL history, one bucket): then each
call goes to the next serving engine and the list is any engine's.

Each time an engine comes up (startup, reconnect) its GetVersion is checked
with `check_contract`; while an engine speaks another contract every `/api`
call answers 502 `engine_incompatible` (see `api.engine()`).
"""

from __future__ import annotations

import copy
import json
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import replace
from typing import IO, Any

import grpc

from gpt_image.v1 import (
    artifacts_pb2,
    common_pb2,
    config_pb2,
    images_pb2,
    jobs_pb2,
    outputs_pb2,
    system_pb2,
    transparent_pb2,
    websessions_pb2,
)
from gpt_image_protocol.address import EngineAddress, resolve_address
from gpt_image_protocol.channel import ClientSettings, check_contract
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.health import is_serving
from gpt_image_protocol.jsonshape import payload, recovery_of
from gpt_image_protocol.routing import EngineRouter, router_settings
from gpt_image_protocol.rpc_errors import from_rpc_error
from gpt_image_protocol.stubs import EngineStubs
from gpt_image_protocol.uploads import upload_requests

UNARY_TIMEOUT = 30.0
DNS_REFRESH_S = 30.0  # a dns:/// address is resolved again this often (engines come and go)
CONTRACT_RECHECK_S = 30.0  # GetVersion again this often even when the engine never looked down
START_TIMEOUT = 60.0  # a work RPC answers with job.queued right after validation and uploads


class _Stubs(EngineStubs):
    """One engine's channel and service stubs."""

    def __init__(self, member: EngineAddress, channel: grpc.Channel) -> None:
        super().__init__(channel)
        self.member = member


class EngineClient:
    """Plain-Python facade over the engines' services, shared by all request threads."""

    def __init__(
        self,
        address: EngineAddress | None = None,
        *,
        monitor_interval: float = 1.0,
        settings: ClientSettings | None = None,
    ) -> None:
        self.address = address or resolve_address(None)
        # Every call is marked as the gateway's: the engine then applies its rules for remote callers.
        self.router = EngineRouter(self.address, replace(router_settings(self.address, settings), via="gateway"))
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._streams_lock = threading.Lock()
        self._streams: weakref.WeakSet[Any] = weakref.WeakSet()
        self._pin: EngineAddress | None = None
        self._stubs: dict[str, _Stubs] = {}
        self._up: dict[str, bool | None] = {str(m): None for m in self.members}
        self._incompatible: dict[str, AppError] = {}
        self._checked_at: dict[str, float] = {}
        self._shared: dict[str, bool] = {}  # engine -> whether it reports a shared history and bucket
        self.up: bool | None = None
        for member in self.members:  # check the contract once before serving the first request
            if is_serving(self._on(member).channel, timeout=1.0):
                self._up[str(member)] = True
                self._check_contract(member)
        self._monitor_interval = monitor_interval
        self._monitor = threading.Thread(target=self._watch_health, name="engine-monitor", daemon=True)
        self._monitor.start()

    @property
    def members(self) -> list[EngineAddress]:
        return self.router.members

    def _on(self, member: EngineAddress) -> _Stubs:
        """The stubs of one engine (made on first use: a dns name may add engines)."""
        stubs = self._stubs.get(str(member))
        if stubs is None:
            stubs = self._stubs[str(member)] = _Stubs(member, self.router.channel(member))
        return stubs

    # --- channel lifecycle

    def _open(self, member: EngineAddress) -> None:
        # Calls still running on the old channel keep it alive until they end.
        self._stubs[str(member)] = _Stubs(member, self.router.reopen(member))

    def _check_contract(self, member: EngineAddress) -> None:
        """Compare the engine's contract with ours; remember an incompatible engine until it changes."""
        self._checked_at[str(member)] = time.monotonic()
        try:
            reply = self._on(member).system.GetVersion(system_pb2.GetVersionRequest(), timeout=5)
        except grpc.RpcError:
            return  # unreachable or refusing our token: the calls themselves will say so
        info = payload(reply)
        stores = info.get("stores") if isinstance(info, dict) else None
        self._shared[str(member)] = bool(isinstance(stores, dict) and stores.get("shared"))
        try:
            check_contract(info if isinstance(info, dict) else {})
        except AppError as err:
            err.detail = {**(err.detail or {}), "engine": str(member)}
            self._incompatible[str(member)] = err
            return
        self._incompatible.pop(str(member), None)

    def _refresh_members(self) -> None:
        """Re-resolve a dns address; forget what is known about engines that left."""
        try:
            changed = self.router.refresh()
        except AppError:
            return  # the name does not resolve right now: keep the engines we have
        if changed:
            names = {str(m) for m in self.members}
            for table in (self._stubs, self._up, self._incompatible, self._checked_at, self._shared):
                for name in [n for n in table if n not in names]:
                    table.pop(name, None)

    def _watch_health(self) -> None:
        resolved_at = time.monotonic()
        while not self._closed.is_set():
            if self.address.is_dns and time.monotonic() - resolved_at > DNS_REFRESH_S:
                resolved_at = time.monotonic()
                self._refresh_members()
            for member in self.members:
                if self._closed.is_set():
                    return
                serving = is_serving(self._on(member).channel, timeout=1.0)
                if not serving and not self._closed.is_set():
                    self._open(member)  # a fresh channel connects at once instead of after a backoff
                elif serving and (
                    self._up.get(str(member)) is not True
                    or str(member) in self._incompatible
                    or time.monotonic() - self._checked_at.get(str(member), 0.0) > CONTRACT_RECHECK_S
                ):
                    # (Re)connected, still incompatible, or a while since: an engine restarted quicker than
                    # the monitor could see may be another version now.
                    self._check_contract(member)
                self._up[str(member)] = serving
            ups = [self._up.get(str(m)) for m in self.members]
            self.up = any(ups)
            all_up = all(ups)
            self._closed.wait(self._monitor_interval if all_up else min(self._monitor_interval, 0.5))

    def close(self) -> None:
        # Streams are cancelled and new ones refused before the channels close: gRPC crashes the
        # process (SIGSEGV) when a call is started on a channel another thread is closing.
        with self._streams_lock:
            self._closed.set()
            streams, self._streams = list(self._streams), weakref.WeakSet()
        for call in streams:
            call.cancel()
        with self._streams_lock:
            self.router.close()

    def healthy(self) -> bool:
        """Whether some engine answers SERVING."""
        return any(is_serving(self._on(m).channel, timeout=1.0) for m in self.members)

    def incompatible(self) -> AppError | None:
        """The `engine_incompatible` error of an engine that speaks another contract, if any."""
        errors = list(self._incompatible.values())
        return errors[0] if errors else None

    # --- routing

    @property
    def shared(self) -> bool:
        """Several engines on one history database and one bucket: any engine answers any call, so
        no pinning, no owner lookup and one engine's job list (merging would repeat every job)."""
        known = [self._shared.get(str(m)) for m in self.members]
        return self.router.is_multi and bool(known) and all(known)

    def pinned(self) -> EngineClient:
        """A view of this client whose new work and uploads all go to one engine."""
        if self._pin is not None or not self.router.is_multi or self.shared:
            return self
        view = copy.copy(self)
        view._pin = self.router.pick(lambda m: self._up.get(str(m)))
        return view

    def _any(self) -> _Stubs:
        """The engine for a call that names no job: the pinned one, else the next serving one."""
        member = self._pin or self.router.pick(lambda m: self._up.get(str(m)))
        return self._on(member)

    def _owner(self, job_id: str) -> _Stubs:
        """The engine that owns `job_id` (with shared stores: any serving engine)."""
        if self.shared:
            return self._any()
        try:
            member = self.router.owner(job_id)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc
        return self._on(member)

    def engine_of(self, job_id: str) -> str:
        return str(self._owner(job_id).member)

    # --- helpers

    @staticmethod
    def _call(fn: Any, request: Any, timeout: float = UNARY_TIMEOUT) -> Any:
        try:
            return fn(request, timeout=timeout)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc

    # --- system

    def version(self) -> dict[str, Any]:
        reply = self._call(self._any().system.GetVersion, system_pb2.GetVersionRequest(), timeout=5)
        return payload(reply)

    def read_logs(self, limit: int, level: str) -> Any:
        reply = self._call(self._any().system.ReadLogs, system_pb2.ReadLogsRequest(limit=limit, level=level))
        return payload(reply)

    def system_call(self, method: str) -> Any:
        """A read-only SystemService call (InspectAuth, Doctor, ListModels) as plain JSON."""
        request_type = getattr(system_pb2, f"{method}Request")
        reply = self._call(getattr(self._any().system, method), request_type())
        return payload(reply)

    # --- config and secrets

    def config_call(self, method: str, **fields: Any) -> Any:
        request_type = getattr(config_pb2, f"{method}Request")
        reply = self._call(getattr(self._any().config, method), request_type(**fields))
        return payload(reply)

    def secrets_call(self, method: str, **fields: Any) -> Any:
        request_type = getattr(config_pb2, f"{method}Request")
        reply = self._call(getattr(self._any().secrets, method), request_type(**fields))
        return payload(reply)

    # --- storage, notifications, proxy

    def outputs_reply(self, method: str, timeout: float = 120.0, **fields: Any) -> Any:
        """A typed OutputsService reply (tests wait on real uploads and deliveries)."""
        request_type = getattr(outputs_pb2, f"{method}Request")
        return self._call(getattr(self._any().outputs, method), request_type(**fields), timeout=timeout)

    def outputs_call(self, method: str, **fields: Any) -> Any:
        return payload(self.outputs_reply(method, **fields))

    # --- signed-out web sessions

    def _session_engines(self) -> list[_Stubs]:
        """One engine when they share a history (the list is in it), else every engine: each
        keeps its own list, so a sign-out is recorded on all and a session is asked of all."""
        if self.shared or not self.router.is_multi:
            return [self._any()]
        return [self._on(m) for m in self.members]

    def revoke_web_session(self, session_id: str, expires_at: int) -> None:
        request = websessions_pb2.RevokeWebSessionRequest(session_id=session_id, expires_at=expires_at)
        for stubs in self._session_engines():
            self._call(stubs.web_sessions.RevokeWebSession, request, timeout=10)

    def web_session_revoked(self, session_id: str) -> bool:
        request = websessions_pb2.CheckWebSessionRequest(session_id=session_id)
        return any(
            self._call(stubs.web_sessions.CheckWebSession, request, timeout=10).revoked
            for stubs in self._session_engines()
        )

    # --- jobs

    def list_jobs(self, *, limit: int, cursor: str, status: str, query: str) -> jobs_pb2.ListJobsResponse:
        """One page, newest first; of several engines, their pages merged (the cursor combines theirs),
        unless they share one history: then any engine's page is the whole list."""
        if self.shared:
            request = jobs_pb2.ListJobsRequest(page_size=limit, page_token=cursor, status=status, query=query)
            reply: jobs_pb2.ListJobsResponse = self._call(self._any().jobs.ListJobs, request)
            return reply
        try:
            return self.router.list_jobs(limit=limit, cursor=cursor, status=status, query=query, timeout=UNARY_TIMEOUT)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc

    def get_job(self, job_id: str, *, include_events: bool = False) -> jobs_pb2.GetJobResponse:
        return self._call(
            self._owner(job_id).jobs.GetJob, jobs_pb2.GetJobRequest(job_id=job_id, include_events=include_events)
        )

    def cancel_job(self, job_id: str) -> jobs_pb2.CancelJobResponse:
        return self._call(self._owner(job_id).jobs.CancelJob, jobs_pb2.CancelJobRequest(job_id=job_id))

    def delete_job(self, job_id: str) -> jobs_pb2.DeleteJobResponse:
        return self._call(self._owner(job_id).jobs.DeleteJob, jobs_pb2.DeleteJobRequest(job_id=job_id))

    def get_recovery(self, job_id: str) -> Any:
        reply = self._call(self._owner(job_id).jobs.GetRecovery, jobs_pb2.GetRecoveryRequest(job_id=job_id))
        return recovery_of(reply)

    def get_queue(self, job_id: str = "") -> jobs_pb2.QueueStatus:
        """The queue of the engine that owns `job_id` (it runs that job), else of any engine."""
        stubs = self._owner(job_id) if job_id else self._any()
        reply: jobs_pb2.QueueStatus = self._call(stubs.queue.GetQueue, jobs_pb2.GetQueueRequest())
        return reply

    def set_parallel(self, max_parallel: int) -> jobs_pb2.QueueStatus:
        reply: jobs_pb2.QueueStatus = self._call(
            self._any().queue.SetParallel, jobs_pb2.SetParallelRequest(max_parallel=max_parallel)
        )
        return reply

    def watch_job(self, job_id: str, after_seq: int = 0) -> Any:
        """The raw WatchJob call (an iterator with `.cancel()`); errors surface while iterating."""
        stubs = self._owner(job_id)
        with self._streams_lock:
            if self._closed.is_set():
                raise AppError("engine_unavailable", "The gateway is shutting down.")
            call = stubs.jobs.WatchJob(jobs_pb2.WatchJobRequest(job_id=job_id, after_seq=after_seq))
            self._streams.add(call)
        return call

    # --- work

    def start(self, service: str, method: str, request: Any, job_id: str = "") -> common_pb2.JobEvent:
        """Start detached work and return its first event (job.queued); the job keeps running.
        With `job_id` (retry, resume) it runs on the engine that owns that job."""
        first = self.first_event(service, method, request, job_id)
        if first is None:
            raise AppError("internal_error", "The engine ended the call without an event.")
        return first

    def first_event(self, service: str, method: str, request: Any, job_id: str = "") -> common_pb2.JobEvent | None:
        """The first event of a streaming call (None when it ends without one); the call is then dropped."""
        target = self._owner(job_id) if job_id else self._any()
        call = getattr(getattr(target, service), method)(request, timeout=None)
        try:
            first: common_pb2.JobEvent = next(call)
        except StopIteration:
            return None
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc
        finally:
            call.cancel()  # with detach=true the engine keeps the job running
        self.router.remember(first.job_id, target.member)
        return first

    def run(self, service: str, method: str, request: Any, timeout: float = 120.0) -> common_pb2.JobEvent:
        """Run short work to its terminal event (verify); returns that event."""
        target = self._any()
        last: common_pb2.JobEvent | None = None
        try:
            for event in getattr(getattr(target, service), method)(request, timeout=timeout):
                last = event
                if event.terminal:
                    break
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from exc
        if last is None or not last.terminal:
            raise AppError("internal_error", "The engine ended the call before the job finished.")
        self.router.remember(last.job_id, target.member)
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
        return self.start("jobs", "RetryJob", request, request.job_id)

    def resume_job(self, request: jobs_pb2.ResumeJobRequest) -> common_pb2.JobEvent | None:
        """Carry out a recovery action: continue_save and resubmit start a new job (first event
        job.queued); discard answers with the old job's last event, or nothing."""
        return self.first_event("jobs", "ResumeJob", request, request.job_id)

    def transparent_verify(self, request: transparent_pb2.VerifyTransparentRequest) -> common_pb2.JobEvent:
        return self.run("transparent", "VerifyTransparent", request)

    # --- artifacts

    def upload(self, name: str, mime_type: str, stream: IO[bytes], size: int) -> common_pb2.ArtifactRef:
        parts = upload_requests(name, mime_type, stream, size)
        ref: common_pb2.ArtifactRef = self._call(self._any().artifacts.UploadArtifact, parts, timeout=120)
        return ref

    def download(self, artifact_id: str, job_id: str = "") -> tuple[common_pb2.ArtifactRef, Iterator[bytes]]:
        """The artifact's ref (from the first chunk) and an iterator over its bytes (from `job_id`'s engine)."""
        target = self._owner(job_id) if job_id else self._any()
        call = target.artifacts.DownloadArtifact(artifacts_pb2.DownloadArtifactRequest(artifact_id=artifact_id))
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


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
