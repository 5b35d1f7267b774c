"""`make check` runs inside the suite: ruff (lint + format) and mypy over every distribution."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SOURCES = ["protos/src/gpt_image_protocol", "engine/src", "cli/src", "gateway/src"]
LINTED = [*SOURCES, "skill", "tests", "bench", "scripts"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_lint() -> None:
    out = run(str(BIN / "ruff"), "check", *LINTED)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_format() -> None:
    out = run(str(BIN / "ruff"), "format", "--check", *SOURCES)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy() -> None:
    # The checkout's incremental cache (as `make check` uses): warm runs take seconds, not minutes.
    out = run(str(BIN / "mypy"), "--cache-dir", str(ROOT / ".mypy_cache"))
    assert out.returncode == 0, out.stdout + out.stderr
