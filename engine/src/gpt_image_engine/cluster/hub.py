"""One LISTEN connection per engine, fanning PostgreSQL notices out to the engine's threads.

Channels: `job_events` (payload `"<job_id> <seq>"`, sent by a trigger when an event row
commits), `job_cancel` (payload: a job id; the engine running it stops it) and `job_queue`
(a job was queued: claimers look now instead of at their next tick). A watcher subscribes
to one job id and waits; the notice only says "look": the event itself is read from the
table, so a notice lost while the listener reconnects costs a poll interval, never an event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg

log = logging.getLogger("gpt_image_engine.cluster")

CHANNELS = ("job_events", "job_cancel", "job_queue")


class Subscription:
    """What one watcher waits on: set when an event of its job is committed."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def wait(self, timeout: float) -> bool:
        fired = self.event.wait(timeout)
        self.event.clear()
        return fired


class Hub:
    def __init__(
        self,
        url: str,
        on_cancel: Callable[[str], None],
        on_queued: Callable[[], None],
    ) -> None:
        self.url = url
        self.on_cancel = on_cancel
        self.on_queued = on_queued
        self._subs: dict[str, set[Subscription]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._conn: psycopg.Connection[Any] | None = None
        self._thread = threading.Thread(target=self._run, name="cluster-listen", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        self._ready.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)

    def subscribe(self, job_id: str) -> Subscription:
        sub = Subscription()
        with self._lock:
            self._subs.setdefault(job_id, set()).add(sub)
        return sub

    def unsubscribe(self, job_id: str, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(job_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[job_id]

    def wake(self, job_id: str) -> None:
        with self._lock:
            subs = list(self._subs.get(job_id, ()))
        for sub in subs:
            sub.event.set()

    def _wake_all(self) -> None:
        """After a reconnect every watcher re-reads its job: notices may have been missed."""
        with self._lock:
            subs = [s for group in self._subs.values() for s in group]
        for sub in subs:
            sub.event.set()

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    for channel in CHANNELS:
                        conn.execute(f"LISTEN {channel}")
                    self._ready.set()
                    self._wake_all()
                    self.on_queued()
                    backoff = 0.2
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._dispatch(note.channel, note.payload)
            except psycopg.Error as exc:
                log.warning("cluster listener lost its connection; reconnecting", extra={"data": {"error": str(exc)}})
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _dispatch(self, channel: str, payload: str) -> None:
        try:
            if channel == "job_events":
                self.wake(payload.split(" ", 1)[0])
            elif channel == "job_cancel":
                self.on_cancel(payload)
            elif channel == "job_queue":
                self.on_queued()
        except Exception:  # a callback's bug must not kill the listener
            log.exception("cluster notice %s failed", channel)
