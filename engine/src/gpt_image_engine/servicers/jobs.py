"""JobsService: read, page, watch, cancel and delete jobs (history is the source of truth)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

import grpc

from gpt_image.v1 import common_pb2, jobs_pb2, jobs_pb2_grpc
from gpt_image_engine.call import call_from_proto
from gpt_image_engine.errors import AppError
from gpt_image_engine.servicers import to_spec
from gpt_image_engine.servicers.common import coded_stream, coded_unary, stream_job, to_job_event
from gpt_image_engine.state import Engine
from gpt_image_engine.store.artifacts import MIME_BY_EXT
from gpt_image_engine.store.config import load_config, queue_max_parallel, save_queue_max_parallel
from gpt_image_engine.store.history import summarise_job
from gpt_image_engine.tasks import lifecycle
from gpt_image_protocol.jsonshape import fill_job, fill_recovery, fill_ref, job_message, jobs_reply

# One job in a GetJob reply: its JSON stays well under gRPC's 4 MiB message limit.
_JOB_REPLY_BYTES = 3 * 1024 * 1024

_INPUT_ROLES = (
    ("ref-", "ref"),
    ("mask", "mask"),
    ("input", "input"),
    ("dark", "dark"),
    ("light", "light"),
    ("partial-", "partial"),
)


def input_artifacts(job_id: str, files: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Inputs kept with the job (`ref-<i>`, `mask`, …) and partial previews, as artifact refs;
    `files` is the store's (name, size) list for the job."""
    refs = []
    for name, size in sorted(files):
        path = PurePosixPath(name)
        if path.suffix.lower() not in MIME_BY_EXT or name.startswith("."):
            continue
        for prefix, role in _INPUT_ROLES:
            if path.stem == prefix or path.stem.startswith(prefix):
                tail = path.stem[len(prefix) :]
                index = int(tail) - (1 if role == "partial" else 0) if tail.isdigit() else 0
                refs.append(
                    {
                        "artifact_id": f"{job_id}/{name}",
                        "name": name,
                        "mime_type": MIME_BY_EXT[path.suffix.lower()],
                        "size_bytes": size,
                        "index": index,
                        "role": role,
                    }
                )
                break
    return refs


