"""The web app's config view and writes (store/webconfig.py), and reading the engine log back."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from gpt_image_engine.call import Call
from gpt_image_engine.errors import AppError
from gpt_image_engine.logsetup import JsonLines, read_recent_logs
from gpt_image_engine.store import config as cs
from gpt_image_engine.store import webconfig as wc
from gpt_image_engine.store.paths import EnginePaths
from tests.engine.keyring_fixtures import file_keyring  # noqa: F401

CALL = Call()
ENV: dict[str, str] = {}


@pytest.fixture()
def paths(tmp_path: Path) -> EnginePaths:
    return EnginePaths.from_env({"CODEX_HOME": str(tmp_path / "codex")})


def stored(paths: EnginePaths) -> dict[str, Any]:
    return cs.load_config(paths.config_file)


def body(**creds: Any) -> dict[str, Any]:
    return {"type": "openai-compatible", "api_base": "http://127.0.0.1:9/v1", "credentials": creds}


def test_view_of_an_empty_config_has_builtins_and_every_section(paths: EnginePaths) -> None:
    view = wc.inspect_web(paths, CALL, {"OPENAI_API_KEY": "sk-env"})
    assert view["default_provider"] is None and set(view["providers"]) == {"openai", "codex"}
    assert view["providers"]["openai"]["credentials"]["api_key"] == {"source": "env", "env": "OPENAI_API_KEY", "present": True}
    assert view["paths"]["default_export_dir"] == {"mode": "result_library", "path": None}
    assert view["logging"] == {"debug": False} and view["proxy"]["mode"] == "system"
    assert view["notifications"]["email"]["smtp_port"] == 587 and view["storage"]["targets"] == {}
    assert "sk-env" not in json.dumps(view)


def test_upsert_keeps_secrets_the_app_does_not_resend(paths: EnginePaths) -> None:
    wc.upsert_provider(paths, CALL, "p", body(api_key={"source": "file", "value": "sk-1"}), ENV)
    for resent in ({"source": "file"}, {"source": "file", "value": ""}, {"source": "file", "value": {"_omitted": "secret"}}):
        view = wc.upsert_provider(paths, CALL, "p", {**body(api_key=resent), "allow_overwrite": True}, ENV)
        assert stored(paths)["providers"]["p"]["credentials"]["api_key"] == {"source": "file", "value": "sk-1"}
        assert view["providers"]["p"]["credentials"]["api_key"]["present"] is True
    wc.upsert_provider(paths, CALL, "p", {**body(api_key={"source": "env", "env": "MY_KEY"}), "allow_overwrite": True}, ENV)
    assert stored(paths)["providers"]["p"]["credentials"]["api_key"] == {"source": "env", "env": "MY_KEY"}


def test_upsert_refuses_overwrite_reserved_names_and_bad_shapes(paths: EnginePaths) -> None:
    wc.upsert_provider(paths, CALL, "p", body(), ENV)
    before = paths.config_file.read_bytes()
    cases = [
        ("p", body(), "provider_exists"),
        ("openai", body(), "provider_exists"),
        ("codex", body(), "provider_exists"),
        ("auto", {**body(), "allow_overwrite": True}, "provider_exists"),
        ("q", {**body(), "type": "gemini"}, "provider_kind_unsupported"),
        ("q", body(api_key={"source": "vault"}), "secret_source_unsupported"),
        ("q", body(api_key={"source": "env"}), "secret_env_missing"),
        ("q", {**body(), "supports_n": "yes"}, "invalid_provider_config"),
        ("q", {**body(), "edit_region_mode": "lasso"}, "invalid_provider_config"),
        ("bad name", body(), "provider_invalid_name"),
    ]
    for name, payload, code in cases:
        with pytest.raises(AppError) as err:
            wc.upsert_provider(paths, CALL, name, payload, ENV)
        assert err.value.code == code, (name, payload)
    assert paths.config_file.read_bytes() == before


def test_keychain_value_goes_to_the_keyring_not_the_file(paths: EnginePaths, file_keyring: Any) -> None:  # noqa: F811
    wc.upsert_provider(paths, CALL, "k", body(api_key={"source": "keychain", "value": "sk-kc"}), ENV)
    ref = stored(paths)["providers"]["k"]["credentials"]["api_key"]
    assert ref == {"source": "keychain", "service": "gpt-image-2-skill", "account": "providers/k/api_key"}
    assert file_keyring.get_password("gpt-image-2-skill", "providers/k/api_key") == "sk-kc"
    assert "sk-kc" not in paths.config_file.read_text()


def test_proxy_url_read_back_without_credentials_keeps_them(paths: EnginePaths) -> None:
    wc.upsert_provider(paths, CALL, "x", {**body(), "proxy": {"mode": "custom", "url": "http://u:pw@proxy:3128"}}, ENV)
    view = wc.inspect_web(paths, CALL, ENV)
    assert view["providers"]["x"]["proxy"]["url"] == "http://proxy:3128"
    wc.upsert_provider(paths, CALL, "x", {**body(), "proxy": view["providers"]["x"]["proxy"], "allow_overwrite": True}, ENV)
    assert stored(paths)["providers"]["x"]["proxy"]["url"] == "http://u:pw@proxy:3128"


def test_sections_round_trip_and_refuse_bad_values(paths: EnginePaths) -> None:
    raw = {"version": 1, "providers": {}, "notifications": {"enabled": False}, "storage": {"targets": {}}, "proxy": {"mode": "none"}}
    paths.config_file.parent.mkdir(parents=True)
    paths.config_file.write_text(json.dumps(raw))
    previous = logging.getLogger().level
    try:
        view = wc.update_section(paths, CALL, "logging", {"debug": True}, ENV)
        assert view["logging"] == {"debug": True} and logging.getLogger().level == logging.DEBUG
        wc.update_section(paths, CALL, "logging", {"debug": False}, ENV)
        assert logging.getLogger().level == logging.INFO
    finally:
        logging.getLogger().setLevel(previous)
    kept = stored(paths)
    assert kept["notifications"] == {"enabled": False} and kept["proxy"] == {"mode": "none"}
    for section, value in (
        ("paths", {"app_data_dir": {"mode": "custom", "path": "/x"}}),
        ("paths", {"result_library_dir": {"mode": "custom", "path": "relative"}}),
        ("paths", {"surprise": {}}),
        ("logging", {"debug": "yes"}),
        ("storage", {}),
        ("paths", []),
    ):
        with pytest.raises(AppError) as err:
            wc.update_section(paths, CALL, section, value, ENV)
        assert err.value.code == "config_section_invalid", (section, value)


def test_logs_read_back_newest_first_kept_and_filtered(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "engine.log"
    log_file.parent.mkdir()
    fmt = JsonLines()

    def line(level: int, message: str, data: Any = None) -> str:
        record = logging.LogRecord("gpt_image_engine.x", level, __file__, 1, message, None, None)
        if data is not None:
            record.data = data
        return fmt.format(record) + "\n"

    log_file.with_name("engine.log.1").write_text("".join(line(logging.INFO, f"old {i}") for i in range(3)))
    log_file.write_text(
        "not json\n"
        + "".join(line(logging.INFO, f"new {i}") for i in range(3))
        + line(logging.WARNING, "careful", {"api_key": "sk-leak"})
    )
    got = read_recent_logs(log_file, 5)
    assert [e["type"] for e in got["entries"]] == ["old 2", "new 0", "new 1", "new 2", "careful"]
    assert got["entries"][-1]["level"] == "warn" and got["logs_dir"] == str(log_file.parent)
    assert "sk-leak" not in json.dumps(got)
    assert [e["type"] for e in read_recent_logs(log_file, 500, "warn")["entries"]] == ["careful"]
    assert len(read_recent_logs(log_file, 0)["entries"]) == 7  # 0 means the default (500)
