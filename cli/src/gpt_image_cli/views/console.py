"""The rich consoles the views draw on, and small formatting helpers they share."""

from __future__ import annotations

import sys
import time
from functools import cache
from typing import Any

from rich.console import Console


@cache
def out() -> Console:
    """stdout: the result of a command."""
    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


@cache
def err() -> Console:
    """stderr: progress and errors."""
    return Console(file=sys.stderr, highlight=False, soft_wrap=False)


def age(epoch: Any, now: float | None = None) -> str:
    """`42s`, `5m`, `3h`, `2d` since an epoch-seconds value (string or number); `-` when unknown."""
    try:
        seconds = max(0.0, (now if now is not None else time.time()) - float(epoch))
    except (TypeError, ValueError):
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def duration(seconds: float) -> str:
    """`7s`, `1m05s`, `1h02m`."""
    s = int(max(0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def size_text(n: Any) -> str:
    try:
        value = float(n)
    except (TypeError, ValueError):
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover


def clip(text: Any, width: int) -> str:
    value = " ".join(str(text or "").split())
    return value if len(value) <= width else value[: max(1, width - 1)] + "…"


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (envelopes are read defensively)."""
    return value if isinstance(value, dict) else {}
