"""config.json store and the `config` provider operations (upstream tests/config_provider.rs included)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.store import config as cs
from gpt_image_engine.store.paths import EnginePaths
from tests.engine.keyring_fixtures import file_keyring  # noqa: F401


@pytest.fixture()
def paths(tmp_path: Path) -> EnginePaths:
    return EnginePaths.from_env({"CODEX_HOME": str(tmp_path / "codex")})


CALL = Call()


def cfg_file(paths: EnginePaths) -> Path:
    return paths.config_for(None)


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert cs.load_config(tmp_path / "nope.json") == {
        "version": 1,
        "default_provider": None,
        "providers": {},
    }


def test_corrupt_config_is_reported_and_untouched(paths: EnginePaths) -> None:
    path = cfg_file(paths)
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"version": 1, "providers": {')
    before = path.read_bytes()
    for op in (
        lambda: cs.load_config(path),
        lambda: cs.add_provider(paths, CALL, "x", api_key="k"),
        lambda: cs.set_default_provider(paths, CALL, "openai"),
        lambda: cs.remove_provider(paths, CALL, "x"),
    ):
        with pytest.raises(AppError) as info:
            op()
        assert info.value.code == "config_invalid_json"
        assert str(path) in info.value.message
    assert path.read_bytes() == before


def test_non_object_and_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text("[1]")
    with pytest.raises(AppError) as info:
        cs.load_config(path)
    assert info.value.code == "config_invalid_json"
    folder = tmp_path / "dir.json"
    folder.mkdir()
    with pytest.raises(AppError) as info:
        cs.load_config(folder)
    assert info.value.code == "config_read_failed"


def test_save_is_atomic_private_and_preserves_known_sections(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.json"
    path.parent.mkdir()
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "providers": {},
                "notifications": {"enabled": True},
                "proxy": {"mode": "none"},
                "logging": {"debug": True},
                "bogus": 1,
            }
        )
    )
    cfg = cs.load_config(path)
    cfg["default_provider"] = "openai"
    cs.save_config(path, cfg)
    data = json.loads(path.read_text())
    assert (
        data["notifications"] == {"enabled": True}
        and data["proxy"] == {"mode": "none"}
        and data["logging"] == {"debug": True}
    )
    assert "bogus" not in data
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().endswith("\n")
    assert os.listdir(path.parent) == ["config.json"]


def test_save_failure_is_coded(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AppError) as info:
        cs.save_config(blocker / "config.json", cs.default_config())
    assert info.value.code == "config_write_failed"


def test_app_config_round_trips_with_file_secret(paths: EnginePaths) -> None:
    out = cs.add_provider(
        paths,
        CALL,
        "my-image-api",
        api_base="https://img.example.com/v1",
        api_key="sk-secret",
    )
    loaded = cs.load_config(cfg_file(paths))
    assert loaded["providers"]["my-image-api"]["credentials"]["api_key"] == {
        "source": "file",
        "value": "sk-secret",
    }
    red = out["config"]["providers"]["my-image-api"]["credentials"]["api_key"]
    assert red == {"source": "file", "present": True, "value": {"_omitted": "secret"}}
    assert "sk-secret" not in json.dumps(out)
    assert "sk-secret" not in json.dumps(cs.inspect_config(paths, CALL))


def test_add_provider_rules(paths: EnginePaths) -> None:
    out = cs.add_provider(paths, CALL, "a", api_key="k1", api_key_env="MY_KEY")
    assert out["provider"] == "a" and out["config_file"] == str(cfg_file(paths))
    entry = cs.load_config(cfg_file(paths))["providers"]["a"]
    assert entry["type"] == "openai-compatible" and entry["model"] == "gpt-image-2"
    assert entry["credentials"]["api_key"] == {"source": "env", "env": "MY_KEY"}
    assert "supports_n" not in entry and "edit_region_mode" not in entry
    assert out["config"]["default_provider"] == "a"  # first provider becomes default

    cs.add_provider(
        paths,
        CALL,
        "cx",
        type="codex",
        access_token="at",
        refresh_token="rt",
        account_id="acc",
        supports_n=True,
        edit_region_mode="none",
    )
    cfg = cs.load_config(cfg_file(paths))
    cx = cfg["providers"]["cx"]
    assert cx["model"] == "gpt-5.4" and cx["supports_n"] is True and cx["edit_region_mode"] == "none"
    assert set(cx["credentials"]) == {"access_token", "refresh_token", "account_id"}
    assert cfg["default_provider"] == "a"
    cs.add_provider(paths, CALL, "b", no_supports_n=True, set_default=True)
    cfg = cs.load_config(cfg_file(paths))
    assert cfg["default_provider"] == "b" and cfg["providers"]["b"]["supports_n"] is False

    with pytest.raises(AppError) as info:
        cs.add_provider(paths, CALL, "c", supports_n=True, no_supports_n=True)
    assert info.value.code == "invalid_provider_config"
    with pytest.raises(AppError) as info:
        cs.add_provider(paths, CALL, "c", edit_region_mode="mask")
    assert info.value.code == "invalid_provider_config"
    assert info.value.detail == {"allowed": ["native-mask", "reference-hint", "none"]}
    for bad in ("", "a/b", "a\\b", "a b", " "):
        with pytest.raises(AppError) as info:
            cs.add_provider(paths, CALL, bad)
        assert info.value.code == "provider_invalid_name"


def test_set_default_and_remove(paths: EnginePaths) -> None:
    assert cs.set_default_provider(paths, CALL, "codex") == {
        "default_provider": "codex",
        "config_file": str(cfg_file(paths)),
    }
    with pytest.raises(AppError) as info:
        cs.set_default_provider(paths, CALL, "ghost")
    assert info.value.code == "provider_unknown"
    with pytest.raises(AppError) as info:
        cs.set_default_provider(paths, CALL, "bad name")
    assert info.value.code == "provider_invalid_name"
    cs.add_provider(paths, CALL, "p", api_key="k", set_default=True)
    assert cs.list_providers(paths, CALL)["default_provider"] == "p"
    assert cs.remove_provider(paths, CALL, "p") == {"provider": "p", "removed": True}
    cfg = cs.load_config(cfg_file(paths))
    assert cfg["default_provider"] is None and cfg["providers"] == {}
    assert cs.remove_provider(paths, CALL, "p") == {"provider": "p", "removed": False}


def test_config_paths_and_override(paths: EnginePaths, tmp_path: Path) -> None:
    out = cs.config_paths(paths, CALL)
    assert out == {
        "config_dir": str(cfg_file(paths).parent),
        "config_file": str(cfg_file(paths)),
        "history_file": str(paths.history_file),
        "jobs_dir": str(paths.jobs_dir),
    }
    other = tmp_path / "elsewhere" / "c.json"
    cs.add_provider(paths, Call(config_file=str(other)), "x", api_key="k")
    assert other.is_file() and not cfg_file(paths).exists()
    info = cs.inspect_config(paths, Call(config_file=str(other)))
    assert info["exists"] is True and info["config_file"] == str(other)
    assert cs.inspect_config(paths, CALL)["exists"] is False


def test_redaction_of_env_keychain_and_proxy(paths: EnginePaths, file_keyring) -> None:  # noqa: F811
    import keyring

    keyring.set_password("gpt-image-2-skill", "providers/p/api_key", "kc-secret")
    cfg = {
        "version": 1,
        "default_provider": "p",
        "providers": {
            "p": {
                "type": "openai",
                "credentials": {
                    "api_key": {"source": "keychain", "account": "providers/p/api_key"},
                    "other": {"source": "env", "env": "SOME_VAR"},
                    "gone": {"source": "keychain", "account": "missing"},
                },
                "proxy": {"mode": "custom", "url": "http://user:pw@proxy.example:8080"},
            }
        },
        "notifications": {"email": {"password": {"source": "file", "value": "smtp-pw"}}},
    }
    red = cs.redact_config(cfg, {"SOME_VAR": "x"})
    p = red["providers"]["p"]
    assert p["credentials"]["api_key"] == {
        "source": "keychain",
        "service": "gpt-image-2-skill",
        "account": "providers/p/api_key",
        "present": True,
    }
    assert p["credentials"]["other"] == {
        "source": "env",
        "env": "SOME_VAR",
        "present": True,
    }
    assert p["credentials"]["gone"]["present"] is False
    assert p["proxy"]["url"] == "http://proxy.example:8080"
    assert set(p) == {
        "type",
        "api_base",
        "endpoint",
        "model",
        "supports_n",
        "edit_region_mode",
        "credentials",
        "proxy",
    }
    text = json.dumps(red)
    assert "kc-secret" not in text and "smtp-pw" not in text and "pw@" not in text
