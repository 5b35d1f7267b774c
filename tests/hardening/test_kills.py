"""Issue 9 (2): `kill -9` the engine at random points, restart it, check nothing broke.

A seeded loop (`GI2_KILL_SEED`, `GI2_KILL_CYCLES`; 20 cycles by default) starts a real
engine, submits jobs through the real CLI with `--detach` (generates with unique prompts
against a fake upstream answering after small random delays, a transparent extract now and
then, sometimes with the engine pausing right after it spools a raw response), waits a
random moment and SIGKILLs the engine. Every restart must find:

* `PRAGMA integrity_check` = ok;
* every job terminal: completed, or failed with `interrupted_reason` "engine_restarted"
  (nothing else can fail here: the upstream only ever answers late, never wrongly);
* every PNG under jobs/ decodes (no partial output), every completed job's outputs present;
* no temp file (`.part`, `.tmp`, `.part-*`) in jobs/ or uploads/;
* no prompt sent upstream more often than the user asked: once, plus one per explicit
  `jobs retry`; `jobs resume --action continue_save` must never call the upstream.

Cycle 0 also plants the leftovers a kill mid-write would leave, so the start-up sweep is
exercised whatever the random points hit.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from PIL import Image

from tests.conftest import CLI
from tests.fakeupstream.server import GENERATIONS_PATH, Fault, draw_image

SEED = int(os.environ.get("GI2_KILL_SEED", "20250609"))
CYCLES = int(os.environ.get("GI2_KILL_CYCLES", "20"))
TERMINAL = {"completed", "partial_failed", "failed", "cancelled"}


def _temp_leftovers(shared: Path) -> list[Path]:
    found = []
    for folder in (shared / "jobs", shared / "uploads"):
        if folder.is_dir():
            found += [
                p for p in folder.rglob("*") if p.name.endswith((".part", ".tmp")) or p.name.startswith(".part-")
            ]
    return found


def _jobs(shared: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    db = shared / "history.sqlite"
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT id, status, metadata FROM jobs").fetchall()
    finally:
        conn.close()
    return {r[0]: (r[1], json.loads(r[2] or "{}")) for r in rows}


def _prompt(meta: dict[str, Any]) -> str | None:
    return meta.get("prompt") or (meta.get("request") or {}).get("prompt")


def _check_after_restart(engine, fake, asked: Counter[str], cycle: int) -> dict[str, tuple[str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    shared = engine.shared_dir
    where = f"cycle {cycle} (seed {SEED})"
    assert _temp_leftovers(shared) == [], where
    jobs = _jobs(shared)
    for job_id, (status, meta) in jobs.items():
        assert status in TERMINAL, (where, job_id, status)
        if status != "completed":
            # The upstream never fails here, so only a kill can end a job unsuccessfully.
            assert status == "failed" and meta.get("interrupted_reason") == "engine_restarted", (where, job_id, meta)
        else:
            for f in (meta.get("output") or {}).get("files") or []:
                assert Path(f["path"]).is_file(), (where, job_id, f)
    for png in (shared / "jobs").rglob("*.png"):
        with Image.open(png) as img:
            img.load()  # raises on a truncated or corrupt file
    sent = Counter(r.json.get("prompt") for r in fake.requests_to(GENERATIONS_PATH) if isinstance(r.json, dict))
    over = {p: n for p, n in sent.items() if n > asked[p]}
    assert over == {}, (where, over)
    return jobs


def _spawn(engine, env: dict[str, str], *args: str) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [CLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _plant_leftovers(shared: Path) -> None:
    """What SIGKILL in the middle of each kind of write leaves behind."""
    job = shared / "jobs" / "job-0000000000000000000-kill"
    job.mkdir(parents=True, exist_ok=True)
    (job / ".out.png.k1ll3d.tmp").write_bytes(b"\x89PNG\r\n\x1a\n half")
    (job / "raw_response.json.part").write_bytes(b'{"data": [{"b64_json": "iVBOR')
    upload = shared / "uploads" / ("u-" + "0" * 32)
    upload.mkdir(parents=True, exist_ok=True)
    (upload / ".part-matte.png").write_bytes(b"\x89PNG half")


def test_kill_loop(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    rng = random.Random(SEED)
    env = engine.client_env(OPENAI_API_KEY="sk-hardening-kills", OPENAI_BASE_URL=fake_upstream.openai_base)
    matte = tmp_path / "matte.png"
    matte.write_bytes(draw_image(512, 512, background=(0, 255, 0)))
    asked: Counter[str] = Counter()
    seen_completed = seen_interrupted = continued = 0
    engine.stop()
    _plant_leftovers(engine.shared_dir)
    jobs: dict[str, tuple[str, dict[str, Any]]] = {}
    for cycle in range(CYCLES):
        pause = rng.random() < 0.3
        if pause:
            engine.extra_env["GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL"] = "0.3"
        else:
            engine.extra_env.pop("GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL", None)
        engine.start()
        jobs = _check_after_restart(engine, fake_upstream, asked, cycle)
        fake_upstream.clear_faults()
        fake_upstream.faults(*(Fault.slow(rng.uniform(0.0, 0.35)) for _ in range(8)))

        procs: list[subprocess.Popen[str]] = []
        # Acting on what the last kill left: finish from the spooled response (never billable)
        # or, now and then, explicitly ask for the job again (the one allowed second send).
        interrupted = [(i, m) for i, (s, m) in sorted(jobs.items()) if s == "failed" and m.get("interrupted_reason")]
        cached = [i for i, _ in interrupted if (engine.shared_dir / "jobs" / i / "raw_response.json").is_file()]
        if cached and rng.random() < 0.5:
            procs.append(_spawn(engine, env, "jobs", "resume", rng.choice(cached), "--action", "continue_save", "--detach"))  # fmt: skip
            continued += 1
        if interrupted and rng.random() < 0.2:
            job_id, meta = rng.choice(interrupted)
            prompt = _prompt(meta)
            if prompt and prompt.startswith("kill-"):
                asked[prompt] += 1
                procs.append(_spawn(engine, env, "jobs", "retry", job_id, "--detach"))
        for i in range(rng.randint(1, 3)):
            prompt = f"kill-{cycle}-{i}"
            asked[prompt] += 1
            out = tmp_path / f"{prompt}.png"
            procs.append(_spawn(engine, env, "images", "generate", "--prompt", prompt, "--out", str(out), "--retries", "0", "--detach"))  # fmt: skip
        if rng.random() < 0.4:
            procs.append(_spawn(engine, env, "transparent", "extract", "--input", str(matte), "--out", str(tmp_path / f"t{cycle}.png"), "--detach"))  # fmt: skip

        # Kill while the CLIs are still talking (rarely), or while the jobs run or finish.
        if rng.random() < 0.15:
            time.sleep(rng.uniform(0.0, 0.2))
        else:
            for p in procs:
                p.wait(timeout=30)
            time.sleep(rng.uniform(0.0, 0.6))
        engine.stop(signal.SIGKILL)
        for p in procs:
            p.communicate(timeout=30)

    engine.extra_env.pop("GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL", None)
    engine.start()
    jobs = _check_after_restart(engine, fake_upstream, asked, CYCLES)
    # The loop exercised both endings (and the sweep removed the planted leftovers).
    seen_completed = sum(1 for s, _ in jobs.values() if s == "completed")
    seen_interrupted = sum(1 for s, m in jobs.values() if m.get("interrupted_reason"))
    assert seen_completed and seen_interrupted, (seen_completed, seen_interrupted)
    assert not (engine.shared_dir / "uploads" / ("u-" + "0" * 32)).exists()
    # The engine still works after all that.
    r = engine.cli("images", "generate", "--prompt", "after-kills", "--out", str(tmp_path / "final.png"), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    print(f"kill loop: {len(jobs)} jobs, {seen_completed} completed, {seen_interrupted} interrupted, {continued} continued")
