"""history.sqlite: the only code that opens it.

Owns the job table, per-job event log and upload rows in the upstream's schema (so a file written by
the upstream opens here and ours opens there), the forward-only named migrations recorded in
`_migrations`, listing/search/pagination with opaque cursors, and the job JSON every surface shows.
A file that is not SQLite, or a foreign SQLite database whose tables lack the upstream's columns, is
refused with `history_open_failed` and never written to: the file is validated read-only first.
Timestamps are unix seconds as decimal strings, like the upstream's.

Search (`--query`) keeps the upstream's semantics (case-insensitive substring over id, command,
provider and the metadata JSON) but is served from an FTS5 trigram index when SQLite has one
(3.34+). Plain SQLite triggers on `jobs` (in the file, so they also fire for rows the upstream's
tools write, and need no extension there) queue changed ids in `jobs_search_dirty`; the engine folds
that queue into `jobs_search` (a stable-rowid copy of the searchable text) and the external-content
FTS table `jobs_fts` inside its own write transactions and before a search. Needles shorter than
three characters, or an SQLite without FTS5, fall back to the LIKE scan.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from gpt_image_engine.errors import AppError

__all__ = ["ACTIVE_STATUSES", "History", "new_job_id", "now_ts"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 200
# A listing page stays well under gRPC's 4 MiB message limit whatever the rows hold: it ends
# early (has_more, next_cursor) at PAGE_BYTES, and a row bigger than ROW_BYTES (a legacy row
# with a huge prompt) is listed summarised, its long strings cut to SUMMARY_CHARS.
PAGE_BYTES = 2 * 1024 * 1024
ROW_BYTES = 256 * 1024
SUMMARY_CHARS = 2000
ACTIVE_STATUSES: tuple[str, ...] = ("queued", "running", "uploading")
_SQLITE_HEADER = b"SQLite format 3\x00"
_JOB_COLUMNS = "id, command, provider, status, output_path, created_at, metadata, deleted_at"

# Columns the upstream's code reads and writes; a table that lacks any of them is not ours to touch.
_REQUIRED_COLUMNS: dict[str, set[str]] = {
    "jobs": {"id", "command", "provider", "status", "output_path", "created_at", "metadata"},
    "job_events": {"job_id", "seq", "kind", "event_type", "data", "created_at"},
    "output_uploads": {
        "job_id", "output_index", "target", "target_type", "status", "url", "error",
        "bytes", "attempts", "updated_at", "metadata",
    },
}  # fmt: skip

_STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "active": ACTIVE_STATUSES,
    "running": ACTIVE_STATUSES,
    "completed": ("completed", "partial_failed"),
    "failed": ("failed", "partial_failed", "cancelled", "canceled"),
    "queued": ("queued",),
    "cancelled": ("cancelled", "canceled"),
    "canceled": ("cancelled", "canceled"),
}

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
    if "deleted_at" not in _columns(conn, "jobs"):
        conn.execute("ALTER TABLE jobs ADD COLUMN deleted_at TEXT")
    conn.execute(
        "CREATE INDEX IF NOT EXISTS idx_jobs_deleted_at_created_at ON jobs (deleted_at, created_at DESC, id DESC)"
    )


# The searchable text of one row: lowered (ASCII only, like LIKE) and joined by a separator that
# never occurs in JSON text, so a match never spans two columns.
_SEARCH_BODY = "lower(id || char(31) || command || char(31) || provider || char(31) || COALESCE(metadata, ''))"
_SEARCH_SEP = "\x1f"


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

_fts_probe: bool | None = None


def fts_trigram_available() -> bool:
    """Whether this SQLite has FTS5 with the trigram tokenizer (3.34+)."""
    global _fts_probe
    if _fts_probe is None:
        try:
            probe = sqlite3.connect(":memory:")
            try:
                probe.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram case_sensitive 1')")
                _fts_probe = True
            finally:
                probe.close()
        except sqlite3.Error:
            _fts_probe = False
    return _fts_probe


def _ensure_search_index(conn: sqlite3.Connection) -> None:
    """Create the FTS side of the search index (idempotent); a new one is back-filled from the queue."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS jobs_search (rowid INTEGER PRIMARY KEY, job_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)"
    )
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'jobs_fts'").fetchone()
    if not exists:
        conn.execute(
            "CREATE VIRTUAL TABLE jobs_fts USING fts5(body, content='jobs_search', content_rowid='rowid', "
            "tokenize='trigram case_sensitive 1')"
        )
        conn.execute("DELETE FROM jobs_search")
        conn.execute("INSERT OR IGNORE INTO jobs_search_dirty (job_id) SELECT id FROM jobs")


