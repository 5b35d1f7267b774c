"""Server-sent events from a provider's streaming answer (Images API streams, Codex responses).

The framing is httpx-sse's (the WHATWG event-stream rules: CR/LF/CRLF line ends, one leading
space dropped after `data:`, several `data:` lines joined with a newline, comments and unknown
fields ignored); this module only turns its failures into coded errors and keeps the providers
from caring which library parses. Events without data (a bare `event:` or `retry:`) are skipped,
as the upstream does; an event cut off by the end of the stream is dropped, as the spec says.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
from httpx_sse import EventSource, SSEError

from gpt_image_engine.errors import AppError


def event_data(response: httpx.Response, label: str = "The provider") -> Iterator[str]:
    """The `data` of each event in `response`, in order (`[DONE]` included: callers decide)."""
    try:
        for event in EventSource(response).iter_sse():
            if event.data:
                yield event.data
    except SSEError as exc:
        raise AppError(
            "request_failed", f"{label} answered a stream request without an event stream.", {"error": str(exc)}
        ) from None
