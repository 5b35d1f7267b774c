"""The gateway's SSE watch hub (`gpt_image_gateway.sse.WatchHub`) on a real engine.

A real engine and fake upstream (the module's `stack`), a real `EngineClient`; jobs are made
held at the fake upstream so followers join while they run (however slow the machine). Covers: followers of one job share
one engine watch, replay after `after_seq`, heartbeats on quiet periods, the feed dropped when
the last follower leaves (and a later follower replaying from the start), finished and unknown
jobs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from gpt_image.v1 import common_pb2, images_pb2
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.sse import HEARTBEAT, WatchHub, event_json, sse_message
from gpt_image_protocol import jsonshape
from gpt_image_protocol.errors import AppError
from tests.fakeupstream.server import Fault
from tests.gateway.support import Stack

GEN = "/v1/images/generations"


def start_job(client: EngineClient, prompt: str) -> str:
    request = images_pb2.GenerateImageRequest(image=images_pb2.ImageOptions(prompt=prompt), detach=True)
    return client.generate(request).job_id


def wait_until(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def events_only(items: list[Any]) -> list[common_pb2.JobEvent]:
    return [i for i in items if isinstance(i, common_pb2.JobEvent)]


@pytest.fixture
def hub(engine_client: EngineClient) -> WatchHub:
    return WatchHub(engine_client, heartbeat_s=0.2)


def test_followers_of_one_job_share_one_engine_watch(hub: WatchHub, engine_client: EngineClient, stack: Stack) -> None:
    held = Fault.hold(path=GEN)
    stack.upstream.faults(held)
    try:
        job_id = start_job(engine_client, "shared watch")
        results: list[list[Any]] = [[] for _ in range(5)]
        threads = [threading.Thread(target=lambda out=out: out.extend(hub.follow(job_id))) for out in results]
        for thread in threads:
            thread.start()
        wait_until(lambda: all(results), "every follower to get an event")
        assert hub.active_feeds() == 1
        # A quiet upstream call: the followers get heartbeats while it lasts.
        wait_until(lambda: any(item is HEARTBEAT for r in results for item in r), "a heartbeat")
        held.release()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        stack.upstream.clear_faults()
    seqs = [[e.seq for e in events_only(r)] for r in results]
    assert all(s == seqs[0] for s in seqs)
    assert seqs[0] == sorted(seqs[0]) and seqs[0][0] == 1
    last = events_only(results[0])[-1]
    assert last.terminal and jsonshape.state(last) == "completed"
    wait_until(lambda: hub.active_feeds() == 0, "the feed to be dropped after the terminal event")


def test_after_seq_skips_what_the_page_already_has(hub: WatchHub, engine_client: EngineClient) -> None:
    job_id = start_job(engine_client, "replay")
    everything = events_only(list(hub.follow(job_id)))
    assert everything[-1].terminal
    later = events_only(list(hub.follow(job_id, after_seq=2)))
    assert [e.seq for e in later] == [e.seq for e in everything if e.seq > 2]
    page = event_json(everything[-1])
    assert page["terminal"] is True and page["status"] == "completed"
    assert all("artifact_id" not in a for a in page["artifacts"])  # the page gets names, not ids
    assert sse_message(everything[-1]).startswith(f"id: {everything[-1].seq}\ndata: {{")


def test_last_follower_leaving_drops_the_feed(hub: WatchHub, engine_client: EngineClient, stack: Stack) -> None:
    held = Fault.hold(path=GEN)
    stack.upstream.faults(held)
    try:
        job_id = start_job(engine_client, "leave early")
        first = hub.follow(job_id)
        second = hub.follow(job_id)
        assert isinstance(next(first), common_pb2.JobEvent)
        assert isinstance(next(second), common_pb2.JobEvent)
        assert hub.active_feeds() == 1
        first.close()
        assert hub.active_feeds() == 1  # one follower is left
        second.close()
        assert hub.active_feeds() == 0  # the engine watch is cancelled with the last one
        job = jsonshape.job_dict(engine_client.get_job(job_id).job)
        assert job["status"] in ("queued", "running")  # the job itself goes on
        held.release()
        # A page that comes back later gets the whole story from a fresh feed.
        again = events_only(list(hub.follow(job_id)))
    finally:
        stack.upstream.clear_faults()
    assert again[0].seq == 1 and again[-1].terminal


def test_unknown_job_yields_a_coded_error_and_ends(hub: WatchHub) -> None:
    items = list(hub.follow("job-20260101-doesnotexist"))
    assert len(items) == 1 and isinstance(items[0], AppError)
    assert items[0].code == "history_not_found"
    wait_until(lambda: hub.active_feeds() == 0, "the failed feed to be dropped")
