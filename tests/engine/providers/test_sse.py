"""The providers' one event-stream reader (httpx-sse underneath): framing and coded failures."""

from __future__ import annotations

import httpx
import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.sse import event_data


def _response(body: bytes, content_type: str = "text/event-stream", chunk: int = 7) -> httpx.Response:
    class Chunks(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            for i in range(0, len(body), chunk):
                yield body[i : i + chunk]

    return httpx.Response(200, headers={"content-type": content_type}, stream=Chunks())


def test_events_split_across_chunks_with_every_line_ending() -> None:
    body = (
        b": keep-alive comment\n\n"
        b'event: image_generation.partial_image\r\ndata: {"a": 1}\r\n\r\n'
        b'data: {"b":\rdata: 2}\r\r'
        b"event: ping\nretry: 100\n\n"  # no data: skipped
        b"id: 7\ndata:[DONE]\n\n"
        b'data: {"cut": true}'  # no blank line before the end: dropped, as the spec says
    )
    assert list(event_data(_response(body))) == ['{"a": 1}', '{"b":\n2}', "[DONE]"]


def test_a_body_that_is_not_an_event_stream_is_a_coded_error() -> None:
    with pytest.raises(AppError) as err:
        list(event_data(_response(b"<html>proxy login</html>", "text/html"), "The Codex backend"))
    assert err.value.code == "request_failed"
    assert err.value.message == "The Codex backend answered a stream request without an event stream."
    assert "text/html" in err.value.detail["error"]
