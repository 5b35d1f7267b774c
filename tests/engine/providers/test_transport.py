"""Cancelling a job while its provider request waits: the send ends at once, nothing polls,
and the client stays usable (the aborted connection is dropped, not reused half-read)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.context import CancelEvent, RecordingContext
from gpt_image_engine.providers.transport import send_cancellable
from tests.engine.providers.conftest import API_KEY
from tests.fakeupstream import FakeUpstream
from tests.fakeupstream.server import GENERATIONS_PATH, Fault


def _request(http: httpx.Client, fake: FakeUpstream) -> httpx.Request:
    return http.build_request(
        "POST",
        fake.openai_base.rstrip("/") + "/images/generations",
        json={"model": "gpt-image-2", "prompt": "slow"},
        headers={"authorization": f"Bearer {API_KEY}"},
        timeout=30,
    )


def test_cancel_while_the_upstream_is_slow_ends_the_send_at_once(
    fake: FakeUpstream, http: httpx.Client, tmp_path: Path
) -> None:
    ctx = RecordingContext(tmp_path)
    assert isinstance(ctx.cancel_event, CancelEvent)
    # Warm the connection first, so the cancel lands on a pooled (reused) connection's read.
    first = send_cancellable(http, _request(http, fake), ctx)
    first.read()
    assert first.status_code == 200
    fake.faults(Fault.slow(5.0, path=GENERATIONS_PATH))
    timer = threading.Timer(0.3, ctx.cancel_event.set)
    timer.start()
    started = time.monotonic()
    with pytest.raises(AppError) as err:
        send_cancellable(http, _request(http, fake), ctx)
    elapsed = time.monotonic() - started
    assert err.value.code == "job_cancelled"
    assert 0.25 < elapsed < 2.0
    assert not [t for t in threading.enumerate() if t.name.startswith("http-send")]  # no send pool
    # The client goes on working: a new job's send on the same client succeeds.
    fake.clear_faults()
    again = send_cancellable(http, _request(http, fake), RecordingContext(tmp_path))
    again.read()
    assert again.status_code == 200


def test_a_job_cancelled_before_its_send_never_waits(fake: FakeUpstream, http: httpx.Client, tmp_path: Path) -> None:
    ctx = RecordingContext(tmp_path)
    ctx.cancel_event.set()
    fake.faults(Fault.slow(5.0, path=GENERATIONS_PATH))
    started = time.monotonic()
    with pytest.raises(AppError) as err:
        send_cancellable(http, _request(http, fake), ctx)
    assert err.value.code == "job_cancelled" and time.monotonic() - started < 2.0


def test_cancel_callbacks_run_once_and_can_be_taken_back() -> None:
    event = CancelEvent()
    calls: list[str] = []
    event.add_callback(lambda: calls.append("a"))
    remove_b = event.add_callback(lambda: calls.append("b"))
    remove_b()
    event.set()
    event.set()
    event.add_callback(lambda: calls.append("late"))  # already cancelled: called at once
    assert calls == ["a", "late"] and event.is_set()
