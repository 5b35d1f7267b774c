#!/usr/bin/env python3
"""Skill wrapper: find a working `gpt-image-2-skill` CLI and run it with the caller's argv.

Resolution order (first candidate that passes the self-check wins):

1. `GPT_IMAGE_2_SKILL_BIN` (an executable path, or a command line split like a shell would);
2. `gpt-image-2-skill` on `PATH`;
3. the checkout's `.venv/bin/gpt-image-2-skill` when this file lives in a repository checkout
   (or `GPT_IMAGE_2_SKILL_REPO_ROOT` names one);
4. the installed Python distribution, run by this interpreter (`import gpt_image_cli`).

Self-check: `<candidate> --json config path` must exit 0 with `ok: true` and
`command: "config path"`. argv, stdin and the exit status pass through unchanged (on POSIX
the wrapper `exec`s the CLI, so signals reach it directly). When nothing resolves it prints
`{"ok": false, "error": {"code": "runtime_unavailable", ...}}` on stdout when `--json` is in
argv (else on stderr) and exits 1. Standard library only; Python 3.9+.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

CLI_NAME = "gpt-image-2-skill"
WRAPPER_ERROR_CODES = ("runtime_unavailable",)
SELF_CHECK_ARGS = ["--json", "config", "path"]
SELF_CHECK_TIMEOUT_S = 60.0
_PY_ENTRY = "import sys; sys.argv[0] = 'gpt-image-2-skill'; from gpt_image_cli.main import main; main()"

Candidate = tuple[str, list[str]]  # (source label, command prefix)


def _exe_name() -> str:
    return CLI_NAME + (".exe" if os.name == "nt" else "")


def _venv_bin(root: Path) -> Path:
    return root / ".venv" / ("Scripts" if os.name == "nt" else "bin") / _exe_name()


def checkout_root() -> Path | None:
    """The repository this skill folder sits in (following symlinks), if it is a checkout."""
    explicit = (os.environ.get("GPT_IMAGE_2_SKILL_REPO_ROOT") or "").strip()
    starts = [Path(explicit).expanduser()] if explicit else []
    starts.append(Path(__file__).resolve().parent)
    for start in starts:
        for folder in [start, *start.parents]:
            if (folder / "cli" / "pyproject.toml").is_file() and (folder / "skill" / "SKILL.md").is_file():
                return folder
    return None


def candidates() -> list[Candidate]:
    """Every candidate in resolution order (unchecked)."""
    found: list[Candidate] = []
    explicit = (os.environ.get("GPT_IMAGE_2_SKILL_BIN") or "").strip()
    if explicit:
        found.append(("env:GPT_IMAGE_2_SKILL_BIN", shlex.split(explicit, posix=os.name != "nt")))
    on_path = shutil.which(CLI_NAME)
    if on_path:
        found.append(("path", [on_path]))
    root = checkout_root()
    if root is not None and os.access(_venv_bin(root), os.X_OK):
        found.append(("checkout", [str(_venv_bin(root))]))
    try:
        installed = importlib.util.find_spec("gpt_image_cli") is not None
    except (ImportError, ValueError):
        installed = False
    if installed:
        found.append(("python", [sys.executable, "-c", _PY_ENTRY]))
    return found


def self_check(command: list[str]) -> str | None:
    """None when `command --json config path` answers ok, else why not."""
    try:
        proc = subprocess.run(
            command + SELF_CHECK_ARGS,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=SELF_CHECK_TIMEOUT_S,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"
    try:
        payload = json.loads(proc.stdout)
    except ValueError:
        return f"exit {proc.returncode}, stdout is not JSON"
    if proc.returncode != 0 or not isinstance(payload, dict) or payload.get("ok") is not True:
        return f"exit {proc.returncode}, ok is not true"
    if payload.get("command") != "config path":
        return "self-check answered for another command"
    return None


def resolve() -> tuple[Candidate | None, list[dict[str, str]]]:
    """The first candidate that passes the self-check, and what was tried."""
    tried: list[dict[str, str]] = []
    for source, command in candidates():
        problem = self_check(command)
        if problem is None:
            return (source, command), tried
        tried.append({"source": source, "command": " ".join(command[:1]), "problem": problem})
    return None, tried


def runtime_unavailable(argv: list[str], tried: list[dict[str, str]]) -> int:
    envelope = {
        "ok": False,
        "error": {
            "code": "runtime_unavailable",
            "message": (
                "No working gpt-image-2-skill CLI was found. Install it (pip install the cli/ distribution, "
                "or `make install` in a checkout) or set GPT_IMAGE_2_SKILL_BIN to its path."
            ),
            "detail": {
                "tried": tried,
                "order": ["GPT_IMAGE_2_SKILL_BIN", "PATH", "checkout .venv", "python -c gpt_image_cli"],
            },
        },
    }
    stream = sys.stdout if "--json" in argv else sys.stderr
    stream.write(json.dumps(envelope, indent=2) + "\n")
    stream.flush()
    return 1


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    chosen, tried = resolve()
    if chosen is None:
        return runtime_unavailable(args, tried)
    command = chosen[1] + args
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execv(command[0], command)  # never returns: same pid, stdio, signals, exit status
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
