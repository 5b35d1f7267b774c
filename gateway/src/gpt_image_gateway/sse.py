"""Server-Sent Events for job progress, with one engine watch per job however many pages follow it.

`WatchHub.follow(job_id, after_seq)` yields a job's events after `after_seq`, then
live ones until the terminal event. The first follower of a job opens one
`JobsService.WatchJob` stream and a reader thread; later followers share its
buffer, so 200 browser tabs on one job cost the engine one stream. The feed is
dropped when the job ends or its last follower leaves (which cancels the watch).
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from typing import Any

import grpc

from gpt_image.v1 import common_pb2
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.webpaths import rewrite_value
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.events import page_event
from gpt_image_protocol.rpc_errors import from_rpc_error

HEARTBEAT = object()


def event_json(event: common_pb2.JobEvent) -> dict[str, Any]:
    """The page's view of one event: the JSONL record plus terminal fields (no artifact ids),
    file paths as gateway URLs."""
    return page_event(event, rewrite_value)


def sse_message(event: common_pb2.JobEvent) -> str:
    """One SSE message. Every follower of a job gets the same events: the text is made once per
    event (memoised on the event's bytes), not once per browser tab."""
    return _sse_text(event.SerializeToString())


@functools.lru_cache(maxsize=512)
def _sse_text(raw: bytes) -> str:
    event = common_pb2.JobEvent.FromString(raw)
    data = json.dumps(event_json(event), ensure_ascii=False, separators=(",", ":"), default=str)
    return f"id: {event.seq}\ndata: {data}\n\n"


def sse_error(err: AppError) -> str:
    from gpt_image_gateway.errors import public

    data = json.dumps({"error": public(err).to_envelope()}, ensure_ascii=False, default=str)
    return f"event: error\ndata: {data}\n\n"


class _Feed:
    def __init__(self, hub: WatchHub, job_id: str) -> None:
        self.hub = hub
        self.job_id = job_id
        self.events: list[common_pb2.JobEvent] = []
        self.done = False
        self.error: AppError | None = None
        self.cond = threading.Condition()
        self.followers = 0
        self.call: Any = None
        self.thread = threading.Thread(target=self._read, name=f"watch-{job_id[:24]}", daemon=True)

    def _read(self) -> None:
        try:
            self.call = self.hub.client.watch_job(self.job_id, 0)
            for event in self.call:
                with self.cond:
                    self.events.append(event)
                    self.cond.notify_all()
                if event.terminal:
                    break
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.CANCELLED:
                self.error = from_rpc_error(exc)
        except AppError as exc:  # finding the engine that owns the job failed
            self.error = exc
        except Exception as exc:  # keep followers from hanging on a reader crash
            self.error = AppError("internal_error", f"Watching the job failed: {exc}")
        finally:
            with self.cond:
                self.done = True
                self.cond.notify_all()
            self.hub._drop(self)
            if self.call is not None:
                self.call.cancel()


class WatchHub:
    def __init__(self, client: EngineClient, heartbeat_s: float = 15.0) -> None:
        self.client = client
        self.heartbeat_s = heartbeat_s
        self._feeds: dict[str, _Feed] = {}
        self._lock = threading.Lock()

    def _drop(self, feed: _Feed) -> None:
        with self._lock:
            if self._feeds.get(feed.job_id) is feed:
                del self._feeds[feed.job_id]

    def _join(self, job_id: str) -> _Feed:
        with self._lock:
            feed = self._feeds.get(job_id)
            if feed is None or feed.done:
                feed = _Feed(self, job_id)
                self._feeds[job_id] = feed
                feed.followers += 1
                feed.thread.start()
            else:
                feed.followers += 1
            return feed

    def _leave(self, feed: _Feed) -> None:
        with self._lock:
            feed.followers -= 1
            last = feed.followers <= 0 and not feed.done
            if last and self._feeds.get(feed.job_id) is feed:
                del self._feeds[feed.job_id]
        if last and feed.call is not None:
            feed.call.cancel()

    def active_feeds(self) -> int:
        with self._lock:
            return len(self._feeds)

    def follow(self, job_id: str, after_seq: int = 0) -> Iterator[Any]:
        """JobEvents after `after_seq`, HEARTBEAT on quiet periods, an AppError if the watch failed."""
        feed = self._join(job_id)
        index = 0
        try:
            while True:
                with feed.cond:
                    if index >= len(feed.events) and not feed.done:
                        feed.cond.wait(timeout=self.heartbeat_s)
                    batch = feed.events[index:]
                    index = len(feed.events)
                    done, error = feed.done, feed.error
                if not batch and not done:
                    yield HEARTBEAT
                    continue
                for event in batch:
                    if event.seq > after_seq:
                        yield event
                    if event.terminal:
                        return
                if done:
                    if error is not None:
                        yield error
                    return
        finally:
            self._leave(feed)
