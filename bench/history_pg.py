"""History on PostgreSQL: 1,000,000 jobs, p50/p95 of a searched first page in the engine's store
call and through a real engine's gRPC ListJobs. Target: search + first page under 20 ms.

Starts a private PostgreSQL cluster (as the test suite does, tests/servers/postgres.py), creates the
schema through `PostgresHistory` (the real migrations and indexes), fills `jobs` with COPY (rows
shaped like bench/history.py's: a 12-word prompt from 26 words, a rare word in one job in 5,000),
ANALYZEs, then times `PostgresHistory.list_jobs(limit=20, ...)` and `JobsService.ListJobs` on an
engine started with GPT_IMAGE_2_DATABASE_URL. First, on a small history, the small calls every job
makes (get_job, append_event, update_job, a first page) one at a time, against the same store with
a connection check before each use (what one more round trip per call costs), or against another
copy of postgres.py (`--baseline FILE`). Run:

    .venv/bin/python bench/history_pg.py [--jobs 1000000] [--runs 200] [--grpc-runs 100] [--calls-only] [--baseline FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from history import RARE, WORDS, measure, started_engine  # noqa: E402  (bench/history.py)

from gpt_image_engine.store.history.postgres import COUNT_CAP, SEARCH_COUNT_CAP, PostgresHistory  # noqa: E402
from tests.servers.postgres import running_cluster  # noqa: E402

# In 4,000 jobs whatever the size: more than the exact-count cap, too few for the estimate alone,
# so the listing counts up to the cap (the slowest path a total takes).
MID = "quokka"
MID_JOBS = 4000

# Finished jobs only: a big shared history holds few live ones, and an engine starting on rows left
# "running" by no engine marks each interrupted (a separate cost, not the listing's).
STATUSES = ["completed"] * 8 + ["failed", "partial_failed", "cancelled"]


def fill(url: str, jobs: int, seed: int = 7) -> tuple[float, float]:
    """COPY the rows, then build the trigram index; returns when each step finished."""
    rng = random.Random(seed)
    start = 1_700_000_000
    with psycopg.connect(url) as conn:
        # A bulk load builds the trigram index once at the end, as a restore would (same definition).
        indexdef = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_jobs_search_trgm'").fetchone()
        assert indexdef is not None
        conn.execute("DROP INDEX idx_jobs_search_trgm")
        with conn.cursor().copy(
            "COPY jobs (id, command, provider, status, output_path, created_at, metadata) FROM STDIN"
        ) as copy:
            for i in range(jobs):
                prompt = " ".join(rng.choice(WORDS) for _ in range(12))
                if i % 5000 == 0:
                    prompt += f" {RARE}"
                if i % max(1, jobs // MID_JOBS) == 1:
                    prompt += f" {MID}"
                job_id = f"job-{(start + i // 3) * 1_000_000_000 + i}-4242"
                meta: dict[str, Any] = {
                    "operation": "generate", "prompt": prompt, "size": "1024x1024", "format": "png",
                    "quality": "auto", "background": "auto", "n": 1,
                    "provider_selection": {"requested": None, "resolved": "openai", "reason": "default"},
                    "output": {"path": f"/tmp/out/{job_id}.png", "bytes": 123456, "files": [{"index": 0}]},
                }  # fmt: skip
                copy.write_row((job_id, "images generate", "openai", rng.choice(STATUSES), f"/tmp/out/{job_id}.png",
                                str(start + i // 3), json.dumps(meta)))  # fmt: skip
        conn.commit()
        copied = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute(indexdef[0])
        conn.commit()
    indexed = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE jobs")
    return copied, indexed


def baseline_store(path: str) -> type[PostgresHistory]:
    """`PostgresHistory` from another copy of postgres.py (`git show REV:engine/src/gpt_image_engine/
    store/history/postgres.py > /tmp/pg.py`), imported beside this one, on the same schema."""
    spec = importlib.util.spec_from_file_location("gpt_image_engine.store.history.baseline_postgres", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    store: type[PostgresHistory] = module.PostgresHistory
    return store


def small_calls(url: str, baseline: str | None, rounds: int = 40, per_round: int = 100) -> None:
    """ms per call of the calls a running job makes, one after another on one thread: this store
    against the same store with the pool's check before each use (one more round trip per call,
    how it worked before it retried a lost connection instead), or with `--baseline` against
    another postgres.py; interleaved in rounds so both see the same machine load."""
    from psycopg_pool import ConnectionPool

    plain = PostgresHistory(url)
    if baseline:
        other, label = baseline_store(baseline)(url), "baseline"
    else:
        other, label = PostgresHistory(url), "+ check each use"
        other._pool._check = ConnectionPool.check_connection
    for i in range(200):
        plain.create_job(f"small-{i:04d}", "images generate", "openai", status="completed", metadata={"prompt": f"p {i}"})
    plain.create_job("small-live", "images generate", "openai")
    cases: list[tuple[str, Any]] = [
        ("get_job", lambda h: h.get_job("small-0100")),
        ("append_event", lambda h: h.append_event("small-live", "local", "job.progress", {"p": 1})),
        ("update_job (fetch=False)", lambda h: h.update_job("small-live", metadata_patch={"n": 1}, fetch=False)),
        ("list_jobs first page (201 jobs)", lambda h: h.list_jobs(limit=20)),
    ]
    times: dict[tuple[str, int], list[float]] = {(name, k): [] for name, _ in cases for k in (0, 1)}
    for _ in range(rounds):
        for name, fn in cases:
            for k, h in enumerate((plain, other)):
                t0 = time.perf_counter()
                for _ in range(per_round):
                    fn(h)
                times[(name, k)].append((time.perf_counter() - t0) * 1000 / per_round)
    print(f"small calls on one thread, ms per call, median (best) of {rounds} interleaved rounds of {per_round}:")
    print(f"{'call':<34} {'this store':>16} {label:>16} {'speed-up':>9}")
    for name, _ in cases:
        now, before = statistics.median(times[(name, 0)]), statistics.median(times[(name, 1)])
        best_now, best_before = min(times[(name, 0)]), min(times[(name, 1)])
        print(f"{name:<34} {now:>7.3f} ({best_now:.3f}) {before:>7.3f} ({best_before:.3f}) {before / now:>8.2f}x")
    plain.close()
    other.close()


def through_grpc(
    url: str, tmp: Path, cases: list[tuple[str, dict[str, Any]]], runs: int
) -> list[tuple[str, float, float]]:
    from gpt_image.v1 import jobs_pb2, jobs_pb2_grpc
    from gpt_image_protocol.address import EngineAddress
    from gpt_image_protocol.channel import open_channel

    with started_engine(tmp, GPT_IMAGE_2_DATABASE_URL=url) as (sock, _env):
        channel = open_channel(EngineAddress("unix", str(sock)))
        stub = jobs_pb2_grpc.JobsServiceStub(channel)
        results = []
        for name, kw in cases:
            request = jobs_pb2.ListJobsRequest(page_size=20, **kw)
            p50, p95 = measure(lambda request=request: stub.ListJobs(request, timeout=30), runs)
            results.append((name, p50, p95))
        channel.close()
        return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--grpc-runs", type=int, default=100)
    ap.add_argument("--calls-only", action="store_true", help="only the small calls, not the big history")
    ap.add_argument("--baseline", help="another postgres.py to time the small calls against")
    args = ap.parse_args()
    with running_cluster() as cluster, tempfile.TemporaryDirectory() as tmp:
        small_calls(cluster.url(cluster.create_database("calls")), args.baseline)
        if args.calls_only:
            return
        url = cluster.url(cluster.create_database("bench"))
        PostgresHistory(url).close()  # the schema through the real migrations
        t0 = time.perf_counter()
        copied, indexed = fill(url, args.jobs)
        built = time.perf_counter() - t0
        h = PostgresHistory(url)
        deep = h.list_jobs(limit=20, query="harbor")
        for _ in range(200):  # ~4,000 rows in
            deep = h.list_jobs(limit=20, query="harbor", cursor=deep["next_cursor"])
        deep_cursor = deep["next_cursor"]
        cases: list[tuple[str, dict[str, Any]]] = [
            ("first page (limit 20)", {}),
            ("first page, status=failed", {"status": "failed"}),
            ("search common word 'harbor'", {"query": "harbor"}),
            (f"search rare word '{RARE}'", {"query": RARE}),
            (f"search word in {MID_JOBS:,} jobs '{MID}'", {"query": MID}),
            ("search absent word 'qqqzzz'", {"query": "qqqzzz"}),
            ("deep cursor page + search", {"query": "harbor", "cursor": deep_cursor}),
        ]
        with psycopg.connect(url) as conn:
            version = conn.execute("SHOW server_version").fetchone()
        print(f"history bench (PostgreSQL {version[0] if version else '?'}): {args.jobs:,} jobs: COPY {copied - t0:.1f} s, "
              f"trigram index {indexed - copied:.1f} s, ready in {built:.1f} s; totals exact up to {COUNT_CAP:,} matches ({SEARCH_COUNT_CAP:,} for a search), estimated above")  # fmt: skip
        print(f"engine alone (PostgresHistory.list_jobs), {args.runs} runs each; target < 20 ms:")
        print(f"{'case':<34} {'p50 ms':>8} {'p95 ms':>8} {'total':>10}")
        worst = 0.0
        for name, kw in cases:
            page = h.list_jobs(limit=20, **kw)
            p50, p95 = measure(lambda kw=kw: h.list_jobs(limit=20, **kw), args.runs)
            worst = max(worst, p50)
            total = f"~{page['total']:,}" if page.get("total_estimated") else f"{page['total']:,}"
            print(f"{name:<34} {p50:>8.2f} {p95:>8.2f} {total:>10}")
        h.close()
        if args.grpc_runs > 0:
            grpc_cases = [(n, {k.replace("cursor", "page_token"): v for k, v in kw.items()}) for n, kw in cases]
            print(f"through a real engine (gRPC JobsService.ListJobs, page_size 20), {args.grpc_runs} runs each:")
            print(f"{'case':<34} {'p50 ms':>8} {'p95 ms':>8}")
            for name, p50, p95 in through_grpc(url, Path(tmp), grpc_cases, args.grpc_runs):
                print(f"{name:<34} {p50:>8.2f} {p95:>8.2f}")
        print(f"slowest engine-alone p50: {worst:.2f} ms ({'meets' if worst < 20 else 'MISSES'} the 20 ms target)")


if __name__ == "__main__":
    main()
