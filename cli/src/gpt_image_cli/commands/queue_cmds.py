"""`queue status` and `queue set-parallel N`: the engine's job queue."""

from __future__ import annotations

from typing import Any

import click

from gpt_image.v1 import jobs_pb2, jobs_pb2_grpc
from gpt_image_cli.context import CliState, state
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import jobs_list

MIN_PARALLEL = 1
MAX_PARALLEL = 32


def _queue(st: CliState) -> jobs_pb2_grpc.QueueServiceStub:
    return st.engine().queue


def _status(reply: jobs_pb2.QueueStatus) -> dict[str, Any]:
    return {
        "max_parallel": reply.max_parallel,
        "running": reply.running,
        "queued": reply.queued,
        "running_job_ids": list(reply.running_job_ids),
        "queued_job_ids": list(reply.queued_job_ids),
    }


@click.group("queue")
def queue() -> None:
    """The engine's job queue: what runs, what waits, how many at once."""


@queue.command("status")
def queue_status() -> None:
    """Running and queued jobs and the parallelism limit."""
    st = state()
    payload = _status(_queue(st).GetQueue(jobs_pb2.GetQueueRequest()))
    if not st.as_json and (payload["running"] or payload["queued"]):
        # The table names each job's prompt, provider, age and output; the envelope stays as it was.
        reply = st.list_jobs(limit=200, cursor="", status="active", query="")
        payload["jobs"] = jobs_list(reply.jobs)
    st.done("queue status", payload)


@queue.command("set-parallel")
@click.argument("max_parallel", type=int)
def queue_set_parallel(max_parallel: int) -> None:
    """Run up to N jobs at once (1-32); kept in config.json as queue.max_parallel."""
    if not MIN_PARALLEL <= max_parallel <= MAX_PARALLEL:
        raise AppError(
            "invalid_argument",
            f"max_parallel must be between {MIN_PARALLEL} and {MAX_PARALLEL}.",
            {"min": MIN_PARALLEL, "max": MAX_PARALLEL, "value": max_parallel},
        )
    st = state()
    st.done(
        "queue set-parallel", _status(_queue(st).SetParallel(jobs_pb2.SetParallelRequest(max_parallel=max_parallel)))
    )


COMMANDS = [queue]
