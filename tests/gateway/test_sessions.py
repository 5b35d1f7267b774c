"""Issue 12, items 3 and 10 (gateway): token length, server-side sessions that sign-out revokes
and that expire, sign-in backoff per client, `Secure` cookies over TLS or a trusted proxy,
and coded 4xx answers for a NUL in the path and for JSON nested past the parser's depth."""

from __future__ import annotations

import time

import pytest
from flask import Flask

from gpt_image_gateway.app import create_app
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.settings import Settings, parse_networks
from gpt_image_protocol.errors import AppError

TOKEN = "t0ken-for-session-tests-0123456789abcdef"


def make(engine_client: EngineClient, **kw: object) -> Flask:
    return create_app(engine_client, Settings(token=TOKEN, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("token", ["a", "x" * 31])
def test_short_token_refused(engine_client: EngineClient, token: str) -> None:
    with pytest.raises(AppError) as info:
        create_app(engine_client, Settings(token=token))
    assert info.value.code == "web_token_too_short" and info.value.detail["minimum"] == 32
    create_app(engine_client, Settings(token="x" * 32))  # 32 is enough


def test_cookie_is_a_session_id_that_logout_revokes(engine_client: EngineClient) -> None:
    http = make(engine_client).test_client()
    ok = http.post("/api/session", json={"token": TOKEN})
    assert ok.status_code == 204
    cookie = ok.headers["Set-Cookie"]
    sid = cookie.split(";", 1)[0].split("=", 1)[1]
    assert TOKEN not in cookie and len(sid) >= 40
    again = http.post("/api/session", json={"token": TOKEN}).headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    assert again != sid  # a fresh random id per sign-in
    assert http.get("/api/jobs").status_code == 200
    # Another browser holding a copied cookie is signed in until that session is revoked.
    thief = make(engine_client).test_client(use_cookies=False)
    assert thief.get("/api/jobs", headers={"Cookie": f"gpt2_session={sid}"}).status_code == 401  # other app: unknown id
    replay = http.application.test_client(use_cookies=False)
    assert replay.get("/api/jobs", headers={"Cookie": f"gpt2_session={sid}"}).status_code == 200
    out = replay.delete("/api/session", headers={"Cookie": f"gpt2_session={sid}"})
    assert out.status_code == 204
    # The revoked id no longer works anywhere, even if a client kept it.
    assert replay.get("/api/jobs", headers={"Cookie": f"gpt2_session={sid}"}).status_code == 401
    # The token itself in the cookie is not a session.
    assert replay.get("/api/jobs", headers={"Cookie": f"gpt2_session={TOKEN}"}).status_code == 401


def test_sessions_expire(engine_client: EngineClient) -> None:
    http = make(engine_client, session_ttl_s=1).test_client()
    ok = http.post("/api/session", json={"token": TOKEN})
    assert "Max-Age=1" in ok.headers["Set-Cookie"]
    sid = ok.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    raw = http.application.test_client(use_cookies=False)
    assert raw.get("/api/jobs", headers={"Cookie": f"gpt2_session={sid}"}).status_code == 200
    time.sleep(1.2)
    assert raw.get("/api/jobs", headers={"Cookie": f"gpt2_session={sid}"}).status_code == 401


def test_failed_sign_ins_back_off_per_client(engine_client: EngineClient) -> None:
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
    time.sleep(1.05)
    assert http.post("/api/session", json={"token": "guess"}, environ_base=attacker).status_code == 401
    doubled = http.post("/api/session", json={"token": "guess"}, environ_base=attacker)
    assert doubled.status_code == 429 and doubled.headers["Retry-After"] == "2"
    time.sleep(2.05)
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
