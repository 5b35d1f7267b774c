"""What every servicer shares: coded-error handling for unary and streaming
calls (every request message is first checked for NaN/Infinity in its float
fields: `invalid_argument`), and the conversion of event records into
`JobEvent` messages. JSON sent to clients never holds NaN/Infinity (a non-finite
number a legacy row may hold becomes null)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import grpc

from gpt_image.v1 import common_pb2
from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.manager import TERMINAL_TYPES, LiveJob
from gpt_image_engine.state import Engine
from gpt_image_engine.store.artifacts import is_upload_id
from gpt_image_protocol.jsonshape import fill_event
from gpt_image_protocol.rpc_errors import abort
from gpt_image_protocol.validation import dumps_finite, is_repeated_field, refuse_non_finite

log = logging.getLogger("gpt_image_engine.rpc")
F = TypeVar("F", bound=Callable[..., Any])


def _already_aborted(context: grpc.ServicerContext) -> bool:
    """True when an inner handler already aborted this call with its own status
    (gRPC then raises a bare Exception that must pass through unchanged)."""
    try:
        code = context.code()  # type: ignore[attr-defined]
    except Exception:
        return False
    return code is not None and code != grpc.StatusCode.OK


def _fail(context: grpc.ServicerContext, exc: Exception, where: str) -> None:
    """End the call with a coded status: AppError as raised, anything else as internal_error."""
    if isinstance(exc, AppError):
        abort(context, exc)
    if _already_aborted(context):
        raise exc
    log.exception("unexpected error in %s", where)
    abort(context, AppError("internal_error", f"Unexpected engine error: {exc}"))


MAX_ID_CHARS = 200


def _check_request(request: Any) -> None:
    """What every request gets before its handler: no NaN/Infinity anywhere, and ids of a sane
    size (a 5,000-character job id is bad input, not an engine error)."""
    refuse_non_finite(request)
    for name in ("job_id", "artifact_id"):
        value = getattr(request, name, None)
        if isinstance(value, str) and len(value) > MAX_ID_CHARS:
            raise AppError(
                "invalid_argument",
                f"That {name.replace('_', ' ')} is not valid ({len(value)} characters; ids are at most "
                f"{MAX_ID_CHARS}).",
                {"field": name, "chars": len(value)},
            )


def upload_ids(message: Any) -> list[str]:
    """Every upload (`u-.../name`) a request names as an input `ImageSource`, at any depth."""
    found: list[str] = []
    list_fields = getattr(message, "ListFields", None)
    if list_fields is None:
        return found
    if message.DESCRIPTOR.full_name == common_pb2.ImageSource.DESCRIPTOR.full_name:
        if message.WhichOneof("source") == "artifact_id" and is_upload_id(message.artifact_id):
            found.append(message.artifact_id)
        return found
    for field, value in list_fields():
        if field.type == field.TYPE_MESSAGE:
            for item in value if is_repeated_field(field) else (value,):
                found += upload_ids(item)
    return found


def _discard_uploads(servicer: Any, request: Any) -> None:
    """A refused request's uploads go at once (they would sit in the uploads folder for a day)."""
    engine = getattr(servicer, "engine", None)
    if engine is None:
        return
    for artifact_id in upload_ids(request):
        engine.artifacts.discard_upload(artifact_id)


def coded_unary(fn: F) -> F:
    """Turn AppError (and crashes) into a gRPC status with our ErrorInfo."""

    @functools.wraps(fn)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            _check_request(request)
            return fn(self, request, context)
        except Exception as exc:
            _discard_uploads(self, request)
            _fail(context, exc, fn.__name__)
        return None

    return wrapper  # type: ignore[return-value]


def coded_stream(fn: F) -> F:
    """The same for server-streaming calls."""

    @functools.wraps(fn)
    def wrapper(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        started = False
        try:
            _check_request(request)
            for item in fn(self, request, context):
                started = True
                yield item
        except Exception as exc:
            if not started:  # refused before any job existed
                _discard_uploads(self, request)
            _fail(context, exc, fn.__name__)

    return wrapper  # type: ignore[return-value]


def dumps(value: Any) -> str:
    return dumps_finite(value, ensure_ascii=False, default=str)


def command_of(engine: Engine, job_id: str) -> str | None:
    """The command that started a job (it names the terminal event's result field)."""
    live = engine.jobs.live(job_id)
    if live is not None:
        return live.command
    try:
        return str(engine.history.get_job(job_id).get("command") or "")
    except AppError:
        return None


def to_job_event(
    job_id: str, record: dict[str, Any], command: str | None = None, engine: Engine | None = None
) -> common_pb2.JobEvent:
    """One event record as a typed JobEvent (`jsonshape.fill_event`); a terminal record's result
    goes to the member of the job's `command` (looked up on `engine` when not given)."""
    terminal = record.get("type") in TERMINAL_TYPES.values()
    if terminal and command is None and engine is not None:
        command = command_of(engine, job_id)
    return fill_event(common_pb2.JobEvent(job_id=job_id), record, terminal=terminal, command=command)


def stream_job(
    engine: Engine, job: LiveJob, context: grpc.ServicerContext, detach: bool
) -> Iterator[common_pb2.JobEvent]:
    """Stream a job's events to this caller. If the caller goes away before the
    end and did not ask to detach, the job is cancelled."""
    gone = threading.Event()

    def on_done() -> None:
        gone.set()
        job.wake()
        if not detach and not job.finished:
            job.cancel()

    context.add_callback(on_done)
    for record in engine.jobs.watch(job.job_id, 0, stop=gone, poll=30.0):
        yield to_job_event(job.job_id, record, job.command)
