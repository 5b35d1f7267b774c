"""Web sessions signed out at a gateway (WebSessionsService), kept until they would have expired.

A gateway's session cookie is signed with a key derived from its token, so any gateway with the
same token accepts it; what a signature cannot say is that its owner signed out. Gateways record
that here at sign-out and ask before honouring a cookie. With a PostgreSQL history (a cluster) the
records live in its `revoked_web_sessions` table, shared by every engine; otherwise in
`web_sessions.sqlite` beside the engine's other state (history.sqlite keeps the upstream's schema).
The ids are opaque digests the gateways send; a record is dropped once its session has expired.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gpt_image_engine.errors import AppError

if TYPE_CHECKING:
    from gpt_image_engine.store.history import HistoryStore
    from gpt_image_engine.store.history.postgres import PostgresHistory

FILE_NAME = "web_sessions.sqlite"
MAX_ID_CHARS = 128


class RevokedSessions(Protocol):
    def revoke(self, session_id: str, expires_at: int) -> None: ...

    def revoked(self, session_id: str) -> bool: ...


class PostgresRevoked:
    """The shared table, through the history's pool (its retry on a lost connection included)."""

    def __init__(self, history: PostgresHistory) -> None:
        self.history = history

    def revoke(self, session_id: str, expires_at: int) -> None:
        self.history.revoke_web_session(session_id, expires_at)

    def revoked(self, session_id: str) -> bool:
        return self.history.web_session_revoked(session_id)


class SqliteRevoked:
    """One small SQLite file (WAL, 0600), opened on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS revoked_web_sessions "
                "(id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID"
            )
            self._conn = conn
        return self._conn

    @contextmanager
    def _used(self, code: str, message: str) -> Iterator[sqlite3.Connection]:
        try:
            with self._lock:
                yield self._open()
        except (sqlite3.Error, OSError) as exc:
            raise AppError(code, message, {"path": str(self.path), "error": str(exc)}) from exc

    def revoke(self, session_id: str, expires_at: int) -> None:
        with self._used("history_write_failed", "The sign-out could not be recorded.") as conn:
            conn.execute(
                "INSERT INTO revoked_web_sessions (id, expires_at) VALUES (?, ?) ON CONFLICT (id) "
                "DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
                (session_id, expires_at),
            )
            conn.execute("DELETE FROM revoked_web_sessions WHERE expires_at < ?", (int(time.time()),))

    def revoked(self, session_id: str) -> bool:
        with self._used("history_query_failed", "Signed-out sessions could not be read.") as conn:
            row = conn.execute("SELECT 1 FROM revoked_web_sessions WHERE id = ?", (session_id,)).fetchone()
        return row is not None


def open_revoked(history: HistoryStore, state_dir: Path, database_url: str | None) -> RevokedSessions:
    """The shared table when the history is PostgreSQL (`database_url`), else the file in `state_dir`."""
    if database_url:
        from gpt_image_engine.store.history.postgres import PostgresHistory  # psycopg only for a cluster

        assert isinstance(history, PostgresHistory)
        return PostgresRevoked(history)
    return SqliteRevoked(state_dir / FILE_NAME)


def check_session_id(session_id: str) -> str:
    value = session_id.strip()
    if not value or len(value) > MAX_ID_CHARS:
        raise AppError(
            "invalid_argument",
            f"A web session id is 1 to {MAX_ID_CHARS} characters.",
            {"field": "session_id", "length": len(session_id)},
        )
    return value
