"""history.sqlite's schema: the upstream's DDL and the forward-only named migrations.

Recorded by name in `_migrations`; a name, once shipped, never changes meaning. m001/m002 are the
upstream's own tables and columns (so a file written by the upstream opens here and ours opens
there); m003 adds the triggers that feed the search index (`sqlite_search`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

SQLITE_HEADER = b"SQLite format 3\x00"

# Columns the upstream's code reads and writes; a table that lacks any of them is not ours to touch.
REQUIRED_COLUMNS: dict[str, set[str]] = {
    "jobs": {"id", "command", "provider", "status", "output_path", "created_at", "metadata"},
    "job_events": {"job_id", "seq", "kind", "event_type", "data", "created_at"},
    "output_uploads": {
        "job_id", "output_index", "target", "target_type", "status", "url", "error",
        "bytes", "attempts", "updated_at", "metadata",
    },
}  # fmt: skip

# The upstream's DDL (crates/gpt-image-2-core/src/history_db.rs), verbatim in shape.
_M001_INITIAL = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    command TEXT NOT NULL,
    provider TEXT NOT NULL,
    status TEXT NOT NULL,
    output_path TEXT,
    created_at TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_jobs_created_at_id ON jobs (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS idx_jobs_status_created_at_id ON jobs (status, created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS output_uploads (
    job_id TEXT NOT NULL,
    output_index INTEGER NOT NULL,
    target TEXT NOT NULL,
    target_type TEXT NOT NULL,
    status TEXT NOT NULL,
    url TEXT,
    error TEXT,
    bytes INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (job_id, output_index, target),
    FOREIGN KEY (job_id) REFERENCES jobs(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_output_uploads_job_output ON output_uploads (job_id, output_index);
CREATE TABLE IF NOT EXISTS job_events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (job_id, seq),
    FOREIGN KEY (job_id) REFERENCES jobs(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_job_events_job_created ON job_events (job_id, created_at);
"""


def _m001_initial(conn: sqlite3.Connection) -> None:
    for statement in _M001_INITIAL.split(";"):
        if statement.strip():
            conn.execute(statement)


def _m002_deleted_at(conn: sqlite3.Connection) -> None:
    if "deleted_at" not in columns(conn, "jobs"):
        conn.execute("ALTER TABLE jobs ADD COLUMN deleted_at TEXT")
    conn.execute(
        "CREATE INDEX IF NOT EXISTS idx_jobs_deleted_at_created_at ON jobs (deleted_at, created_at DESC, id DESC)"
    )


def _m003_search_queue(conn: sqlite3.Connection) -> None:
    """Triggers that queue every changed job id; plain SQL, so any SQLite that writes the file runs them."""
    conn.execute("CREATE TABLE IF NOT EXISTS jobs_search_dirty (job_id TEXT PRIMARY KEY)")
    conn.execute(
        "CREATE TRIGGER IF NOT EXISTS jobs_search_ai AFTER INSERT ON jobs BEGIN "
        "INSERT OR IGNORE INTO jobs_search_dirty (job_id) VALUES (new.id); END"
    )
    conn.execute(
        "CREATE TRIGGER IF NOT EXISTS jobs_search_au AFTER UPDATE OF id, command, provider, metadata ON jobs BEGIN "
        "INSERT OR IGNORE INTO jobs_search_dirty (job_id) VALUES (old.id); "
        "INSERT OR IGNORE INTO jobs_search_dirty (job_id) VALUES (new.id); END"
    )
    conn.execute(
        "CREATE TRIGGER IF NOT EXISTS jobs_search_ad AFTER DELETE ON jobs BEGIN "
        "INSERT OR IGNORE INTO jobs_search_dirty (job_id) VALUES (old.id); END"
    )
    conn.execute("INSERT OR IGNORE INTO jobs_search_dirty (job_id) SELECT id FROM jobs")


# Forward-only and append-only: a name, once shipped, never changes meaning.
MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("m001_initial", _m001_initial),
    ("m002_deleted_at", _m002_deleted_at),
    ("m003_search_queue", _m003_search_queue),
]


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}  # table is a constant
