"""Atomic, private file writes: temp file in the same folder, fsync, rename, folder fsync
(the fsyncs only where the file must survive a power cut: `durable`).

A reader never sees a partial file and a failed write leaves the old file intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o600, *, durable: bool = True) -> None:
    """Write `path` whole or not at all. `durable`: the bytes and the rename are on disk when
    this returns (file and folder fsynced); without it only atomicity is kept, for a file
    nothing is rebuilt from (a summary), which saves a synchronous write of the file, its
    inode and its folder on every job."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except FileNotFoundError:  # the folder is made on demand (most writes go to one that exists)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        _fsync_dir(path.parent)


def atomic_write_json(path: Path, value: Any, mode: int = 0o600, *, durable: bool = True) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"), mode, durable=durable)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def is_temp_name(name: str) -> bool:
    """A name only an unfinished write leaves behind: `atomic_write_bytes`'s `.<name>.<rand>.tmp`,
    the spool's `<name>.part` and an upload's `.part-<name>`."""
    return name.endswith((".tmp", ".part")) or name.startswith(".part-")


def sweep_temp_files(folder: Path, *, prune_emptied: bool = False) -> list[Path]:
    """Remove temp files a killed process left in `folder/<item>/` (and `folder/` itself).

    Called once at engine start, before anything is served, when no write of this process
    can be in flight. With `prune_emptied` a sub-folder the sweep leaves empty goes too (an
    upload folder whose upload never finished: no id for it was ever handed out).
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                swept = False
                for inner in os.scandir(entry.path):
                    if is_temp_name(inner.name) and inner.is_file(follow_symlinks=False):
                        os.unlink(inner.path)
                        removed.append(Path(inner.path))
                        swept = True
                if swept and prune_emptied and not any(os.scandir(entry.path)):
                    os.rmdir(entry.path)
            elif is_temp_name(entry.name) and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed
