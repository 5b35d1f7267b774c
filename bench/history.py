"""Engine-alone history listing benchmark: 100,000 jobs, p50/p95 of the pages users ask for.

Builds the database in a temporary folder through `History` (so the schema and indexes are the real
ones), bulk-inserts rows shaped like the upstream's metadata, then times `list_jobs` for a plain first
page, a searched first page (a common and a rare word) and a deep cursor page. Run:

    .venv/bin/python bench/history.py [--jobs 100000] [--runs 200]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpt_image_engine.store.history import History

WORDS = [
    "fox",
    "lantern",
    "harbor",
    "cedar",
    "neon",
    "marble",
    "orchid",
    "glacier",
    "copper",
    "velvet",
    "ember",
    "meadow",
    "prism",
    "quartz",
    "saffron",
    "tundra",
    "willow",
    "zephyr",
    "basalt",
    "coral",
    "dune",
    "falcon",
    "garnet",
    "heron",
    "indigo",
    "jasper",
]
RARE = "xylophone"
STATUSES = ["completed"] * 8 + [
    "failed",
    "partial_failed",
    "cancelled",
    "running",
    "queued",
]


def build(path: Path, jobs: int, seed: int = 7) -> None:
    History(path).close()  # schema + migrations through the real code
    rng = random.Random(seed)
    start = 1_700_000_000
    rows: list[tuple[Any, ...]] = []
    for i in range(jobs):
        prompt = " ".join(rng.choice(WORDS) for _ in range(12))
        if i % 5000 == 0:
            prompt += f" {RARE}"
        created = str(start + i // 3)  # several jobs per second: ties broken by id
        job_id = f"job-{(start + i // 3) * 1_000_000_000 + i}-4242"
        out_path = f"/tmp/out/{job_id}.png"
        meta: dict[str, Any] = {
            "operation": "generate",
            "prompt": prompt,
            "size": "1024x1024",
            "format": "png",
            "quality": "auto",
            "background": "auto",
            "n": 1,
            "provider_selection": {
                "requested": None,
                "resolved": "openai",
                "reason": "default",
            },
            "output": {
                "path": f"/tmp/out/{job_id}.png",
                "bytes": 123456,
                "files": [{"index": 0}],
            },
        }
        rows.append(
            (
                job_id,
                "images generate",
                "openai",
                rng.choice(STATUSES),
                out_path,
                created,
                json.dumps(meta),
            )
        )
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO jobs (id, command, provider, status, output_path, created_at, metadata) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.execute("ANALYZE")
    conn.close()


def measure(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm the page cache once, like a running engine
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite"
        t0 = time.perf_counter()
        build(path, args.jobs)
        built = time.perf_counter() - t0
        h = History(path)
        deep = h.list_jobs(limit=20)
        for _ in range(200):  # ~4,000 rows in
            deep = h.list_jobs(limit=20, cursor=deep["next_cursor"])
        deep_cursor = deep["next_cursor"]
        cases: list[tuple[str, Callable[[], Any]]] = [
            ("first page (limit 20)", lambda: h.list_jobs(limit=20)),
            (
                "first page, status=failed",
                lambda: h.list_jobs(limit=20, status="failed"),
            ),
            (
                "search common word 'harbor'",
                lambda: h.list_jobs(limit=20, query="harbor"),
            ),
            (f"search rare word '{RARE}'", lambda: h.list_jobs(limit=20, query=RARE)),
            (
                "deep cursor page (~4,000 in)",
                lambda: h.list_jobs(limit=20, cursor=deep_cursor),
            ),
            (
                "deep cursor page + search",
                lambda: h.list_jobs(limit=20, cursor=deep_cursor, query="harbor"),
            ),
        ]
        print(
            f"history bench: {args.jobs:,} jobs built in {built:.1f} s, {args.runs} runs each, engine alone"
        )
        print(f"{'case':<34} {'p50 ms':>8} {'p95 ms':>8}")
        for name, fn in cases:
            p50, p95 = measure(fn, args.runs)
            print(f"{name:<34} {p50:>8.2f} {p95:>8.2f}")
        h.close()


if __name__ == "__main__":
    main()
