"""JobsService: read, page, watch, cancel and delete jobs (history is the source of truth)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from gpt_image.v1 import common_pb2, jobs_pb2, jobs_pb2_grpc

from gpt_image_engine.errors import AppError
from gpt_image_engine.servicers.common import coded_stream, coded_unary, dumps, to_job_event
from gpt_image_engine.state import Engine


class JobsServicer(jobs_pb2_grpc.JobsServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_unary
    def GetJob(self, request: jobs_pb2.GetJobRequest, context: grpc.ServicerContext) -> jobs_pb2.GetJobResponse:
        job = self.engine.history.get_job(request.job_id)
        reply = jobs_pb2.GetJobResponse(job_json=dumps(job), history_file=str(self.engine.paths.history_file))
        if request.include_events:
            for record in self.engine.history.events(request.job_id):
                reply.events.append(to_job_event(request.job_id, record))
        for ref in (job.get("metadata") or {}).get("artifacts") or []:
            reply.artifacts.add(**ref)
        return reply

    @coded_unary
    def ListJobs(self, request: jobs_pb2.ListJobsRequest, context: grpc.ServicerContext) -> jobs_pb2.ListJobsResponse:
        page = self.engine.history.list_jobs(
            limit=request.page_size or 100,
            cursor=request.page_token or None,
            status=request.status or None,
            query=request.query or None,
        )
        return jobs_pb2.ListJobsResponse(
            jobs_json=dumps(page["jobs"]),
            next_page_token=page.get("next_cursor") or "",
            has_more=bool(page.get("has_more")),
            total=int(page.get("total") or 0),
            history_file=str(self.engine.paths.history_file),
        )

    @coded_stream
    def WatchJob(self, request: jobs_pb2.WatchJobRequest, context: grpc.ServicerContext) -> Iterator[common_pb2.JobEvent]:
        import threading

        gone = threading.Event()
        context.add_callback(gone.set)
        for record in self.engine.jobs.watch(request.job_id, request.after_seq, stop=gone):
            yield to_job_event(request.job_id, record)

    @coded_unary
    def CancelJob(self, request: jobs_pb2.CancelJobRequest, context: grpc.ServicerContext) -> jobs_pb2.CancelJobResponse:
        cancelled = self.engine.jobs.cancel(request.job_id)
        job = self.engine.history.get_job(request.job_id)
        return jobs_pb2.CancelJobResponse(job_json=dumps(job), cancelled=cancelled)

    @coded_unary
    def DeleteJob(self, request: jobs_pb2.DeleteJobRequest, context: grpc.ServicerContext) -> jobs_pb2.DeleteJobResponse:
        live = self.engine.jobs.live(request.job_id)
        if live is not None and not live.finished:
            raise AppError("job_running", "The job is still running; cancel it first.", {"job_id": request.job_id})
        deleted = self.engine.history.delete_job(request.job_id)
        import shutil

        job_dir = self.engine.paths.jobs_dir / request.job_id
        if job_dir.parent == self.engine.paths.jobs_dir and job_dir.is_dir():
            shutil.rmtree(job_dir, ignore_errors=True)
        return jobs_pb2.DeleteJobResponse(job_id=request.job_id, deleted=deleted)
