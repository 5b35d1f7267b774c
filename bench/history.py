"""History listing benchmark: 100,000 jobs, p50/p95 of the pages users ask for, in the engine alone
and through the CLI.

Builds the database in a temporary folder through `History` (so the schema, indexes and search
triggers are the real ones), bulk-inserts rows shaped like the upstream's metadata with plain SQL
(as another program would; the triggers queue them and the first open indexes them), then times
`list_jobs` for a plain first page, a searched first page (a common and a rare word) and a deep
cursor page. Then it starts a real engine on that file and times the real CLI,
`gpt-image-2-skill history list --query W`, process start to envelope. Run:

    .venv/bin/python bench/history.py [--jobs 100000] [--runs 200] [--cli-runs 50]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def through_cli(path: Path, tmp: Path, words: list[str], runs: int) -> list[tuple[str, float, float]]:
    """Start a real engine on `path` and time the CLI's `history list --query W` for each word."""
    bin_dir = Path(sys.executable).parent
    cli = [str(bin_dir / "gpt-image-2-skill"), "--json", "history", "list", "--limit", "20", "--query"]
    with started_engine(tmp, GPT_IMAGE_2_HISTORY_FILE=str(path)) as (sock, env):
        client_env = dict(env, GPT_IMAGE_2_ENGINE=f"unix://{sock}", GPT_IMAGE_2_NO_AUTOSTART="1")
        results = []
        for word in words:

            def run(word: str = word) -> None:
                out = subprocess.run([*cli, word], env=client_env, capture_output=True, check=False)
                if out.returncode != 0:
                    raise SystemExit(f"CLI failed: {out.stdout.decode()[-500:]}")

            p50, p95 = measure(run, runs)
            results.append((word, p50, p95))
        return results


@contextmanager
def started_engine(tmp: Path, **settings: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """A real engine on a temporary socket with its own CODEX_HOME and `settings` in its
    environment (no GPT_IMAGE_2_*/OPENAI_* from ours); yields the socket and that environment."""
    sock = Path(tempfile.mkdtemp(prefix="gi2b-")) / "e.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPT_IMAGE_2_", "OPENAI_"))}
    env.update(CODEX_HOME=str(tmp / "codex"), **settings)
    engine = subprocess.Popen(
        [str(Path(sys.executable).parent / "gpt-image-2-engine"), "serve", "--socket", str(sock)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not sock.exists():
            if engine.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the engine did not start")
            time.sleep(0.05)
        yield sock, env
    finally:
        engine.terminate()
        engine.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--cli-runs", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite"
        t0 = time.perf_counter()
        build(path, args.jobs)
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        h = History(path)  # indexes the rows the plain INSERTs queued (a big backlog: on a thread)
        check = sqlite3.connect(path)
        while check.execute("SELECT 1 FROM jobs_search_dirty LIMIT 1").fetchone():
            time.sleep(0.05)
        check.close()
        indexed = time.perf_counter() - t0
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
            f"history bench: {args.jobs:,} jobs built in {built:.1f} s, search index caught up in {indexed:.1f} s; "
            f"sqlite {sqlite3.sqlite_version}"
        )
        print(f"engine alone (History.list_jobs), {args.runs} runs each:")
        print(f"{'case':<34} {'p50 ms':>8} {'p95 ms':>8}")
        for name, fn in cases:
            p50, p95 = measure(fn, args.runs)
            print(f"{name:<34} {p50:>8.2f} {p95:>8.2f}")
        h.close()
        if args.cli_runs > 0:
            print(
                f"through the CLI (gpt-image-2-skill history list --limit 20 --query W, real engine), {args.cli_runs} runs each:"
            )
            print(f"{'case':<34} {'p50 ms':>8} {'p95 ms':>8}")
            for word, p50, p95 in through_cli(path, Path(tmp), ["harbor", RARE, ""], args.cli_runs):
                name = f"search {word!r}" if word else "no query (CLI start-up + RPC)"
                print(f"{name:<34} {p50:>8.2f} {p95:>8.2f}")


if __name__ == "__main__":
    main()
