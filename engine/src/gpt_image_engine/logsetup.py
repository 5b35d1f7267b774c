"""The engine log: JSON lines in `logs/engine.log`, rotated at 5 MiB, secrets redacted.

Every record passes through the redactor (URLs in messages lose userinfo and query
values: httpx logs each request's URL); messages never include request options (keys
and tokens are not logged anywhere).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
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


def setup_logging(log_file: Path, debug: bool = False) -> None:
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=5 * 1024 * 1024, backupCount=5)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    try:
        log_file.chmod(0o600)
    except OSError:
        pass
