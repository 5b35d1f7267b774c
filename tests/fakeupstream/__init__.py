"""A real loopback HTTP fake of the upstreams: OpenAI images API, Codex responses SSE and the
OAuth token endpoint, with fault injection. Needs only the stdlib and Pillow.

Names are loaded lazily from `server` so `python -m tests.fakeupstream.server` runs cleanly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FakeUpstream", "Fault", "RecordedRequest", "draw_png", "make_jwt", "noise_png"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from tests.fakeupstream import server

        return getattr(server, name)
    raise AttributeError(f"module 'tests.fakeupstream' has no attribute {name!r}")
