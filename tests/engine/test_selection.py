"""Provider selection (§4.4), including upstream tests/config_provider.rs cases."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.base import (
    DEFAULT_CODEX_ENDPOINT,
    DEFAULT_OPENAI_API_BASE,
    DEFAULT_TOKEN_URL,
)
from gpt_image_engine.providers.selection import (
    openai_inspect,
    select_for_request,
    select_provider,
)
from gpt_image_engine.store import config as cs
from gpt_image_engine.store.paths import EnginePaths


def jwt(account: str = "acct-1") -> str:
    payload = base64.urlsafe_b64encode(
        json.dumps({"https://api.openai.com/auth": {"chatgpt_account_id": account}}).encode()
    ).rstrip(b"=")
    return f"h.{payload.decode()}.s"


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    home = tmp_path / "codex"
    monkeypatch.setenv("CODEX_HOME", str(home))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return {"CODEX_HOME": str(home)}


@pytest.fixture()
def paths(env: dict[str, str]) -> EnginePaths:
    return EnginePaths.from_env(env)


def write_codex_auth(env: dict[str, str], tokens: dict[str, Any] | None = None) -> Path:
    path = Path(env["CODEX_HOME"]) / "auth.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"tokens": tokens if tokens is not None else {"access_token": jwt(), "refresh_token": "rt"}})
    )
    return path


def test_explicit_openai(paths: EnginePaths, env: dict[str, str]) -> None:
    with pytest.raises(AppError) as info:
        select_provider(Call(provider="openai"), paths, env)
    assert info.value.code == "api_key_missing"
    assert info.value.detail == {"provider": "openai", "env_var": "OPENAI_API_KEY"}
    r = select_provider(
        Call(provider="openai", api_key="sk-flag"),
        paths,
        {**env, "OPENAI_API_KEY": "sk-env"},
    )
    assert (r.name, r.kind, r.reason, r.settings.api_key, r.auth_source) == (
        "openai",
        "openai",
        "explicit",
        "sk-flag",
        "flag",
    )
    assert r.supports_n is True and r.edit_region_mode == "native-mask" and r.model == "gpt-image-2"
    assert r.settings.api_base == DEFAULT_OPENAI_API_BASE
    r = select_provider(
        Call(provider="openai", env_openai_api_key="sk-client"),
        paths,
        {**env, "OPENAI_API_KEY": "sk-engine"},
    )
    assert r.settings.api_key == "sk-client" and r.auth_source == "env"
    r = select_provider(Call(provider="openai"), paths, {**env, "OPENAI_API_KEY": "sk-engine"})
    assert r.settings.api_key == "sk-engine" and r.auth_source == "env"


def test_openai_api_base_precedence(paths: EnginePaths, env: dict[str, str]) -> None:
    e = {**env, "OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://engine-env/v1"}
    assert select_provider(Call(provider="openai"), paths, e).settings.api_base == "http://engine-env/v1"
    assert (
        select_provider(Call(provider="openai", env_openai_base_url="http://client/v1"), paths, e).settings.api_base
        == "http://client/v1"
    )
    assert (
        select_provider(
            Call(
                provider="openai",
                openai_api_base="http://flag/v1",
                env_openai_base_url="http://client/v1",
            ),
            paths,
            e,
        ).settings.api_base
        == "http://flag/v1"
    )


def test_explicit_codex(paths: EnginePaths, env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(AppError) as info:
        select_provider(Call(provider="codex"), paths, env)
    assert info.value.code == "access_token_missing"
    auth = write_codex_auth(env)
    r = select_provider(Call(provider="codex"), paths, env)
    assert (r.name, r.kind, r.reason, r.model, r.supports_n, r.edit_region_mode) == (
        "codex",
        "codex",
        "explicit",
        "gpt-5.4",
        False,
        "reference-hint",
    )
    assert r.settings.auth_file == auth and r.settings.account_id == "acct-1" and r.settings.refresh_token == "rt" and r.auth_source == "auth.json"
    assert r.settings.endpoint == DEFAULT_CODEX_ENDPOINT and r.settings.token_url == DEFAULT_TOKEN_URL
    other = tmp_path / "other-auth.json"
    other.write_text(json.dumps({"access_token": jwt("acct-2")}))
    r = select_provider(
        Call(provider="codex", auth_file=str(other), endpoint="http://codex.local/r"),
        paths,
        {**env, "GPT_IMAGE_2_CODEX_TOKEN_URL": "http://tok"},
    )
    assert (
        r.settings.auth_file == other
        and r.settings.account_id == "acct-2"
        and r.settings.endpoint == "http://codex.local/r"
        and r.settings.token_url == "http://tok"
    )


def test_auto(paths: EnginePaths, env: dict[str, str]) -> None:
    with pytest.raises(AppError) as info:
        select_provider(Call(), paths, env)
    assert info.value.code == "provider_unavailable"
    detail = info.value.detail
    assert detail["openai"]["ready"] is False and detail["codex"]["ready"] is False
    assert detail["config_file"] == str(paths.config_for(None)) and detail["configured_providers"] == []
    write_codex_auth(env)
    assert select_provider(Call(), paths, env).reason == "auto_codex_auth"
    assert select_provider(Call(), paths, {**env, "OPENAI_API_KEY": "k"}).reason == "auto_openai_api_key"
    cs.set_default_provider(paths, Call(), "openai")  # built-in name as default: ignored
    assert select_provider(Call(), paths, env).reason == "auto_codex_auth"
    cs.add_provider(paths, Call(), "mine", api_key="sk-cfg", set_default=True)
    r = select_provider(Call(provider="  "), paths, {**env, "OPENAI_API_KEY": "k"})
    assert (r.name, r.reason, r.settings.api_key, r.auth_source, r.requested) == (
        "mine",
        "config_default_provider",
        "sk-cfg",
        "file",
        "mine",
    )


def test_configured_openai_provider_resolves_with_file_secret(paths: EnginePaths, env: dict[str, str]) -> None:
    cs.add_provider(
        paths,
        Call(),
        "my-image-api",
        api_base="https://img.example.com/v1",
        api_key="sk-file",
    )
    r = select_provider(Call(provider="my-image-api"), paths, env)
    assert r.kind == "openai" and r.reason == "explicit_config_provider"
    assert r.settings.api_base == "https://img.example.com/v1" and r.settings.api_key == "sk-file"
    assert r.edit_region_mode == "reference-hint" and r.supports_n is False
    assert r.selection_payload()["kind"] == "openai-compatible"
    assert r.config_file == paths.config_for(None) and r.config_entry is not None


def test_explicit_builtin_name_uses_configured_provider_when_present(paths: EnginePaths, env: dict[str, str]) -> None:
    cs.add_provider(
        paths,
        Call(),
        "openai",
        type="openai-compatible",
        api_base="https://custom.example/v1",
        api_key="sk-cfg",
    )
    r = select_provider(Call(provider="openai"), paths, {**env, "OPENAI_API_KEY": "sk-env"})
    assert (
        r.reason == "explicit_config_provider" and r.settings.api_base == "https://custom.example/v1" and r.supports_n is False
    )


def test_configured_openai_name_loads_config_secret_for_image_auth(paths: EnginePaths, env: dict[str, str]) -> None:
    cs.add_provider(paths, Call(), "openai", type="openai", api_key="sk-cfg")
    r = select_provider(Call(provider="openai"), paths, {**env, "OPENAI_API_KEY": "sk-env"})
    assert r.settings.api_key == "sk-cfg" and r.auth_source == "file"
    assert r.supports_n is True and r.edit_region_mode == "native-mask"
    r = select_provider(Call(provider="openai", api_key="sk-flag"), paths, env)
    assert r.settings.api_key == "sk-flag" and r.auth_source == "flag"


def test_config_errors(paths: EnginePaths, env: dict[str, str]) -> None:
    with pytest.raises(AppError) as info:
        select_provider(Call(provider="ghost"), paths, env)
    assert info.value.code == "provider_unknown"
    # The upstream's detail, plus the names that would have worked (the message lists them too).
    assert info.value.detail == {"config_file": str(paths.config_for(None)), "valid": ["auto", "openai", "codex"]}
    assert info.value.message == "Unknown provider: ghost. Valid names: auto, openai, codex."
    cs.add_provider(paths, Call(), "weird", type="anthropic", api_key="k")
    with pytest.raises(AppError) as info:
        select_provider(Call(provider="weird"), paths, env)
    assert info.value.code == "provider_kind_unsupported"
    cs.add_provider(paths, Call(), "nokey")
    with pytest.raises(AppError) as info:
        select_provider(Call(provider="nokey"), paths, env)
    assert info.value.code == "credential_missing"
    cs.add_provider(paths, Call(), "envkey", api_key_env="MY_KEY")
    with pytest.raises(AppError) as info:
        select_provider(Call(provider="envkey"), paths, env)
    assert info.value.code == "credential_missing"
    r = select_provider(Call(provider="envkey"), paths, {**env, "MY_KEY": "v"})
    assert r.auth_source == "env:MY_KEY"


def test_config_codex_provider(paths: EnginePaths, env: dict[str, str]) -> None:
    cs.add_provider(paths, Call(), "cx", type="codex", endpoint="http://codex.example/r")
    with pytest.raises(AppError) as info:
        select_provider(Call(provider="cx"), paths, env)
    assert info.value.code == "credential_missing"
    cs.add_provider(
        paths,
        Call(),
        "cx",
        type="codex",
        endpoint="http://codex.example/r",
        access_token=jwt("acct-c"),
        refresh_token="rt-c",
    )
    r = select_provider(Call(provider="cx"), paths, env)
    assert (r.kind, r.model, r.supports_n, r.edit_region_mode, r.settings.endpoint) == (
        "codex",
        "gpt-5.4",
        False,
        "reference-hint",
        "http://codex.example/r",
    )
    assert r.settings.account_id == "acct-c" and r.settings.refresh_token == "rt-c" and r.auth_source == "config"
    assert select_provider(Call(provider="cx", endpoint="http://flag/r"), paths, env).settings.endpoint == "http://flag/r"


def test_select_for_request(paths: EnginePaths, env: dict[str, str]) -> None:
    write_codex_auth(env)
    e = {**env, "OPENAI_API_KEY": "k"}
    assert select_for_request(Call(), "responses", paths, e).reason == "auto_request_responses"
    assert select_for_request(Call(), "generate", paths, e).reason == "auto_request_images"
    assert select_for_request(Call(), "edit", paths, env).reason == "auto_codex_auth"
    assert select_for_request(Call(provider="openai"), "responses", paths, e).reason == "explicit"


def test_openai_inspect_has_no_key(env: dict[str, str]) -> None:
    info = openai_inspect(Call(api_key="sk-secret"), env)
    assert info == {
        "provider": "openai",
        "ready": True,
        "auth_source": "flag",
        "api_key_present": True,
        "env_var": "OPENAI_API_KEY",
        "default_model": "gpt-image-2",
    }
