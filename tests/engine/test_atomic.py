"""store/atomic.py: whole-or-nothing private writes; fsyncs only for files that must survive a power cut."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gpt_image_engine.store import atomic


def _count_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    synced: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        synced.append(fd)
        real(fd)

    monkeypatch.setattr(atomic.os, "fsync", counting)
    return synced


@pytest.mark.parametrize(("durable", "fsyncs"), [(True, 2), (False, 0)])
def test_write_is_whole_private_and_synced_only_when_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: bool, fsyncs: int
) -> None:
    synced = _count_fsyncs(monkeypatch)
    target = tmp_path / "new" / "deeper" / "meta.json"  # the folders are made on demand
    atomic.atomic_write_json(target, {"operation": "generate", "n": 2}, durable=durable)
    assert target.read_text() == '{\n  "operation": "generate",\n  "n": 2\n}\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert len(synced) == fsyncs  # the file and its folder, or neither
    assert sorted(p.name for p in target.parent.iterdir()) == ["meta.json"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "spec.json"
    atomic.atomic_write_bytes(target, b"old")

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "write", full)
    with pytest.raises(OSError):
        atomic.atomic_write_bytes(target, b"new" * 1000, durable=False)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["spec.json"]


def test_large_write_is_complete(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)
    atomic.atomic_write_bytes(tmp_path / "out.png", data, mode=0o644)
    assert (tmp_path / "out.png").read_bytes() == data
    assert stat.S_IMODE((tmp_path / "out.png").stat().st_mode) == 0o644