def _sync_search(conn: sqlite3.Connection, ids: Sequence[str] | None = None, limit: int = 0) -> int:
    """Re-index `ids`, or up to `limit` queued ids, inside the caller's write transaction. Set-based:
    one row of a status change and a 2,000-row chunk of a back-fill take the same five statements.
    Returns how many queued ids were taken."""
    params: tuple[str, ...]
    if ids is not None:
        if not ids:
            return 0
        chosen, params = "(SELECT value FROM json_each(?))", (_dumps(list(ids)),)
    else:
        chosen, params = f"(SELECT job_id FROM jobs_search_dirty ORDER BY job_id LIMIT {int(limit)})", ()
    conn.execute(
        "INSERT INTO jobs_fts (jobs_fts, rowid, body) SELECT 'delete', rowid, body FROM jobs_search "
        f"WHERE job_id IN {chosen}",
        params,
    )
    conn.execute(f"DELETE FROM jobs_search WHERE job_id IN {chosen}", params)
    conn.execute(
        f"INSERT INTO jobs_search (job_id, body) SELECT id, {_SEARCH_BODY} FROM jobs WHERE id IN {chosen}", params
    )
    conn.execute(
        f"INSERT INTO jobs_fts (rowid, body) SELECT rowid, body FROM jobs_search WHERE job_id IN {chosen}", params
    )
    return int(conn.execute(f"DELETE FROM jobs_search_dirty WHERE job_id IN {chosen}", params).rowcount)


# Up to this many queued rows are indexed at once (at open, before a search); a bigger backlog (a
# large history written by another program) is indexed in chunks on a background thread while
# searches use the LIKE scan, so neither the engine's start nor its writes wait for it.
_INLINE_CATCH_UP = 5000
_CHUNK = 2000

# The engine's own writes leave their ids in the trigger-fed queue and fold them into the index
# together, once this many are pending (or before a search, or at close): a job is written three
# or more times in a few seconds (queued, running, finished), and indexing each version of its
# metadata was most of a status update's cost. A search never sees a stale index: it folds the
# queue in first (`_catch_up`).
_DEFER_REINDEX = 64

# Searches whose index estimate is at most this many rows read their ids from the index; beyond it
# the ordered LIKE scan finds a page sooner than sorting every hit.
_FTS_SMALL = 2000

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
    return str(int(time.time()))


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}  # table is a constant


def _estimated_json_bytes(text: str | None) -> int:
    """An upper bound of a row's JSON size in a reply, without encoding it."""
    if not text:
        return 1024
    return len(text) * (1 if text.isascii() else 3) + 1024


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SUMMARY_CHARS:
        return value[:SUMMARY_CHARS] + f"... [{len(value) - SUMMARY_CHARS} more characters]"
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    return value


def summarise_job(job: dict[str, Any], size: int) -> dict[str, Any]:
    """A job too big for a reply, with every long string cut and `truncated` saying so."""
    short = _shorten(job)
    short["truncated"] = {"reason": "row_too_large", "approx_bytes": size, "chars_kept": SUMMARY_CHARS}
    return short


