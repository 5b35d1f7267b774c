"""Issue 12, item 1 (its other half): a browser that re-points a provider at its own listener without
sending the provider's secret again must not receive the stored secret. Whatever the route does with
credentials the request left out (replace them, or keep them as the upstream app's upsert does), the
engine refuses to keep a stored secret while the destination moves, so the listener sees no key."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.fakeupstream.server import FakeUpstream
from tests.gateway.conftest import follow
from tests.gateway.support import Stack

SECRET = "sk-victim-0123456789"


@pytest.mark.parametrize(
    "body",
    [
        {"type": "openai-compatible"},  # our flat form, no api_key
        {"allow_overwrite": True, "type": "openai-compatible", "credentials": {"api_key": {"source": "file", "value": ""}}},
        {"allow_overwrite": True, "type": "openai-compatible", "credentials": {}},
    ],
)
def test_repointed_provider_does_not_carry_the_stored_key(app: Flask, stack: Stack, body: dict[str, object]) -> None:
    http = app.test_client()
    app.extensions["engine"].config_call(
        "AddProvider", name="victim", type="openai-compatible", api_base=stack.upstream.openai_base, api_key=SECRET
    )
    listener = FakeUpstream()
    listener.start()
    try:
        put = http.put("/api/providers/victim", json={**body, "api_base": listener.openai_base})
        assert put.status_code in (200, 403), put.json
        if put.status_code == 403:
            assert put.json["error"]["code"] == "provider_secret_redirect_refused"
        started = http.post("/api/images/generate", json={"prompt": "x", "provider": "victim"})
        if started.status_code == 202:
            follow(http, started.json["job_id"])  # until the job is over: whatever it sent has arrived
        assert [r for r in listener.requests if SECRET in r.headers.get("authorization", "")] == []
    finally:
        listener.stop()
