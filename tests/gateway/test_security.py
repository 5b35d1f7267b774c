"""Token auth (Bearer or the gpt2_session cookie), the token-less Host allow-list,
cross-site refusal for state-changing requests, body caps and the bind policy."""

from __future__ import annotations

import io

import pytest
from flask import Flask

from gpt_image_gateway.app import create_app
from gpt_image_gateway.client import EngineClient
from gpt_image_gateway.settings import Settings, bind_refusal, is_loopback
from tests.gateway.support import png_bytes

TOKEN = "s3cret-token-0123456789abcdef-0123456789"


@pytest.fixture(scope="module")
def token_app(engine_client: EngineClient) -> Flask:
    return create_app(engine_client, Settings(token=TOKEN))


def test_token_required_on_api_but_not_on_session_or_page(token_app: Flask) -> None:
    http = token_app.test_client()
    reply = http.get("/api/jobs")
    assert reply.status_code == 401 and reply.json["error"]["code"] == "unauthenticated"
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert http.get("/api/jobs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert http.get("/api/jobs", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
    assert http.get("/api/jobs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert http.get("/api/session").json == {"auth_required": True, "authorized": False}
    assert http.get("/").status_code == 200  # the page (with its login screen) loads without a token


def test_session_cookie(token_app: Flask) -> None:
    http = token_app.test_client()
    wrong = http.post("/api/session", json={"token": "nope"})
    assert wrong.status_code == 401 and wrong.json["error"]["message"] == "Invalid access token."
    ok = http.post("/api/session", json={"token": TOKEN})
    assert ok.status_code == 204
    cookie = ok.headers["Set-Cookie"]
    assert cookie.startswith("gpt2_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Max-Age=1209600" in cookie and "Path=/" in cookie
    assert http.get("/api/session").json == {"auth_required": True, "authorized": True}
    assert http.get("/api/jobs").status_code == 200
    assert http.delete("/api/session").status_code == 204
    assert http.get("/api/jobs").status_code == 401


def test_token_compare_is_constant_time() -> None:
    import inspect

    from gpt_image_gateway import security

    assert "hmac.compare_digest" in inspect.getsource(security.token_matches)


def test_no_token_session_is_open(http) -> None:  # type: ignore[no-untyped-def]
    assert http.get("/api/session").json == {"auth_required": False, "authorized": True}
    reply = http.post("/api/session", json={"token": "anything"})
    assert reply.status_code == 204 and "Set-Cookie" not in reply.headers


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8787", "127.0.0.2", "[::2]:80"])
def test_host_allow_list_without_token(app: Flask, host: str) -> None:
    reply = app.test_client().get("/api/jobs", headers={"Host": host})
    assert reply.status_code == 403 and reply.json["error"]["code"] == "host_not_allowed"
    assert app.test_client().get("/", headers={"Host": host}).status_code == 403


@pytest.mark.parametrize("host", ["localhost", "localhost:8787", "127.0.0.1:1234", "[::1]:8787", "LOCALHOST"])
def test_loopback_hosts_allowed(app: Flask, host: str) -> None:
    assert app.test_client().get("/api/session", headers={"Host": host}).status_code == 200


def test_allowed_hosts_from_env(engine_client: EngineClient) -> None:
    settings = Settings.from_env({"GPT_IMAGE_2_WEB_ALLOWED_HOSTS": "images.lan, Other.Lan"})
    app = create_app(engine_client, settings)
    assert app.test_client().get("/api/session", headers={"Host": "other.lan:80"}).status_code == 200
    assert app.test_client().get("/api/session", headers={"Host": "localhost"}).status_code == 403


def test_host_checked_with_token_too(token_app: Flask) -> None:
    """A rebinding page must not even get to guess the token (issue 12, item 3)."""
    http = token_app.test_client()
    reply = http.get("/api/jobs", headers={"Host": "images.example", "Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 403 and reply.json["error"]["code"] == "host_not_allowed"
    guess = http.post("/api/session", json={"token": "guess"}, headers={"Host": "rebind.example"})
    assert guess.status_code == 403 and guess.json["error"]["code"] == "host_not_allowed"
    assert http.get("/api/health", headers={"Host": "10.1.2.3:8787"}).status_code == 200  # probes by pod IP


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},
        {"Origin": "http://evil.example"},
        {"Origin": "http://localhost:9999"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "file://"},
    ],
)
def test_cross_site_state_changes_refused(app: Flask, headers: dict[str, str]) -> None:
    http = app.test_client()
    for method, path in (("post", "/api/images/generate"), ("delete", "/api/jobs/job-x"), ("put", "/api/providers/x"), ("post", "/api/session")):
        reply = getattr(http, method)(path, json={"prompt": "x"}, headers=headers)
        assert reply.status_code == 403 and reply.json["error"]["code"] == "cross_site_request", (method, path, headers)


def test_same_origin_and_reads_allowed(app: Flask) -> None:
    http = app.test_client()
    same = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert http.post("/api/images/generate", json={}, headers=same).json["error"]["code"] == "invalid_argument"
    assert http.get("/api/jobs", headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_body_caps(app: Flask) -> None:
    http = app.test_client()
    big = http.post(
        "/api/images/edit",
        data=b"x" * 16,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(64 * 1024 * 1024 + 1)},
    )
    assert big.status_code == 413 and big.json["error"]["code"] == "payload_too_large"
    small_route = http.post("/api/providers/default", data=b"{" + b" " * (2 * 1024 * 1024) + b"}", content_type="application/json")
    assert small_route.status_code == 413 and small_route.json["error"]["code"] == "payload_too_large"
    # A real upload just under the cap on an image route is read, not refused.
    ok = http.post(
        "/api/images/edit",
        data={"prompt": "", "image[]": (io.BytesIO(png_bytes() + b"\0" * (3 * 1024 * 1024)), "a.png")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 400 and ok.json["error"]["code"] == "invalid_argument"


def test_bind_policy() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"):
        assert is_loopback(host) and bind_refusal(host, Settings(), {}) is None
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.com"):
        assert not is_loopback(host)
        assert bind_refusal(host, Settings(), {}) is not None
        assert bind_refusal(host, Settings(token=TOKEN), {}) is None
        assert bind_refusal(host, Settings(), {"GPT_IMAGE_2_WEB_ALLOW_UNAUTHENTICATED": "yes"}) is None
        assert bind_refusal(host, Settings(), {"GPT_IMAGE_2_WEB_ALLOW_UNAUTHENTICATED": "0"}) is not None


def test_security_headers(app: Flask) -> None:
    reply = app.test_client().get("/api/session")
    assert reply.headers["X-Content-Type-Options"] == "nosniff" and reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["X-Frame-Options"] == "DENY"
