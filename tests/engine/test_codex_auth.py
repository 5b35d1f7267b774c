"""Codex auth.json handling: loading, inspection, atomic persistence and refresh against a loopback token server."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers import codex_auth
from gpt_image_engine.providers.base import CODEX_CLIENT_ID, DEFAULT_TOKEN_URL
from gpt_image_engine.providers.codex_auth import (
    AuthState,
    inspect_codex_auth,
    jwt_claims,
    load_auth_state,
    persist_auth_state,
    refresh_access_token,
    token_url_for,
)
from tests.engine.keyring_fixtures import file_keyring  # noqa: F401


def make_jwt(claims: dict[str, Any]) -> str:
    def seg(obj: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{seg({'alg': 'none'})}.{seg(claims)}.sig"


def account_jwt(account: str = "acct-claim", exp: int | None = None, **extra: Any) -> str:
    claims: dict[str, Any] = {
        "https://api.openai.com/auth": {
            "chatgpt_account_id": account,
            "chatgpt_plan_type": "plus",
            "chatgpt_user_id": "u1",
        },
        "https://api.openai.com/profile": {"email": "a@example.com"},
        **extra,
    }
    if exp is not None:
        claims["exp"] = exp
    return make_jwt(claims)


def write_auth(path: Path, tokens: dict[str, Any], nested: bool = True, **root: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"tokens": tokens, **root} if nested else {**tokens, **root}
    path.write_text(json.dumps(body))


class TokenServer:
    """A loopback OAuth token endpoint that records requests and answers from a queue."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies: list[tuple[int, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append(json.loads(self.rfile.read(length)))
                status, body = outer.replies.pop(0) if outer.replies else (500, b"no reply queued")
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oauth/token"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def reply(self, status: int, body: Any) -> None:
        self.replies.append((status, body if isinstance(body, bytes) else json.dumps(body).encode()))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def token_server():
    server = TokenServer()
    yield server
    server.close()


@pytest.fixture()
def client():
    with httpx.Client() as c:
        yield c


# --- loading


def test_load_nested_tokens_with_explicit_account(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    write_auth(
        path,
        {
            "access_token": account_jwt(),
            "refresh_token": "rt",
            "account_id": "acct-explicit",
        },
    )
    state = load_auth_state(path)
    assert state.account_id == "acct-explicit"
    assert state.refresh_token == "rt"


def test_load_root_tokens_account_from_claim(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    write_auth(path, {"access_token": account_jwt("acct-9")}, nested=False)
    assert load_auth_state(path).account_id == "acct-9"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (None, "auth_missing"),
        ("{not json", "auth_invalid_json"),
        ("[1,2]", "auth_invalid_shape"),
        ('{"tokens":{}}', "access_token_missing"),
    ],
)
def test_load_errors(tmp_path: Path, content: str | None, code: str) -> None:
    path = tmp_path / "auth.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(AppError) as info:
        load_auth_state(path)
    assert info.value.code == code


def test_load_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    path.mkdir()
    with pytest.raises(AppError) as info:
        load_auth_state(path)
    assert info.value.code == "auth_read_failed"