class JobsServicer(jobs_pb2_grpc.JobsServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_unary
    def GetJob(self, request: jobs_pb2.GetJobRequest, context: grpc.ServicerContext) -> jobs_pb2.GetJobResponse:
        job = self.engine.history.get_job(request.job_id)
        reply = jobs_pb2.GetJobResponse(history_file=self.engine.history.location)
        fill_job(reply.job, job)
        size = reply.job.ByteSize()
        if size > _JOB_REPLY_BYTES:  # a legacy row too big for one gRPC message
            reply.job.Clear()
            fill_job(reply.job, summarise_job(job, size))
        if request.include_events:
            command = str(job.get("command") or "")
            for record in self.engine.history.events(request.job_id):
                reply.events.append(to_job_event(request.job_id, record, command))
        known = set()
        for ref in (job.get("metadata") or {}).get("artifacts") or []:
            fill_ref(reply.artifacts.add(), ref)
            known.add(ref.get("artifact_id"))
        for ref in input_artifacts(request.job_id, self.engine.artifacts.job_files(request.job_id)):
            if ref["artifact_id"] not in known:
                fill_ref(reply.artifacts.add(), ref)
        return reply

    @coded_unary
    def ListJobs(self, request: jobs_pb2.ListJobsRequest, context: grpc.ServicerContext) -> jobs_pb2.ListJobsResponse:
        page = self.engine.history.list_jobs(
            limit=request.page_size or 100,
            cursor=request.page_token or None,
            status=request.status or None,
            query=request.query or None,
        )
        return jobs_reply(
            page["jobs"],
            next_page_token=page.get("next_cursor") or "",
            has_more=bool(page.get("has_more")),
            total=int(page.get("total") or 0),
            history_file=self.engine.history.location,
        )

    @coded_stream
    def WatchJob(
        self, request: jobs_pb2.WatchJobRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        import threading

        gone = threading.Event()
        context.add_callback(gone.set)
        for record in self.engine.jobs.watch(request.job_id, request.after_seq, stop=gone):
            yield to_job_event(request.job_id, record, engine=self.engine)

    @coded_unary
    def CancelJob(
        self, request: jobs_pb2.CancelJobRequest, context: grpc.ServicerContext
    ) -> jobs_pb2.CancelJobResponse:
        cancelled = self.engine.jobs.cancel(request.job_id)
        job = self.engine.history.get_job(request.job_id)
        return jobs_pb2.CancelJobResponse(job=job_message(job), cancelled=cancelled)

    @coded_unary
    def DeleteJob(
        self, request: jobs_pb2.DeleteJobRequest, context: grpc.ServicerContext
    ) -> jobs_pb2.DeleteJobResponse:
        deleted = lifecycle.delete(self.engine, request.job_id)
        return jobs_pb2.DeleteJobResponse(job_id=request.job_id, deleted=deleted)

    @coded_stream
    def RetryJob(
        self, request: jobs_pb2.RetryJobRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        done = lifecycle.retry(self.engine, request.job_id, call_from_proto(request.options), to_spec.legacy_spec)
        yield from self._follow(request.job_id, done, request.detach, context)

    @coded_unary
    def GetRecovery(
        self, request: jobs_pb2.GetRecoveryRequest, context: grpc.ServicerContext
    ) -> jobs_pb2.GetRecoveryResponse:
        from gpt_image_engine.jobs.recovery import describe

        job = self.engine.history.get_job(request.job_id)
        events = self.engine.history.events(request.job_id)
        descriptor = describe(job, self.engine.artifacts.job_dir(request.job_id), events)
        return fill_recovery(jobs_pb2.GetRecoveryResponse(), descriptor)

    @coded_stream
    def ResumeJob(
        self, request: jobs_pb2.ResumeJobRequest, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        done = lifecycle.resume(
            self.engine, request.job_id, request.action, call_from_proto(request.options), to_spec.legacy_spec
        )
        yield from self._follow(request.job_id, done, request.detach, context)

    def _follow(
        self, job_id: str, done: lifecycle.Resumed, detach: bool, context: grpc.ServicerContext
    ) -> Iterator[common_pb2.JobEvent]:
        """The new job's events, or the records of what was done to `job_id`."""
        if done.live is not None:
            yield from stream_job(self.engine, done.live, context, detach and done.detachable)
        for record in done.records:
            yield to_job_event(job_id, record, engine=self.engine)


class QueueServicer(jobs_pb2_grpc.QueueServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # A max_parallel set earlier (`queue set-parallel` or config.json `queue.max_parallel`) wins.
        try:
            persisted = queue_max_parallel(load_config(engine.paths.config_file))
        except AppError:
            persisted = None  # a broken config.json is reported by the config commands, not here
        if persisted is not None:
            engine.jobs.set_parallel(persisted)

    @coded_unary
    def GetQueue(self, request: jobs_pb2.GetQueueRequest, context: grpc.ServicerContext) -> jobs_pb2.QueueStatus:
        return jobs_pb2.QueueStatus(**self.engine.jobs.queue_status())

    @coded_unary
    def SetParallel(self, request: jobs_pb2.SetParallelRequest, context: grpc.ServicerContext) -> jobs_pb2.QueueStatus:
        value = request.max_parallel
        if not 1 <= value <= 32:
            raise AppError("invalid_argument", "max_parallel must be between 1 and 32.", {"min": 1, "max": 32})
        save_queue_max_parallel(self.engine.paths.config_file, value)  # persist first: a config error changes nothing
        self.engine.jobs.set_parallel(value)
        return jobs_pb2.QueueStatus(**self.engine.jobs.queue_status())
