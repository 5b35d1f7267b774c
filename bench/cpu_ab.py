"""Engine CPU per job, two engine checkouts side by side (issue 19): which change pays.

The load table's CPU row (`bench/load.py`) depends on the machine's load, so a figure from one
run says little about a change. Each round this starts an engine from each checkout and runs the
same batch (`--jobs` GenerateImage streams against the fake upstream answering in 500 ms) on both
at the same time, so both see the same load; the starting order alternates by round. It prints
per checkout and max_parallel the median CPU ms per job (user + system from /proc), the median
thread switches per job (voluntary + involuntary, summed over the engine's threads from /proc; a
thread that ends during the batch is missed) and the load average the runs were taken under. A
checkout is a folder with its own `.venv` (`make install` there), e.g. a detached worktree of main:

    .venv/bin/python bench/cpu_ab.py --other /path/to/main-checkout [--rounds 3] [--parallel 2,8] [--root /dev/shm]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tests.conftest as conftest  # noqa: E402
from bench.load import GENERATIONS_PATH, UPSTREAM_S, FakeUpstream, Fault, new_engine, run_batch  # noqa: E402
from tests.conftest import EngineProc  # noqa: E402


def switches(pid: int) -> dict[str, int]:
    """Thread switches (voluntary + involuntary) of each of the engine's threads, by thread id."""
    counts: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "status").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        counts[task.name] = sum(
            int(line.split()[1])
            for line in text.splitlines()
            if line.endswith(tuple("0123456789")) and "ctxt_switches" in line
        )
    return counts


def switched(before: dict[str, int], after: dict[str, int]) -> int:
    """Switches between the two samples; a thread that ended in between is not counted."""
    return sum(n - before.get(tid, 0) for tid, n in after.items())


def pair(
    checkouts: dict[str, Path], root: Path, upstream: FakeUpstream, parallel: int, jobs: int
) -> dict[str, tuple[float, int, float]]:
    """One batch on an engine of each checkout at the same time: both see the same machine
    load (alternating whole runs lets the load move between them)."""
    engines: dict[str, EngineProc] = {}
    try:
        for name, checkout in checkouts.items():
            conftest.ENGINE = str(checkout / ".venv" / "bin" / "gpt-image-2-engine")
            engines[name] = new_engine(root, parallel, upstream)
        upstream.clear_faults()
        upstream.faults(Fault.slow(UPSTREAM_S, times=10 * jobs * len(engines), path=GENERATIONS_PATH))
        time.sleep(0.5)  # start-up work settles
        before = {name: switches(e.proc.pid) for name, e in engines.items() if e.proc is not None}
        batches: dict[str, dict[str, Any]] = {}
        threads = [
            threading.Thread(target=lambda n=name, e=engine: batches.__setitem__(n, run_batch(e, jobs)))
            for name, engine in engines.items()
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out = {}
        for name, engine in engines.items():
            assert engine.proc is not None
            batch = batches[name]
            count = switched(before[name], switches(engine.proc.pid))
            if batch["completed"] != jobs:
                print(f"    {name}: {batch['completed']}/{jobs} completed {batch['errors']}", file=sys.stderr)
            out[name] = (batch["cpu_s"] / jobs * 1000, count // jobs, batch["load"][0])
        return out
    finally:
        for engine in engines.values():
            engine.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", required=True, help="the checkout to compare with (it has its own .venv)")
    parser.add_argument("--this", default=str(ROOT), help="the checkout measured as `this` (default: this one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=64)
    parser.add_argument("--parallel", default="2,8")
    parser.add_argument("--root", help="folder for the engines' homes (default: the system temp folder)")
    ns = parser.parse_args()
    checkouts = {"this": Path(ns.this).resolve(), "other": Path(ns.other).resolve()}
    root = Path(tempfile.mkdtemp(prefix="gi2-ab-", dir=ns.root))
    upstream = FakeUpstream().start()
    results: dict[tuple[str, int], list[tuple[float, int, float]]] = {}
    try:
        for r in range(ns.rounds):
            for parallel in [int(p) for p in ns.parallel.split(",") if p.strip()]:
                order = dict(list(checkouts.items())[:: 1 if r % 2 == 0 else -1])
                for name, (ms, count, load) in pair(order, root, upstream, parallel, ns.jobs).items():
                    results.setdefault((name, parallel), []).append((ms, count, load))
                    print(f"  round {r + 1} {name:5} p{parallel}: {ms:.1f} ms/job, {count} switches/job, load {load:.1f}", file=sys.stderr, flush=True)  # fmt: skip
    finally:
        upstream.stop()
        sockets = root / "sockets.txt"
        for folder in sockets.read_text().split() if sockets.exists() else []:
            shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
    print(f"root {ns.root or tempfile.gettempdir()}, {ns.jobs} jobs, load average now {os.getloadavg()[0]:.1f}")
    for (name, parallel), runs in sorted(results.items(), key=lambda item: (item[0][1], item[0][0])):
        median_count = f"{statistics.median(c for _, c, _ in runs):.0f}"
        print(
            f"{name:5} max_parallel {parallel}: CPU {statistics.median(m for m, _, _ in runs):.1f} ms/job "
            f"(runs {', '.join(f'{m:.1f}' for m, _, _ in runs)}), switches {median_count}/job, "
            f"load {min(x for _, _, x in runs):.1f}-{max(x for _, _, x in runs):.1f}"
        )


if __name__ == "__main__":
    main()
