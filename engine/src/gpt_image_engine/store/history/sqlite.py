"""history.sqlite: the only code that opens it (the embedded default `HistoryStore`).

Owns the job table, per-job event log and upload rows in the upstream's schema (`sqlite_schema`:
a file written by the upstream opens here and ours opens there), the search index beside them
(`sqlite_search`), transactions, and listing with opaque cursors. A file that is not SQLite, or a
foreign SQLite database whose tables lack the upstream's columns, is refused with
`history_open_failed` and never written to: the file is validated read-only first. Timestamps are
unix seconds as decimal strings, like the upstream's.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.store.history import sqlite_search as search
from gpt_image_engine.store.history.base import (
    now_ts,
)
from gpt_image_engine.store.history.cursors import escape_like
from gpt_image_engine.store.history.rows import Listing, RowStore
from gpt_image_engine.store.history.shaping import (
    JOB_COLUMNS,
    build_page,
    dumps,
)
from gpt_image_engine.store.history.sqlite_schema import MIGRATIONS, REQUIRED_COLUMNS, SQLITE_HEADER, columns

__all__ = ["History", "validate_sqlite_file"]

_APPEND_EVENT = (
    "INSERT INTO job_events (job_id, seq, kind, event_type, data, created_at) "
    "SELECT ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM job_events WHERE job_id = ?), ?, ?, ?, ? "
    "FROM jobs WHERE id = ? RETURNING seq"
)


def open_error(path: Path, what: str, exc: BaseException | None = None) -> AppError:
    detail: dict[str, Any] = {"history_file": str(path)}
    if exc is not None:
        detail["error"] = str(exc)
    detail["hint"] = (
        "Move the file aside (e.g. rename it to history.sqlite.broken) and start again: the engine "
        "creates a new, empty history; restore a backup or point GPT_IMAGE_2_HISTORY_FILE elsewhere "
        "to keep the old one."
    )
    return AppError(
        "history_open_failed",
        f"History database {path} {what}. Move it aside (or restore a backup) and try again.",
        detail,
    )


def validate_sqlite_file(path: Path) -> None:
    """Refuse a foreign file before anything writes to it (WAL switch, migrations): not SQLite,
    unreadable, or tables without the upstream's columns. A missing or empty file passes."""
    try:
        with open(path, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise open_error(path, "could not be read", exc) from exc
    if not header:
        return  # an empty file is a new database
    if header != SQLITE_HEADER:
        raise open_error(path, "is not an SQLite database")
    try:
        ro = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise open_error(path, "could not be opened read-only", exc) from exc
    try:
        ro.execute("PRAGMA busy_timeout = 5000")
        tables = {r[0] for r in ro.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table, required in REQUIRED_COLUMNS.items():
            if table in tables:
                missing = required - columns(ro, table)
                if missing:
                    raise AppError(
                        "history_open_failed",
                        f"History database {path} has a foreign '{table}' table; it was left untouched.",
                        {
                            "history_file": str(path),
                            "table": table,
                            "missing_columns": sorted(missing),
                        },
                    )
    except sqlite3.Error as exc:
        raise open_error(path, "is not a readable SQLite database", exc) from exc
    finally:
        ro.close()


class History(RowStore):
    """Thread-safe access to one history.sqlite.

    Writes go through one connection under a lock, each in a `BEGIN IMMEDIATE` transaction (so a
    sequence number or a read-modify-write is never raced, even by another process). Reads use one
    connection per thread, which WAL lets run beside the writer; a searched listing counts its
    total on a helper thread while the page is fetched, so the two table scans overlap.
    """

    INTERRUPTED_CLAUSE = (
        "status = 'failed' AND "
        "(CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.interrupted_reason') END) IS NOT NULL"
    )

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.location = str(self.path)
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
        return open_error(self.path, what, exc)

    def _validate_existing(self) -> None:
        validate_sqlite_file(self.path)

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
            if search.fts_trigram_available():
                conn.execute("BEGIN IMMEDIATE")
                search.ensure_search_index(conn)
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
                        search.sync_search(conn, sorted(self._reindex_pending))
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

    @contextmanager
    def _write_one(
        self, failure: str = "history_write_failed", *, reindex: Sequence[str] = ()
    ) -> Iterator[sqlite3.Connection]:
        """`_write` for a body that runs exactly one statement. Outside `batch()` the statement is
        its own transaction: a write statement takes the write lock at its first step, before it
        reads anything (as BEGIN IMMEDIATE does; busy_timeout applies), and commits when it is
        finished, so the BEGIN and COMMIT round trips are saved. A body must finish its statement
        (fetch every row) before it returns. When the search queue is due to be folded in, the
        whole `_write` is used, which does that in the same transaction."""
        with self._lock:
            due = self._fts and len(self._reindex_pending) + len(reindex) >= search.DEFER_REINDEX
            if due or getattr(self._local, "batch", None) is not None:
                with self._write(failure, reindex=reindex) as conn:
                    yield conn
                return
            conn = self._c()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise AppError(failure, "A history write failed.", {"error": str(exc)}) from exc
            if self._fts:
                self._reindex_pending.update(reindex)

    def _queue_reindex(self, conn: sqlite3.Connection, ids: Sequence[str]) -> None:
        """The triggers already queued `ids` in `jobs_search_dirty` (in this transaction); fold the
        engine's pending ids into the index once enough have gathered."""
        if not ids or not self._fts:
            return
        self._reindex_pending.update(ids)
        if len(self._reindex_pending) >= search.DEFER_REINDEX:
            search.sync_search(conn, sorted(self._reindex_pending))
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

    def _in(self, column: str, values: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
        return f"{column} IN ({','.join('?' * len(values))})", tuple(values)

    def _is_duplicate(self, exc: AppError) -> bool:
        return "UNIQUE" in str((exc.detail or {}).get("error", ""))

    def _count(self, sql: str, params: Sequence[Any]) -> int:
        with self._read() as conn:
            return int(conn.execute(sql, params).fetchone()[0])

    # --- listing -------------------------------------------------------------------------------

    def _page(self, listing: Listing) -> dict[str, Any]:
        limit, after, statuses, needle, include_deleted = (
            listing.limit, listing.after, listing.statuses, listing.needle, listing.include_deleted
        )  # fmt: skip
        clauses, params = listing.clauses, listing.params
        plan = self._search_plan(needle) if needle else None
        if plan is not None and plan.ids is not None:
            clauses.append("id IN (SELECT value FROM json_each(?))")
            params.append(dumps(plan.ids))
        elif needle:
            # Same matches as the upstream's `LOWER(col) LIKE lower(q)`: SQLite's LOWER() and LIKE both
            # fold ASCII only, so dropping LOWER() changes nothing but skips a copy of every metadata
            # string (about 2.5x faster on a full scan). metadata first: it is the likeliest hit.
            clauses.append(
                "(metadata LIKE ? ESCAPE '\\' OR id LIKE ? ESCAPE '\\' "
                "OR command LIKE ? ESCAPE '\\' OR provider LIKE ? ESCAPE '\\')"
            )
            params.extend([f"%{escape_like(needle)}%"] * 4)
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
                f"SELECT {JOB_COLUMNS} FROM jobs{page_where} ORDER BY created_at DESC, id DESC LIMIT ?",
                (*page_params, limit + 1),
            ).fetchall()
            if known_total is not None:
                total = known_total
            else:
                total = pending.result() if pending else self._count(count_sql, params)
            has_more = len(rows) > limit
            rows = rows[:limit]
            uploads = self._uploads(conn, [r[0] for r in rows])
        return build_page(rows, uploads, has_more, total)

    def _catch_up(self) -> bool:
        """Index rows written by other programs. True when the index is complete; a backlog too big
        to index at once goes to a background thread and this returns False."""
        with self._read() as conn:
            pending = len(
                conn.execute(f"SELECT 1 FROM jobs_search_dirty LIMIT {search.INLINE_CATCH_UP + 1}").fetchall()
            )
        if pending == 0:
            return True
        if pending <= search.INLINE_CATCH_UP:
            with self._write() as conn:
                search.sync_search(conn, limit=search.INLINE_CATCH_UP)
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
                    if search.sync_search(conn, limit=search.CHUNK) == 0:
                        return
            except AppError:
                return  # closed, or the file went away: a later open resumes from the queue
            time.sleep(0.01)  # let the engine's own writes in between chunks

    def _has_soft_deleted(self) -> bool:
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM jobs WHERE deleted_at IS NOT NULL LIMIT 1").fetchone() is not None

    def _search_plan(self, needle: str) -> search.SearchPlan | None:
        """How to serve a search from the trigram index; None means the LIKE scan alone."""
        if not self._fts or len(needle) < 3 or search.SEARCH_SEP in needle:
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
                return search.SearchPlan(ids=[], matches=0)  # a trigram no job contains
            estimate = min(int(c[1]) for c in counts)
            if estimate <= search.FTS_SMALL:
                return search.SearchPlan(ids=[r[0] for r in conn.execute(ids_sql, (phrase,))])
            rows = int(conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM jobs_search").fetchone()[0])
            if estimate * 2 >= rows:
                return None  # matches most rows: the scan is cheaper than the index
            matches = int(conn.execute("SELECT COUNT(*) FROM jobs_fts WHERE jobs_fts MATCH ?", (phrase,)).fetchone()[0])
            if matches <= search.FTS_SMALL:
                return search.SearchPlan(ids=[r[0] for r in conn.execute(ids_sql, (phrase,))])
            return search.SearchPlan(matches=matches)

    # --- events --------------------------------------------------------------------------------

    def append_event(self, job_id: str, kind: str, event_type: str, data: dict[str, Any]) -> tuple[int, str]:
        created_at = now_ts()
        with self._write_one() as conn:
            # One statement: the job must exist (no row from `jobs`, nothing inserted) and the seq is
            # the job's last + 1, read under the write lock the INSERT holds from its first step, so
            # no other writer can take it; an existing row is never replaced.
            rows = conn.execute(_APPEND_EVENT, (job_id, job_id, kind, event_type, dumps(data), created_at, job_id))
            seq = rows.fetchall()  # to the end: the statement (and its transaction) is finished
        if not seq:
            raise self._not_found(job_id)
        return int(seq[0][0]), created_at
