"""Credential resolution, the keyring wrapper (real keyrings.alt file backend; headless failure) and `secret *` ops."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.store import config as cs
from gpt_image_engine.store import secrets as ss
from gpt_image_engine.store.paths import EnginePaths
from tests.engine.keyring_fixtures import file_keyring, no_keyring  # noqa: F401

CALL = Call()


@pytest.fixture()
def paths(tmp_path: Path) -> EnginePaths:
    p = EnginePaths.from_env({"CODEX_HOME": str(tmp_path / "codex")})
    cs.add_provider(p, CALL, "p", api_base="https://x.example/v1")
    return p


def test_resolve_credential_sources(file_keyring) -> None:  # noqa: F811
    assert ss.resolve_credential({"source": "file", "value": "v"}, {}) == ("v", "file")
    assert ss.resolve_credential({"source": "env", "env": "K"}, {"K": "ev"}) == (
        "ev",
        "env:K",
    )
    keyring.set_password("gpt-image-2-skill", "acct", "kv")
    assert ss.resolve_credential({"source": "keychain", "account": "acct"}, {}) == (
        "kv",
        "keychain:acct",
    )
    for ref, env in (
        ({"source": "file", "value": "  "}, {}),
        ({"source": "env", "env": "K"}, {"K": " "}),
        ({"source": "env", "env": "K"}, {}),
    ):
        with pytest.raises(AppError) as info:
            ss.resolve_credential(ref, env)
        assert info.value.code == "credential_missing"
    with pytest.raises(AppError) as info:
        ss.resolve_credential({"source": "keychain", "account": "nope"}, {})
    assert info.value.code == "keychain_missing"


def test_headless_keyring_is_a_coded_error(no_keyring, paths: EnginePaths) -> None:  # noqa: F811
    for op in (
        lambda: ss.keyring_get("s", "a"),
        lambda: ss.keyring_set("s", "a", "v"),
        lambda: ss.keyring_delete("s", "a"),
        lambda: ss.secret_set(paths, CALL, "p", "api_key", source="keychain", value="v"),
    ):
        with pytest.raises(AppError) as info:
            op()
        assert info.value.code == "keychain_error"
        assert "keyrings.alt" in info.value.message and "--source file" in info.value.message
    assert ss.keyring_present("s", "a") is False
    red = ss.redact_credential({"source": "keychain", "account": "a"})
    assert red["present"] is False
    # config untouched by the failed keychain write
    assert "api_key" not in cs.load_config(paths.config_for(None))["providers"]["p"]["credentials"]


def test_secret_set_get_delete_file(paths: EnginePaths) -> None:
    out = ss.secret_set(paths, CALL, "p", "api_key", value="sk-1\r\n")
    assert out == {
        "provider": "p",
        "name": "api_key",
        "config_file": str(paths.config_for(None)),
    }
    assert ss.secret_get(paths, CALL, "p", "api_key") == {
        "provider": "p",
        "name": "api_key",
        "source": "file",
        "value": "sk-1",
    }
    status = ss.secret_get(paths, CALL, "p", "api_key", status_only=True)
    assert status == {
        "provider": "p",
        "name": "api_key",
        "status": {"source": "file", "present": True, "value": {"_omitted": "secret"}},
        "ready": True,
    }
    assert ss.secret_delete(paths, CALL, "p", "api_key") == {
        "provider": "p",
        "name": "api_key",
        "removed": True,
    }
    assert ss.secret_delete(paths, CALL, "p", "api_key")["removed"] is False
    with pytest.raises(AppError) as info:
        ss.secret_get(paths, CALL, "p", "api_key")
    assert info.value.code == "credential_missing"


def test_secret_set_env(paths: EnginePaths) -> None:
    with pytest.raises(AppError) as info:
        ss.secret_set(paths, CALL, "p", "api_key", source="env")
    assert info.value.code == "secret_env_missing"
    ss.secret_set(paths, CALL, "p", "api_key", source="env", env_var="MY_KEY")
    assert ss.secret_get(paths, CALL, "p", "api_key", env={"MY_KEY": "ek"})["source"] == "env:MY_KEY"
    status = ss.secret_get(paths, CALL, "p", "api_key", status_only=True, env={})
    assert status["ready"] is False and status["status"] == {
        "source": "env",
        "env": "MY_KEY",
        "present": False,
    }


def test_secret_set_keychain_and_delete(paths: EnginePaths, file_keyring) -> None:  # noqa: F811
    ss.secret_set(paths, CALL, "p", "api_key", source="keychain", value="kc-val")
    ref = cs.load_config(paths.config_for(None))["providers"]["p"]["credentials"]["api_key"]
    assert ref["source"] == "keychain" and ref["account"] == "providers/p/api_key"
    assert "kc-val" not in paths.config_for(None).read_text()
    assert keyring.get_password("gpt-image-2-skill", "providers/p/api_key") == "kc-val"
    got = ss.secret_get(paths, CALL, "p", "api_key")
    assert got["source"] == "keychain:providers/p/api_key" and got["value"] == "kc-val"
    ss.secret_set(paths, CALL, "p", "other", source="keychain", value="x", account="custom/acct")
    assert keyring.get_password("gpt-image-2-skill", "custom/acct") == "x"
    assert ss.secret_delete(paths, CALL, "p", "api_key")["removed"] is True
    assert keyring.get_password("gpt-image-2-skill", "providers/p/api_key") is None


def test_secret_errors(paths: EnginePaths) -> None:
    with pytest.raises(AppError) as info:
        ss.secret_set(paths, CALL, "ghost", "api_key", value="v")
    assert info.value.code == "provider_unknown"
    with pytest.raises(AppError) as info:
        ss.secret_set(paths, CALL, "p", "api_key", source="vault", value="v")
    assert info.value.code == "secret_source_unsupported"
    with pytest.raises(AppError) as info:
        ss.secret_get(paths, CALL, "ghost", "api_key")
    assert info.value.code == "provider_unknown"
    with pytest.raises(AppError) as info:
        ss.secret_delete(paths, CALL, "ghost", "api_key")
    assert info.value.code == "provider_unknown"


def test_status_payload_has_no_secret(paths: EnginePaths) -> None:
    ss.secret_set(paths, CALL, "p", "api_key", value="sk-very-secret")
    assert "sk-very-secret" not in json.dumps(ss.secret_get(paths, CALL, "p", "api_key", status_only=True))
