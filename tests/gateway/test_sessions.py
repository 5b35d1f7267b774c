"""Issue 12, items 3 and 10 (gateway): token length, server-side sessions that sign-out revokes
and that expire, sign-in backoff per client, `Secure` cookies over TLS or a trusted proxy,
and coded 4xx answers for a NUL in the path and for JSON nested past the parser's depth."""

from __future__ import annotations

import pytest
from flask import Flask

from gpt_image_gateway.app import create_app
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.settings import Settings, parse_networks
from gpt_image_protocol.errors import AppError

TOKEN = "t0ken-for-session-tests-0123456789abcdef"


class Clock:
    """The gateway's clock in these tests (wall and monotonic alike, and itsdangerous' signing
    time): a test moves it instead of sleeping, so a loaded machine cannot spend a 1 s session
    before its first use. Starts on a whole second (itsdangerous signs whole seconds)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    import itsdangerous.timed

    import gpt_image_gateway.security as security

    fake = Clock()
    monkeypatch.setattr(security, "time", fake)
    monkeypatch.setattr(itsdangerous.timed, "time", fake)
    return fake


def make(engine_client: EngineClient, **kw: object) -> Flask:
    return create_app(engine_client, Settings(token=TOKEN, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("token", ["a", "x" * 31])
def test_short_token_refused(engine_client: EngineClient, token: str) -> None:
    with pytest.raises(AppError) as info:
        create_app(engine_client, Settings(token=token))
    assert info.value.code == "web_token_too_short" and info.value.detail["minimum"] == 32
    create_app(engine_client, Settings(token="x" * 32))  # 32 is enough


def _cookie(reply: object) -> str:
    return str(reply.headers["Set-Cookie"]).split(";", 1)[0].split("=", 1)[1]  # type: ignore[attr-defined]


def test_cookie_is_a_signed_session_every_gateway_with_the_token_accepts_until_sign_out(
    engine_client: EngineClient,
) -> None:
    a, b = make(engine_client), make(engine_client)  # two gateways (replicas) sharing the token and engine
    http = a.test_client()
    ok = http.post("/api/session", json={"token": TOKEN})
    assert ok.status_code == 204
    cookie = ok.headers["Set-Cookie"]
    sid = _cookie(ok)
    assert TOKEN not in cookie and len(sid) >= 40
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    again = _cookie(http.post("/api/session", json={"token": TOKEN}))
    assert again != sid  # a fresh random session per sign-in
    assert http.get("/api/jobs").status_code == 200

    def on(app: Flask, value: str, method: str = "get", path: str = "/api/jobs") -> int:
        reply = getattr(app.test_client(use_cookies=False), method)(path, headers={"Cookie": f"gpt2_session={value}"})
        return int(reply.status_code)

    assert on(b, sid) == 200  # the other replica honours it: no sticky sessions needed
    # A gateway with another token (the token rotated) refuses it, and so does a tampered cookie.
    rotated = create_app(engine_client, Settings(token="another-token-0123456789abcdef-xyz"))
    assert on(rotated, sid) == 401
    assert on(a, sid[:-2] + ("AA" if not sid.endswith("AA") else "BB")) == 401
    assert on(a, TOKEN) == 401  # the token itself in the cookie is not a session
    # Sign-out on B: refused on B, and on A, which never saw it (it asks the engine).
    assert on(b, sid, "delete", "/api/session") == 204
    assert on(b, sid) == 401 and on(a, sid) == 401
    assert a.test_client(use_cookies=False).get(
        "/api/session", headers={"Cookie": f"gpt2_session={sid}"}
    ).json == {"auth_required": True, "authorized": False}
    # Another session of the same browser is untouched by that sign-out.
    assert on(a, again) == 200 and on(b, again) == 200


def test_sessions_expire(engine_client: EngineClient, clock: Clock) -> None:
    http = make(engine_client, session_ttl_s=1).test_client()
    ok = http.post("/api/session", json={"token": TOKEN})
    assert "Max-Age=1" in ok.headers["Set-Cookie"]
    sid = _cookie(ok)
    raw = http.application.test_client(use_cookies=False)
    assert raw.get("/api/jobs", headers={"Cookie": f"gpt2_session={sid}"}).status_code == 200
    clock.advance(0.99)
    assert raw.get("/api/jobs", headers={"Cookie": f"gpt2_session={sid}"}).status_code == 200
    clock.advance(0.02)
    assert raw.get("/api/jobs", headers={"Cookie": f"gpt2_session={sid}"}).status_code == 401


def test_idle_sessions_expire_and_use_keeps_them_until_the_absolute_limit(
    engine_client: EngineClient, clock: Clock
) -> None:
    app = make(engine_client, session_idle_s=2, session_ttl_s=5)
    raw = app.test_client(use_cookies=False)
    signed_in = clock.now

    def use(value: str) -> tuple[int, str | None]:
        reply = raw.get("/api/jobs", headers={"Cookie": f"gpt2_session={value}"})
        cookie = reply.headers.get("Set-Cookie")
        if cookie:  # re-signed: same absolute end, so Max-Age shrinks
            assert int(cookie.split("Max-Age=")[1].split(";")[0]) <= 5 - int(clock.now - signed_in)
        return reply.status_code, (_cookie(reply) if cookie else None)

    def at(seconds: float) -> None:
        clock.now = signed_in + seconds

    first = _cookie(raw.post("/api/session", json={"token": TOKEN}))
    at(1.1)
    status, second = use(first)  # used: the cookie is re-signed, the idle clock restarts
    assert status == 200 and second and second != first
    at(2.2)
    status, third = use(second)
    assert status == 200 and third
    at(3.3)  # the first cookie, never used since sign-in, has been idle too long
    assert use(first)[0] == 401
    status, fourth = use(third)
    assert status == 200 and fourth
    at(5.2)  # past the absolute limit, however recently used
    assert use(fourth)[0] == 401


def test_failed_sign_ins_back_off_per_client(engine_client: EngineClient, clock: Clock) -> None:
    app = make(engine_client)
    http = app.test_client()
    attacker = {"REMOTE_ADDR": "127.0.0.7"}
    for _ in range(5):
        assert http.post("/api/session", json={"token": "guess"}, environ_base=attacker).status_code == 401
    blocked = http.post("/api/session", json={"token": "guess"}, environ_base=attacker)
    assert blocked.status_code == 429 and blocked.json["error"]["code"] == "too_many_attempts"
    assert blocked.headers["Retry-After"] == "1"
    # While blocked, even the right token waits (the client is guessing), and Bearer guesses count too.
    assert http.post("/api/session", json={"token": TOKEN}, environ_base=attacker).status_code == 429
    assert http.get("/api/jobs", headers={"Authorization": "Bearer guess"}, environ_base=attacker).status_code == 429
    # Another client is not affected.
    assert http.post("/api/session", json={"token": TOKEN}, environ_base={"REMOTE_ADDR": "127.0.0.8"}).status_code == 204
    clock.advance(0.99)
    assert http.post("/api/session", json={"token": "guess"}, environ_base=attacker).status_code == 429
    clock.advance(0.06)
    assert http.post("/api/session", json={"token": "guess"}, environ_base=attacker).status_code == 401
    doubled = http.post("/api/session", json={"token": "guess"}, environ_base=attacker)
    assert doubled.status_code == 429 and doubled.headers["Retry-After"] == "2"
    clock.advance(1.99)
    assert http.post("/api/session", json={"token": TOKEN}, environ_base=attacker).status_code == 429
    clock.advance(0.06)
    assert http.post("/api/session", json={"token": TOKEN}, environ_base=attacker).status_code == 204
    # Success forgets the failures.
    assert http.post("/api/session", json={"token": "guess"}, environ_base=attacker).status_code == 401


def test_guessing_rate_is_bounded(engine_client: EngineClient) -> None:
    """The issue's 2,802 guesses in 5 s: now a handful before the client must wait."""
    http = make(engine_client).test_client()
    answered = [http.post("/api/session", json={"token": f"g{i}"}).status_code for i in range(200)]
    assert answered.count(401) == 5 and answered.count(429) == 195


