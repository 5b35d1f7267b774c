"""The retry loop: which errors retry, events before each sleep, Retry-After, cancellation."""

from __future__ import annotations

import email.utils
import threading
import time
from pathlib import Path

import httpx
import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.context import RecordingContext
from gpt_image_engine.providers.base import ImageJob, ResolvedProvider, RetryPolicy
from gpt_image_engine.providers.registry import run_image_job
from gpt_image_engine.providers.retry import is_retryable, parse_retry_after, retry_delay, with_retries
from tests.fakeupstream import FakeUpstream, Fault


def failing(errors: list[AppError], result: str = "ok"):  # type: ignore[no-untyped-def]
    calls = {"n": 0}

    def fn() -> str:
        calls["n"] += 1
        if errors:
            raise errors.pop(0)
        return result

    return fn, calls


def retry_events(ctx: RecordingContext) -> list[dict]:  # type: ignore[type-arg]
    return [e["data"] for e in ctx.events if e["type"] == "retry_scheduled"]


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (AppError("http_error", "HTTP 500", status_code=500), True),
        (AppError("http_error", "HTTP 503", status_code=503), True),
        (AppError("http_error", "HTTP 429", status_code=429), True),
        (AppError("http_error", "HTTP 400", status_code=400), False),
        (AppError("http_error", "HTTP 401", status_code=401), False),
        (AppError("network_error", "down"), True),
        (AppError("request_failed", "cut"), True),
        (AppError("invalid_json_response", "bad"), False),
        (AppError("missing_image_result", "none"), False),
        (AppError("refresh_failed", "no"), False),
    ],
)
def test_retryable_classification(error: AppError, retryable: bool) -> None:
    assert is_retryable(error) is retryable


def test_retries_then_success_emits_events(tmp_path: Path) -> None:
    ctx = RecordingContext(tmp_path)
    fn, calls = failing([AppError("network_error", "down"), AppError("http_error", "HTTP 502", status_code=502)])
    result, count = with_retries(fn, RetryPolicy(base_delay_seconds=0.01), ctx, "openai")
    assert (result, count, calls["n"]) == ("ok", 2, 3)
    events = retry_events(ctx)
    assert [e["retry_number"] for e in events] == [1, 2]
    assert [e["delay_seconds"] for e in events] == [0.01, 0.02]
    assert events[0]["reason"] == "down" and events[0]["status_code"] is None and events[1]["status_code"] == 502
    assert all(e["max_retries"] == 3 and e["status"] == "running" and "percent" not in e for e in events)


def test_gives_up_after_max_retries(tmp_path: Path) -> None:
    ctx = RecordingContext(tmp_path)
    fn, calls = failing([AppError("network_error", "down") for _ in range(5)])
    with pytest.raises(AppError) as info:
        with_retries(fn, RetryPolicy(max_retries=2, base_delay_seconds=0.01), ctx, "openai")
    assert info.value.code == "network_error" and calls["n"] == 3 and len(retry_events(ctx)) == 2


def test_non_retryable_fails_fast(tmp_path: Path) -> None:
    ctx = RecordingContext(tmp_path)
    fn, calls = failing([AppError("http_error", "HTTP 404", status_code=404)])
    with pytest.raises(AppError):
        with_retries(fn, RetryPolicy(base_delay_seconds=0.01), ctx, "openai")
    assert calls["n"] == 1 and ctx.events == []


def test_retry_after_parsing_and_cap() -> None:
    policy = RetryPolicy(base_delay_seconds=1.0, retry_after_cap_seconds=60.0)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (parse_retry_after(future) or 0) <= 31
    err = AppError("http_error", "HTTP 429", status_code=429)
    err.retry_after = "3600"  # type: ignore[attr-defined]
    assert retry_delay(err, 1, policy) == 60.0
    err500 = AppError("http_error", "HTTP 500", status_code=500)
    err500.retry_after = "30"  # type: ignore[attr-defined]
    assert retry_delay(err500, 2, policy) == 2.0  # only 429/503 honour it


def test_429_retry_after_is_honoured_end_to_end(
    fake: FakeUpstream, openai_resolved: ResolvedProvider, http: httpx.Client, ctx: RecordingContext
) -> None:
    fake.faults(Fault.fail(429, retry_after="1"))
    started = time.monotonic()
    out = run_image_job(openai_resolved, ImageJob("generate", "x"), ctx, RetryPolicy(base_delay_seconds=0.05), http)
    elapsed = time.monotonic() - started
    (event,) = retry_events(ctx)
    assert event["delay_seconds"] == 1.0 and event["status_code"] == 429
    assert out.retry_count == 1 and elapsed >= 0.95


def test_cancel_interrupts_sleep(tmp_path: Path) -> None:
    ctx = RecordingContext(tmp_path)
    fn, _ = failing([AppError("network_error", "down")])
    threading.Timer(0.1, ctx.cancel_event.set).start()
    started = time.monotonic()
    with pytest.raises(AppError) as info:
        with_retries(fn, RetryPolicy(base_delay_seconds=30), ctx, "openai")
    assert info.value.code == "job_cancelled" and time.monotonic() - started < 5
