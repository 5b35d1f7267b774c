"""Jobs and history: list, read, follow (SSE), files, cancel, delete, retry, recovery, resume.

Every job JSON served here names its files by gateway URL (`webpaths`), never by server path.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from gpt_image.v1 import common_pb2, jobs_pb2
from gpt_image_gateway.api import check_id, engine
from gpt_image_gateway.api.queue import QUEUE, queue_json
from gpt_image_gateway.client import dumps
from gpt_image_gateway.forms import call_options, choice, optional_fields
from gpt_image_gateway.openapi import BINARY, Schema, choices, component, json_body, obj, ok, operation, query
from gpt_image_gateway.sse import HEARTBEAT, event_json, sse_error, sse_message
from gpt_image_gateway.webpaths import listed_jobs, rewrite, rewrite_value, with_refs, with_request_fields
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import job_dict, jobs_list, jobs_text, ref_record, role

bp = Blueprint("jobs", __name__, url_prefix="/api")
RESUME_ACTIONS = ("continue_save", "resubmit", "discard", "fill_missing", "reupload")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
STATUSES = ("all", "active", "queued", "running", "completed", "failed", "cancelled", "partial_failed", "interrupted")
RECOVERABILITY = (
    "completed | in_progress | recoverable.local_response_cached | recoverable.never_dispatched"
    " | ambiguous.remote_maybe_accepted | terminal.provider_rejected | terminal.user_cancelled"
    " | terminal.local_recovery_unavailable"
)

JOB = component(
    "Job", {"type": "object", "description": "The upstream job JSON (id, command, provider, status, metadata, ...)."}
)
IMAGE = ok(BINARY, media="image/*")


def started_shape(**extra: Schema) -> Schema:
    """The 202 answer of `started` (every work-starting route), plus a route's own keys."""
    return obj(
        {
            "job_id": {"type": "string"},
            "job": JOB,
            "events": {"type": "array", "items": {"type": "object"}},
            "queued": {"type": "boolean"},
            "queue": QUEUE,  # the queue right after enqueueing, as the upstream answers
            **extra,
        }
    )


STARTED = started_shape()
ACTION = obj(
    {
        "id": choices(RESUME_ACTIONS),
        "label": {"type": "string"},
        "billable": {"type": "boolean", "description": "true when the action calls the provider (may be charged)"},
        "warning": {"type": "string"},
    }
)
RECOVERY = obj(
    {
        "job_id": {"type": "string"},
        "status": {"type": "string"},
        "recoverability": {"type": "string", "description": RECOVERABILITY},
        "primary_action": {"oneOf": [ACTION, {"type": "null"}]},
        "secondary_actions": {"type": "array", "items": ACTION},
        "evidence": {"type": "object"},
    }
)


def started(first: common_pb2.JobEvent, **extra: Any) -> Any:
    """The answer of every work-starting route: the job id at once, the page then follows SSE."""
    job: Any = None
    queue: Any = None
    try:
        job = web_job(engine().get_job(first.job_id).job)
        queue = queue_json(engine().get_queue(first.job_id))  # the upstream's enqueue answer carries the queue too
    except AppError:
        pass
    body = {"job_id": first.job_id, "job": job, "events": [event_json(first)], "queue": queue, "queued": True, **extra}
    response = jsonify(body)
    response.status_code = 202
    response.headers["Location"] = f"/api/jobs/{first.job_id}"
    return response