def test_secure_cookie_over_tls_or_trusted_proxy_only(engine_client: EngineClient) -> None:
    app = make(engine_client, trusted_proxies=parse_networks(["10.0.0.0/8"]))
    http = app.test_client()

    def cookie(**kw: object) -> str:
        reply = http.post("/api/session", json={"token": TOKEN}, **kw)  # type: ignore[arg-type]
        assert reply.status_code == 204
        return str(reply.headers["Set-Cookie"])

    assert "Secure" not in cookie()
    assert "Secure" in cookie(base_url="https://localhost")
    proxied = {"REMOTE_ADDR": "10.1.2.3"}
    assert "Secure" in cookie(headers={"X-Forwarded-Proto": "https"}, environ_base=proxied)
    # From anyone else the header is ignored.
    assert "Secure" not in cookie(headers={"X-Forwarded-Proto": "https"}, environ_base={"REMOTE_ADDR": "192.0.2.9"})


def test_trusted_proxy_forwards_the_client_address_for_backoff(engine_client: EngineClient) -> None:
    app = make(engine_client, trusted_proxies=parse_networks(["10.0.0.1"]))
    http = app.test_client()
    via = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(6):
        last = http.post("/api/session", json={"token": "g"}, headers={"X-Forwarded-For": "198.51.100.1"}, environ_base=via)
    assert last.status_code == 429
    # Another browser behind the same proxy signs in; a spoofed header from an untrusted peer changes nothing.
    other = http.post("/api/session", json={"token": TOKEN}, headers={"X-Forwarded-For": "198.51.100.2"}, environ_base=via)
    assert other.status_code == 204
    spoof = {"REMOTE_ADDR": "203.0.113.5"}
    for _ in range(6):
        last = http.post("/api/session", json={"token": "g"}, headers={"X-Forwarded-For": f"1.2.3.{_}"}, environ_base=spoof)
    assert last.status_code == 429


