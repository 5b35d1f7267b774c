"""The key-source rules of `security.keyenv` by caller (issue 12, item 1)."""

from __future__ import annotations

import pytest

from gpt_image_engine.security import keyenv
from gpt_image_engine.store.secrets import resolve_credential
from gpt_image_protocol.errors import AppError

ENV = {"OPENAI_API_KEY": "sk-engine", "HOME": "/home/engine", "TEAM_KEY": "sk-team"}


def _code(fn, *args):  # type: ignore[no-untyped-def]
    with pytest.raises(AppError) as info:
        fn(*args)
    return info.value.code, info.value.detail


def test_own_user_may_name_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(keyenv.ALLOWLIST_ENV, raising=False)
    with keyenv.caller(None):
        assert resolve_credential({"source": "env", "env": "HOME"}, ENV) == ("/home/engine", "env:HOME")
        keyenv.check_write("HOME")
        keyenv.check_redirect("OPENAI_API_KEY")


@pytest.mark.parametrize("kind", ["tcp", "gateway"])
def test_remote_callers_use_only_openai_key_or_listed(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    monkeypatch.setenv(keyenv.ALLOWLIST_ENV, " TEAM_KEY , ")
    with keyenv.caller(kind):
        assert resolve_credential({"source": "env", "env": "OPENAI_API_KEY"}, ENV)[0] == "sk-engine"
        assert resolve_credential({"source": "env", "env": "TEAM_KEY"}, ENV)[0] == "sk-team"
        code, detail = _code(resolve_credential, {"source": "env", "env": "HOME"}, ENV)
        assert code == "provider_key_env_not_allowed" and detail == {
            "env": "HOME", "caller": kind, "setting": "GPT_IMAGE_2_KEY_ENV_ALLOWLIST"
        }
        # Writing (or redirecting, or reading back) needs the operator's explicit listing, OPENAI_API_KEY too.
        keyenv.check_write("TEAM_KEY")
        for check in (keyenv.check_write, keyenv.check_redirect, keyenv.check_reveal):
            assert _code(check, "OPENAI_API_KEY")[0] == "provider_key_env_not_allowed"
    # The restriction ends with the call.
    assert keyenv.restricted_caller() is None
    assert resolve_credential({"source": "env", "env": "HOME"}, ENV)[0] == "/home/engine"


def _cfg(api_base: str, cred: dict[str, str], model: str = "gpt-image-2") -> dict[str, object]:
    entry = {"type": "openai-compatible", "api_base": api_base, "model": model, "credentials": {"api_key": cred}}
    return {"providers": {"p": entry}}


def test_config_writes_keep_stored_secrets_where_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever operation writes config.json (AddProvider, SetSecret, an upsert that keeps secrets the
    client did not resend), a remote caller cannot move a stored secret to a new destination."""
    monkeypatch.delenv(keyenv.ALLOWLIST_ENV, raising=False)
    stored_file = {"source": "file", "value": "sk-operator"}
    stored_env = {"source": "env", "env": "OPENAI_API_KEY"}
    old_file, old_env = _cfg("https://api.openai.com/v1", stored_file), _cfg("https://api.openai.com/v1", stored_env)
    with keyenv.caller("gateway"):
        code, detail = _code(keyenv.check_config_write, old_file, _cfg("http://127.0.0.1:9/v1", stored_file))
        assert code == "provider_secret_redirect_refused" and detail["credential"] == "api_key"
        assert _code(keyenv.check_config_write, old_env, _cfg("http://127.0.0.1:9/v1", stored_env))[0] == (
            "provider_key_env_not_allowed"
        )
        assert _code(keyenv.check_config_write, {}, _cfg("https://api.openai.com/v1", stored_env))[0] == (
            "provider_key_env_not_allowed"
        )
        # Same destination (a model change), or a secret sent again with the move: allowed.
        keyenv.check_config_write(old_file, _cfg("https://api.openai.com/v1", stored_file, model="other"))
        keyenv.check_config_write(old_env, _cfg("https://api.openai.com/v1", stored_env, model="other"))
        keyenv.check_config_write(old_file, _cfg("http://127.0.0.1:9/v1", {"source": "file", "value": "sk-mine"}))
    with keyenv.caller(None):  # the engine's own user
        keyenv.check_config_write(old_file, _cfg("http://127.0.0.1:9/v1", stored_file))


def test_env_references_outside_providers_need_the_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """A webhook header or storage secret naming an engine variable would send it to a URL the caller chose."""
    monkeypatch.setenv(keyenv.ALLOWLIST_ENV, "HOOK_TOKEN")
    header = {"source": "env", "env": "OPENAI_API_KEY"}
    old = {"notifications": {"webhooks": [{"id": "h", "url": "https://ops.example/hook", "headers": {"Authorization": header}}]}}
    moved = {"notifications": {"webhooks": [{"id": "h", "url": "http://127.0.0.1:9/", "headers": {"Authorization": header}}]}}
    added = {"storage": {"targets": {"s3": {"type": "s3", "secret_access_key": {"source": "env", "env": "HOME"}}}}}
    listed = {"storage": {"targets": {"s3": {"type": "s3", "secret_access_key": {"source": "env", "env": "HOOK_TOKEN"}}}}}
    with keyenv.caller("tcp"):
        assert _code(keyenv.check_config_write, old, moved)[0] == "provider_key_env_not_allowed"
        assert _code(keyenv.check_config_write, {}, added)[0] == "provider_key_env_not_allowed"
        keyenv.check_config_write(old, old)  # untouched operator settings are not re-judged
        keyenv.check_config_write({}, listed)


def test_stored_secrets_outside_providers_stay_with_their_destination(monkeypatch: pytest.MonkeyPatch) -> None:
    """Storage targets (S3 endpoint/bucket/region, SFTP host/port/host key, WebDAV/HTTP URL), the SMTP
    login and webhook headers: a kept stored secret may not follow a changed destination."""
    monkeypatch.delenv(keyenv.ALLOWLIST_ENV, raising=False)
    secret = {"source": "file", "value": "stored"}
    keychain = {"source": "keychain", "service": "gpt-image-2-skill", "account": "storage/s/private_key"}
    s3 = {"type": "s3", "bucket": "b", "endpoint": "https://s3.example", "secret_access_key": secret}
    sftp = {"type": "sftp", "host": "files.example", "port": 22, "host_key_sha256": "SHA256:x", "private_key": keychain}

    def storage(**targets: object) -> dict[str, object]:
        return {"storage": {"targets": targets}}

    def hooks(*items: object) -> dict[str, object]:
        return {"notifications": {"webhooks": list(items)}}

    a = {"id": "a", "url": "https://a.example", "headers": {"X-Key": secret}}
    b = {"id": "b", "url": "https://b.example", "headers": {}}
    old_storage = storage(s3=s3, s=sftp)
    with keyenv.caller("tcp"):
        for field, value in (("endpoint", "http://127.0.0.1:9"), ("bucket", "evil"), ("region", "evil")):
            code, detail = _code(keyenv.check_config_write, old_storage, storage(s3={**s3, field: value}, s=sftp))
            assert code == "secret_redirect_refused"
            assert detail == {"setting": "storage.targets.s3", "credential": "secret_access_key", "caller": "tcp"}
        for field, value in (("host", "127.0.0.1"), ("port", 2222), ("host_key_sha256", "SHA256:y")):
            assert _code(keyenv.check_config_write, old_storage, storage(s3=s3, s={**sftp, field: value}))[0] == (
                "secret_redirect_refused"
            )
        # A stored webhook secret is matched by the webhook's id, whatever the list order.
        keyenv.check_config_write(hooks(a, b), hooks(b, a))
        moved_hook = {**a, "url": "http://127.0.0.1:9/"}
        assert _code(keyenv.check_config_write, hooks(a, b), hooks(b, moved_hook))[1]["setting"] == (
            "notifications.webhooks.a"
        )
        # Harmless edits, a target removed, or the secret sent again with the move: allowed.
        keyenv.check_config_write(old_storage, storage(s3={**s3, "prefix": "imgs/"}, s=sftp))
        keyenv.check_config_write(old_storage, storage(s=sftp))
        keyenv.check_config_write(old_storage, storage(s3={**s3, "endpoint": "http://x", "secret_access_key": {"source": "file", "value": "new"}}))
    with keyenv.caller(None):  # the engine's own user
        keyenv.check_config_write(old_storage, storage(s3={**s3, "endpoint": "http://127.0.0.1:9"}, s=sftp))


def test_a_remote_write_may_name_only_keychain_entries_it_wrote(monkeypatch: pytest.MonkeyPatch) -> None:
    named = {"source": "keychain", "service": "gpt-image-2-skill", "account": "notifications/email/password"}
    new = {"storage": {"targets": {"t": {"type": "webdav", "url": "https://x.example", "password": named}}}}
    with keyenv.caller("gateway"):
        code, detail = _code(keyenv.check_config_write, {}, new)
        assert code == "secret_redirect_refused" and detail["account"] == named["account"]
        assert _code(keyenv.check_config_write, {}, _cfg("https://api.openai.com/v1", named))[0] == (
            "secret_redirect_refused"
        )
        keyenv.check_config_write(new, new)  # kept where it was
        keyenv.note_keychain_write(named["service"], named["account"])  # the call sent the value itself
        keyenv.check_config_write({}, new)
    with keyenv.caller("gateway"):  # what one call wrote does not carry over to the next
        assert _code(keyenv.check_config_write, {}, new)[0] == "secret_redirect_refused"
    with keyenv.caller(None):
        keyenv.check_config_write({}, new)