@bp.get("/jobs")
@operation(
    "Page through history, newest first.",
    tags="jobs",
    parameters=[
        query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
        query("cursor", {"type": "string"}),
        query("status", choices(STATUSES)),
        query("q", {"type": "string"}, description="Search (alias: query)."),
    ],
    responses=ok(
        obj(
            {
                "history_file": {"type": "string"},
                "jobs": {"type": "array", "items": JOB},
                "next_cursor": {"type": ["string", "null"]},
                "has_more": {"type": "boolean"},
                "total": {"type": "integer"},
            }
        )
    ),
)
def list_jobs() -> Any:
    args = request.args
    try:
        limit = int(args.get("limit") or 50)
    except ValueError:
        raise AppError("invalid_argument", "limit must be an integer.", {"field": "limit"}) from None
    if not 1 <= limit <= 200:
        raise AppError("invalid_argument", "limit must be between 1 and 200.", {"field": "limit"})
    status = (args.get("status") or "").strip().lower()
    if status and status not in STATUSES:
        raise AppError("invalid_argument", f"status must be one of {', '.join(STATUSES)}.", {"field": "status"})
    query = (args.get("q") or args.get("query") or "").strip()
    page = engine().list_jobs(limit=limit, cursor=args.get("cursor") or "", status=status, query=query)
    head = dumps(
        {
            "history_file": page.history_file,
            "next_cursor": page.next_page_token or None,
            "has_more": page.has_more,
            "total": page.total,
        }
    )
    # The jobs array is written once as text and spliced in (paths rewritten on the text) rather than
    # encoded, parsed and encoded again.
    return Response(f'{head[:-1]},"jobs":{listed_jobs(rewrite(jobs_text(page)))}}}', mimetype="application/json")


def web_job(job: jobs_pb2.Job) -> Any:
    """One engine job as the browser sees it: file URLs instead of server paths."""
    return rewrite_value(job_dict(job))


@bp.get("/jobs/active")
@operation("Queued, running and uploading jobs: {history_file, jobs}.", tags="jobs")
def active_jobs() -> Any:
    """Queued, running and uploading jobs (the app merges them into every list it polls)."""
    page = engine().list_jobs(limit=200, cursor="", status="active", query="")
    head = dumps({"history_file": page.history_file})
    return Response(f'{head[:-1]},"jobs":{listed_jobs(rewrite(jobs_text(page)))}}}', mimetype="application/json")


@bp.get("/jobs/interrupted")
@operation("Recovery descriptors of jobs a stopped engine left failed: {jobs: [descriptor]}.", tags="jobs")
def interrupted_jobs() -> Any:
    """Recovery descriptors of the jobs a stopped engine left failed (first page, as upstream)."""
    client = engine()
    page = client.list_jobs(limit=100, cursor="", status="interrupted", query="")
    jobs = [job for job in jobs_list(page.jobs) if isinstance(job, dict) and job.get("id")]
    return jsonify({"jobs": [client.get_recovery(str(job["id"])) for job in jobs]})


@bp.get("/jobs/<job_id>")
@operation("A job with its events and file list.", tags="jobs")
def get_job(job_id: str) -> Any:
    reply = engine().get_job(check_id(job_id), include_events=True)
    refs = [a.index for a in reply.artifacts if role(a) == "ref"]
    return jsonify(
        {
            "history_file": reply.history_file,
            "job": with_request_fields(with_refs(web_job(reply.job), refs)),
            "events": [event_json(e) for e in reply.events],
            "artifacts": [ref_record(a) for a in reply.artifacts],
        }
    )


def _after_seq() -> int:
    raw = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    try:
        value = int(raw.strip())
    except ValueError:
        raise AppError("invalid_argument", "Last-Event-ID must be an event seq.", {"value": raw[:40]}) from None
    if value < 0:
        raise AppError("invalid_argument", "Last-Event-ID must not be negative.")
    return value


