"""Responses kept in memory when they could not be saved (a full or read-only disk).

A provider response that arrived is paid for. When writing its images fails for lack of
space, `keep(job_id, images)` holds the decoded images here so `jobs resume --action
continue_save` can write them once space is freed, without calling the provider again.
Recovery reports such a job as `recoverable.local_response_cached`. The reserve is
bounded (`MAX_BYTES` in all; the oldest entries go first) and lives as long as the engine
process: a restart loses it (the job then reads `terminal.local_recovery_unavailable`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

MAX_BYTES = 1024 * 1024 * 1024

_lock = threading.Lock()
_kept: OrderedDict[str, list[bytes]] = OrderedDict()


def _size(images: list[bytes]) -> int:
    return sum(len(i) for i in images)


def keep(job_id: str, images: list[bytes]) -> bool:
    """Hold `images` for `job_id`; False when they alone exceed the reserve."""
    if not images or _size(images) > MAX_BYTES:
        return False
    with _lock:
        _kept[job_id] = list(images)
        _kept.move_to_end(job_id)
        while sum(_size(v) for v in _kept.values()) > MAX_BYTES:
            _kept.popitem(last=False)
    return True


def has(job_id: str) -> bool:
    with _lock:
        return job_id in _kept


def peek(job_id: str) -> list[bytes]:
    with _lock:
        return list(_kept.get(job_id) or [])


def drop(job_id: str) -> None:
    with _lock:
        _kept.pop(job_id, None)
