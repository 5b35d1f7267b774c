"""Spooling raw provider responses into the job folder before they are decoded.

`raw_response.json` (then `raw_response-2.json`, … for batch children) is
written as `.part`, fsynced and renamed, so after a crash a present file is
always a whole response: `continue_save` can rebuild the outputs from it
without calling the provider again.

Test-only: `GPT_IMAGE_2_TEST_PAUSE_AFTER_SPOOL=<seconds>` in the engine's
environment makes the job sleep right after a response is spooled, before it
is decoded, so a test can kill the engine at exactly that point. Never set it
in production.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

_lock = threading.Lock()
RAW_PREFIX = "raw_response"


def spool_raw_response(job_dir: Path | None, raw: bytes) -> Path | None:
    if job_dir is None or not job_dir.is_dir():
        return None
    with _lock:
        index = 1
        while True:
            name = f"{RAW_PREFIX}.json" if index == 1 else f"{RAW_PREFIX}-{index}.json"
            final = job_dir / name
            if not final.exists():
                break
            index += 1
        part = final.with_suffix(".json.part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, final)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    _test_pause()
    return final


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
