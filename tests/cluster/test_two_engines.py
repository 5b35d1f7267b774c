"""Two real engine processes on one PostgreSQL and one SeaweedFS bucket, each with its own data
folder: a job submitted to one is watched (CLI and the gateway's SSE), downloaded and cancelled
through the other; a job
carrying no per-call key runs on whichever engine is free."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gpt_image_gateway.app import create_app
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.settings import Settings
from gpt_image_protocol.address import parse_address
from tests.cluster.engines import client_env, job_json, queue_row, statuses, wait_for
from tests.conftest import EngineProc
from tests.fakeupstream.server import GENERATIONS_PATH, Fault
from tests.gateway.conftest import follow

pytestmark = pytest.mark.slow  # real engines, PostgreSQL and SeaweedFS


def test_submit_on_one_watch_download_and_cancel_on_the_other(
    pair: tuple[EngineProc, EngineProc], pg_url: str, fake_upstream: Any, tmp_path: Path
) -> None:
    a, b = pair
    # A per-call key pins the job to the engine it was sent to (a key never leaves that engine),
    # so this job certainly runs on `a` while `b` follows it.
    on_a = client_env(a, OPENAI_API_KEY="sk-per-call")
    held = Fault.hold(path=GENERATIONS_PATH)  # running until seen running (a timed delay could end first)
    fake_upstream.faults(held)
    started = a.cli(
        "images", "generate", "--prompt", "a red fox", "--out", str(tmp_path / "a.png"), "--detach", env=on_a
    )
    assert started.returncode == 0, started.stdout + started.stderr
    job_id = started.json["job_id"]
    wait_for(lambda: queue_row(pg_url, job_id)["state"] == "running", 30)
    assert queue_row(pg_url, job_id)["pid"] == a.proc.pid  # type: ignore[union-attr]

    # The gateway of engine `b` streams it over SSE while `a` runs it (its hub wakes on NOTIFY):
    # the call is let go a moment after b starts following, so the rest usually arrives live
    # (replayed or live, the stream must be the same).
    gateway = EngineClient(parse_address(b.address))
    release = threading.Timer(1.0, held.release)
    release.start()
    try:
        sse = follow(create_app(gateway, Settings(sse_heartbeat_s=1.0)).test_client(), job_id)
    finally:
        release.cancel()
        held.release()
        gateway.close()
    sse_types = [m["data"]["type"] for m in sse]
    assert sse_types[0] == "job.queued" and "job.running" in sse_types and sse_types[-1] == "job.completed"
    assert [int(m["id"]) for m in sse] == sorted(int(m["id"]) for m in sse)

    out = tmp_path / "fox.png"
    watched = b.cli("--json-events", "jobs", "watch", job_id, "--out", str(out), env=client_env(b))
    assert watched.returncode == 0, watched.stdout + watched.stderr
    types = [e.get("type") for e in watched.events]
    assert types[0] == "job.queued" and types[-1] == "job.completed", types
    assert "job.running" in types and "output_saved" in types
    seqs = [e["seq"] for e in watched.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)  # in order, none twice
    stored = job_json(b, job_id)
    output = next(a for a in stored["metadata"]["artifacts"] if a["role"] == "output")
    assert out.stat().st_size == output["size_bytes"]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == output["sha256"]  # downloaded whole through b
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1

    # Cancel through `b` a job that `a` is running: `a` hears it (NOTIFY) and stops the call
    # (which the upstream never answers here: only the cancel can end the job).
    never = Fault.hold(path=GENERATIONS_PATH)
    fake_upstream.faults(never)
    slow = a.cli("images", "generate", "--prompt", "a slow owl", "--out", str(tmp_path / "o.png"), "--detach", env=on_a)
    slow_id = slow.json["job_id"]
    wait_for(lambda: len(fake_upstream.requests_to(GENERATIONS_PATH)) == 2, 30)
    cancelled = b.cli("jobs", "cancel", slow_id, env=client_env(b))
    assert cancelled.returncode == 0 and cancelled.json["cancelled"] is True, cancelled.stdout
    wait_for(lambda: statuses(pg_url, [slow_id])[slow_id] == "cancelled", 30)
    never.release()
    assert queue_row(pg_url, slow_id)["state"] == "done"
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 2  # nothing re-sent

    # A queued job cancelled from the other engine ends at once and is never sent.
    doctor = b.cli("doctor", env=client_env(b))
    peers = json.loads(doctor.stdout)["cluster"]["peers"]
    assert {p["pid"] for p in peers} == {a.proc.pid, b.proc.pid}  # type: ignore[union-attr]
    assert "sk-" not in doctor.stdout


def test_a_job_without_a_per_call_key_runs_on_any_engine(
    pair: tuple[EngineProc, EngineProc], pg_url: str, fake_upstream: Any, tmp_path: Path
) -> None:
    a, b = pair
    # Every call is held until `b` runs one: with timed delays, `a` alone could finish the jobs as
    # fast as a loaded machine submitted them, and `b` never had to help.
    held = Fault.hold(path=GENERATIONS_PATH, times=6)
    fake_upstream.faults(held)
    ids = []
    for i in range(6):  # all through `a`, which has 2 slots: `b` must take some
        out = str(tmp_path / f"t{i}.png")
        started = a.cli("images", "generate", "--prompt", f"tile {i}", "--out", out, "--detach", env=client_env(a))
        assert started.returncode == 0, started.stdout + started.stderr
        ids.append(started.json["job_id"])
    b_pid = b.proc.pid  # type: ignore[union-attr]
    wait_for(lambda: any(queue_row(pg_url, job_id)["pid"] == b_pid for job_id in ids), 60, 0.2)
    held.release()
    done = ("completed", "failed", "cancelled")
    wait_for(lambda: all(s in done for s in statuses(pg_url, ids).values()), 60, 0.2)
    ends = {job_id: job_json(b, job_id) for job_id in ids}
    assert all(j["status"] == "completed" for j in ends.values()), [j.get("error") for j in ends.values()]
    runners = Counter(queue_row(pg_url, job_id)["pid"] for job_id in ids)
    assert set(runners) == {a.proc.pid, b.proc.pid}, runners  # type: ignore[union-attr]
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 6  # each sent once
