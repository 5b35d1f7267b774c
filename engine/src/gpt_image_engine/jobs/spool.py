"""Spooling raw provider responses into the job folder before they are decoded.

`raw_response.json` (then `raw_response-2.json`, … for batch children) is
written as `.part` while the body arrives (`spool_chunks`), fsynced and
renamed, so after a crash a present file is always a whole response:
`continue_save` can rebuild the outputs from it without calling the provider
again. Providers parse the spooled file, not a copy of the body in memory.

Test-only: `GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL=<seconds>` in the engine's
environment makes the job sleep right after a response is spooled, before it
is decoded, so a test can kill the engine at exactly that point. Never set it
in production.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from gpt_image_engine.store.artifacts import publish_written
from gpt_image_engine.store.diskspace import is_out_of_space

log = logging.getLogger("gpt_image_engine.jobs")
_lock = threading.Lock()
RAW_PREFIX = "raw_response"


def spool_raw_response(job_dir: Path | None, raw: bytes) -> Path | bytes | None:
    return spool_chunks(job_dir, (raw,))


def spool_chunks(job_dir: Path | None, chunks: Iterable[bytes]) -> Path | bytes | None:
    """Write a response into the job folder as it arrives (`chunks` is consumed here), so a big
    body is never held whole in memory: `.part`, fsync, rename. None, with `chunks` untouched,
    when there is no job folder. A failure (the network, the disk) removes the `.part` and
    propagates, except a full disk: then the body is not lost but returned as bytes (what was
    written, read back, plus the rest as it arrives), for the caller to parse from memory."""
    if job_dir is None or not job_dir.is_dir():
        return None
    final, part, fd = _reserve(job_dir)
    stream = iter(chunks)
    written = 0
    unwritten = memoryview(b"")  # what of the current chunk is not on disk yet
    try:
        try:
            for chunk in stream:
                unwritten = memoryview(chunk)
                while unwritten:
                    count = os.write(fd, unwritten)
                    written += count
                    unwritten = unwritten[count:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(part, final)
        publish_written(final, background=True)  # a bucket gets it now: continue_save can run elsewhere
    except OSError as exc:
        if not is_out_of_space(exc):
            part.unlink(missing_ok=True)
            raise
        body = _in_memory(part, written, bytes(unwritten), stream)
        log.warning("disk full while spooling a response in %s: kept %d bytes in memory", job_dir, len(body))
        return body
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    _test_pause()
    return final


def _in_memory(part: Path, written: int, unwritten: bytes, rest: Iterator[bytes]) -> bytes:
    """The whole body after a full disk cut its spool: the bytes on disk, the part of the
    chunk that was not written, and every chunk still to come."""
    try:
        with open(part, "rb") as fh:
            head = fh.read(written)
    finally:
        part.unlink(missing_ok=True)
    return b"".join([head, unwritten, *rest])


def _reserve(job_dir: Path) -> tuple[Path, Path, int]:
    """The next free `raw_response[-<i>].json` name, its `.part` created exclusively (so two
    concurrent spools of one job never share a name; the lock is not held while writing)."""
    with _lock:
        index = 1
        while True:
            name = f"{RAW_PREFIX}.json" if index == 1 else f"{RAW_PREFIX}-{index}.json"
            final = job_dir / name
            part = final.with_suffix(".json.part")
            if not final.exists():
                try:
                    return final, part, os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:
                    pass  # another spool of this job is writing it
            index += 1


def _test_pause() -> None:
    try:
        seconds = float(os.environ.get("GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL") or 0)
    except ValueError:
        return
    if seconds > 0:
        time.sleep(seconds)


def spooled_responses(job_dir: Path) -> list[Path]:
    def order(path: Path) -> int:
        stem = path.stem
        return 1 if stem == RAW_PREFIX else int(stem.rsplit("-", 1)[-1])

    return sorted(job_dir.glob(f"{RAW_PREFIX}*.json"), key=order)
