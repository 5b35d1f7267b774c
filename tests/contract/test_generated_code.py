"""The committed generated code must match what `make proto` produces from the protos."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "protos" / "src" / "gpt_image" / "v1"


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--out", str(tmp_path)], check=True)
    fresh = tmp_path / "gpt_image" / "v1"
    fresh_files = {p.name: p.read_bytes() for p in fresh.iterdir() if p.is_file()}
    committed = {p.name: p.read_bytes() for p in GENERATED.iterdir() if p.is_file()}
    assert set(fresh_files) == set(committed), "generated file set differs: run `make proto`"
    stale = [name for name in fresh_files if fresh_files[name] != committed[name]]
    assert not stale, f"stale generated code (run `make proto`): {stale}"


def test_protos_follow_buf_style() -> None:
    for proto in (ROOT / "protos" / "gpt_image" / "v1").glob("*.proto"):
        text = proto.read_text()
        assert 'syntax = "proto3";' in text
        assert "package gpt_image.v1;" in text, proto.name
        assert proto.name == proto.name.lower()
        assert text.lstrip().startswith("//"), f"{proto.name} needs a header comment saying what it holds"