def test_account_id_missing_and_invalid_jwt(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    write_auth(path, {"access_token": make_jwt({"sub": "x"})})
    with pytest.raises(AppError) as info:
        load_auth_state(path)
    assert info.value.code == "account_id_missing"
    write_auth(path, {"access_token": "not-a-jwt"})
    with pytest.raises(AppError) as info:
        load_auth_state(path)
    assert info.value.code == "invalid_jwt"


def test_jwt_claims_standard_base64_fallback() -> None:
    payload = base64.b64encode(json.dumps({"k": "v?>"}).encode()).decode()
    assert jwt_claims(f"h.{payload}.s")["k"] == "v?>"


# --- inspection


def test_inspect_missing(tmp_path: Path) -> None:
    info = inspect_codex_auth(tmp_path / "nope.json")
    assert info == {
        "auth_file": str(tmp_path / "nope.json"),
        "auth_source": "missing",
        "exists": False,
        "provider": "codex",
        "ready": False,
        "parse_ok": False,
        "message": "auth.json was not found.",
    }


def test_inspect_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    path.write_text("{oops")
    info = inspect_codex_auth(path)
    assert info["ready"] is False and info["parse_ok"] is False
    assert info["error"]["code"] == "auth_invalid_json"
    assert "message" in info


def test_inspect_ready_never_leaks_tokens(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    exp = int(time.time()) + 3600
    access = account_jwt("acct-1", exp=exp)
    write_auth(
        path,
        {"access_token": access, "refresh_token": "secret-rt", "id_token": "idt"},
        auth_mode="chatgpt",
        last_refresh="123",
    )
    info = inspect_codex_auth(path)
    assert info["ready"] is True and info["parse_ok"] is True and info["auth_source"] == "config"
    assert info["account_id"] == "acct-1"
    assert info["auth_mode"] == "chatgpt"
    assert info["expires_at"] == exp and info["expired"] is False
    assert 3500 < info["seconds_until_expiry"] <= 3600
    assert info["email"] == "a@example.com" and info["plan_type"] == "plus" and info["chatgpt_user_id"] == "u1"
    assert info["refresh_token_present"] and info["id_token_present"] and info["access_token_present"]
    assert info["last_refresh"] == "123"
    text = json.dumps(info)
    assert access not in text and "secret-rt" not in text


# --- persistence (upstream tests/auth_refresh.rs)


def test_save_auth_json_is_atomic_and_private(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "auth.json"
    state = AuthState(
        auth_path=path,
        auth_json={"tokens": {"access_token": "a"}, "keep": {"x": 1}},
        access_token="a",
        refresh_token=None,
        account_id="acc",
    )
    persist_auth_state(state)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert text.endswith("\n") and text.startswith("{\n  ")
    assert json.loads(text)["keep"] == {"x": 1}
    assert os.listdir(path.parent) == ["auth.json"]


def test_concurrent_atomic_writes_never_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(25):
                state = AuthState(
                    path,
                    {"tokens": {"access_token": f"t{n}-{i}" * 50}, "n": n},
                    "a",
                    None,
                    "acc",
                )
                persist_auth_state(state)
                json.loads(path.read_text())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    json.loads(path.read_text())
    assert os.listdir(tmp_path) == ["auth.json"]


def test_reload_persisted_tokens_reads_the_rotated_refresh_token(
    tmp_path: Path,
) -> None:
    path = tmp_path / "auth.json"
    write_auth(path, {"access_token": account_jwt(), "refresh_token": "rt-old"})
    state = load_auth_state(path)
    write_auth(path, {"access_token": account_jwt(), "refresh_token": "rt-rotated"})
    reloaded = codex_auth.reload_persisted_tokens(state)
    assert reloaded is not None and reloaded[1] == "rt-rotated"


def test_reload_persisted_tokens_is_none_for_session_only(tmp_path: Path) -> None:
    state = AuthState(tmp_path / "x", {}, "a", "r", "acc", persistence=codex_auth.PERSIST_SESSION)
    assert codex_auth.reload_persisted_tokens(state) is None


# --- refresh


def test_refresh_success_persists_and_preserves_fields(
    tmp_path: Path, token_server: TokenServer, client: httpx.Client
) -> None:
    path = tmp_path / "auth.json"
    write_auth(
        path,
        {
            "access_token": account_jwt("acct-old"),
            "refresh_token": "rt-1",
            "account_id": "acct-old",
        },
        OPENAI_API_KEY=None,
        extra_field={"a": 1},
    )
    state = load_auth_state(path)
    new_access = account_jwt("acct-new")
    token_server.reply(200, {"access_token": new_access, "refresh_token": "rt-2", "id_token": "idt-2"})
    before = int(time.time())
    out = refresh_access_token(state, token_server.url, 5, client)
    assert token_server.requests == [
        {
            "client_id": CODEX_CLIENT_ID,
            "grant_type": "refresh_token",
            "refresh_token": "rt-1",
        }
    ]
    assert out.access_token == new_access and out.refresh_token == "rt-2" and out.refreshed
    on_disk = json.loads(path.read_text())
    assert on_disk["tokens"]["access_token"] == new_access
    assert on_disk["tokens"]["refresh_token"] == "rt-2"
    assert on_disk["tokens"]["id_token"] == "idt-2"
    # an explicit account id is kept in preference to the claim (upstream behaviour)
    assert on_disk["tokens"]["account_id"] == "acct-old"
    assert on_disk["extra_field"] == {"a": 1} and "OPENAI_API_KEY" in on_disk
    assert isinstance(on_disk["last_refresh"], str) and int(on_disk["last_refresh"]) >= before
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_refresh_adopts_already_rotated_access_token_without_network(
    tmp_path: Path, token_server: TokenServer, client: httpx.Client
) -> None:
    path = tmp_path / "auth.json"
    write_auth(path, {"access_token": account_jwt("a1"), "refresh_token": "rt-1"})
    state = load_auth_state(path)
    rotated = account_jwt("a2")
    write_auth(path, {"access_token": rotated, "refresh_token": "rt-2"})
    out = refresh_access_token(state, token_server.url, 5, client)
    assert token_server.requests == []
    assert out.access_token == rotated and out.refresh_token == "rt-2" and out.account_id == "a2"


def test_refresh_spends_rotated_refresh_token(tmp_path: Path, token_server: TokenServer, client: httpx.Client) -> None:
    path = tmp_path / "auth.json"
    access = account_jwt("a1")
    write_auth(path, {"access_token": access, "refresh_token": "rt-1"})
    state = load_auth_state(path)
    write_auth(path, {"access_token": access, "refresh_token": "rt-rotated"})
    token_server.reply(200, {"access_token": account_jwt("a1")})
    refresh_access_token(state, token_server.url, 5, client)
    assert token_server.requests[0]["refresh_token"] == "rt-rotated"


def test_refresh_errors(tmp_path: Path, token_server: TokenServer, client: httpx.Client) -> None:
    path = tmp_path / "auth.json"
    write_auth(path, {"access_token": account_jwt(), "refresh_token": "rt"})

    token_server.reply(400, b'{"error":"invalid_grant"}')
    with pytest.raises(AppError) as info:
        refresh_access_token(load_auth_state(path), token_server.url, 5, client)
    assert info.value.code == "http_error" and info.value.status_code == 400
    assert info.value.message == "HTTP 400"
    assert info.value.detail == {
        "message": "Refresh request failed.",
        "detail": '{"error":"invalid_grant"}',
    }

    token_server.reply(200, b"not json")
    with pytest.raises(AppError) as info:
        refresh_access_token(load_auth_state(path), token_server.url, 5, client)
    assert info.value.code == "refresh_failed"

    token_server.reply(200, {"token_type": "bearer"})
    with pytest.raises(AppError) as info:
        refresh_access_token(load_auth_state(path), token_server.url, 5, client)
    assert info.value.code == "refresh_failed"

    with pytest.raises(AppError) as info:
        refresh_access_token(load_auth_state(path), "http://127.0.0.1:1/oauth/token", 2, client)
    assert info.value.code == "refresh_failed"


def test_refresh_token_missing(tmp_path: Path, token_server: TokenServer, client: httpx.Client) -> None:
    path = tmp_path / "auth.json"
    write_auth(path, {"access_token": account_jwt()})
    with pytest.raises(AppError) as info:
        refresh_access_token(load_auth_state(path), token_server.url, 5, client)
    assert info.value.code == "refresh_token_missing"
    assert token_server.requests == []


def test_concurrent_refreshes_spend_the_refresh_token_once(tmp_path: Path, token_server: TokenServer) -> None:
    path = tmp_path / "auth.json"
    write_auth(path, {"access_token": account_jwt("a1"), "refresh_token": "rt-1"})
    states = [load_auth_state(path) for _ in range(6)]
    token_server.reply(200, {"access_token": account_jwt("a2"), "refresh_token": "rt-2"})
    results: list[AuthState] = []

    def go(s: AuthState) -> None:
        with httpx.Client() as c:
            results.append(refresh_access_token(s, token_server.url, 5, c))

    threads = [threading.Thread(target=go, args=(s,)) for s in states]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(token_server.requests) == 1
    assert {r.refresh_token for r in results} == {"rt-2"}


def test_token_url_precedence() -> None:
    assert token_url_for(None, {}) == DEFAULT_TOKEN_URL
    assert token_url_for({}, {"GPT_IMAGE_2_CODEX_TOKEN_URL": "http://env"}) == "http://env"
    assert token_url_for({"token_url": "http://cfg"}, {"GPT_IMAGE_2_CODEX_TOKEN_URL": "http://env"}) == "http://cfg"


@pytest.mark.usefixtures("file_keyring")
def test_config_provider_refresh_persists_by_source(
    tmp_path: Path, token_server: TokenServer, client: httpx.Client
) -> None:
    import keyring

    from gpt_image_engine.call import Call
    from gpt_image_engine.providers.codex_auth import config_auth_state
    from gpt_image_engine.store import config as cs
    from gpt_image_engine.store.paths import EnginePaths

    paths = EnginePaths.from_env({"CODEX_HOME": str(tmp_path / "codex")})
    cs.add_provider(paths, Call(), "cx", type="codex", access_token=account_jwt("a1"))
    cfg_path = paths.config_for(None)
    cfg = cs.load_config(cfg_path)
    keyring.set_password("gpt-image-2-skill", "providers/cx/refresh_token", "rt-kc")
    cfg["providers"]["cx"]["credentials"]["refresh_token"] = {
        "source": "keychain",
        "account": "providers/cx/refresh_token",
    }
    cfg["providers"]["cx"]["credentials"]["account_id"] = {"source": "env", "env": "CX_ACCOUNT"}
    cs.save_config(cfg_path, cfg)
    env = {"CX_ACCOUNT": "acct-env"}
    state = config_auth_state(cfg_path, "cx", cfg["providers"]["cx"], env)
    assert state.refresh_token == "rt-kc" and state.account_id == "acct-env"
    new_access = account_jwt("a2")
    token_server.reply(200, {"access_token": new_access, "refresh_token": "rt-kc-2"})
    refresh_access_token(state, token_server.url, 5, client)
    creds = cs.load_config(cfg_path)["providers"]["cx"]["credentials"]
    assert creds["access_token"] == {"source": "file", "value": new_access}
    assert creds["account_id"] == {"source": "env", "env": "CX_ACCOUNT"}
    assert creds["refresh_token"]["source"] == "keychain"
    assert keyring.get_password("gpt-image-2-skill", "providers/cx/refresh_token") == "rt-kc-2"
