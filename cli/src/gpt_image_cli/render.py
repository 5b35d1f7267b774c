"""Views of the job event stream on stderr: JSON lines (`--json-events`) or a
progress bar on a terminal. Both consume the same `{seq, kind, type, data}` records."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from gpt_image.v1 import common_pb2
from gpt_image_protocol.events import event_record
from gpt_image_protocol.validation import dumps_finite

_BAR_WIDTH = 28


class EventRenderer:
    """Counts events and draws them: JSONL when asked, else a bar on a terminal stderr."""

    def __init__(self, *, json_events: bool, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.json_events = json_events
        self.progress = not json_events and _isatty(self.stream)
        self.count = 0
        self._percent = 0.0
        self._drawn = False

    def __call__(self, event: common_pb2.JobEvent) -> None:
        self.count += 1
        record = event_record(event)
        if self.json_events:
            self.stream.write(dumps_finite(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
            self.stream.flush()
        elif self.progress:
            self._draw(record)

    def _draw(self, record: dict[str, Any]) -> None:
        data = record.get("data") if isinstance(record.get("data"), dict) else {}
        percent = data.get("percent") if isinstance(data, dict) else None
        if isinstance(percent, (int, float)):
            self._percent = max(0.0, min(100.0, float(percent)))
        message = (data.get("message") if isinstance(data, dict) else None) or record.get("type", "")
        filled = int(_BAR_WIDTH * self._percent / 100)
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        line = f"\r[{bar}] {self._percent:5.1f}% {str(message)[:60]}"
        self.stream.write(line.ljust(100))
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        """End the bar's line so the summary starts on a fresh one."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
