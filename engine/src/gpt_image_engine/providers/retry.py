"""Retries for provider requests (upstream §6, plus Retry-After and cancellation).

`with_retries` runs one attempt function up to `policy.max_retries + 1` times; the
registry wraps every provider call in it (providers make single attempts). The loop is
tenacity's (stop, wait, predicate, before-sleep hook and sleep are ours to plug in), so
only the policy lives here.
Retryable: an `AppError` with HTTP status 429 or >= 500, or without status whose code
is `network_error` or `request_failed`. Everything else fails fast, as does an error
marked `retryable = False` (token refresh failures, and every failure after a 2xx: see
`after_acceptance`). Before each sleep a progress event
`retry_scheduled` is emitted; a `Retry-After` (seconds or HTTP date) on 429/503 replaces
the backoff, capped at `policy.retry_after_cap_seconds`. Sleeps end early on cancel.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import ProviderContext, RetryPolicy
from gpt_image_engine.security.redaction import scrub_error

T = TypeVar("T")

RETRYABLE_CODES = frozenset({"network_error", "request_failed"})


def http_error(response: httpx.Response, body: str | None = None) -> AppError:
    """The coded error for a non-2xx response: `HTTP <status>`, the body as detail,
    the status and any Retry-After header kept for the retry loop."""
    text = body if body is not None else response.text
    err = AppError(
        "http_error",
        f"HTTP {response.status_code}",
        text,
        status_code=response.status_code,
    )
    err.retry_after = response.headers.get("retry-after")  # type: ignore[attr-defined]
    return err


def network_error(exc: Exception, what: str = "The upstream request failed.") -> AppError:
    """The coded error for a transport failure (connect, timeout, broken stream)."""
    return AppError("network_error", what, {"error": f"{type(exc).__name__}: {exc}"})


REMOTE_ACCEPTED = "remote_accepted"


def after_acceptance(err: AppError) -> AppError:
    """Mark a failure that happened after the provider answered with 2xx headers: the request
    was accepted (and may be billed), so it is never resent automatically. The detail carries
    `remote_accepted: true`, which recovery reads as `ambiguous.remote_maybe_accepted`."""
    err.retryable = False  # type: ignore[attr-defined]
    if isinstance(err.detail, dict):
        err.detail = {**err.detail, REMOTE_ACCEPTED: True}
    elif err.detail is None:
        err.detail = {REMOTE_ACCEPTED: True}
    else:
        err.detail = {"detail": err.detail, REMOTE_ACCEPTED: True}
    return err


def is_retryable(err: AppError) -> bool:
    if getattr(err, "retryable", None) is False:
        return False
    if err.status_code is not None:
        return err.status_code == 429 or err.status_code >= 500
    return err.code in RETRYABLE_CODES


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta seconds or an HTTP date)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def retry_delay(err: AppError, retry_number: int, policy: RetryPolicy) -> float:
    """The backoff for this retry, or the server's Retry-After on 429/503 (capped)."""
    if err.status_code in (429, 503):
        hinted = parse_retry_after(getattr(err, "retry_after", None))
        if hinted is not None:
            return min(hinted, policy.retry_after_cap_seconds)
    return policy.delay_for(retry_number)


def with_retries(
    fn: Callable[[], T],
    policy: RetryPolicy,
    ctx: ProviderContext,
    provider_name: str,
    secrets: Callable[[], Iterable[str | None]] | None = None,
) -> tuple[T, int]:
    """Run `fn` with the policy; return (result, retries used). Raises the last error.

    `secrets` returns the credentials in use (asked again after each failure, since a
    refresh rotates them): every error is scrubbed of them before it becomes an event or
    the job's error, because upstream error bodies may echo what they were sent.
    """
    retries = 0

    def attempt() -> T:
        ctx.check_cancelled()
        try:
            return fn()
        except AppError as err:
            if secrets is not None:
                scrub_error(err, secrets())
            raise

    def announce(err: AppError, delay: float) -> None:
        nonlocal retries
        retries += 1
        ctx.progress(
            provider_name,
            "retry_scheduled",
            "running",
            f"Retrying request in {delay:g}s (retry {retries} of {policy.max_retries}).",
            None,
            retry_number=retries,
            max_retries=policy.max_retries,
            delay_seconds=delay,
            reason=err.message,
            status_code=err.status_code,
        )

    def sleep(seconds: float) -> None:
        if ctx.cancel_event.wait(seconds):
            raise AppError("job_cancelled", "The job was cancelled.") from None

    def failure(state: RetryCallState) -> AppError:
        exc = state.outcome.exception() if state.outcome is not None else None
        assert isinstance(exc, AppError)  # only AppErrors are retried
        return exc

    # The first attempt runs bare: tenacity's machinery costs ~30 us per call on a quiet
    # machine (~110 us under load; `bench/retry_overhead.py`) against ~1-3 us for a plain
    # call, and almost every call succeeds at once. Retries, when needed, are tenacity's.
    try:
        return attempt(), 0
    except AppError as err:
        if policy.max_retries < 1 or not is_retryable(err):
            raise
        first = err
    delay = retry_delay(first, 1, policy)
    announce(first, delay)
    sleep(delay)
    retrying = Retrying(
        stop=stop_after_attempt(policy.max_retries),  # the attempts left after the first
        wait=lambda state: retry_delay(failure(state), state.attempt_number + 1, policy),
        retry=retry_if_exception(lambda exc: isinstance(exc, AppError) and is_retryable(exc)),
        before_sleep=lambda state: announce(failure(state), float(state.upcoming_sleep)),
        sleep=sleep,
        reraise=True,
    )
    return retrying(attempt), retries