def _json_loads(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode_cursor(created_at: str, job_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at}|{job_id}".encode()).decode("ascii").rstrip("=")


def decode_cursor(token: str) -> tuple[str, str]:
    bad = AppError("invalid_argument", "The page cursor is malformed.", {"cursor": token})
    text = token.strip()
    if not text or not re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", text):
        raise bad
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        raise bad from None
    created_at, sep, job_id = raw.partition("|")
    if not sep or not created_at or not job_id:
        raise bad
    return created_at, job_id


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class _SearchPlan:
    """`ids`: the exact matching job ids (the page and total filter on them); `matches`: the exact
    number of matching rows, deleted or not, when the page is left to the ordered LIKE scan."""

    ids: list[str] | None = None
    matches: int | None = None


def storage_status(uploads: Sequence[dict[str, Any]]) -> str:
    if not uploads:
        return "not_configured"
    statuses = [u.get("status") for u in uploads]
    completed = statuses.count("completed")

    def role_done(role: str) -> bool:
        return any(u.get("status") == "completed" and (u.get("metadata") or {}).get("role") == role for u in uploads)

    if any(s in ("pending", "running") for s in statuses):
        return "running"
    if role_done("fallback") and not role_done("primary"):
        return "fallback_completed"
    if completed == len(uploads):
        return "completed"
    return "partial_failed" if completed else "failed"


class History:
    """Thread-safe access to one history.sqlite.

    Writes go through one connection under a lock, each in a `BEGIN IMMEDIATE` transaction (so a
    sequence number or a read-modify-write is never raced, even by another process). Reads use one
    connection per thread, which WAL lets run beside the writer; a searched listing counts its
    total on a helper thread while the page is fetched, so the two table scans overlap.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._counter: ThreadPoolExecutor | None = None
        self._fts = False
        self._indexer: threading.Thread | None = None
        self._closing = threading.Event()
        self._reindex_pending: set[str] = set()
        self._validate_existing()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise self._open_error("could not be opened", exc) from exc
        self._conn: sqlite3.Connection | None = conn
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            conn.close()
            raise self._open_error("could not be configured", exc) from exc
        self._migrate()

    # --- opening -------------------------------------------------------------------------------

    def _open_error(self, what: str, exc: BaseException | None = None) -> AppError:
        detail: dict[str, Any] = {"history_file": str(self.path)}
        if exc is not None:
            detail["error"] = str(exc)
        detail["hint"] = (
            "Move the file aside (e.g. rename it to history.sqlite.broken) and start again: the engine "
            "creates a new, empty history; restore a backup or point GPT_IMAGE_2_HISTORY_FILE elsewhere "
            "to keep the old one."
        )
        return AppError(
            "history_open_failed",
            f"History database {self.path} {what}. Move it aside (or restore a backup) and try again.",
            detail,
        )

    def _validate_existing(self) -> None:
        """Refuse a foreign file before anything writes to it (WAL switch, migrations)."""
        try:
            with open(self.path, "rb") as fh:
                header = fh.read(len(_SQLITE_HEADER))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise self._open_error("could not be read", exc) from exc
        if not header:
            return  # an empty file is a new database
        if header != _SQLITE_HEADER:
            raise self._open_error("is not an SQLite database")
        try:
            ro = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
        except sqlite3.Error as exc:
            raise self._open_error("could not be opened read-only", exc) from exc
        try:
            ro.execute("PRAGMA busy_timeout = 5000")
            tables = {r[0] for r in ro.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for table, required in _REQUIRED_COLUMNS.items():
                if table in tables:
                    missing = required - _columns(ro, table)
                    if missing:
                        raise AppError(
                            "history_open_failed",
                            f"History database {self.path} has a foreign '{table}' table; it was left untouched.",
                            {
                                "history_file": str(self.path),
                                "table": table,
                                "missing_columns": sorted(missing),
                            },
                        )
        except sqlite3.Error as exc:
            raise self._open_error("is not a readable SQLite database", exc) from exc
        finally:
            ro.close()

    def _migrate(self) -> None:
        conn = self._c()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
            done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
            for name, step in MIGRATIONS:
                if name not in done:
                    step(conn)
                    conn.execute(
                        "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                        (name, now_ts()),
                    )
            conn.execute("COMMIT")
            if fts_trigram_available():
                conn.execute("BEGIN IMMEDIATE")
                _ensure_search_index(conn)
                conn.execute("COMMIT")
                self._fts = True
                self._catch_up()
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
            self._conn = None
            raise AppError(
                "history_migration_failed",
                f"History database {self.path} could not be migrated.",
                {"history_file": str(self.path), "error": str(exc)},
            ) from exc

    def close(self) -> None:
        self._closing.set()
        indexer = self._indexer
        if indexer is not None:
            indexer.join(timeout=30)
        with self._lock:
            if self._conn is not None and self._fts and self._reindex_pending:
                try:
                    with self._write() as conn:
                        _sync_search(conn, sorted(self._reindex_pending))
                except AppError:
                    pass  # still queued in the file: the next open folds it in
                self._reindex_pending.clear()
            if self._counter is not None:
                self._counter.shutdown(wait=True)
                self._counter = None
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------------------------

    def _c(self) -> sqlite3.Connection:
        if self._conn is None:
            raise AppError("history_open_failed", f"History database {self.path} is closed.")
        return self._conn

    @contextmanager
    def _write(
        self, failure: str = "history_write_failed", *, reindex: Sequence[str] = ()
    ) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._c()
            if getattr(self._local, "batch", None) is not None:
                # Inside `batch()`: part of the caller's transaction, which commits or rolls back.
                try:
                    yield conn
                except sqlite3.Error as exc:
                    raise AppError(failure, "A history write failed.", {"error": str(exc)}) from exc
                self._local.batch.extend(reindex)
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                self._queue_reindex(conn, reindex)
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise AppError(failure, "A history write failed.", {"error": str(exc)}) from exc
                raise

    def _queue_reindex(self, conn: sqlite3.Connection, ids: Sequence[str]) -> None:
        """The triggers already queued `ids` in `jobs_search_dirty` (in this transaction); fold the
        engine's pending ids into the index once enough have gathered."""
        if not ids or not self._fts:
            return
        self._reindex_pending.update(ids)
        if len(self._reindex_pending) >= _DEFER_REINDEX:
            _sync_search(conn, sorted(self._reindex_pending))
            self._reindex_pending.clear()

    @contextmanager
    def batch(self, failure: str = "history_write_failed") -> Iterator[None]:
        """Run several writes (`update_job`, `append_event`, ...) in one transaction: all or none."""
        with self._lock:
            if getattr(self._local, "batch", None) is not None:
                yield  # already inside one
                return
            ids: list[str] = []
            with self._write(failure) as conn:
                self._local.batch = ids
                try:
                    yield
                finally:
                    self._local.batch = None
                self._queue_reindex(conn, ids)

    def _reader(self) -> sqlite3.Connection:
        self._c()  # raises once closed
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 5000")
            if self._fts:  # per-trigram row counts, for the search planner (temp: nothing in the file)
                conn.execute("CREATE VIRTUAL TABLE temp.jobs_fts_vocab USING fts5vocab(main, jobs_fts, row)")
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._reader()
        except sqlite3.Error as exc:
            raise AppError("history_query_failed", "A history query failed.", {"error": str(exc)}) from exc

    def _count(self, sql: str, params: Sequence[Any]) -> int:
        with self._read() as conn:
            return int(conn.execute(sql, params).fetchone()[0])

    @staticmethod
    def _not_found(job_id: str) -> AppError:
        return AppError("history_not_found", f"No job with id {job_id}.", {"job_id": job_id})

    # --- jobs ----------------------------------------------------------------------------------

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
    ) -> dict[str, Any] | None:
        """Insert a job row; returns the job JSON (None with `fetch=False`)."""
        meta = dict(metadata or {})
        try:
            with self._write(reindex=[job_id]) as conn:
                conn.execute(
                    "INSERT INTO jobs (id, command, provider, status, output_path, created_at, metadata) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        job_id,
                        command,
                        provider,
                        status,
                        output_path,
                        now_ts(),
                        _dumps(meta),
                    ),
                )
                return self._job(conn, job_id) if fetch else None
        except AppError as exc:
            if "UNIQUE" in str((exc.detail or {}).get("error", "")):
                raise AppError(
                    "history_write_failed",
                    f"A job with id {job_id} already exists.",
                    {"job_id": job_id},
                ) from exc
            raise

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
    ) -> dict[str, Any] | None:
        """Patch a job row; returns the job JSON (None with `fetch=False`)."""
        with self._write(reindex=[job_id]) as conn:
            row = conn.execute("SELECT metadata FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise self._not_found(job_id)
            meta = _json_loads(row[0], {})
            if not isinstance(meta, dict):
                meta = {}
            meta.update(metadata_patch or {})
            if error is not None:
                meta["error"] = error
            meta["updated_at"] = now_ts()
            conn.execute(
                "UPDATE jobs SET status = COALESCE(?, status), provider = COALESCE(?, provider), "
                "output_path = COALESCE(?, output_path), metadata = ? WHERE id = ?",
                (status, provider, output_path, _dumps(meta), job_id),
            )
            return self._job(conn, job_id) if fetch else None

    def get_job(self, job_id: str) -> dict[str, Any]:
        with self._read() as conn:
            return self._job(conn, job_id)

    def _job(self, conn: sqlite3.Connection, job_id: str) -> dict[str, Any]:
        row = conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise self._not_found(job_id)
        return self._row_to_job(row, self._uploads(conn, [job_id]).get(job_id, []))

    def _uploads(self, conn: sqlite3.Connection, job_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        if not job_ids:
            return {}
        marks = ",".join("?" * len(job_ids))
        out: dict[str, list[dict[str, Any]]] = {}
        for r in conn.execute(
            "SELECT job_id, output_index, target, target_type, status, url, error, bytes, attempts, updated_at, "
            f"metadata FROM output_uploads WHERE job_id IN ({marks}) ORDER BY job_id, output_index, target",
            tuple(job_ids),
        ):
            out.setdefault(r[0], []).append(
                {
                    "job_id": r[0], "output_index": r[1], "target": r[2], "target_type": r[3],
                    "status": r[4], "url": r[5], "error": r[6], "bytes": r[7], "attempts": r[8],
                    "updated_at": r[9], "metadata": _json_loads(r[10], {}),
                }
            )  # fmt: skip
        return out

    @staticmethod
    def _row_to_job(row: Sequence[Any], uploads: list[dict[str, Any]]) -> dict[str, Any]:
        (
            job_id,
            command,
            provider,
            status,
            output_path,
            created_at,
            metadata_text,
            deleted_at,
        ) = row
        metadata = _json_loads(metadata_text, None)
        if isinstance(metadata, dict):
            metadata = {k: v for k, v in metadata.items() if k not in ("attempts", "attempts_truncated_count")}
            meta: dict[str, Any] = metadata
        else:
            meta = {}
        output = meta.get("output")
        image_output = meta.get("image_output")
        if isinstance(output, dict) and "files" in output:
            files = output["files"]
        elif isinstance(image_output, dict):
            files = image_output.get("files", [])
        else:
            files = []
        outputs = [dict(f) if isinstance(f, dict) else f for f in (files if isinstance(files, list) else [])]
        for item in outputs:
            if isinstance(item, dict) and isinstance(item.get("index"), int):
                mine = [u for u in uploads if u["output_index"] == item["index"]]
                if mine:
                    item["uploads"] = mine
        updated_at = meta.get("updated_at")
        job: dict[str, Any] = {
            "id": job_id,
            "command": command,
            "provider": provider,
            "status": status,
            "output_path": output_path,
            "created_at": created_at,
            "updated_at": updated_at if isinstance(updated_at, str) else created_at,
            "metadata": metadata,
            "outputs": outputs,
            "reference_images": _reference_images(command, meta),
            "storage_status": storage_status(uploads),
            "error": meta.get("error"),
        }
        if deleted_at is not None:
            job["deleted_at"] = deleted_at
        return job

    def delete_job(self, job_id: str) -> int:
        with self._write("history_delete_failed", reindex=[job_id]) as conn:
            row = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise self._not_found(job_id)
            if row[0] in ("queued", "running"):
                raise AppError(
                    "job_running",
                    f"Job {job_id} is {row[0]}; cancel it first.",
                    {"job_id": job_id, "status": row[0]},
                )
            removed = 0
            for table, column in (
                ("job_events", "job_id"),
                ("output_uploads", "job_id"),
                ("jobs", "id"),
            ):
                removed += conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (job_id,)).rowcount
            return removed

    def active_jobs(self) -> list[dict[str, Any]]:
        marks = ",".join("?" * len(ACTIVE_STATUSES))
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status IN ({marks}) AND deleted_at IS NULL "
                "ORDER BY created_at DESC, id DESC",
                ACTIVE_STATUSES,
            ).fetchall()
            uploads = self._uploads(conn, [r[0] for r in rows])
            return [self._row_to_job(r, uploads.get(r[0], [])) for r in rows]

    def mark_interrupted(self, reason: str) -> list[str]:
        """Fail every queued/running/uploading row: the engine that owned it is gone."""
        marks = ",".join("?" * len(ACTIVE_STATUSES))
        now = now_ts()
        error = {
            "code": "job_interrupted",
            "message": "The engine stopped before the job finished.",
            "detail": {"reason": reason},
        }
        with self._write() as conn:
            rows = conn.execute(
                f"SELECT id, metadata FROM jobs WHERE status IN ({marks}) ORDER BY created_at, id",
                ACTIVE_STATUSES,
            ).fetchall()
            for job_id, text in rows:
                meta = _json_loads(text, {})
                if not isinstance(meta, dict):
                    meta = {}
                meta.update(interrupted_reason=reason, error=error, updated_at=now)
                conn.execute(
                    "UPDATE jobs SET status = 'failed', metadata = ? WHERE id = ?",
                    (_dumps(meta), job_id),
                )
            if self._fts:
                _sync_search(conn, [r[0] for r in rows])
            return [r[0] for r in rows]

    # --- listing -------------------------------------------------------------------------------

    def list_jobs(
        self,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        status: str | None = None,
        query: str | None = None,
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        limit = max(1, min(MAX_LIMIT, int(limit)))
        after = decode_cursor(cursor) if cursor else None
        clauses: list[str] = []
        params: list[Any] = []
        group = (status or "").strip().lower()
        statuses = _STATUS_GROUPS.get(group, ())
        if statuses:
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        if group == "interrupted":  # failed rows a stopped engine left behind (the upstream's /jobs/interrupted)
            clauses.append(
                "status = 'failed' AND "
                "(CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.interrupted_reason') END) IS NOT NULL"
            )
        if not include_deleted:
            clauses.append("deleted_at IS NULL")
        needle = (query or "").strip().lower()
        plan = self._search_plan(needle) if needle else None
        if plan is not None and plan.ids is not None:
            clauses.append("id IN (SELECT value FROM json_each(?))")
            params.append(_dumps(plan.ids))
        elif needle:
            # Same matches as the upstream's `LOWER(col) LIKE lower(q)`: SQLite's LOWER() and LIKE both
            # fold ASCII only, so dropping LOWER() changes nothing but skips a copy of every metadata
            # string (about 2.5x faster on a full scan). metadata first: it is the likeliest hit.
            clauses.append(
                "(metadata LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\' "
                "OR command LIKE ? ESCAPE '\\' OR provider LIKE ? ESCAPE '\\')"
            )
            params.extend([f"%{_escape_like(needle)}%"] * 4)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        page_clauses = list(clauses)
        page_params = list(params)
        if after is not None:
            page_clauses.append("(created_at < ? OR (created_at = ? AND id < ?))")
            page_params.extend([after[0], after[0], after[1]])
        page_where = f" WHERE {' AND '.join(page_clauses)}" if page_clauses else ""
        count_sql = f"SELECT COUNT(*) FROM jobs{where}"
        pending: Future[int] | None = None
        known_total: int | None = None
        if (
            plan is not None
            and plan.matches is not None
            and not statuses
            and (include_deleted or not self._has_soft_deleted())
        ):
            known_total = plan.matches
        if needle and known_total is None and (plan is None or plan.ids is None):
            # A search scans the table twice (page, total); overlap the scans on two connections.
            with self._lock:
                if self._counter is None:
                    self._counter = ThreadPoolExecutor(2, "history-count")
                pending = self._counter.submit(self._count, count_sql, params)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs{page_where} ORDER BY created_at DESC, id DESC LIMIT ?",
                (*page_params, limit + 1),
            ).fetchall()
            if known_total is not None:
                total = known_total
            else:
                total = pending.result() if pending else self._count(count_sql, params)
            has_more = len(rows) > limit
            rows = rows[:limit]
            uploads = self._uploads(conn, [r[0] for r in rows])
        jobs: list[dict[str, Any]] = []
        used = 0
        for r in rows:
            job = self._row_to_job(r, uploads.get(r[0], []))
            size = _estimated_json_bytes(r[6])
            if size > ROW_BYTES:
                job = summarise_job(job, size)
                size = len(json.dumps(job, default=str))
            if jobs and used + size > PAGE_BYTES:
                has_more = True  # the page is full by size: the rest follows the cursor
                break
            jobs.append(job)
            used += size
        rows = rows[: len(jobs)]
        next_cursor = encode_cursor(rows[-1][5], rows[-1][0]) if has_more and rows else None
        return {
            "jobs": jobs,
            "next_cursor": next_cursor,
            "has_more": has_more,
            "total": total,
        }

    def _catch_up(self) -> bool:
        """Index rows written by other programs. True when the index is complete; a backlog too big
        to index at once goes to a background thread and this returns False."""
        with self._read() as conn:
            pending = len(conn.execute(f"SELECT 1 FROM jobs_search_dirty LIMIT {_INLINE_CATCH_UP + 1}").fetchall())
        if pending == 0:
            return True
        if pending <= _INLINE_CATCH_UP:
            with self._write() as conn:
                _sync_search(conn, limit=_INLINE_CATCH_UP)
                self._reindex_pending.clear()  # all of the queue, these included
            return True
        with self._lock:
            if self._indexer is None or not self._indexer.is_alive():
                self._indexer = threading.Thread(target=self._index_backlog, name="history-index", daemon=True)
                self._indexer.start()
        return False

    def _index_backlog(self) -> None:
        while not self._closing.is_set():
            try:
                with self._write() as conn:
                    if _sync_search(conn, limit=_CHUNK) == 0:
                        return
            except AppError:
                return  # closed, or the file went away: a later open resumes from the queue
            time.sleep(0.01)  # let the engine's own writes in between chunks

    def _has_soft_deleted(self) -> bool:
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM jobs WHERE deleted_at IS NOT NULL LIMIT 1").fetchone() is not None

    def _search_plan(self, needle: str) -> _SearchPlan | None:
        """How to serve a search from the trigram index; None means the LIKE scan alone."""
        if not self._fts or len(needle) < 3 or _SEARCH_SEP in needle:
            return None
        if not self._catch_up():
            return None  # a large backlog is being indexed; the scan is exact meanwhile
        grams = sorted({needle[i : i + 3] for i in range(len(needle) - 2)})
        phrase = '"' + needle.replace('"', '""') + '"'
        ids_sql = "SELECT s.job_id FROM jobs_fts JOIN jobs_search s ON s.rowid = jobs_fts.rowid WHERE jobs_fts MATCH ?"
        with self._read() as conn:
            counts = conn.execute(
                f"SELECT term, doc FROM temp.jobs_fts_vocab WHERE term IN ({','.join('?' * len(grams))})", grams
            ).fetchall()
            if len(counts) < len(grams):
                return _SearchPlan(ids=[], matches=0)  # a trigram no job contains
            estimate = min(int(c[1]) for c in counts)
            if estimate <= _FTS_SMALL:
                return _SearchPlan(ids=[r[0] for r in conn.execute(ids_sql, (phrase,))])
            rows = int(conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM jobs_search").fetchone()[0])
            if estimate * 2 >= rows:
                return None  # matches most rows: the scan is cheaper than the index
            matches = int(conn.execute("SELECT COUNT(*) FROM jobs_fts WHERE jobs_fts MATCH ?", (phrase,)).fetchone()[0])
            if matches <= _FTS_SMALL:
                return _SearchPlan(ids=[r[0] for r in conn.execute(ids_sql, (phrase,))])
            return _SearchPlan(matches=matches)

    # --- events --------------------------------------------------------------------------------

    def append_event(self, job_id: str, kind: str, event_type: str, data: dict[str, Any]) -> tuple[int, str]:
        created_at = now_ts()
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone() is None:
                raise self._not_found(job_id)
            (seq,) = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM job_events WHERE job_id = ?",
                (job_id,),
            ).fetchone()
            # Plain INSERT: inside BEGIN IMMEDIATE no other writer can take this seq, and an existing row
            # is never replaced.
            conn.execute(
                "INSERT INTO job_events (job_id, seq, kind, event_type, data, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (job_id, seq, kind, event_type, _dumps(data), created_at),
            )
        return int(seq), created_at

    def upsert_upload(self, record: dict[str, Any]) -> None:
        """Insert or replace one output upload row (the upstream's `output_uploads`)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO output_uploads (job_id, output_index, target, target_type, status, url, error, bytes, "
                "attempts, updated_at, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (job_id, output_index, target) DO UPDATE SET target_type = excluded.target_type, "
                "status = excluded.status, url = excluded.url, error = excluded.error, bytes = excluded.bytes, "
                "attempts = excluded.attempts, updated_at = excluded.updated_at, metadata = excluded.metadata",
                (
                    record["job_id"], record["output_index"], record["target"], record["target_type"],
                    record["status"], record.get("url"), record.get("error"), record.get("bytes"),
                    int(record.get("attempts") or 0), record.get("updated_at") or now_ts(),
                    _dumps(record.get("metadata") or {}),
                ),
            )  # fmt: skip

    def uploads(self, job_id: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            return self._uploads(conn, [job_id]).get(job_id, [])

    def events(self, job_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT seq, kind, event_type, data, created_at FROM job_events WHERE job_id = ? AND seq > ? "
                "ORDER BY seq",
                (job_id, after_seq),
            ).fetchall()
        return [
            {
                "seq": r[0],
                "kind": r[1],
                "type": r[2],
                "data": _json_loads(r[3], {}),
                "created_at": r[4],
            }
            for r in rows
        ]


def _reference_images(command: str, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """`ref-<i>.<ext>` files in an edit job's folder, as the upstream lists them."""
    if command != "images edit":
        return []
    recovery = meta.get("recovery")
    job_dir = recovery.get("job_dir") if isinstance(recovery, dict) else None
    if not isinstance(job_dir, str) or not job_dir:
        return []
    found: list[dict[str, Any]] = []
    try:
        for entry in os.scandir(job_dir):
            m = re.fullmatch(r"ref-(\d+)\.[A-Za-z0-9]+", entry.name)
            if m and entry.is_file():
                found.append({"index": int(m.group(1)), "path": entry.path})
    except OSError:
        return []
    return sorted(found, key=lambda item: item["index"])
