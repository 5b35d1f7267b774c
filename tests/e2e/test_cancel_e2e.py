"""Cancelling a running job ends it promptly even while the provider is still thinking."""

from __future__ import annotations

import sqlite3
import time

from tests.fakeupstream.server import Fault


def _status(engine, job_id):  # type: ignore[no-untyped-def]
    conn = sqlite3.connect(engine.shared_dir / "history.sqlite")
    try:
        row = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def test_cancel_interrupts_a_slow_provider_call(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    # The provider never answers while the test runs: only the cancel can end this job.
    held = Fault.hold(path="/v1/images/generations")
    fake_upstream.faults(held)
    env = engine.client_env(OPENAI_API_KEY="sk-t", OPENAI_BASE_URL=fake_upstream.openai_base)
    started = engine.cli("images", "generate", "--prompt", "slow", "--out", str(tmp_path / "s.png"), "--detach", env=env)
    assert started.returncode == 0, started.stdout
    job_id = started.json["job_id"]
    deadline = time.monotonic() + 30
    while not fake_upstream.requests_to("/v1/images/generations") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake_upstream.requests_to("/v1/images/generations"), "the provider call never started"
    cancelled = engine.cli("jobs", "cancel", job_id)
    assert cancelled.returncode == 0 and cancelled.json["cancelled"] is True, cancelled.stdout
    # Promptly: measured from the engine's answer to the cancel to the recorded end, read
    # straight from the history file (CLI start-up on a loaded machine is not the engine's delay).
    t0 = time.monotonic()
    status = _status(engine, job_id)
    while status != "cancelled" and time.monotonic() - t0 < 30:
        time.sleep(0.05)
        status = _status(engine, job_id)
    assert status == "cancelled"
    assert time.monotonic() - t0 < 5  # the call was stopped, not waited out
    assert engine.cli("history", "show", job_id).json["job"]["status"] == "cancelled"
    assert not (tmp_path / "s.png").exists()
    held.release()
