"""Installing without a checkout (issue 16): `scripts/build_dists.py` (what `make dist` runs)
builds the four wheels, a fresh virtual environment outside the repository installs
`gpt-image-2-skill[all]` from them (third-party dependencies from the package index or the
local pip cache), and the installed commands then work on their own: `--version` on every
entry point, `doctor`, and a generate against the loopback fake upstream, with the engine
autostarted from the new environment as it would be after `pipx install`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, base_env
from tests.fakeupstream.server import FakeUpstream

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def _version() -> str:
    return (ROOT / "VERSION").read_text().strip()


def _requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(name).decode()
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Requires-Dist:")]


def test_wheels_install_and_run_without_the_checkout(tmp_path: Path) -> None:
    check = subprocess.run([sys.executable, "scripts/build_dists.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr  # one version everywhere, so the build changes no file
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "scripts/build_dists.py", str(dist)], cwd=ROOT, check=True, capture_output=True)
    version = _version()
    wheels = sorted(p.name for p in dist.glob("*.whl"))
    assert [w.split("-")[0] for w in wheels] == [
        "gpt_image_2_engine",
        "gpt_image_2_protocol",
        "gpt_image_2_skill",
        "gpt_image_2_web",
    ]
    assert all(f"-{version}-" in w for w in wheels)
    cli_requires = _requires(next(dist.glob("gpt_image_2_skill-*.whl")))
    client_only = [r for r in cli_requires if "extra ==" not in r]
    assert not any(r.lower().startswith(("numpy", "pillow")) for r in client_only), client_only
    assert f"gpt-image-2-protocol=={version}" in client_only
    with zipfile.ZipFile(next(dist.glob("gpt_image_2_web-*.whl"))) as archive:
        assert "gpt_image_gateway/web/index.html" in archive.namelist()

    venv = tmp_path / "venv"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, cwd=outside)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--find-links", str(dist), "-c", str(ROOT / "constraints.txt"), f"gpt-image-2-skill[all]=={version}"],
        cwd=outside, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    bin_dir = venv / "bin"
    for command in ("gpt-image-2-skill", "gpt-image-2-engine", "gpt-image-2-web"):
        shown = subprocess.run([str(bin_dir / command), "--version"], capture_output=True, text=True, env=env, cwd=outside)
        assert shown.returncode == 0 and shown.stdout.strip() == f"{command} {version}", (command, shown)
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import gpt_image_cli, gpt_image_engine; print(gpt_image_cli.__file__)"],
        capture_output=True, text=True, env=env, cwd=outside, check=True,
    )  # fmt: skip
    assert str(venv) in where.stdout and str(ROOT) not in where.stdout

    fake = FakeUpstream().start()
    codex_home = Path(tempfile.mkdtemp(prefix="gi2w-"))  # a short path: the default socket lives here
    run_env = base_env(tmp_path / "home")
    run_env.update(
        CODEX_HOME=str(codex_home),
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        OPENAI_API_KEY="sk-wheel-test",
        OPENAI_BASE_URL=fake.openai_base,
    )
    run_env = {k: v for k, v in run_env.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "GPT_IMAGE_2_ENGINE_BIN")}
    cli = str(bin_dir / "gpt-image-2-skill")
    try:
        doctor = subprocess.run(
            [cli, "--json", "--endpoint", fake.codex_endpoint, "doctor"],
            capture_output=True, text=True, env=run_env, cwd=outside, timeout=120,
        )  # fmt: skip
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        body = json.loads(doctor.stdout)
        assert body["ok"] is True and body["version"] == version
        assert body["provider_selection"]["resolved"] == "openai"
        out = outside / "apple.png"
        generated = subprocess.run(
            [cli, "--json", "images", "generate", "--prompt", "a red apple", "--out", str(out)],
            capture_output=True, text=True, env=run_env, cwd=outside, timeout=120,
        )  # fmt: skip
        assert generated.returncode == 0, generated.stdout + generated.stderr
        assert out.read_bytes().startswith(b"\x89PNG")
        assert json.loads(generated.stdout)["output"]["path"] == str(out)
    finally:
        subprocess.run([cli, "--json", "engine", "stop"], env=run_env, cwd=outside, capture_output=True, timeout=60)
        fake.stop()
        shutil.rmtree(codex_home, ignore_errors=True)
