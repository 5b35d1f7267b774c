"""Views of the job event stream on stderr: JSON lines (`--json-events`) or, on a
terminal, live progress (`views.progress`, rich, imported only then). Both consume
the same `{seq, kind, type, data}` records."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from gpt_image.v1 import common_pb2
from gpt_image_protocol.events import event_line, event_record


class EventRenderer:
    """Counts events and draws them: JSONL when asked, else live progress on a terminal stderr."""

    def __init__(self, *, json_events: bool, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.json_events = json_events
        self.progress = not json_events and _isatty(self.stream)
        self.count = 0
        self._live: Any = None

    def __call__(self, event: common_pb2.JobEvent) -> None:
        self.count += 1
        if self.json_events:
            self.stream.write(event_line(event) + "\n")
            self.stream.flush()
        elif self.progress:
            if self._live is None:
                from gpt_image_cli.views.progress import LiveProgress

                self._live = LiveProgress(self.stream)
            self._live(event_record(event))

    def finish(self) -> None:
        """Stop the live view so the result starts on a fresh line."""
        if self._live is not None:
            self._live.finish()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
