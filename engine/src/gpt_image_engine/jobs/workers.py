"""Reusable daemon threads for the job manager: jobs' runs and their after-finish work.

A thread started per job cost a clone, a fresh stack (page faults on first touch) and a
handshake (`Thread.start` waits until the new thread runs), all on the engine's CPU, twice per
job (its run and its notifications). `Workers` keeps up to `keep` finished threads waiting on one
queue and hands each new call to one of them; a new thread starts only when none is idle, so a
burst grows the pool as before and the calls after it reuse it. Threads are daemons, as the
per-job threads were: a call still running when the engine exits is abandoned the same way.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("gpt_image_engine.jobs")


class Workers:
    """Idle daemon threads, reused; each runs one call at a time under the name it was given."""

    def __init__(self, prefix: str, keep: int) -> None:
        self.prefix = prefix
        self.keep = keep
        self._calls: queue.SimpleQueue[tuple[str, Callable[..., Any], tuple[Any, ...]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0  # threads committed to taking the next call (waiting, or about to)

    def run(self, name: str, fn: Callable[..., Any], *args: Any) -> None:
        """`fn(*args)` on an idle thread, or on a new one when none is idle. An exception is
        logged; it never reaches the caller."""
        with self._lock:
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1
        # Every call put here has a thread that will take it: an idle one (counted off above)
        # or the one started below.
        self._calls.put((name, fn, args))
        if spawn:
            threading.Thread(target=self._loop, name=name, daemon=True).start()

    @property
    def idle(self) -> int:
        with self._lock:
            return self._idle

    def _loop(self) -> None:
        me = threading.current_thread()
        while True:
            name, fn, args = self._calls.get()
            me.name = name
            try:
                fn(*args)
            except Exception:
                log.exception("%s failed", name)
            me.name = f"{self.prefix}-idle"
            with self._lock:
                if self._idle >= self.keep:
                    return
                self._idle += 1
