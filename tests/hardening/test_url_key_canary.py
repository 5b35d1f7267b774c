"""Issue 12 (8): a key inside a configured base URL (`http://user:sk-X@host/v1`,
`...?api-key=sk-X`) still reaches the provider, but never the engine log, `job_events`,
the stored request or job folder, the CLI's output, or the gateway's `/api/jobs/{id}`
and `/api/providers`. Canary values are searched for in every one of them."""

from __future__ import annotations

import json
import secrets

from tests.fakeupstream.server import GENERATIONS_PATH, Fault
from tests.hardening.conftest import gateway_client


def canary(tag: str) -> str:
    return f"sk-{tag}-canary-{secrets.token_hex(10)}"


def test_keys_in_base_urls_never_leak(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    user_key, query_key, env_query_key = canary("userinfo"), canary("query"), canary("envquery")
    host = fake_upstream.openai_base.split("://", 1)[1]  # 127.0.0.1:PORT/v1
    keyed = f"http://relay:{user_key}@{host}?api-key={query_key}&api-version=2025-01-01"
    results = []

    def run(*args: str, env=None, expect: int | None = 0):  # type: ignore[no-untyped-def]
        r = engine.cli(*args, env=env or engine.client_env())
        if expect is not None:
            assert r.returncode == expect, (args, r.stdout, r.stderr)
        results.append(r)
        return r

    run("config", "add-provider", "--name", "keyed", "--api-base", keyed, "--api-key", "sk-ordinary-key-1234")
    ok = run("--provider", "keyed", "images", "generate", "--prompt", "p", "--out", str(tmp_path / "a.png"), "--json-events")  # fmt: skip
    # The keys were used as configured: the path grew, the query stayed a query.
    sent = fake_upstream.requests_to(GENERATIONS_PATH)[-1]
    assert sent.query["api-key"] == [query_key] and sent.query["api-version"] == ["2025-01-01"]
    fake_upstream.faults(Fault.fail(500, times=2))
    bad = run(
        "--provider", "keyed", "images", "generate", "--prompt", "p", "--out", str(tmp_path / "b.png"),
        "--json-events", "--retries", "1", "--retry-delay-seconds", "0.01", expect=1,
    )  # fmt: skip
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 3, [(r.status, r.fault) for r in fake_upstream.requests]
    env_keyed = engine.client_env(
        OPENAI_API_KEY="sk-ordinary-key-5678", OPENAI_BASE_URL=f"{fake_upstream.openai_base}?key={env_query_key}"
    )
    run("images", "generate", "--prompt", "p", "--out", str(tmp_path / "c.png"), "--json-events", env=env_keyed)
    assert len(fake_upstream.requests_to(GENERATIONS_PATH)) == 4
    shown = [e for e in ok.events if e["type"] == "request_started"][0]["data"]["endpoint"]
    assert shown.startswith("http://127.0.0.1:") and "api-key=[redacted]" in shown and "@" not in shown
    run("config", "list-providers")
    run("config", "inspect")
    run("doctor", env=env_keyed, expect=None)
    run("config", "test-provider", "keyed", expect=None)
    for job in json.loads(run("history", "list").stdout)["jobs"]:
        run("history", "show", job["id"])
        run("jobs", "watch", job["id"], "--json-events", expect=None)

    # The gateway's view of the same jobs and providers.
    http, client = gateway_client(engine)
    try:
        pages = [http.get("/api/providers"), http.get("/api/jobs")]
        for job_id in (ok.json["history"]["job_id"], json.loads(pages[1].get_data())["jobs"][0]["id"]):
            pages += [http.get(f"/api/jobs/{job_id}"), http.get(f"/api/jobs/{job_id}/events")]
    finally:
        client.close()
    assert all(p.status_code == 200 for p in pages), [p.status_code for p in pages]
    engine.stop()

    canaries = {"userinfo": user_key, "query": query_key, "env_query": env_query_key}
    blobs: dict[str, bytes] = {}
    for i, r in enumerate(results):
        blobs[f"cli {i} stdout"] = r.stdout.encode()
        blobs[f"cli {i} stderr"] = r.stderr.encode()
    for i, page in enumerate(pages):
        blobs[f"gateway page {i}"] = page.get_data()
    for path in sorted((engine.shared_dir / "logs").glob("engine.log*")) + [engine.home / "engine-stderr.log"]:
        blobs[path.name] = path.read_bytes()
    for path in sorted(engine.shared_dir.glob("history.sqlite*")):
        blobs[path.name] = path.read_bytes()
    for path in sorted(p for p in (engine.shared_dir / "jobs").rglob("*") if p.is_file()):
        blobs[str(path.relative_to(engine.shared_dir))] = path.read_bytes()
    assert b"HTTP Request" in b"".join(v for k, v in blobs.items() if k.startswith("engine.log"))
    assert bad.json["error"]["code"] == "http_error"
    leaks = [
        f"{name} in {where}" for where, blob in blobs.items() for name, v in canaries.items() if v.encode() in blob
    ]
    assert leaks == []
