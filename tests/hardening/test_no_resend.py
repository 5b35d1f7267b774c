"""Issue 12 (7): once the provider accepted a request (2xx headers received), a broken body
is never resent automatically: one provider call, the job fails with the body's error
marked `remote_accepted`, and recovery classes it `ambiguous.remote_maybe_accepted`
with `resubmit` (billable, warned) on offer. Real CLI, real engine, the fake upstream.

One engine serves the module (`engine`); each test has its own fake upstream and forwards its
key and base URL, and each failing test's job is the newest failed one when it looks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EngineProc
from tests.fakeupstream.server import CODEX_PATH, GENERATIONS_PATH, Fault
from tests.hardening.test_upstream_faults import assert_clean_failure, codex, generate


@pytest.fixture(scope="module")
def engine(module_engine: EngineProc) -> EngineProc:
    return module_engine


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "outdir"
    folder.mkdir()
    return folder / "img.png"


def recovery_of(engine, r) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    failed = json.loads(engine.cli("history", "list", "--status", "failed").stdout)["jobs"]
    job_id = failed[0]["id"]
    return json.loads(engine.cli("jobs", "recovery", job_id).stdout)


def assert_ambiguous(engine, r, out: Path, code: str) -> None:  # type: ignore[no-untyped-def]
    assert_clean_failure(r, out, code)
    assert r.json["error"]["detail"]["remote_accepted"] is True
    assert [e for e in r.events if e["type"] == "retry_scheduled"] == []
    rec = recovery_of(engine, r)
    body = rec.get("recovery", rec)
    assert body["recoverability"] == "ambiguous.remote_maybe_accepted", rec
    assert body["primary_action"] is None
    (action,) = body["secondary_actions"]
    assert action["id"] == "resubmit" and action["billable"] is True and "accepted" in action["warning"]


def test_json_body_cut_half_way_is_not_resent(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.cut_stream(times=5))
    r = generate(engine, fake_upstream, out)
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1
    assert_ambiguous(engine, r, out, "network_error")


def test_malformed_json_is_not_resent_nor_offered_as_cached(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.malformed_json(times=5))
    r = generate(engine, fake_upstream, out)
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1
    assert_ambiguous(engine, r, out, "invalid_json_response")
    # The broken body stays as evidence, never as a cache `continue_save` would choke on.
    assert not list((engine.shared_dir / "jobs").rglob("raw_response*.json"))
    assert list((engine.shared_dir / "jobs").rglob("raw_response*.invalid"))


def test_openai_sse_cut_mid_event_is_not_resent(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.cut_stream(times=5, after_events=1))
    r = generate(engine, fake_upstream, out, "--partial-images", "1")
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1
    assert_ambiguous(engine, r, out, "network_error")


def test_openai_sse_malformed_event_is_not_resent(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.malformed_event(times=5))
    r = generate(engine, fake_upstream, out, "--partial-images", "1")
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1
    assert_ambiguous(engine, r, out, "request_failed")


def test_codex_sse_cut_mid_event_is_not_resent(engine, fake_upstream, tmp_path, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.cut_stream(times=5, path=CODEX_PATH, after_events=1))
    r = codex(engine, fake_upstream, tmp_path, out)
    assert len(fake_upstream.requests_to(CODEX_PATH)) == 1
    assert_ambiguous(engine, r, out, "request_failed")


def test_codex_malformed_event_is_not_resent(engine, fake_upstream, tmp_path, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.malformed_event(times=5, path=CODEX_PATH))
    r = codex(engine, fake_upstream, tmp_path, out)
    assert len(fake_upstream.requests_to(CODEX_PATH)) == 1
    assert_ambiguous(engine, r, out, "request_failed")


def test_a_5xx_before_acceptance_is_still_retried(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.fail(502, times=1))
    r = generate(engine, fake_upstream, out)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 2
