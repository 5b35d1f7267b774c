"""`buf lint` and `buf breaking` over protos/ (as `make check` runs them), inside the suite.

buf comes from the npm registry into .tools/ (`make buf`, which `make test` runs first). The test
installs it the same way when missing and skips only when that cannot happen (no npm, or no
network to reach the registry).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUF = ROOT / ".tools" / "node_modules" / ".bin" / "buf"
RELEASED = ROOT / "protos" / "released.binpb"


@pytest.fixture(scope="module")
def buf() -> Path:
    if not BUF.exists():
        if shutil.which("npm") is None or shutil.which("make") is None:
            pytest.skip("buf is not installed and there is no npm to install it (make buf)")
        out = subprocess.run(["make", "-s", "buf"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        if out.returncode != 0 or not BUF.exists():
            pytest.skip(f"could not install buf from the npm registry: {(out.stdout + out.stderr)[-400:]}")
    return BUF


def run_buf(buf: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(buf), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_buf_lint(buf: Path) -> None:
    out = run_buf(buf, "lint", "protos")
    assert out.returncode == 0, out.stdout + out.stderr


def test_buf_breaking_against_last_release(buf: Path) -> None:
    assert RELEASED.stat().st_size > 0
    out = run_buf(buf, "breaking", "protos", "--against", str(RELEASED.relative_to(ROOT)))
    assert out.returncode == 0, out.stdout + out.stderr


def test_buf_breaking_catches_a_renumbered_field(buf: Path, tmp_path: Path) -> None:
    # The check is live: the same contract with one field number moved fails against the release.
    shutil.copytree(ROOT / "protos" / "gpt_image", tmp_path / "gpt_image")
    shutil.copy(ROOT / "protos" / "buf.yaml", tmp_path / "buf.yaml")
    jobs = tmp_path / "gpt_image" / "v1" / "jobs.proto"
    text = jobs.read_text()
    assert "string job_id = 1;" in text
    jobs.write_text(text.replace("string job_id = 1;", "string job_id = 99;", 1))
    out = run_buf(buf, "breaking", str(tmp_path), "--against", str(RELEASED))
    assert out.returncode != 0
    assert "job_id" in out.stdout + out.stderr
