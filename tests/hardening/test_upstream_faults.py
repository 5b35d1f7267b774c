"""Issue 9 (1): upstream faults end to end through the real CLI and a real engine.

Every fault the loopback fake can inject ends in the documented outcome: success after the
right number of retries (one `retry_scheduled` event per retry, Retry-After honoured on
429/503), or the right error code after the right number of upstream requests. Either way
the `--out` folder holds the finished file or nothing at all (no temp leftovers), and the
engine's job folder holds no temp files.

One engine serves the module (`engine` below): every test brings its own fake upstream and
sends its key and base URL with the call, so nothing carries over; the Codex refresh test
restarts an engine with a token URL and gets its own (`own_engine`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EngineProc
from tests.fakeupstream.server import CODEX_PATH, GENERATIONS_PATH, TOKEN_PATH, Fault

FAST = ("--retry-delay-seconds", "0.05")


def openai_env(engine, fake) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return engine.client_env(OPENAI_API_KEY="sk-hardening-faults", OPENAI_BASE_URL=fake.openai_base)


def generate(engine, fake, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    return engine.cli(
        "images", "generate", "--prompt", "p", "--out", str(out), "--json-events", *FAST, *extra,
        env=openai_env(engine, fake),
    )  # fmt: skip


def codex(engine, fake, tmp_path: Path, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    auth = tmp_path / "auth.json"
    if not auth.exists():
        fake.write_auth_json(auth)
    return engine.cli(
        "images", "generate", "--prompt", "p", "--out", str(out), "--json-events", *FAST,
        "--provider", "codex", "--auth-file", str(auth), "--endpoint", fake.codex_endpoint, *extra,
    )  # fmt: skip


def retries_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "retry_scheduled"]


def assert_clean_failure(r, out: Path, code: str) -> None:  # type: ignore[no-untyped-def]
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.json["ok"] is False and r.json["error"]["code"] == code, r.stdout
    # Nothing at --out, nothing beside it (no temp files, no partial downloads).
    assert not out.exists()
    assert sorted(p.name for p in out.parent.iterdir()) == [], list(out.parent.iterdir())


def assert_no_job_temp(engine) -> None:  # type: ignore[no-untyped-def]
    jobs = engine.shared_dir / "jobs"
    leftovers = [p for p in jobs.rglob("*") if p.name.startswith(".") or p.name.endswith((".tmp", ".part"))]
    assert leftovers == []


@pytest.fixture(scope="module")
def engine(module_engine: EngineProc) -> EngineProc:
    return module_engine


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "outdir"
    folder.mkdir()
    return folder / "img.png"


def assert_ok(r, out: Path, retries: int) -> None:  # type: ignore[no-untyped-def]
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.json["retry"]["count"] == retries
    assert [e["data"]["retry_number"] for e in retries_of(r.events)] == list(range(1, retries + 1))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]


@pytest.mark.parametrize("status", [500, 502])
def test_5xx_then_success(engine, fake_upstream, out, status):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.fail(status, times=2))
    r = generate(engine, fake_upstream, out)
    assert_ok(r, out, 2)
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 3
    assert [e["data"]["status_code"] for e in retries_of(r.events)] == [status, status]


def test_5xx_exhausts_retries(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.fail(502, times=10))
    r = generate(engine, fake_upstream, out, "--retries", "2")
    assert_clean_failure(r, out, "http_error")
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 3
    assert len(retries_of(r.events)) == 2
    assert_no_job_temp(engine)


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_is_honoured(engine, fake_upstream, out, status):  # type: ignore[no-untyped-def]
    # The backoff would be 0.05 s; the server's Retry-After (0.4 s) replaces it.
    fake_upstream.faults(Fault.fail(status, times=1, retry_after="0.4"))
    r = generate(engine, fake_upstream, out)
    assert_ok(r, out, 1)
    (retry,) = retries_of(r.events)
    assert retry["data"]["delay_seconds"] == pytest.approx(0.4)
    assert retry["data"]["status_code"] == status
    sent = fake_upstream.requests_to(GENERATIONS_PATH)
    assert len(sent) == 2


def test_400_is_not_retried(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.fail(400, times=5))
    r = generate(engine, fake_upstream, out)
    assert_clean_failure(r, out, "http_error")
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1 and retries_of(r.events) == []


def test_connection_reset_is_retried(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.reset(times=1))
    r = generate(engine, fake_upstream, out)
    assert_ok(r, out, 1)
    assert retries_of(r.events)[0]["data"]["status_code"] is None


def test_connection_reset_every_time(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.reset(times=10))
    r = generate(engine, fake_upstream, out, "--retries", "1")
    assert_clean_failure(r, out, "network_error")
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 2
    assert_no_job_temp(engine)


def test_response_slower_than_the_timeout(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.slow(2.5, times=5))
    r = generate(engine, fake_upstream, out, "--request-timeout-seconds", "0.5", "--retries", "0")
    assert_clean_failure(r, out, "network_error")
    assert "Timeout" in json.dumps(r.json["error"])


def test_slow_once_then_fast_succeeds_after_one_retry(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    # The first call is never answered; the retry must be answered within the timeout. 0.5 s was
    # shorter than the fake takes to draw a 1024x1024 reply on a loaded machine (0.7-1.2 s at a
    # load of 11 on 2 cores): the retry timed out too. 3 s keeps a clear gap both ways.
    fake_upstream.faults(Fault.hold(times=1))
    r = generate(engine, fake_upstream, out, "--request-timeout-seconds", "3")
    assert_ok(r, out, 1)


def test_malformed_json_fails_without_retry(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.malformed_json(times=5))
    r = generate(engine, fake_upstream, out)
    assert_clean_failure(r, out, "invalid_json_response")
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 1


def test_200_without_an_image(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.no_image(times=5))
    r = generate(engine, fake_upstream, out)
    assert_clean_failure(r, out, "missing_image_result")
    assert_no_job_temp(engine)


def test_image_that_is_not_an_image(engine, fake_upstream, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.not_image(times=5))
    r = generate(engine, fake_upstream, out)
    assert_clean_failure(r, out, "missing_image_result")
    # The engine kept no output file for it either.
    failed = json.loads(engine.cli("history", "list", "--status", "failed").stdout)
    job_id = failed["jobs"][0]["id"]  # newest first: this test's job
    assert (engine.shared_dir / "jobs" / job_id).is_dir()
    assert not list((engine.shared_dir / "jobs" / job_id).rglob("out.*"))


# --- Codex


def test_codex_without_an_image(engine, fake_upstream, tmp_path, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.no_image(times=5, path=CODEX_PATH))
    r = codex(engine, fake_upstream, tmp_path, out)
    assert_clean_failure(r, out, "missing_image_result")
    assert len(fake_upstream.requests_to(CODEX_PATH)) == 1


def test_codex_image_that_is_not_an_image(engine, fake_upstream, tmp_path, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.not_image(times=5, path=CODEX_PATH))
    r = codex(engine, fake_upstream, tmp_path, out)
    assert_clean_failure(r, out, "missing_image_result")


def test_codex_503_with_retry_after(engine, fake_upstream, tmp_path, out):  # type: ignore[no-untyped-def]
    fake_upstream.faults(Fault.fail(503, times=1, retry_after="0.3", path=CODEX_PATH))
    r = codex(engine, fake_upstream, tmp_path, out)
    assert_ok(r, out, 1)
    assert retries_of(r.events)[0]["data"]["delay_seconds"] == pytest.approx(0.3)


@pytest.mark.parametrize("token_status", [400, 500])
def test_codex_401_whose_refresh_fails(own_engine, fake_upstream, tmp_path, out, token_status):  # type: ignore[no-untyped-def]
    engine = own_engine
    engine.stop()
    engine.extra_env["GPT_IMAGE_2_CODEX_TOKEN_URL"] = fake_upstream.token_url
    engine.start()
    auth = fake_upstream.write_auth_json(tmp_path / "auth.json")
    before = auth.read_bytes()
    fake_upstream.revoke_access_token()
    fake_upstream.faults(Fault.fail(token_status, times=5, path=TOKEN_PATH))
    r = codex(engine, fake_upstream, tmp_path, out)
    # The upstream's shape: a non-2xx refresh is http_error carrying the token endpoint's status.
    assert_clean_failure(r, out, "http_error")
    assert r.json["error"]["detail"]["message"] == "Refresh request failed."
    # One refresh, never retried; one Codex request; auth.json untouched.
    assert len(fake_upstream.requests_to(TOKEN_PATH)) == 1
    assert len(fake_upstream.requests_to(CODEX_PATH)) == 1
    assert retries_of(r.events) == []
    types = [e["type"] for e in r.events]
    assert types.count("auth_refresh_started") == 1 and "auth_refresh_completed" not in types
    assert auth.read_bytes() == before
    for token in (fake_upstream.refresh_token, fake_upstream.access_token):
        assert token not in r.stdout + r.stderr