@bp.get("/jobs/<job_id>/events")
@operation(
    "Server-Sent Events: each message's id is the event seq; replays after Last-Event-ID, then live,"
    " ending with the terminal event.",
    tags="jobs",
    parameters=[
        {"name": "Last-Event-ID", "in": "header", "schema": {"type": "integer"}},
        query("after", {"type": "integer"}),
    ],
    responses=ok({"type": "string"}, media="text/event-stream"),
)
def job_events(job_id: str) -> Any:
    check_id(job_id)
    after = _after_seq()
    engine().get_job(job_id)  # unknown job -> 404 before the stream starts
    hub = current_app.extensions["watch_hub"]

    def stream() -> Any:
        # Bytes, one message per chunk: waitress writes each straight to the socket.
        yield b"retry: 2000\n\n"
        for item in hub.follow(job_id, after):
            if item is HEARTBEAT:
                yield b": keepalive\n\n"
            elif isinstance(item, AppError):
                yield sse_error(item).encode()
            else:
                yield sse_message(item).encode()

    response = Response(stream(), mimetype="text/event-stream", direct_passthrough=True)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _artifact(job_id: str, roles: tuple[str, ...], index: int) -> common_pb2.ArtifactRef:
    reply = engine().get_job(check_id(job_id))
    for ref in reply.artifacts:
        if role(ref) in roles and ref.index == index:
            return ref
    raise AppError(
        "artifact_not_found", f"Job {job_id} has no {roles[0]} file {index}.", {"job_id": job_id, "index": index}
    )


def _send(job_id: str, roles: tuple[str, ...], index: int) -> Any:
    ref = _artifact(job_id, roles, index)
    return _stream(ref.artifact_id, job_id, ref.name or f"{roles[0]}-{index}", ref.mime_type)


def _stream(artifact_id: str, job_id: str, fallback_name: str, fallback_mime: str = "") -> Any:
    meta, chunks = engine().download(artifact_id, job_id)
    name = (meta.name or fallback_name).replace('"', "")
    response = Response(
        chunks, mimetype=meta.mime_type or fallback_mime or "application/octet-stream", direct_passthrough=True
    )
    disposition = "attachment" if request.args.get("download") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    if meta.size_bytes:
        response.headers["Content-Length"] = str(meta.size_bytes)
    if meta.sha256:
        response.headers["ETag"] = f'"{meta.sha256}"'
    return response


def _no_file(raw: str) -> AppError:
    return AppError("artifact_not_found", "No such file among this server's job files.", {"path": raw[:300]})


@bp.get("/files")
@operation(
    "A job image named by its server path; only <jobs_dir>/<job id>/<image> is served (else 404).",
    tags="files",
    parameters=[query("path", {"type": "string"}, required=True)],
    responses=IMAGE,
)
def file_by_path() -> Any:
    """A job file named by its server path (the app's fallback for paths it cannot show directly).

    Only `<jobs_dir>/<job id>/<file name>` is served, and through the engine's artifact stream,
    so `..`, other folders, links out of the job folders and NUL all end as 404."""
    raw = request.args.get("path") or ""
    if not raw or "\x00" in raw or len(raw) > 4096 or not raw.startswith("/"):
        raise _no_file(raw)
    jobs_dir = str(engine().config_call("GetConfigPaths").get("jobs_dir") or "").rstrip("/")
    if not jobs_dir or not raw.startswith(jobs_dir + "/"):
        raise _no_file(raw)
    parts = raw[len(jobs_dir) + 1 :].split("/")
    if len(parts) != 2 or any(p in ("", ".", "..") for p in parts):
        raise _no_file(raw)
    job_id, name = parts
    if not name.lower().endswith(IMAGE_SUFFIXES):  # images only: not the spooled responses or request notes
        raise _no_file(raw)
    try:
        check_id(job_id)
        check_id(name, "file name")
        return _stream(f"{job_id}/{name}", job_id, name)
    except AppError as err:
        if err.code in ("invalid_argument", "history_not_found", "artifact_not_found"):
            raise _no_file(raw) from None
        raise


@bp.get("/jobs/<job_id>/outputs/<int:index>")
@operation("Output image `index` (0-based).", tags="files", responses=IMAGE)
def job_output(job_id: str, index: int) -> Any:
    return _send(job_id, ("output",), index)


@bp.get("/jobs/<job_id>/partials/<int:index>")
@operation("Partial preview `index`.", tags="files", responses=IMAGE)
def job_partial(job_id: str, index: int) -> Any:
    return _send(job_id, ("partial",), index)


