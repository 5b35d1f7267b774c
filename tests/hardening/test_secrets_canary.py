"""Issue 9 (4): canary credentials never leak.

One representative flow runs with distinct random canaries for every credential (OpenAI
keys from the environment and from config, file/env/keychain secrets, Codex access,
refresh and id tokens, and the ones a refresh rotates in), including upstream error bodies
that echo the key and the refresh token back. Afterwards no canary may appear in any CLI
stdout/stderr/events, the engine logs, history.sqlite (raw bytes, -wal and -shm included)
or any file under the job folders. The one documented exception is `secret get`, which
prints the plaintext on purpose.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from tests.fakeupstream.server import (
    CODEX_PATH,
    DEFAULT_ACCOUNT_ID,
    GENERATIONS_PATH,
    TOKEN_PATH,
    Fault,
    _codex_claims,
    draw_png,
    make_jwt,
)


def canary(prefix: str) -> str:
    return f"{prefix}-canary-{secrets.token_hex(12)}"


def _codex_token(tag: str) -> str:
    return make_jwt({**_codex_claims(DEFAULT_ACCOUNT_ID, 0), "canary": canary(tag)})


def _scan(blob: bytes, where: str, canaries: dict[str, str], leaks: list[str]) -> None:
    for name, value in canaries.items():
        if value.encode() in blob:
            leaks.append(f"{name} in {where}")


def test_no_canary_leaks_anywhere(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    api_key = canary("sk-env")
    config_key = canary("sk-config")
    file_secret = canary("sk-file")
    env_secret = canary("sk-envsrc")
    keychain_secret = canary("sk-keyring")
    # Codex tokens: JWT-shaped (the engine reads claims) but unique.
    fake_upstream.access_token = _codex_token("access")
    fake_upstream.refresh_token = canary("rt")
    fake_upstream.id_token = _codex_token("id")
    canaries: dict[str, str] = {
        "api_key": api_key,
        "config_key": config_key,
        "file_secret": file_secret,
        "env_secret": env_secret,
        "keychain_secret": keychain_secret,
        "codex_access": fake_upstream.access_token,
        "codex_refresh": fake_upstream.refresh_token,
        "codex_id": fake_upstream.id_token,
    }

    engine.stop()
    engine.extra_env["GPT_IMAGE_2_CODEX_TOKEN_URL"] = fake_upstream.token_url
    engine.extra_env["GI2_CANARY_ENV_SECRET"] = env_secret
    engine.start()
    openai = engine.client_env(OPENAI_API_KEY=api_key, OPENAI_BASE_URL=fake_upstream.openai_base)
    results: list[tuple[str, Any]] = []

    def run(*args: str, env: dict[str, str] | None = None, expect: int | None = 0):  # type: ignore[no-untyped-def]
        r = engine.cli(*args, env=env or engine.client_env())
        if expect is not None:
            assert r.returncode == expect, (args, r.stdout, r.stderr)
        results.append((" ".join(args[:3]), r))
        return r

    ref = tmp_path / "ref.png"
    ref.write_bytes(draw_png(64, 64))

    # Config and secrets in every source.
    run("config", "add-provider", "--name", "relay", "--api-base", fake_upstream.openai_base, "--api-key", config_key)
    run("config", "add-provider", "--name", "other", "--api-base", fake_upstream.openai_base)
    run("secret", "set", "other", "api_key", "--value", file_secret)
    run("secret", "set", "other", "api_key", "--source", "keychain", "--value", keychain_secret)
    run("secret", "set", "other", "api_key", "--source", "env", "--env", "GI2_CANARY_ENV_SECRET")
    documented = engine.cli("secret", "get", "other", "api_key")  # the one plaintext exception
    assert documented.returncode == 0 and env_secret in documented.stdout
    run("secret", "get", "other", "api_key", "--status")

    # OpenAI generate/edit with the forwarded key, and via the configured provider.
    gen = run("images", "generate", "--prompt", "p", "--out", str(tmp_path / "g.png"), "--json-events", env=openai)
    run("images", "edit", "--prompt", "e", "--ref-image", str(ref), "--out", str(tmp_path / "e.png"), "--json-events", env=openai)  # fmt: skip
    run("--provider", "relay", "images", "generate", "--prompt", "p", "--out", str(tmp_path / "r.png"), "--json-events")
    run("--provider", "other", "images", "generate", "--prompt", "p", "--out", str(tmp_path / "o.png"), "--json-events")
    assert fake_upstream.requests_to(GENERATIONS_PATH)[-1].headers["authorization"] == f"Bearer {env_secret}"

    # A failing job whose upstream error body echoes the key (as real APIs do), retried once.
    echo = json.dumps({"error": {"message": f"Incorrect API key provided: {api_key}.", "key": api_key}})
    fake_upstream.faults(Fault.fail(500, times=1, body=echo), Fault.fail(401, times=1, body=echo))
    failed = run(
        "--provider", "openai", "images", "generate", "--prompt", "p", "--out", str(tmp_path / "f.png"), "--json-events",
        "--retry-delay-seconds", "0.01", env=openai, expect=1,
    )  # fmt: skip
    assert failed.json["error"]["code"] == "http_error"
    assert "[redacted]" in json.dumps(failed.json["error"])
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"model": "gpt-image-2", "prompt": "raw"}))
    run("request", "create", "--body-file", str(body), "--request-operation", "generate", "--out-image", str(tmp_path / "q.png"), env=openai)  # fmt: skip

    # Codex with a refresh (the stale access token gets a 401), then a refresh whose error echoes the token.
    auth = fake_upstream.write_auth_json(tmp_path / "auth.json")
    fake_upstream.revoke_access_token()
    codex = ["--provider", "codex", "--auth-file", str(auth), "--endpoint", fake_upstream.codex_endpoint]
    run("images", "generate", "--prompt", "c", "--out", str(tmp_path / "c.png"), "--json-events", *codex)
    run("images", "edit", "--prompt", "c", "--ref-image", str(ref), "--out", str(tmp_path / "ce.png"), "--json-events", *codex)  # fmt: skip
    assert len(fake_upstream.requests_to(TOKEN_PATH)) == 1
    rotated = {
        "codex_access_rotated": fake_upstream.access_token,
        "codex_refresh_rotated": fake_upstream.refresh_token,
        "codex_id_rotated": fake_upstream.id_token,
    }
    canaries.update(rotated)
    # Codex errors that echo the (rotated) access token, through a retry.
    echo_codex = json.dumps({"detail": f"token {fake_upstream.access_token} overloaded"})
    fake_upstream.faults(Fault.fail(503, times=2, path=CODEX_PATH, body=echo_codex))
    overloaded = run(
        "images", "generate", "--prompt", "c", "--out", str(tmp_path / "co.png"), "--json-events", *codex,
        "--retries", "1", "--retry-delay-seconds", "0.01", expect=1,
    )  # fmt: skip
    assert overloaded.json["error"]["code"] == "http_error" and "[redacted]" in overloaded.stdout
    fake_upstream.revoke_access_token()
    stored = json.loads(auth.read_text())["tokens"]
    token_echo = json.dumps({"error": "invalid_grant", "refresh_token": stored["refresh_token"], "seen": stored["access_token"]})  # fmt: skip
    fake_upstream.faults(Fault.fail(400, times=1, path=TOKEN_PATH, body=token_echo))
    codex_failed = run("images", "generate", "--prompt", "c", "--out", str(tmp_path / "cf.png"), "--json-events", *codex, expect=1)  # fmt: skip
    assert codex_failed.json["error"]["code"] == "http_error"

    # Read-side commands.
    job_id = gen.json["history"]["job_id"]
    failed_id = failed.json.get("history", {}).get("job_id") if isinstance(failed.json, dict) else None
    run("doctor", expect=None)
    run("config", "inspect")
    run("config", "list-providers", expect=None)
    run("history", "list")
    run("history", "show", job_id)
    if failed_id:
        run("history", "show", failed_id, expect=None)
    run("jobs", "watch", job_id, "--json-events", expect=None)
    listed = json.loads(engine.cli("history", "list", "--status", "failed").stdout)
    for job in listed.get("jobs", []):
        run("history", "show", job["id"], expect=None)
        run("jobs", "watch", job["id"], "--json-events", expect=None)
    engine.stop()  # flush logs and the WAL as a crash would not; both states are scanned below

    # The scanner itself works: the documented plaintext is found.
    probe: list[str] = []
    _scan(documented.stdout.encode(), "secret get", canaries, probe)
    assert probe == ["env_secret in secret get"]
    leaks: list[str] = []
    for label, r in results:
        _scan(r.stdout.encode(), f"stdout of {label}", canaries, leaks)
        _scan(r.stderr.encode(), f"stderr/events of {label}", canaries, leaks)
    logs = engine.shared_dir / "logs"
    for path in sorted(logs.glob("engine.log*")) + [engine.home / "engine-stderr.log"]:
        _scan(path.read_bytes(), str(path.name), canaries, leaks)
    for path in sorted(engine.shared_dir.glob("history.sqlite*")):
        _scan(path.read_bytes(), path.name, canaries, leaks)
    jobs = engine.shared_dir / "jobs"
    for path in sorted(p for p in jobs.rglob("*") if p.is_file()):
        _scan(path.read_bytes(), str(path.relative_to(engine.shared_dir)), canaries, leaks)
    assert leaks == []
    assert any(engine.shared_dir.glob("history.sqlite*")) and any(jobs.iterdir())
