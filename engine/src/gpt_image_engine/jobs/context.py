"""What a running job's work sees of the job machinery: `JobContext`.

Tasks receive a context and use only this surface: emit events, check for
cancellation, find the job folder. Providers see less (`providers.base.ProviderContext`:
no job folder, a `spool` instead). The job manager supplies the real implementation;
tests may use `RecordingContext`, which is both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from gpt_image_engine.errors import AppError


class CancelEvent(threading.Event):
    """A job's cancel flag that also calls back what cannot poll it (a blocked HTTP read:
    `providers.transport.send_cancellable`). Callbacks run once, on the thread that cancels."""

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: list[Callable[[], None]] = []
        self._callbacks_lock = threading.Lock()

    def set(self) -> None:
        super().set()
        with self._callbacks_lock:
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def add_callback(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` when the job is cancelled (at once if it already is); returns the
        function that takes it back."""
        with self._callbacks_lock:
            if not self.is_set():
                self._callbacks.append(callback)
                return lambda: self._remove(callback)
        callback()
        return lambda: None

    def _remove(self, callback: Callable[[], None]) -> None:
        with self._callbacks_lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)


class JobContext(Protocol):
    job_id: str
    job_dir: Path

    @property
    def cancel_event(self) -> threading.Event:
        """Set when the job is cancelled (a `CancelEvent` also calls back; see that class)."""
        ...

    def emit(self, kind: str, type_: str, data: dict[str, Any]) -> int:
        """Record one event (redacted, persisted, fanned out). Returns its seq."""
        ...

    def progress(
        self,
        provider: str,
        phase: str,
        status: str,
        message: str,
        percent: int | None = None,
        **extra: Any,
    ) -> int:
        """Emit an upstream-shaped progress event: kind "progress", type = phase,
        data {provider, phase, status, message, percent?, **extra}."""
        ...

    def check_cancelled(self) -> None:
        """Raise AppError("job_cancelled") once the job has been cancelled."""
        ...


class RecordingContext:
    """A plain in-memory JobContext for unit tests of domain code."""

    def __init__(self, job_dir: Path, job_id: str = "job-test") -> None:
        self.job_id = job_id
        self.job_dir = job_dir
        self.cancel_event = CancelEvent()
        self.events: list[dict[str, Any]] = []
        self.partial_images: list[tuple[int, int]] = []  # (index, bytes) of each preview

    def emit(self, kind: str, type_: str, data: dict[str, Any]) -> int:
        from gpt_image_engine.security.redaction import redact

        self.events.append({"seq": len(self.events) + 1, "kind": kind, "type": type_, "data": redact(data)})
        return len(self.events)

    def progress(
        self,
        provider: str,
        phase: str,
        status: str,
        message: str,
        percent: int | None = None,
        **extra: Any,
    ) -> int:
        return self.emit("progress", phase, progress_data(provider, phase, status, message, percent, **extra))

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise AppError("job_cancelled", "The job was cancelled.")

    def on_partial_image(self, index: int, data: bytes) -> None:
        self.partial_images.append((index, len(data)))

    def spool(self, chunks: Iterable[bytes]) -> Path | bytes | None:
        from gpt_image_engine.jobs.spool import spool_chunks

        return spool_chunks(self.job_dir, chunks)


def progress_data(
    provider: str, phase: str, status: str, message: str, percent: int | None = None, **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {"provider": provider, "phase": phase, "status": status, "message": message}
    if percent is not None:
        data["percent"] = percent
    data.update(extra)
    return data
