"""What the retry wrapper costs per provider call (issue 19: retries wrap providers from
outside, on tenacity). Prints the median per-call overhead of `with_retries` around a call
that succeeds at once and one that fails twice (zero delays, so only the machinery counts),
optionally beside another implementation of the same function for comparison, e.g. the
hand-written loop this replaced:

    git show e03d05b:engine/src/gpt_image_engine/providers/retry.py > /tmp/retry_before.py
    .venv/bin/python bench/retry_overhead.py --baseline /tmp/retry_before.py
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.jobs.context import RecordingContext
from gpt_image_engine.providers import retry as current
from gpt_image_engine.providers.base import RetryPolicy

POLICY = RetryPolicy(base_delay_seconds=0.0)


def failing(failures: int) -> Callable[[], int]:
    """An attempt that fails `failures` times with a retryable error, then succeeds."""
    errors = [AppError("network_error", "down") for _ in range(failures)]

    def attempt() -> int:
        if errors:
            raise errors.pop()
        return 1

    return attempt


def per_call_us(module: ModuleType, failures: int, calls: int) -> float:
    ctx = RecordingContext(Path(tempfile.gettempdir()) / "no-such-job")
    started = time.perf_counter()
    for _ in range(calls):
        module.with_retries(failing(failures), POLICY, ctx, "openai", lambda: ["sk-secret"])
        ctx.events.clear()
    return (time.perf_counter() - started) / calls * 1e6


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("retry_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="a retry.py to compare with (same with_retries signature)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    modules: dict[str, Any] = {"this tree": current}
    if args.baseline:
        modules["baseline"] = load(args.baseline)
    cases: list[tuple[str, int, int]] = [("success, no retry", 0, 20000), ("two retries", 2, 2000)]
    print(f"{'case':20s}" + "".join(f"{name:>16s}" for name in modules) + "   (median us per call)")
    for label, failures, calls in cases:
        runs: dict[str, list[float]] = {name: [] for name in modules}
        for _ in range(args.rounds):  # alternate, so load drifts hit both alike
            for name, module in modules.items():
                runs[name].append(per_call_us(module, failures, calls))
        medians = [statistics.median(values) for values in runs.values()]
        print(f"{label:20s}" + "".join(f"{value:16.1f}" for value in medians))
    with open("/proc/loadavg") as fh:
        print("load average:", fh.read().split()[0])


if __name__ == "__main__":
    main()
