"""Cancelling a running job ends it promptly even while the provider is still thinking."""

from __future__ import annotations

import time

from tests.fakeupstream.server import Fault


def test_cancel_interrupts_a_slow_provider_call(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.slow(30.0, path="/v1/images/generations"))
    env = engine.client_env(OPENAI_API_KEY="sk-t", OPENAI_BASE_URL=fake_upstream.openai_base)
    started = engine.cli("images", "generate", "--prompt", "slow", "--out", str(tmp_path / "s.png"), "--detach", env=env)
    assert started.returncode == 0, started.stdout
    job_id = started.json["job_id"]
    deadline = time.monotonic() + 10
    while not fake_upstream.requests_to("/v1/images/generations") and time.monotonic() < deadline:
        time.sleep(0.05)
    t0 = time.monotonic()
    cancelled = engine.cli("jobs", "cancel", job_id)
    assert cancelled.returncode == 0 and cancelled.json["cancelled"] is True, cancelled.stdout
    while time.monotonic() - t0 < 10:
        status = engine.cli("history", "show", job_id).json["job"]["status"]
        if status == "cancelled":
            break
        time.sleep(0.1)
    assert status == "cancelled"
    assert time.monotonic() - t0 < 5  # not the 30 s the upstream would have taken
    assert not (tmp_path / "s.png").exists()
