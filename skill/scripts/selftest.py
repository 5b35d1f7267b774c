#!/usr/bin/env python3
"""Skill self-test: is a working CLI reachable, what would it use, does verification work?

Runs, through the wrapper's resolution (`gpt_image_2_skill.resolve`): `config inspect`, `doctor`,
`auth inspect`, and a strict `transparent verify` on a small transparent PNG embedded below. Prints
one summary envelope on stdout:

    {"ok", "command": "selftest", "runtime": {"source", "command"}, "doctor_ok",
     "transparent_verify_passed", "config_file", "default_provider", "resolved_provider",
     "auth_openai_ready", "auth_codex_ready", "providers", "checks": [{"name", "exit_code", "ok", "error"}]}

`ok` is true when every command exited 0 (a `doctor` that finds no reachable provider still exits
0; read `doctor_ok` and `resolved_provider` for that). Exit status 0 when `ok`, else 1; with no CLI
at all the wrapper's `runtime_unavailable` envelope is printed instead. Standard library only.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gpt_image_2_skill as wrapper  # noqa: E402

# 32x32 RGBA: a red disc with a 8 px transparent margin (passes the generic profile).
TRANSPARENT_PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAaElEQVR42u2U7Q0AEAxEuVmMYXxj2IUFJBwVkd77Sa4f16YhCCG8E3dENec2"
    "ek+l0PFglXz2d+wAG3zVDbzeAdzontHgRnJG+8cIVIDvAnbOK6OFVaBvLyHd2ey4sG7B0tqTfRFC+KUDjdUkHlnWAnYAAAAASUVORK5CYII="
)
TIMEOUT_S = 120.0


def _run(command: list[str], args: list[str]) -> tuple[int, dict[str, Any] | None]:
    try:
        proc = subprocess.run(
            command + args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return 124, None
    try:
        payload = json.loads(proc.stdout)
    except ValueError:
        payload = None
    return proc.returncode, payload if isinstance(payload, dict) else None


def main() -> int:
    chosen, tried = wrapper.resolve()
    if chosen is None:
        return int(wrapper.runtime_unavailable(["--json"], tried))
    source, command = chosen
    checks: list[dict[str, Any]] = []
    results: dict[str, dict[str, Any]] = {}

    def check(name: str, args: list[str]) -> dict[str, Any]:
        code, payload = _run(command, ["--json", *args])
        error = (payload or {}).get("error") if payload and payload.get("ok") is False else None
        checks.append({"name": name, "exit_code": code, "ok": code == 0 and payload is not None, "error": error})
        results[name] = payload or {}
        return payload or {}

    config = check("config inspect", ["config", "inspect"])
    doctor = check("doctor", ["doctor"])
    auth = check("auth inspect", ["auth", "inspect"])
    with tempfile.TemporaryDirectory(prefix="gpt-image-2-selftest-") as tmp:
        png = Path(tmp) / "selftest-transparent.png"
        png.write_bytes(base64.b64decode(TRANSPARENT_PNG_B64))
        verify = check(
            "transparent verify", ["transparent", "verify", "--input", str(png), "--profile", "generic", "--strict"]
        )

    selection = doctor.get("provider_selection") or {}
    auth_providers = auth.get("providers") or {}
    summary = {
        "ok": all(c["ok"] for c in checks),
        "command": "selftest",
        "runtime": {"source": source, "command": command},
        "doctor_ok": doctor.get("ok") is True,
        "transparent_verify_passed": verify.get("passed") is True,
        "config_file": config.get("config_file"),
        "default_provider": (config.get("config") or {}).get("default_provider"),
        "resolved_provider": selection.get("resolved"),
        "auth_openai_ready": bool((auth_providers.get("openai") or {}).get("ready")),
        "auth_codex_ready": bool((auth_providers.get("codex") or {}).get("ready")),
        "providers": sorted(((auth_providers.get("configured") or {}) or {}).keys()),
        "checks": checks,
    }
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
