"""Issue 12, item 1 (its other half): a browser that re-points a provider at its own listener without
sending the provider's secret again must not receive the stored secret. Whatever the route does with
credentials the request left out (replace them, or keep them as the upstream app's upsert does), the
engine refuses to keep a stored secret while the destination moves, so the listener sees no key."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from gpt_image_protocol import jsonshape
from gpt_image_protocol.errors import AppError
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


# --- storage targets, SMTP and webhooks (the same rule outside providers)

PASSWORD = "dav-password-0123456789"
SMTP_PASSWORD = "smtp-password-0123456789"
HOOK_TOKEN = "Bearer hook-token-0123456789"


def _config_bytes(stack: Stack) -> bytes:
    return (stack.engine.shared_dir / "config.json").read_bytes()


def _refused(reply: object, stack: Stack, before: bytes, setting: str) -> None:
    assert reply.status_code == 403, reply.get_data(as_text=True)  # type: ignore[attr-defined]
    error = reply.json["error"]  # type: ignore[attr-defined]
    assert error["code"] == "secret_redirect_refused" and error["detail"]["setting"] == setting
    assert error["detail"]["caller"] == "gateway"
    assert _config_bytes(stack) == before  # nothing stored changed


def test_moved_webdav_target_needs_its_password_again(app: Flask, stack: Stack) -> None:
    http = app.test_client()
    dav = {"type": "webdav", "url": "https://dav.example.test/photos", "username": "me"}
    saved = http.put("/api/storage", json={"targets": {"dav": {**dav, "password": {"source": "file", "value": PASSWORD}}}})
    assert saved.status_code == 200, saved.json
    kept = {"source": "file", "value": ""}  # what the page sends back: "keep the stored password"
    # Same URL, password kept: fine (a harmless edit).
    assert http.put("/api/storage", json={"targets": {"dav": {**dav, "username": "you", "password": kept}}}).status_code == 200
    before = _config_bytes(stack)
    evil = {**dav, "url": "http://127.0.0.1:9/steal"}
    _refused(http.put("/api/storage", json={"targets": {"dav": {**evil, "password": kept}}}), stack, before, "storage.targets.dav")
    # Another operation writing the same section (AddStorageTarget, as the gateway's client) meets the same rule.
    with pytest.raises(AppError) as info:
        app.extensions["engine"].outputs_call("AddStorageTarget", name="dav", target=jsonshape.to_object({**evil, "password": kept}))
    assert info.value.code == "secret_redirect_refused" and _config_bytes(stack) == before
    # Sending the password again with the new URL is the caller's own secret: accepted.
    moved = http.put("/api/storage", json={"targets": {"dav": {**evil, "password": {"source": "file", "value": "mine"}}}})
    assert moved.status_code == 200, moved.json
    assert moved.json["storage"]["targets"]["dav"]["url"] == evil["url"]
    assert PASSWORD.encode() not in _config_bytes(stack)


def test_moved_smtp_host_and_webhook_need_their_secrets_again(app: Flask, stack: Stack) -> None:
    http = app.test_client()
    email = {
        "enabled": True, "smtp_host": "smtp.example.test", "smtp_port": 587, "tls": "start-tls",
        "from": "a@example.test", "to": ["b@example.test"], "username": "a",
    }
    hook = {"id": "ops", "url": "https://ops.example.test/hook", "headers": {}}
    stored = {
        "email": {**email, "password": {"source": "file", "value": SMTP_PASSWORD}},
        "webhooks": [{**hook, "headers": {"Authorization": {"source": "file", "value": HOOK_TOKEN}}}],
    }
    assert http.put("/api/notifications", json=stored).status_code == 200
    kept = {"source": "file", "value": ""}
    same = {"email": {**email, "password": kept}, "webhooks": [{**hook, "headers": {"Authorization": kept}}]}
    assert http.put("/api/notifications", json={**same, "on_failed": False}).status_code == 200
    before = _config_bytes(stack)
    for field, value in (("smtp_host", "127.0.0.1"), ("smtp_port", 2525), ("tls", "none")):
        moved = {**same, "email": {**same["email"], field: value}}
        _refused(http.put("/api/notifications", json=moved), stack, before, "notifications.email")
    hooked = {**same, "webhooks": [{**same["webhooks"][0], "url": "http://127.0.0.1:9/steal"}]}
    _refused(http.put("/api/notifications", json=hooked), stack, before, "notifications.webhooks.ops")
    resent = {**same, "email": {**email, "smtp_host": "127.0.0.1", "password": {"source": "file", "value": "mine"}}}
    accepted = http.put("/api/notifications", json=resent)
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["notifications"]["email"]["smtp_host"] == "127.0.0.1"
    assert SMTP_PASSWORD.encode() not in _config_bytes(stack) and HOOK_TOKEN.encode() in _config_bytes(stack)


def test_local_cli_may_still_move_a_target_keeping_its_password(app: Flask, stack: Stack) -> None:
    """The engine's own user (the CLI on the Unix socket) keeps today's behaviour."""
    http = app.test_client()
    dav = {"type": "webdav", "url": "https://dav.example.test/local", "username": "me"}
    saved = http.put("/api/storage", json={"targets": {"own": {**dav, "password": {"source": "file", "value": PASSWORD}}}})
    assert saved.status_code == 200, saved.json
    moved = {**dav, "url": "https://dav2.example.test/local", "password": {"source": "file", "value": ""}}
    result = stack.engine.cli("storage", "add", "own", "--json", json.dumps(moved))
    assert result.returncode == 0, result.stderr
    stored = json.loads(_config_bytes(stack))["storage"]["targets"]["own"]
    assert stored["url"] == moved["url"] and stored["password"] == {"source": "file", "value": PASSWORD}


def test_a_new_setting_may_not_name_a_stored_keychain_entry(app: Flask, stack: Stack) -> None:
    """Naming another setting's keychain account (without its value) would send that secret to the
    caller's URL: refused for a storage target and for a provider; with the value sent, accepted."""
    http = app.test_client()
    vault = {"type": "webdav", "url": "https://dav.example.test/vault", "username": "me"}
    kc_value = {"source": "keychain", "value": "kc-secret-0123456789"}
    saved = http.put("/api/storage", json={"targets": {"vault": {**vault, "password": kc_value}}})
    assert saved.status_code == 200, saved.json
    stored = json.loads(_config_bytes(stack))["storage"]["targets"]["vault"]["password"]
    assert stored["source"] == "keychain" and "value" not in stored
    named = {"source": "keychain", "account": stored["account"]}
    thief = {"type": "webdav", "url": "http://127.0.0.1:9/steal", "username": "x"}
    before = _config_bytes(stack)
    kept = {"source": "keychain"}  # the page's "keep": neither value nor account
    body = {"targets": {"vault": {**vault, "password": kept}, "thief": {**thief, "password": named}}}
    _refused(http.put("/api/storage", json=body), stack, before, "storage.targets.thief")
    put = http.put(
        "/api/providers/thief",
        json={"type": "openai-compatible", "api_base": "http://127.0.0.1:9/v1", "credentials": {"api_key": named}},
    )
    _refused(put, stack, before, "providers.thief")
    # The untouched target keeps its entry; a value sent with the new target is the caller's own.
    body["targets"]["thief"]["password"] = {"source": "keychain", "value": "mine"}
    accepted = http.put("/api/storage", json=body)
    assert accepted.status_code == 200, accepted.json
    after = json.loads(_config_bytes(stack))["storage"]["targets"]
    assert after["vault"]["password"] == stored and after["thief"]["password"]["account"] != stored["account"]
