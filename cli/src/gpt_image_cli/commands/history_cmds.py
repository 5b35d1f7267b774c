"""`history list|show|delete|open-output` and `jobs watch|cancel|list|retry|resume|recovery`:
the engine's job records, and what can be done with a job that did not finish."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from gpt_image.v1 import jobs_pb2
from gpt_image_cli.commands.images_cmds import finish_images
from gpt_image_cli.context import CliState, state
from gpt_image_cli.jobstream import Finished, follow
from gpt_image_cli.validate import check_out_dir
from gpt_image_protocol.events import event_record
from gpt_image_protocol.jsonshape import job_or_none, recovery_of, role
from gpt_image_protocol.jsonshape import jobs_list as job_dicts

STATUSES = ["all", "active", "queued", "running", "completed", "failed", "cancelled"]


def _list_jobs(st: CliState, *, limit: int, cursor: str, status: str, query: str) -> dict[str, Any]:
    reply = st.list_jobs(limit=limit, cursor=cursor, status=status, query=query)
    return {
        "jobs": job_dicts(reply.jobs),
        "next_cursor": reply.next_page_token or None,
        "has_more": reply.has_more,
        "total": reply.total,
        "history_file": reply.history_file,
    }


def _get_job(st: CliState, job_id: str, *, events: bool = False) -> tuple[dict[str, Any], jobs_pb2.GetJobResponse]:
    reply = st.engine_for_job(job_id).jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id, include_events=events))
    return job_or_none(reply) or {}, reply


@click.group("history")
def history() -> None:
    """Past and running jobs recorded by the engine."""


@history.command("list")
@click.option("--limit", type=click.IntRange(1, 200), default=100, show_default=True)
@click.option("--cursor", default="", help="next_cursor of a previous page.")
@click.option("--status", type=click.Choice(STATUSES), default="all", show_default=True)
@click.option("--query", default="", help="Search id, command, provider and metadata.")
def history_list(limit: int, cursor: str, status: str, query: str) -> None:
    """One page of jobs, newest first."""
    st = state()
    st.done("history list", _list_jobs(st, limit=limit, cursor=cursor, status=status, query=query))


@history.command("show")
@click.argument("job_id")
@click.option("--events", "with_events", is_flag=True, help="Include the job's event log.")
def history_show(job_id: str, with_events: bool) -> None:
    """One job."""
    st = state()
    with_events = with_events or not st.as_json  # the terminal card always lists the events
    job, reply = _get_job(st, job_id, events=with_events)
    payload: dict[str, Any] = {"job": job, "opened": False}
    if with_events:
        payload["events"] = [event_record(e) for e in reply.events]
    st.done("history show", payload)


@history.command("delete")
@click.argument("job_id")
def history_delete(job_id: str) -> None:
    """Delete a job's record (a running job is refused)."""
    st = state()
    reply = st.engine_for_job(job_id).jobs.DeleteJob(jobs_pb2.DeleteJobRequest(job_id=job_id))
    st.done("history delete", {"job_id": reply.job_id or job_id, "deleted": reply.deleted})


def _open(path: Path) -> bool:
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    if shutil.which(opener) is None:
        return False
    try:
        result = subprocess.run(
            [opener, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


@history.command("open-output")
@click.argument("job_id")
def history_open_output(job_id: str) -> None:
    """Open a job's output with the desktop opener (only on a terminal, only a local file)."""
    st = state()
    job, _ = _get_job(st, job_id)
    path_text = job.get("output_path")
    opened = False
    if path_text and sys.stdout.isatty() and Path(path_text).is_file():
        opened = _open(Path(path_text))
    st.done("history show", {"job": job, "opened": opened})


@click.group("jobs")
def jobs() -> None:
    """Live jobs: watch, cancel, list, retry, resume, recovery."""


@jobs.command("watch")
@click.argument("job_id")
@click.option("--after-seq", type=click.IntRange(min=0), default=0, help="Replay only events after this seq.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Save the job's outputs here when it completes (default: the job's own --out, if it had one).",
)
def jobs_watch(job_id: str, after_seq: int, out: Path | None) -> None:
    """Re-attach to a job: replay its events and follow it to the end."""
    st = state()
    engine = st.engine_for_job(job_id)
    if out is None:
        # A job started with `--out X --detach` keeps X: the engine recorded it, the watch writes it.
        job, _ = _get_job(st, job_id)
        meta = job.get("metadata") if isinstance(job.get("metadata"), dict) else {}
        recorded = meta.get("client_out") if isinstance(meta, dict) else None
        out = Path(recorded) if isinstance(recorded, str) and recorded else None
    if out is not None:
        check_out_dir(out)
    request = jobs_pb2.WatchJobRequest(job_id=job_id, after_seq=after_seq)
    done = follow(st, "jobs watch", lambda: engine.jobs.WatchJob(request))
    assert done is not None
    _finish_job(st, "jobs watch", done, out)


def _finish_job(st: CliState, command: str, done: Finished, out: Path | None) -> None:
    """Save outputs to --out like `images generate`; without it, report the engine's copies."""
    if out is not None:
        finish_images(st, command, done, out, partial_images=0)
        return
    payload = dict(done.payload)
    payload.setdefault("job_id", done.event.job_id)
    payload["artifacts"] = [
        {
            "artifact_id": a.artifact_id,
            "name": a.name,
            "role": role(a),
            "index": a.index,
            "mime_type": a.mime_type,
            "bytes": a.size_bytes,
        }
        for a in done.artifacts
    ]
    st.done(command, payload)


@jobs.command("cancel")
@click.argument("job_id")
def jobs_cancel(job_id: str) -> None:
    """Cancel a queued or running job."""
    st = state()
    reply = st.engine_for_job(job_id).jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job_id))
    st.done("jobs cancel", {"job": job_or_none(reply), "cancelled": reply.cancelled})