def test_session_body_is_tiny(engine_client: EngineClient) -> None:
    http = make(engine_client).test_client()
    big = http.post("/api/session", data=b'{"token":"' + b"a" * 8192 + b'"}', content_type="application/json")
    assert big.status_code == 413 and big.json["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("path", ["/index.html%00", "/a%00b", "/api/jobs%00", "/x%0d%0aSet-Cookie:%20a=b"])
def test_control_characters_in_path_are_a_coded_400(app: Flask, path: str) -> None:
    reply = app.test_client().get(path)
    assert reply.status_code == 400 and reply.json["error"]["code"] == "invalid_path", reply.data


def test_deeply_nested_json_is_a_coded_400(app: Flask) -> None:
    http = app.test_client()
    deep = "[" * 100_000 + "]" * 100_000
    for body in (deep, '{"name": ' + deep + "}"):
        reply = http.post("/api/providers/default", data=body, content_type="application/json")
        assert reply.status_code == 400, reply.data
        assert reply.json["error"]["code"] == "invalid_body_json"


@pytest.mark.parametrize(("name", "value"), [("GPT_IMAGE_2_WEB_SESSION_IDLE", "0"), ("GPT_IMAGE_2_WEB_SESSION_TTL", "soon")])
def test_session_lifetimes_are_checked_settings(engine_client: EngineClient, name: str, value: str) -> None:
    with pytest.raises(AppError) as info:
        create_app(engine_client, Settings.from_env({"GPT_IMAGE_2_WEB_TOKEN": TOKEN, name: value}))
    assert info.value.code == "invalid_argument" and name in info.value.message
    assert Settings.from_env({"GPT_IMAGE_2_WEB_SESSION_IDLE": "60"}).session_idle_s == 60


def test_without_the_engine_a_cookie_is_refused_coded_and_a_sign_out_still_holds_here() -> None:
    """The signed-out list lives in the engine: while it is away a cookie cannot be checked, so it is
    refused (503 engine_unavailable, never let through), and a sign-out is refused the same way (the
    other gateways could not hear of it) while this gateway already refuses that cookie."""
    import tempfile

    from gpt_image_protocol.address import parse_address

    nowhere = EngineClient(parse_address(f"unix://{tempfile.mkdtemp(prefix='gi2-none-')}/e.sock"), monitor_interval=60)
    try:
        http = create_app(nowhere, Settings(token=TOKEN)).test_client(use_cookies=False)
        sid = _cookie(http.post("/api/session", json={"token": TOKEN}))  # signing in needs no engine
        cookie = {"Cookie": f"gpt2_session={sid}"}
        refused = http.get("/api/jobs", headers=cookie)
        assert refused.status_code == 503 and refused.json["error"]["code"] == "engine_unavailable"
        out = http.delete("/api/session", headers=cookie)
        assert out.status_code == 503 and out.json["error"]["code"] == "engine_unavailable"
        assert http.get("/api/jobs", headers=cookie).status_code == 401  # remembered here at once
        assert http.get("/api/session").json == {"auth_required": True, "authorized": False}  # no cookie: no call
    finally:
        nowhere.close()