@bp.get("/jobs/<job_id>/sources/<int:index>")
@operation("Matte source image `index` (transparent generate).", tags="files", responses=IMAGE)
def job_source(job_id: str, index: int) -> Any:
    return _send(job_id, ("source",), index)


@bp.get("/jobs/<job_id>/refs/<int:index>")
@operation("Reference image `index`, when the engine kept it.", tags="files", responses=IMAGE)
def job_ref(job_id: str, index: int) -> Any:
    return _send(job_id, ("ref", "upload", "input"), index)  # input: a transparent extract's upload


@bp.post("/jobs/<job_id>/cancel")
@operation("Cancel a queued or running job.", tags="jobs")
def cancel_job(job_id: str) -> Any:
    reply = engine().cancel_job(check_id(job_id))
    return jsonify(
        {
            "job_id": job_id,
            "job": web_job(reply.job),
            "cancelled": reply.cancelled,
            "canceled": reply.cancelled,
        }
    )


@bp.delete("/jobs/<job_id>")
@operation("Delete a finished job and its files (409 while it runs).", tags="jobs")
def delete_job(job_id: str) -> Any:
    reply = engine().delete_job(check_id(job_id))
    return jsonify({"ok": True, "command": "history delete", "job_id": reply.job_id, "deleted": reply.deleted})


@bp.post("/jobs/<job_id>/retry")
@operation(
    "Run a finished job's request again as a new job (same inputs; provider may change); 202 with the new job id.",
    tags="jobs",
    body=json_body({"provider": {"type": "string"}}),
    responses=ok(started_shape(retried_from={"type": "string"}), status="202"),
)
def retry_job(job_id: str) -> Any:
    """Run a finished job's request again as a new job (same inputs; `provider` may change)."""
    check_id(job_id)
    body = optional_fields()
    first = engine().retry_job(jobs_pb2.RetryJobRequest(job_id=job_id, options=call_options(body), detach=True))
    return started(first, retried_from=job_id)


@bp.get("/jobs/<job_id>/recovery")
@operation(
    "What can be done for a failed or interrupted job: recoverability, actions (billable or not) and evidence.",
    tags="jobs",
    responses=ok(RECOVERY),
)
def job_recovery(job_id: str) -> Any:
    return jsonify(engine().get_recovery(check_id(job_id)))


@bp.post("/jobs/<job_id>/resume")
@operation(
    "Carry out a recovery action: continue_save, resubmit or fill_missing start a new job (202);"
    " discard marks the job discarded and reupload records its storage status (200).",
    tags="jobs",
    body=json_body({"action": choices(RESUME_ACTIONS), "provider": {"type": "string"}}),
    responses={
        **ok(started_shape(resumed_from={"type": "string"}, action={"type": "string"}), status="202"),
        **ok(obj({"job_id": {"type": "string"}, "action": {"type": "string"}, "job": JOB})),
    },
)
def resume_job(job_id: str) -> Any:
    """A recovery action: continue_save / resubmit / fill_missing start a new job (202);
    discard and reupload answer 200 with the job and the event they recorded."""
    check_id(job_id)
    body = optional_fields()
    action = choice(body, "action", RESUME_ACTIONS)
    if not action:
        raise AppError(
            "invalid_argument", f"action is required: one of {', '.join(RESUME_ACTIONS)}.", {"field": "action"}
        )
    client = engine()
    first = client.resume_job(
        jobs_pb2.ResumeJobRequest(job_id=job_id, action=action, options=call_options(body), detach=True)
    )
    if action not in ("discard", "reupload") and first is not None and first.job_id != job_id:
        return started(first, resumed_from=job_id, action=action)
    reply = client.get_job(job_id)
    body = {
        "job_id": job_id,
        "action": action,
        "job": web_job(reply.job),
        "events": [event_json(first)] if first is not None else [],
    }
    if action == "reupload":
        body["recovered"] = True
    return jsonify(body)
