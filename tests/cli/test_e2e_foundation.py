"""End to end: the installed CLI binary against a real engine process.

Covers the foundation commands: doctor, config round trips, a corrupt
config.json, secrets in every source, autostart and its opt-out.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CliResult, EngineProc, base_env, run_cli


def ok(result: CliResult, command: str) -> dict:
    assert result.returncode == 0, (result.stdout, result.stderr)
    body = result.json
    assert body["command"] == command
    return body


def failed(result: CliResult, code: str, returncode: int = 1) -> dict:
    assert result.returncode == returncode, (result.stdout, result.stderr)
    body = result.json
    assert body["ok"] is False
    assert body["error"]["code"] == code, body
    return body


def test_doctor_envelope(module_engine: EngineProc) -> None:
    engine = module_engine  # reads only: one engine for these
    body = ok(engine.cli("doctor"), "doctor")
    assert "provider_selection" in body
    assert body["retry_policy"]["max_retries"] == 3
    assert isinstance(body["ok"], bool)


def test_doctor_with_forwarded_key_and_flags_after_subcommand(module_engine: EngineProc) -> None:
    engine = module_engine  # reads only: one engine for these
    env = engine.client_env(OPENAI_API_KEY="sk-forwarded-env-key")
    body = ok(engine.cli("doctor", "--json", "--provider", "openai", env=env), "doctor")
    assert body["provider_selection"]["resolved"] == "openai"
    assert "sk-forwarded-env-key" not in json.dumps(body)
    body = ok(engine.cli("auth", "inspect", "--api-key", "sk-flag-key"), "auth inspect")
    assert body["providers"]["openai"]["auth_source"] == "flag"
    assert "sk-flag-key" not in json.dumps(body)


def test_config_round_trip(engine: EngineProc) -> None:
    body = ok(engine.cli("config", "path"), "config path")
    assert body["config_file"] == str(engine.shared_dir / "config.json")
    added = engine.cli(
        "config", "add-provider", "--name", "mine", "--type", "openai-compatible",
        "--api-base", "http://127.0.0.1:9/v1", "--api-key", "sk-stored-key", "--set-default",
    )  # fmt: skip
    body = ok(added, "config add-provider")
    assert body["provider"] == "mine"
    assert "sk-stored-key" not in added.stdout
    stored = json.loads((engine.shared_dir / "config.json").read_text())
    assert stored["providers"]["mine"]["credentials"]["api_key"]["value"] == "sk-stored-key"
    assert stat_mode(engine.shared_dir / "config.json") == 0o600

    body = ok(engine.cli("config", "list-providers"), "config list-providers")
    assert body["default_provider"] == "mine"
    assert "mine" in body["providers"]

    body = ok(engine.cli("config", "set-default", "openai"), "config set-default")
    assert body["default_provider"] == "openai"
    assert ok(engine.cli("config", "list-providers"), "config list-providers")["default_provider"] == "openai"

    failed(engine.cli("config", "set-default", "nobody"), "provider_unknown")

    body = ok(engine.cli("config", "remove-provider", "mine"), "config remove-provider")
    assert body["removed"] is True
    assert "mine" not in ok(engine.cli("config", "list-providers"), "config list-providers")["providers"]
    assert ok(engine.cli("config", "remove-provider", "mine"), "config remove-provider")["removed"] is False


def test_config_flag_after_subcommand_points_elsewhere(engine: EngineProc, tmp_path: Path) -> None:
    other = tmp_path / "other" / "config.json"
    body = ok(engine.cli("config", "add-provider", "--name", "p2", "--config", str(other)), "config add-provider")
    assert body["config_file"] == str(other)
    assert other.exists()
    assert not (engine.shared_dir / "config.json").exists()


def test_corrupt_config_is_reported_and_left_untouched(engine: EngineProc) -> None:
    path = engine.shared_dir / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'{"version": 1, "providers": {')
    before = path.read_bytes()
    failed(engine.cli("config", "list-providers"), "config_invalid_json")
    failed(engine.cli("config", "add-provider", "--name", "x"), "config_invalid_json")
    failed(engine.cli("config", "set-default", "openai"), "config_invalid_json")
    assert path.read_bytes() == before


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _with_provider(engine: EngineProc, name: str = "p") -> None:
    ok(engine.cli("config", "add-provider", "--name", name), "config add-provider")


def test_secret_file_source(engine: EngineProc) -> None:
    _with_provider(engine)
    body = ok(engine.cli("secret", "set", "p", "api_key", "--value", "sk-file-secret"), "secret set")
    assert "sk-file-secret" not in json.dumps(body)
    body = ok(engine.cli("secret", "get", "p", "api_key"), "secret get")
    assert (body["value"], body["source"]) == ("sk-file-secret", "file")
    status = engine.cli("secret", "get", "p", "api_key", "--status")
    body = ok(status, "secret get")
    assert body["ready"] is True
    assert "sk-file-secret" not in status.stdout
    assert ok(engine.cli("secret", "delete", "p", "api_key"), "secret delete")["removed"] is True
    failed(engine.cli("secret", "get", "p", "api_key"), "credential_missing")


def test_secret_file_source_from_stdin(engine: EngineProc) -> None:
    _with_provider(engine)
    ok(engine.cli("secret", "set", "p", "api_key", input="sk-from-stdin\r\n"), "secret set")
    assert ok(engine.cli("secret", "get", "p", "api_key"), "secret get")["value"] == "sk-from-stdin"


def test_secret_unknown_provider(engine: EngineProc) -> None:
    failed(engine.cli("secret", "set", "ghost", "api_key", "--value", "v"), "provider_unknown")


def test_secret_env_source_reads_the_engines_environment(engine: EngineProc) -> None:
    _with_provider(engine)
    failed(engine.cli("secret", "set", "p", "api_key", "--source", "env"), "secret_env_missing")
    ok(engine.cli("secret", "set", "p", "api_key", "--source", "env", "--env", "GI2_TEST_KEY"), "secret set")
    assert ok(engine.cli("secret", "get", "p", "api_key", "--status"), "secret get")["ready"] is False
    # The variable counts where the engine runs, not in the calling shell.
    engine.stop()
    engine.extra_env = {"GI2_TEST_KEY": "sk-engine-env"}
    engine.start()
    body = ok(engine.cli("secret", "get", "p", "api_key"), "secret get")
    assert (body["value"], body["source"]) == ("sk-engine-env", "env:GI2_TEST_KEY")
    assert ok(engine.cli("secret", "delete", "p", "api_key"), "secret delete")["removed"] is True


def test_secret_keychain_source(engine: EngineProc) -> None:
    _with_provider(engine)
    ok(engine.cli("secret", "set", "p", "api_key", "--source", "keychain", "--value", "sk-in-keyring"), "secret set")
    assert "sk-in-keyring" not in (engine.shared_dir / "config.json").read_text()
    body = ok(engine.cli("secret", "get", "p", "api_key"), "secret get")
    assert (body["value"], body["source"]) == ("sk-in-keyring", "keychain:providers/p/api_key")
    assert ok(engine.cli("secret", "get", "p", "api_key", "--status"), "secret get")["ready"] is True
    assert ok(engine.cli("secret", "delete", "p", "api_key"), "secret delete")["removed"] is True
    failed(engine.cli("secret", "get", "p", "api_key"), "credential_missing")


def test_engine_status_via_flag(module_engine: EngineProc) -> None:
    engine = module_engine  # reads only: one engine for these
    body = ok(engine.cli("engine", "status"), "engine status")
    assert body["running"] is True
    assert body["address"] == engine.address


def test_unknown_flag_gives_one_envelope_and_exit_2(module_engine: EngineProc) -> None:
    engine = module_engine  # reads only: one engine for these
    result = engine.cli("doctor", "--frobnicate")
    failed(result, "invalid_command", returncode=2)
    assert result.stdout.count('"ok"') == 1


@pytest.fixture
def short_home(home: Path) -> Iterator[dict[str, str]]:
    """base_env with CODEX_HOME in a short temp dir (Unix socket paths are short)."""
    codex_home = Path(tempfile.mkdtemp(prefix="gi2h-"))
    env = base_env(home)
    env["CODEX_HOME"] = str(codex_home)
    try:
        yield env
    finally:
        _stop_leftover(env, codex_home)
        shutil.rmtree(codex_home, ignore_errors=True)


def _stop_leftover(env: dict[str, str], codex_home: Path) -> None:
    socket = codex_home / "gpt-image-2-skill" / "engine.sock"
    if not socket.exists():
        return
    result = run_cli("engine", "stop", env=env, timeout=60)
    if result.returncode == 0:
        return
    pid_file = socket.with_name("engine.pid")
    with contextlib.suppress(OSError, ValueError, KeyError):
        os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)


def test_autostart_starts_the_daemon_and_engine_stop_stops_it(short_home: dict[str, str]) -> None:
    env = dict(short_home)
    env["OPENAI_API_KEY"] = "sk-should-not-be-inherited"
    body = ok(run_cli("--json", "doctor", env=env, timeout=60), "doctor")
    assert "provider_selection" in body and "retry_policy" in body

    status = ok(run_cli("engine", "status", env=short_home), "engine status")
    assert status["running"] is True
    pid = status.get("pid")
    if pid and Path(f"/proc/{pid}/environ").exists():
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert not any(item.startswith(b"OPENAI_API_KEY=") for item in environ)

    # The daemon resolves credentials per call: without the env var this call sees none.
    inspect = ok(run_cli("auth", "inspect", env=short_home), "auth inspect")
    assert inspect["providers"]["openai"]["ready"] is False
    inspect = ok(run_cli("auth", "inspect", env=env), "auth inspect")
    assert inspect["providers"]["openai"]["auth_source"] == "env"

    stopped = ok(run_cli("engine", "stop", env=short_home, timeout=60), "engine stop")
    assert stopped["stopped"] is True
    assert ok(run_cli("engine", "status", env=short_home), "engine status")["running"] is False


def test_engine_start_is_idempotent(short_home: dict[str, str]) -> None:
    first = ok(run_cli("engine", "start", env=short_home, timeout=60), "engine start")
    assert first["running"] is True and first["started"] is True
    second = ok(run_cli("engine", "start", env=short_home, timeout=60), "engine start")
    assert second["running"] is True and second["started"] is False


def test_no_autostart_gives_engine_unavailable(short_home: dict[str, str]) -> None:
    env = dict(short_home, GPT_IMAGE_2_NO_AUTOSTART="1")
    result = run_cli("doctor", env=env)
    failed(result, "engine_unavailable")
    assert not (Path(env["CODEX_HOME"]) / "gpt-image-2-skill" / "engine.sock").exists()
