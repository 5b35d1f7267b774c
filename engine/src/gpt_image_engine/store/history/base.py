"""The history store's contract: what jobs, servicers, tasks and recovery may call.

`HistoryStore` is the seam: the SQLite file (`sqlite.History`, the embedded default, the upstream's
schema) and a PostgreSQL database (`postgres.PostgresHistory`, for engines sharing one store) both
implement it with the same semantics: job rows with the job JSON every surface shows, a per-job
event log numbered from 1, output upload rows, soft deletes, opaque cursors, and the upstream's
search (case-insensitive substring over id, command, provider and the metadata JSON). Also the
listing limits both backends apply and the job id and timestamp formats.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import AbstractContextManager
from typing import Any, Protocol, Self, runtime_checkable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

DEFAULT_LIMIT = 100
MAX_LIMIT = 200
# A listing page stays well under gRPC's 4 MiB message limit whatever the rows hold: it ends
# early (has_more, next_cursor) at PAGE_BYTES, and a row bigger than ROW_BYTES (a legacy row
# with a huge prompt) is listed summarised, its long strings cut to SUMMARY_CHARS.
PAGE_BYTES = 2 * 1024 * 1024
ROW_BYTES = 256 * 1024
SUMMARY_CHARS = 2000
ACTIVE_STATUSES: tuple[str, ...] = ("queued", "running", "uploading")

# `--status` groups, as the upstream's listing takes them; `interrupted` is handled by each backend.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "active": ACTIVE_STATUSES,
    "running": ACTIVE_STATUSES,
    "completed": ("completed", "partial_failed"),
    "failed": ("failed", "partial_failed", "cancelled", "canceled"),
    "queued": ("queued",),
    "cancelled": ("cancelled", "canceled"),
    "canceled": ("cancelled", "canceled"),
}

# What `mark_interrupted` writes into a job a stopped engine left unfinished.
INTERRUPTED_ERROR_MESSAGE = "The engine stopped before the job finished."

_SECRET_PARAMS = frozenset({"password", "sslpassword", "passfile", "sslkey"})


def display_url(url: str) -> str:
    """`url` safe to show: the password (in the userinfo or a query parameter) replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "[unparsable database url]"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:***@{hostport}" if sep else f"{user}@{hostport}"
    query = urlencode(
        [(k, "[redacted]" if k.lower() in _SECRET_PARAMS else v) for k, v in parse_qsl(parts.query)],
        quote_via=quote,
        safe="[]/",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


_id_lock = threading.Lock()
_last_id_ns = 0


def new_job_id() -> str:
    """`job-<unix_nanos>-<pid>`, strictly increasing within the process so two calls never collide."""
    global _last_id_ns
    with _id_lock:
        ns = time.time_ns()
        if ns <= _last_id_ns:
            ns = _last_id_ns + 1
        _last_id_ns = ns
    return f"job-{ns}-{os.getpid()}"


def now_ts() -> str:
    """Unix seconds as a decimal string, the upstream's timestamp format."""
    return str(int(time.time()))


@runtime_checkable
class HistoryStore(Protocol):
    """Jobs, their events and upload rows. Every method raises coded `AppError`s only:
    `history_not_found` for an unknown id, `history_write_failed` / `history_query_failed` when the
    database refuses, `database_unavailable` when it cannot be reached (PostgreSQL)."""

    #: Where the store lives, safe to show (a file path, or a URL with its password redacted).
    location: str

    def create_job(
        self,
        job_id: str,
        command: str,
        provider: str,
        status: str = "queued",
        metadata: dict[str, Any] | None = None,
        output_path: str | None = None,
        *,
        fetch: bool = True,
    ) -> dict[str, Any] | None: ...

    def update_job(
        self,
        job_id: str,
        *,
        status: str | None = None,
        provider: str | None = None,
        output_path: str | None = None,
        metadata_patch: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        fetch: bool = True,
    ) -> dict[str, Any] | None: ...

    def get_job(self, job_id: str) -> dict[str, Any]: ...

    def delete_job(self, job_id: str) -> int: ...

    def soft_delete_job(self, job_id: str) -> dict[str, Any]: ...

    def restore_job(self, job_id: str) -> dict[str, Any]: ...

    def active_jobs(self) -> list[dict[str, Any]]: ...

    def mark_interrupted(self, reason: str) -> list[str]: ...

    def list_jobs(
        self,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        status: str | None = None,
        query: str | None = None,
        include_deleted: bool = False,
    ) -> dict[str, Any]: ...

    def append_event(self, job_id: str, kind: str, event_type: str, data: dict[str, Any]) -> tuple[int, str]: ...

    def events(self, job_id: str, after_seq: int = 0) -> list[dict[str, Any]]: ...

    def upsert_upload(self, record: dict[str, Any]) -> None: ...

    def uploads(self, job_id: str) -> list[dict[str, Any]]: ...

    def batch(self, failure: str = "history_write_failed") -> AbstractContextManager[None]:
        """Several writes in one transaction: all or none."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


def interrupted_error(reason: str) -> dict[str, Any]:
    return {"code": "job_interrupted", "message": INTERRUPTED_ERROR_MESSAGE, "detail": {"reason": reason}}
