"""How long a job will take, from how long recent jobs like it took.

Jobs are alike when command, provider, size, quality and n match. The estimate is
the median run time (from `job.running` to completion) of the last few alike jobs:
first those this process finished, seeded once from the `run_seconds` the history
keeps for completed jobs. No estimate without at least one alike job.
"""

from __future__ import annotations

import statistics
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Key = tuple[str, str, str, str, str]
KEEP = 5


def eta_key(command: str, provider: str, metadata: Mapping[str, Any]) -> Key:
    request = metadata.get("request") if isinstance(metadata.get("request"), Mapping) else {}
    assert isinstance(request, Mapping)

    def pick(name: str) -> str:
        value = request.get(name, metadata.get(name))
        return "" if value in (None, "", "auto") else str(value)

    return (command, provider, pick("size"), pick("quality"), pick("n"))


class RunTimes:
    """Recent run times per key; thread-safe; seeded lazily from finished jobs' metadata."""

    def __init__(self, seed: Callable[[], Iterable[Mapping[str, Any]]] | None = None) -> None:
        self._times: dict[Key, deque[float]] = {}
        self._lock = threading.Lock()
        self._seed = seed

    def _seed_once(self) -> None:
        seed, self._seed = self._seed, None
        if seed is None:
            return
        try:
            jobs = list(seed())
        except Exception:  # noqa: BLE001 - an estimate is optional; never fail a job for it
            return
        for job in reversed(jobs):  # oldest first, so the newest stay in the window
            meta = job.get("metadata") if isinstance(job.get("metadata"), Mapping) else {}
            assert isinstance(meta, Mapping)
            seconds = meta.get("run_seconds")
            if isinstance(seconds, (int, float)) and seconds > 0:
                key = eta_key(str(job.get("command", "")), str(job.get("provider") or ""), meta)
                self._times.setdefault(key, deque(maxlen=KEEP)).append(float(seconds))

    def record(self, key: Key, seconds: float) -> None:
        with self._lock:
            self._seed_once()
            self._times.setdefault(key, deque(maxlen=KEEP)).append(seconds)

    def estimate(self, key: Key) -> float | None:
        with self._lock:
            self._seed_once()
            times = self._times.get(key)
            return statistics.median(times) if times else None
