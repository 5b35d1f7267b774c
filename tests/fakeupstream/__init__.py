"""A real loopback HTTP fake of the upstreams: OpenAI images API, Codex responses SSE and the
OAuth token endpoint, with fault injection. Needs only the stdlib and Pillow."""

from tests.fakeupstream.server import (
    FakeUpstream,
    Fault,
    RecordedRequest,
    draw_png,
    make_jwt,
)

__all__ = ["FakeUpstream", "Fault", "RecordedRequest", "draw_png", "make_jwt"]
