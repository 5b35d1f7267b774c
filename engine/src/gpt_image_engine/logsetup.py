"""The engine log: JSON lines in `logs/engine.log`, rotated at 5 MiB, secrets redacted.

Every record passes through the redactor (URLs in messages lose userinfo and query
values: httpx logs each request's URL); messages never include request options (keys
and tokens are not logged anywhere).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import stat
import time
from pathlib import Path
from typing import Any

from gpt_image_engine.security.redaction import redact, redact_urls_in_text


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact_urls_in_text(record.getMessage()),
        }
        data = getattr(record, "data", None)
        if data is not None:
            entry["data"] = redact(data)
        if record.exc_info:
            entry["exception"] = redact_urls_in_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class RotatingJsonLines(logging.handlers.RotatingFileHandler):
    """`RotatingFileHandler` that formats each record once and knows the file's size.

    The stock handler formats every record twice (once more only to measure it) and stats the
    path twice and seeks before each write; here the size comes from `fstat` when the file is
    opened and grows by what is written (the file is opened for appending, so only this handler
    moves its end). Rotation is the same: before a record that would take the file to
    `maxBytes`, and never for a path that is not a regular file (`/dev/null`, a FIFO)."""

    _size = 0
    _regular = False

    def _open(self) -> Any:
        stream = super()._open()
        try:
            info = os.fstat(stream.fileno())
            self._regular, self._size = stat.S_ISREG(info.st_mode), info.st_size
        except OSError:
            self._regular, self._size = False, 0
        return stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = self.format(record) + self.terminator
            if self.stream is None:
                self.stream = self._open()
            if self.maxBytes > 0 and self._regular and self._size + len(msg) >= self.maxBytes:
                self.doRollover()  # reopens (and re-measures) the file
            self.stream.write(msg)
            self.stream.flush()
            self._size += len(msg) if msg.isascii() else len(msg.encode(self.stream.encoding, "replace"))
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


def setup_logging(log_file: Path, debug: bool = False) -> None:
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = RotatingJsonLines(log_file, maxBytes=5 * 1024 * 1024, backupCount=5)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    try:
        log_file.chmod(0o600)
    except OSError:
        pass


# --- reading back (the web app's logs screen)

LEVELS = {"debug": 10, "info": 20, "warn": 30, "warning": 30, "error": 40, "critical": 50}
MAX_READ = 5000
_BLOCK = 64 * 1024


def _tail_lines(path: Path, want: int) -> list[bytes]:
    """The last `want` complete lines of a file, reading backwards in blocks."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            end = fh.tell()
            buf = b""
            while end > 0 and buf.count(b"\n") <= want:
                start = max(0, end - _BLOCK)
                fh.seek(start)
                buf = fh.read(end - start) + buf
                end = start
    except OSError:
        return []
    lines = [line for line in buf.split(b"\n") if line.strip()]
    if end > 0 and lines:
        lines = lines[1:]  # the first may be cut
    return lines[-want:]


def _entry(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    level = str(record.get("level") or "info").lower()
    level = {"warning": "warn", "critical": "error"}.get(level, level)
    entry: dict[str, Any] = {
        "ts": record.get("ts"),
        "level": level,
        "kind": record.get("logger") or "engine",
        "type": record.get("message") or "",
        "message": record.get("message") or "",
        "data": redact(record.get("data")) if record.get("data") is not None else None,
    }
    if record.get("exception"):
        entry["exception"] = record["exception"]
    return entry


def read_recent_logs(log_file: Path, limit: int = 500, level: str = "") -> dict[str, Any]:
    """The newest `limit` records at or above `level`, oldest first, from the log and its rotations."""
    limit = max(1, min(MAX_READ, int(limit or 500)))
    floor = LEVELS.get(level.strip().lower(), 10) if level else 10
    kept: list[dict[str, Any]] = []
    for path in [log_file] + [log_file.with_name(f"{log_file.name}.{i}") for i in range(1, 6)]:
        if len(kept) >= limit or not path.is_file():
            break
        older = []
        for line in _tail_lines(path, limit * 2 if floor > 10 else limit):
            entry = _entry(line)
            if entry is not None and LEVELS.get(entry["level"], 20) >= floor:
                older.append(entry)
        kept = older[-(limit - len(kept)) :] + kept
    return {"entries": kept[-limit:], "logs_dir": str(log_file.parent)}
