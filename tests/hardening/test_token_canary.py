"""Issue 9 (4), the access tokens: the web token and the engine token never leak.

A TLS + token engine on loopback TCP (its token file holds a canary) sits behind a real
`gpt-image-2-web` process whose web token is another canary; the gateway reaches the
engine with the engine token, and so does the CLI (from the environment, and from
`--engine-token-file`). A short flow runs through both: session login (cookie and bearer),
reads, a generate with its SSE stream and output, errors (wrong web token, wrong engine
token, unknown job), history, watch, doctor. Afterwards no canary may appear in any CLI
stdout/stderr, the engine's logs, the gateway's output, history.sqlite (-wal, -shm), the
job folders, or any HTTP response body or header, except the one documented place:
the `Set-Cookie` of a successful `POST /api/session`, which carries the web token.
"""

from __future__ import annotations

import http.client
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import run_cli
from tests.gateway.support import env_without_proxies, start_gateway
from tests.remote.support import TcpEngine, client_env, make_pki, short_tmp

pytestmark = pytest.mark.slow


def canary(prefix: str) -> str:
    return f"{prefix}-canary-{secrets.token_hex(16)}"


class Http:
    """Plain HTTP to the gateway, keeping every response (status, headers, body) for the scan."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.seen: list[tuple[str, int, list[tuple[str, str]], bytes]] = []

    def __call__(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=hdrs)
            reply = conn.getresponse()
            raw = reply.read()
            self.seen.append((f"{method} {path}", reply.status, reply.getheaders(), raw))
        finally:
            conn.close()
        try:
            return reply.status, json.loads(raw)
        except ValueError:
            return reply.status, raw


def test_web_and_engine_tokens_never_leak(tmp_path: Path, fake_upstream) -> None:  # type: ignore[no-untyped-def]
    web_token = canary("web")
    engine_token = canary("engine")
    wrong_engine_token = canary("engine-wrong")
    wrong_web_token = canary("web-wrong")
    canaries = {
        "web_token": web_token,
        "engine_token": engine_token,
        "wrong_engine_token": wrong_engine_token,
        "wrong_web_token": wrong_web_token,
    }
    pki = make_pki(short_tmp() / "pki")
    token_file = tmp_path / "engine-token"
    token_file.write_text(engine_token + "\n")
    token_file.chmod(0o600)
    engine = TcpEngine(
        home=tmp_path / "engine-home",
        pki=pki,
        token_file=token_file,
        extra_env={"OPENAI_API_KEY": "sk-token-canary", "OPENAI_BASE_URL": fake_upstream.openai_base},
    )
    engine.start()
    gateway = None
    outputs: list[tuple[str, str]] = []
    try:
        # --- the gateway, reaching the engine with the engine token from the environment
        genv = client_env(tmp_path / "gw-home", engine.address, pki, engine_token)
        genv = {k: v for k, v in genv.items() if k in env_without_proxies() or k.startswith(("GPT_IMAGE_2", "CODEX", "HOME", "XDG"))}  # fmt: skip
        gateway = start_gateway(engine.address, genv, tmp_path / "gateway.log", token=web_token)
        web = Http(gateway.url)
        bearer = {"Authorization": f"Bearer {web_token}"}

        status, body = web("GET", "/api/session")
        assert status == 200 and body["auth_required"] is True and body["authorized"] is False
        assert web("GET", "/api/config")[0] == 401
        assert web("GET", "/api/config", headers={"Authorization": f"Bearer {wrong_web_token}"})[0] == 401
        assert web("POST", "/api/session", {"token": wrong_web_token})[0] == 401
        assert web("POST", "/api/session", {"token": engine_token})[0] == 401  # the wrong kind of token
        status, _ = web("POST", "/api/session", {"token": web_token})
        assert status == 204
        login = web.seen[-1]
        cookie = next(v for k, v in login[2] if k.lower() == "set-cookie").split(";", 1)[0]
        as_cookie = {"Cookie": cookie}
        for path in ("/api/session", "/api/health", "/api/version", "/api/config", "/api/config-paths", "/api/providers", "/api/queue"):  # fmt: skip
            assert web("GET", path, headers=as_cookie)[0] == 200, path
        status, started = web("POST", "/api/images/generate", {"prompt": "a canary in a coal mine"}, headers=bearer)
        assert status == 202, started
        job_id = started["job_id"]
        status, stream = web("GET", f"/api/jobs/{job_id}/events", headers=as_cookie)
        assert status == 200 and b'"terminal"' in stream
        assert web("GET", f"/api/jobs/{job_id}/outputs/0", headers=bearer)[0] == 200
        for path in (f"/api/jobs/{job_id}", f"/api/jobs/{job_id}/recovery", "/api/jobs?limit=5", "/api/jobs?q=canary"):
            assert web("GET", path, headers=bearer)[0] == 200, path
        assert web("GET", "/api/jobs/job-nope", headers=bearer)[0] == 404
        assert web("POST", f"/api/jobs/{job_id}/cancel", {}, headers=bearer)[0] < 500
        assert web("DELETE", "/api/session", headers=as_cookie)[0] == 204
        gateway.stop()

        # --- a gateway holding the wrong engine token: its errors must not echo it
        genv_wrong = {**genv, "GPT_IMAGE_2_ENGINE_TOKEN": wrong_engine_token}
        gateway = start_gateway(engine.address, genv_wrong, tmp_path / "gateway.log", token=web_token)
        wrong = Http(gateway.url)
        wrong("GET", "/api/health", headers=bearer)  # engine health is open to probes: 200 either way
        for path in ("/api/version", "/api/config", "/api/jobs"):
            assert wrong("GET", path, headers=bearer)[0] == 502, path  # the gateway->engine hop, not the browser
        assert wrong("POST", "/api/images/generate", {"prompt": "x"}, headers=bearer)[0] >= 400
        web.seen += wrong.seen
        gateway.stop()

        # --- the CLI: the token from the environment, from a file, and a wrong one
        cenv = client_env(tmp_path / "cli-home", engine.address, pki, engine_token)
        file_env = client_env(tmp_path / "cli-home", engine.address, pki, None)
        wrong_env = client_env(tmp_path / "cli-home", engine.address, pki, wrong_engine_token)

        def cli(*args: str, env: dict[str, str] = cenv, expect: int | None = 0) -> Any:
            r = run_cli(*args, env=env)
            outputs.append((" ".join(args[:3]), r.stdout + r.stderr))
            if expect is not None:
                assert r.returncode == expect, (args, r.stdout, r.stderr)
            return r

        gen = cli("images", "generate", "--prompt", "cli canary", "--out", str(tmp_path / "c.png"), "--json-events")
        cli("--engine-token-file", str(token_file), "history", "show", gen.json["history"]["job_id"], env=file_env)
        cli("history", "list")
        cli("jobs", "watch", job_id, "--json-events")
        cli("doctor", expect=None)
        cli("config", "inspect")
        cli("engine", "status", expect=None)
        denied = cli("history", "list", env=wrong_env, expect=1)
        assert denied.json["error"]["code"] == "engine_unauthenticated", denied.stdout
        cli("doctor", env=wrong_env, expect=None)
    finally:
        if gateway is not None:
            gateway.stop()
        engine.stop()

    # The session cookie holds a server-side session id, never the token itself.
    set_cookie = " ".join(v for k, v in login[2] if k.lower() == "set-cookie")
    assert set_cookie.startswith("gpt2_session=") and web_token not in set_cookie
    leaks: list[str] = []

    def scan(blob: bytes | str, where: str) -> None:
        data = blob.encode() if isinstance(blob, str) else blob
        leaks.extend(f"{name} in {where}" for name, value in canaries.items() if value.encode() in data)

    scan(f"Bearer {web_token}", "self-check")  # the scanner finds a planted token (an empty list means something)
    assert leaks == ["web_token in self-check"]
    leaks.clear()

    for label, status, headers, body in web.seen:
        scan(body, f"body of {label} ({status})")
        for name, value in headers:
            scan(value, f"header {name} of {label}")
    for label, text in outputs:
        scan(text, f"CLI {label}")
    scan((tmp_path / "gateway.log").read_bytes(), "gateway output")
    for path in sorted((engine.shared_dir / "logs").glob("engine.log*")) + [engine.home / "engine-stderr.log"]:
        scan(path.read_bytes(), path.name)
    for path in sorted(engine.shared_dir.glob("history.sqlite*")):
        scan(path.read_bytes(), path.name)
    jobs = engine.shared_dir / "jobs"
    for path in sorted(p for p in jobs.rglob("*") if p.is_file()):
        scan(path.read_bytes(), str(path.relative_to(engine.shared_dir)))
    for home in (tmp_path / "gw-home", tmp_path / "cli-home"):
        for path in sorted(p for p in home.rglob("*") if p.is_file()):
            scan(path.read_bytes(), str(path.relative_to(tmp_path)))
    assert leaks == []
    assert any(jobs.iterdir()) and any(engine.shared_dir.glob("history.sqlite*"))


def test_gateway_with_a_wrong_engine_token_is_not_a_browser_login_failure(tmp_path: Path) -> None:
    pki = make_pki(short_tmp() / "pki")
    token_file = tmp_path / "engine-token"
    token_file.write_text(canary("engine") + "\n")
    token_file.chmod(0o600)
    engine = TcpEngine(home=tmp_path / "engine-home", pki=pki, token_file=token_file)
    engine.start()
    gateway = None
    try:
        genv = client_env(tmp_path / "gw-home", engine.address, pki, canary("engine-wrong"))
        genv = {k: v for k, v in genv.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
        web_token = canary("web")
        gateway = start_gateway(engine.address, genv, tmp_path / "gateway.log", token=web_token)
        status, body = Http(gateway.url)("GET", "/api/config", headers={"Authorization": f"Bearer {web_token}"})
        assert body["error"]["code"] == "engine_unauthenticated"
        assert status in (502, 503), (status, body)
    finally:
        if gateway is not None:
            gateway.stop()
        engine.stop()
