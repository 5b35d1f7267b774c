"""Issue 12 (2): DNS rebinding cannot move a connection past the URL guard.

A real DNS server on 127.0.0.1 (tests/fakedns, dnslib) answers a name with one address
first and another afterwards, and the engine resolves through it (a test-only resolver
hook on its PYTHONPATH turns every lookup of `*.rebind.test`, the guard's or httpx's,
into a real DNS query). The good fake upstream listens on 127.0.0.1:P, an "attacker" on
127.0.0.2:P. Each provider request, token refresh and result download must resolve the
name exactly once and connect to the address that was checked: the attacker sees
nothing. A name that does not resolve is refused with a code, never sent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EngineProc
from tests.fakedns import HOOK_DIR, FakeDNS
from tests.fakeupstream.server import CODEX_PATH, GENERATIONS_PATH, TOKEN_PATH, FakeUpstream


@pytest.fixture
def dns() -> Iterator[FakeDNS]:
    with FakeDNS() as server:
        yield server


@pytest.fixture
def pair() -> Iterator[tuple[FakeUpstream, FakeUpstream]]:
    good = FakeUpstream().start()
    try:
        evil = FakeUpstream(host="127.0.0.2", port=good.port).start()
    except OSError:
        good.stop()
        pytest.fail("127.0.0.2 is not usable as a loopback address here")
    try:
        yield good, evil
    finally:
        evil.stop()
        good.stop()


@pytest.fixture
def rebinding_engine(engine: EngineProc, dns: FakeDNS) -> EngineProc:
    engine.stop()
    path = os.pathsep.join(p for p in (str(HOOK_DIR), engine.env.get("PYTHONPATH", "")) if p)
    engine.extra_env.update({"PYTHONPATH": path, "GPT_IMAGE_2_TEST_DNS": dns.address})
    engine.start()
    return engine


def generate(engine: EngineProc, base: str, out: Path, *extra: str) -> Any:
    env = engine.client_env(OPENAI_API_KEY="sk-rebinding-1234", OPENAI_BASE_URL=base)
    return engine.cli(
        "images", "generate", "--prompt", "p", "--out", str(out), "--retries", "0", *extra, env=env
    )  # fmt: skip


def test_provider_connection_is_pinned_to_the_checked_address(rebinding_engine, dns, pair, tmp_path):  # type: ignore[no-untyped-def]
    good, evil = pair
    dns.script("api.rebind.test", ["127.0.0.1", "127.0.0.2"])
    r = generate(rebinding_engine, f"http://api.rebind.test:{good.port}/v1", tmp_path / "a.png")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(good.requests_to(GENERATIONS_PATH)) == 1
    assert evil.requests == []
    assert dns.queries("api.rebind.test") == 1  # checked once, and that answer was used
    # The Host header still names the host (virtual hosting and TLS keep working).
    assert good.requests_to(GENERATIONS_PATH)[0].headers["host"] == f"api.rebind.test:{good.port}"


def test_url_results_are_downloaded_from_the_checked_address(rebinding_engine, dns, pair, tmp_path):  # type: ignore[no-untyped-def]
    good, evil = pair
    good.result_mode = "url"
    good.file_host = "api.rebind.test"
    dns.script("api.rebind.test", ["127.0.0.1", "127.0.0.1", "127.0.0.2"])
    r = generate(rebinding_engine, f"http://api.rebind.test:{good.port}/v1", tmp_path / "b.png")
    assert r.returncode == 0, r.stdout + r.stderr
    assert [x.path.split("/")[1] for x in good.requests] == ["v1", "files"]
    assert evil.requests == []
    assert dns.queries("api.rebind.test") == 2  # one per connection, none in between


def _codex_engine(engine: EngineProc, dns: FakeDNS, token_url: str) -> EngineProc:
    engine.stop()
    path = os.pathsep.join(p for p in (str(HOOK_DIR), engine.env.get("PYTHONPATH", "")) if p)
    engine.extra_env.update(
        {"PYTHONPATH": path, "GPT_IMAGE_2_TEST_DNS": dns.address, "GPT_IMAGE_2_CODEX_TOKEN_URL": token_url}
    )
    engine.start()
    return engine


def codex(engine: EngineProc, good: FakeUpstream, tmp_path: Path) -> Any:
    auth = good.write_auth_json(tmp_path / "auth.json")
    good.revoke_access_token()  # the first Codex call gets a 401, then the token is refreshed
    return engine.cli(
        "images", "generate", "--prompt", "p", "--out", str(tmp_path / "c.png"), "--provider", "codex",
        "--auth-file", str(auth), "--endpoint", f"http://chat.rebind.test:{good.port}{CODEX_PATH}",
    )  # fmt: skip


def test_codex_and_token_refresh_are_pinned(engine, dns, pair, tmp_path):  # type: ignore[no-untyped-def]
    good, evil = pair
    _codex_engine(engine, dns, f"http://auth.rebind.test:{good.port}{TOKEN_PATH}")
    dns.script("auth.rebind.test", ["127.0.0.1", "127.0.0.2"])
    dns.script("chat.rebind.test", ["127.0.0.1", "127.0.0.1", "127.0.0.2"])
    r = codex(engine, good, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(good.requests_to(TOKEN_PATH)) == 1 and len(good.requests_to(CODEX_PATH)) == 2
    assert evil.requests == []
    assert dns.queries("auth.rebind.test") == 1
    assert dns.queries("chat.rebind.test") == 2  # one per request (before and after the refresh)


def test_token_refresh_to_a_metadata_address_is_refused(engine, dns, pair, tmp_path):  # type: ignore[no-untyped-def]
    good, evil = pair
    _codex_engine(engine, dns, f"http://auth.rebind.test:{good.port}{TOKEN_PATH}")
    dns.script("auth.rebind.test", ["169.254.169.254"])
    dns.script("chat.rebind.test", ["127.0.0.1"])
    r = codex(engine, good, tmp_path)
    assert r.returncode == 1
    err = json.loads(r.stdout)["error"]
    assert err["code"] == "storage_remote_blocked", err
    assert dns.queries("auth.rebind.test") == 1 and good.requests_to(TOKEN_PATH) == []


def test_a_name_that_does_not_resolve_is_refused(rebinding_engine, dns, pair, tmp_path):  # type: ignore[no-untyped-def]
    good, evil = pair
    r = generate(rebinding_engine, f"http://gone.rebind.test:{good.port}/v1", tmp_path / "d.png")
    assert r.returncode == 1
    err = json.loads(r.stdout)["error"]
    assert err["code"] == "storage_remote_resolve_failed", err
    assert good.requests == [] and evil.requests == []