@jobs.command("list")
@click.option("--active", is_flag=True, help="Only queued and running jobs.")
@click.option("--limit", type=click.IntRange(1, 200), default=100, show_default=True)
@click.option("--cursor", default="")
def jobs_list(active: bool, limit: int, cursor: str) -> None:
    """Jobs (all, or only active ones)."""
    st = state()
    st.done("jobs list", _list_jobs(st, limit=limit, cursor=cursor, status="active" if active else "all", query=""))


_OUT = click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Save the new job's outputs here (upstream naming, atomic), like `images generate --out`.",
)
_DETACH = click.option("--detach", is_flag=True, help="Print the new job's id once queued and leave it running.")


@jobs.command("retry")
@click.argument("job_id")
@_OUT
@_DETACH
def jobs_retry(job_id: str, out: Path | None, detach: bool) -> None:
    """Run a finished job's request again as a new job (same inputs, this call's credentials)."""
    st = state()
    engine = st.engine_for_job(job_id)
    request = jobs_pb2.RetryJobRequest(job_id=job_id, options=st.call_options(), detach=detach)
    done = follow(st, "jobs retry", lambda: engine.jobs.RetryJob(request), detach=detach)
    if done is not None:
        _finish_job(st, "jobs retry", done, out)


RESUME_ACTIONS = ["continue_save", "resubmit", "discard", "reupload"]


@jobs.command("resume")
@click.argument("job_id")
@click.option("--action", type=click.Choice(RESUME_ACTIONS), required=True, help="See `jobs recovery ID`.")
@_OUT
@_DETACH
def jobs_resume(job_id: str, action: str, out: Path | None, detach: bool) -> None:
    """Carry out a recovery action: continue_save (no provider call), resubmit (a new, billable job),
    reupload (send outputs whose storage upload failed again) or discard."""
    st = state()
    engine = st.engine_for_job(job_id)
    request = jobs_pb2.ResumeJobRequest(job_id=job_id, action=action, options=st.call_options(), detach=detach)
    if action == "discard":
        # Nothing runs: the engine answers with the record of the discard, not a job stream.
        events = [event_record(e) for e in engine.jobs.ResumeJob(request)]
        job, _ = _get_job(st, job_id)
        st.done(
            "jobs resume",
            {"job_id": job_id, "action": action, "status": job.get("status"), "job": job, "events": events},
        )
        return
    done = follow(st, "jobs resume", lambda: engine.jobs.ResumeJob(request), detach=detach)
    if done is not None:
        done.payload.setdefault("resumed_from", job_id)
        done.payload.setdefault("action", action)
        _finish_job(st, "jobs resume", done, out)


@jobs.command("recovery")
@click.argument("job_id")
def jobs_recovery(job_id: str) -> None:
    """What can be done for a failed or interrupted job, with the evidence on disk."""
    st = state()
    reply = st.engine_for_job(job_id).jobs.GetRecovery(jobs_pb2.GetRecoveryRequest(job_id=job_id))
    st.done("jobs recovery", recovery_of(reply))


COMMANDS = [history, jobs]
