"""Sending a provider request so that cancelling the job ends it at once.

httpx's synchronous client cannot be interrupted from another thread while it
waits for a slow upstream. `send_cancellable` runs the send on a small pool and
waits on it in short steps, watching the job's cancel event: on cancel the job
ends immediately (`job_cancelled`) and the abandoned response is closed as soon
as it arrives, so no connection leaks.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx

from gpt_image_engine.errors import AppError

_POOL = ThreadPoolExecutor(max_workers=64, thread_name_prefix="http-send")
_STEP_SECONDS = 0.1


def _close_when_done(future: Future[httpx.Response]) -> None:
    try:
        future.result().close()
    except Exception:
        pass


def _explicit_auth_wins(request: httpx.Request) -> None:
    """A base URL may carry `user:password@`; httpx would turn it into Basic auth over the
    provider's bearer key. As other HTTP clients do, the URL's userinfo is used only when the
    request has no Authorization header of its own."""
    if "authorization" in request.headers and request.url.userinfo:
        request.url = request.url.copy_with(userinfo=b"")


def send_cancellable(http: httpx.Client, request: httpx.Request, ctx: Any) -> httpx.Response:
    """`http.send(request, stream=True)`, but a cancelled job stops waiting immediately."""
    _explicit_auth_wins(request)
    cancel: threading.Event | None = getattr(ctx, "cancel_event", None)
    if cancel is None:
        return http.send(request, stream=True)
    future = _POOL.submit(http.send, request, stream=True)
    while True:
        if cancel.wait(_STEP_SECONDS):
            future.add_done_callback(_close_when_done)
            raise AppError("job_cancelled", "The job was cancelled while waiting for the provider.")
        if future.done():
            return future.result()
