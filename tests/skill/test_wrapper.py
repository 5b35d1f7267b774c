"""The skill wrapper: resolution order, pass-through of argv/stdin/exit status, runtime_unavailable."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI, ROOT, EngineProc

WRAPPER = ROOT / "skill" / "scripts" / "gpt_image_2_skill.py"
SELFTEST = ROOT / "skill" / "scripts" / "selftest.py"


def bare_python() -> str:
    """An interpreter without this project's packages (the venv's base Python)."""
    candidates = [Path(sys.base_prefix) / "bin" / "python3", Path("/usr/bin/python3")]
    for candidate in candidates:
        if candidate.is_file():
            probe = subprocess.run([str(candidate), "-c", "import gpt_image_cli"], capture_output=True)
            if probe.returncode != 0:
                return str(candidate)
    pytest.skip("no Python without gpt_image_cli installed")


_HOMES: list[Path] = []


def minimal_env(home: Path, **extra: str) -> dict[str, str]:
    # A short CODEX_HOME: the engine socket under it must fit the ~107-byte Unix socket path limit,
    # which pytest-xdist's deeper tmp_path (popen-gwN/...) would overrun.
    codex_home = Path(tempfile.mkdtemp(prefix="gi2-w-")) / ".codex"
    _HOMES.append(codex_home)
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "CODEX_HOME": str(codex_home), **extra}


@pytest.fixture(autouse=True)
def _stop_autostarted_engines() -> Iterator[None]:
    """The CLI behind the wrapper autostarts an engine under the short CODEX_HOME (outside pytest's
    temp folder, so the session's stray-engine net does not see it): stop it and remove the folder."""
    yield
    while _HOMES:
        codex_home = _HOMES.pop()
        try:
            pid = int((codex_home / "gpt-image-2-skill" / "engine.pid").read_text().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):  # up to 5 s for its clean exit
                os.kill(pid, 0)
                time.sleep(0.05)
        except (OSError, ValueError):
            pass
        shutil.rmtree(codex_home.parent, ignore_errors=True)


@pytest.fixture
def lonely_wrapper(tmp_path: Path) -> Path:
    """The wrapper copied outside any checkout."""
    folder = tmp_path / "skills" / "gpt-image-2-skill" / "scripts"
    folder.mkdir(parents=True)
    target = folder / "gpt_image_2_skill.py"
    shutil.copy2(WRAPPER, target)
    return target


def test_runtime_unavailable_without_cli_or_checkout(lonely_wrapper: Path, tmp_path: Path) -> None:
    python = bare_python()
    env = minimal_env(tmp_path)
    proc = subprocess.run([python, str(lonely_wrapper), "--json", "doctor"], env=env, capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr == ""
    envelope = json.loads(proc.stdout)
    assert envelope["ok"] is False and envelope["error"]["code"] == "runtime_unavailable"

    # Without --json the envelope goes to stderr and stdout stays empty.
    proc = subprocess.run([python, str(lonely_wrapper), "doctor"], env=env, capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stdout == ""
    assert json.loads(proc.stderr)["error"]["code"] == "runtime_unavailable"


def test_candidates_failing_the_self_check_are_skipped(lonely_wrapper: Path, tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    impostor = fake_bin / "gpt-image-2-skill"
    impostor.write_text("#!/bin/sh\necho '{\"ok\": false}'\nexit 3\n")
    impostor.chmod(0o755)
    env = minimal_env(tmp_path, PATH=f"{fake_bin}:/usr/bin:/bin", GPT_IMAGE_2_SKILL_BIN=str(impostor))
    proc = subprocess.run(
        [bare_python(), str(lonely_wrapper), "--json", "doctor"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1
    tried = json.loads(proc.stdout)["error"]["detail"]["tried"]
    assert [t["source"] for t in tried] == ["env:GPT_IMAGE_2_SKILL_BIN", "path"]


def test_env_bin_wins_and_forwards_argv_stdin_and_status(lonely_wrapper: Path, tmp_path: Path) -> None:
    # A stand-in CLI that passes the self-check and echoes what it got.
    stand_in = tmp_path / "stand-in"
    stand_in.write_text(
        "#!/bin/sh\n"
        'if [ "$*" = "--json config path" ]; then echo \'{"ok": true, "command": "config path"}\'; exit 0; fi\n'
        'printf "args:%s|" "$@"; printf "stdin:"; cat; exit 7\n'
    )
    stand_in.chmod(0o755)
    env = minimal_env(tmp_path, GPT_IMAGE_2_SKILL_BIN=str(stand_in))
    proc = subprocess.run(
        [bare_python(), str(lonely_wrapper), "images", "generate", "--prompt", "two words", "--json"],
        env=env,
        input="piped",
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 7
    assert proc.stdout == "args:images|args:generate|args:--prompt|args:two words|args:--json|stdin:piped"


def test_checkout_venv_is_found_from_the_repo(tmp_path: Path) -> None:
    env = minimal_env(tmp_path)
    proc = subprocess.run(
        [bare_python(), str(WRAPPER), "--json", "config", "path"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["ok"] is True and payload["config_file"].startswith(env["CODEX_HOME"])


def test_installed_distribution_is_the_last_resort(lonely_wrapper: Path, tmp_path: Path) -> None:
    # The venv's Python has the package installed; no PATH entry and no checkout.
    env = minimal_env(tmp_path)
    proc = subprocess.run(
        [sys.executable, str(lonely_wrapper), "--json", "config", "path"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["command"] == "config path"
    assert os.access(CLI, os.X_OK)


def test_selftest_prints_one_summary(engine: EngineProc, tmp_path: Path) -> None:
    env = engine.client_env(OPENAI_API_KEY="sk-selftest")
    env["PATH"] = f"{Path(CLI).parent}:/usr/bin:/bin"
    proc = subprocess.run([sys.executable, str(SELFTEST)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["ok"] is True and summary["command"] == "selftest"
    assert summary["transparent_verify_passed"] is True
    assert summary["auth_openai_ready"] is True and summary["resolved_provider"] == "openai"
    assert summary["runtime"]["source"] == "path"
    assert [c["name"] for c in summary["checks"]] == ["config inspect", "doctor", "auth inspect", "transparent verify"]
