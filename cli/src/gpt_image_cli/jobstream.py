"""Following one job's event stream to its end, as every work command does.

Each event is rendered as it arrives (JSONL or a progress bar). The terminal
event decides the outcome: a coded error becomes an AppError, success gives
the engine's payload. Ctrl-C or SIGTERM cancels the RPC (so the engine cancels
the job) unless the call is detached; `--detach` returns after the first event.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol

from gpt_image.v1 import common_pb2
from gpt_image_cli.context import CliState
from gpt_image_cli.render import EventRenderer
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.jsonshape import error_of, has_result, result_of, state


class EventCall(Protocol):
    """A server-streaming gRPC call: iterable and cancellable."""

    def __iter__(self) -> Iterator[common_pb2.JobEvent]: ...

    def cancel(self) -> bool: ...


@dataclass
class Finished:
    """A job that reached its terminal event."""

    event: common_pb2.JobEvent
    payload: dict[str, Any]
    count: int

    @property
    def artifacts(self) -> list[common_pb2.ArtifactRef]:
        return list(self.event.artifacts)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def follow(state: CliState, command: str, start: Callable[[], EventCall], *, detach: bool = False) -> Finished | None:
    """Stream a job's events; None when detached (the envelope is already printed)."""
    renderer = EventRenderer(json_events=state.flags.json_events)
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main else None
    call: EventCall | None = None
    job_id = ""
    terminal: common_pb2.JobEvent | None = None
    try:
        call = start()
        for event in call:
            renderer(event)
            job_id = job_id or event.job_id
            if detach:
                renderer.finish()
                state.done(command, {"job_id": event.job_id})
                call.cancel()
                return None
            if event.terminal:
                terminal = event
                break
    except KeyboardInterrupt:
        if call is not None and not detach:
            call.cancel()
        raise AppError("job_cancelled", "Interrupted; the job was cancelled.", {"job_id": job_id or None}) from None
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        renderer.finish()
    if terminal is None:
        raise AppError(
            "engine_unavailable", "The engine's event stream ended before the job finished.", {"job_id": job_id or None}
        )
    return _finished(terminal, renderer.count)


def _finished(terminal: common_pb2.JobEvent, count: int) -> Finished:
    error = error_of(terminal)
    status = state(terminal)
    if status in ("failed", "cancelled") or (error is not None and not has_result(terminal)):
        if error is None:
            error = {
                "code": "job_cancelled" if status == "cancelled" else "internal_error",
                "message": f"The job ended with status {status or 'unknown'}.",
            }
        raise AppError(error["code"], error["message"], error.get("detail"))
    payload = result_of(terminal) or {}
    payload["events"] = {"count": count}
    return Finished(event=terminal, payload=payload, count=count)
