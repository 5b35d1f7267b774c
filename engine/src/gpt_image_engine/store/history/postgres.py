"""The history in PostgreSQL: the `HistoryStore` several engines share.

Chosen with `GPT_IMAGE_2_DATABASE_URL=postgresql://...` (or `serve --database-url`). Same semantics
as history.sqlite (the job JSON, events numbered per job, uploads, soft deletes, cursors, the
upstream's substring search) over the schema in `postgres_schema`. psycopg 3 with a
`psycopg_pool.ConnectionPool`. Connections are not checked before use (that was one more round trip
per call): a call that finds its pooled connection closed by the server (a restart,
`pg_terminate_backend`, `idle_session_timeout`) runs once more on a fresh one, and only where that
cannot run anything twice: a write retries only its BEGIN (nothing of it has reached the server
yet), a read retries its failed statement (reads are idempotent), and a one-statement write (an
event append: one round trip, no BEGIN/COMMIT) is sent on a connection that a check without a
round trip found still open. See `_begun`, `_Reads` and `_write_one`. While
the database is gone, calls fail `database_unavailable` and a write never lands half (each is one
transaction). Search is served by a pg_trgm GIN index on the same
expression the query filters on. A listing's `total` is exact up to `COUNT_CAP` matching rows
(`SEARCH_COUNT_CAP` for a search), when the planner does not already expect far more; above that
it is the planner's estimate (`total_estimated: true`), so a first page on a million jobs stays in
milliseconds.
"""

from __future__ import annotations

import json
import os
import select
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any, Protocol
from urllib.parse import unquote

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool, PoolTimeout

from gpt_image_engine.errors import AppError
from gpt_image_engine.store.history.base import (
    display_url,
    now_ts,
)
from gpt_image_engine.store.history.cursors import escape_like
from gpt_image_engine.store.history.postgres_schema import MIGRATION_LOCK, MIGRATIONS, SEARCH_EXPR
from gpt_image_engine.store.history.rows import Listing, RowStore
from gpt_image_engine.store.history.shaping import (
    JOB_COLUMNS,
    build_page,
    dumps,
)

__all__ = ["COUNT_CAP", "PostgresHistory", "display_url"]

# Totals are counted exactly up to this many matching rows, estimated above. A searched count
# re-checks every matching row's text (~2-8 us each), a plain one reads an index (~0.1 us), so a
# search counts fewer before it settles for the estimate.
COUNT_CAP = 2000
SEARCH_COUNT_CAP = 1000
# Above this many times the cap in the planner's estimate, no counting scan at all.
ESTIMATE_ONLY_FACTOR = 4
CONNECT_TIMEOUT_S = 5
# How long a call waits for a pooled connection (the database may be restarting) before it fails.
ACQUIRE_TIMEOUT_S = 5.0
_HINT = (
    "Check that PostgreSQL is running and reachable from this engine, and the user, password and "
    "database in GPT_IMAGE_2_DATABASE_URL (or --database-url); unset it to use history.sqlite."
)


# One event: the job's counter row numbers it (made from the events' MAX(seq) on the first append,
# and never behind it), the insert follows in the same statement. The counter's row lock serialises
# the appenders of one job; an unknown job fails the counter's foreign key and writes nothing.
_APPEND_EVENT = (
    "WITH next AS ("
    "INSERT INTO job_event_seq AS c (job_id, seq) "
    "VALUES (%s, COALESCE((SELECT max(seq) FROM job_events WHERE job_id = %s), 0) + 1) "
    "ON CONFLICT (job_id) DO UPDATE SET seq = GREATEST(c.seq, excluded.seq - 1) + 1 RETURNING seq) "
    "INSERT INTO job_events (job_id, seq, kind, event_type, data, created_at) "
    "SELECT %s, next.seq, %s, %s, %s, %s FROM next RETURNING seq"
)


def _closed_by_server(conn: psycopg.Connection[Any]) -> bool:
    """Whether the server has closed this idle pooled connection (a restart, a terminated backend,
    an idle timeout: it sends its reason, then closes, so the socket turns readable). No round trip."""
    if not hasattr(select, "poll"):  # no poll(): the statement finds out (and fails coded)
        return conn.closed
    try:
        for _ in range(4):  # the server's reason first, then the end of the stream
            if conn.closed:
                return True
            poller = select.poll()  # not select(): a busy engine's descriptors may pass FD_SETSIZE
            poller.register(conn.pgconn.socket, select.POLLIN)
            if not poller.poll(0):
                return False
            conn.pgconn.consume_input()  # raises once it reads the end of the stream
    except (OSError, ValueError, psycopg.Error):
        return True
    return conn.closed


class _Executes(Protocol):
    """What a read needs of its connection."""

    def execute(self, query: Any, params: Any = None) -> psycopg.Cursor[Any]: ...


class _Reads:
    """The connection a read uses, as far as reads use it (`execute`). A statement that finds its
    pooled connection closed by the server runs once more on another (the pool's idle connections
    checked first, since a restart closes them all): a read changes nothing, so running it again is
    safe. Each statement of a read is its own snapshot (autocommit) with or without the retry."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self._pool = pool
        self._conn: psycopg.Connection[Any] | None = pool.getconn(timeout=ACQUIRE_TIMEOUT_S)

    def execute(self, query: Any, params: Any = None) -> psycopg.Cursor[Any]:
        conn = self._conn
        assert conn is not None
        try:
            return conn.execute(query, params)
        except psycopg.OperationalError:
            if not conn.closed:
                raise  # a live connection's own error (a cancelled statement): not a lost one
            self._conn = None
            self._pool.putconn(conn)
            self._pool.check()
            self._conn = self._pool.getconn(timeout=ACQUIRE_TIMEOUT_S)
            return self._conn.execute(query, params)

    def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            self._pool.putconn(conn)


def default_owner() -> str:
    """This engine's name on shared rows: GPT_IMAGE_2_ENGINE_ID, else the host name (a pod's name)."""
    return (os.environ.get("GPT_IMAGE_2_ENGINE_ID") or "").strip() or socket.gethostname()


class PostgresHistory(RowStore):
    """Thread-safe history over a connection pool. Writes are single transactions (a `batch()`
    holds one connection for several); reads use any pooled connection. A new job row names this
    engine (`claimed_by`), and `mark_interrupted` takes only this engine's rows and rows no engine
    holds: the rows of other live engines are theirs."""

    PLACEHOLDER = "%s"
    # NO KEY UPDATE: an event append's foreign-key check (KEY SHARE) never waits on a status change.
    LOCK_ROWS = " FOR NO KEY UPDATE"
    INTERRUPTED_CLAUSE = "status = 'failed' AND (gi2_try_jsonb(metadata) ->> 'interrupted_reason') IS NOT NULL"

    def __init__(self, url: str, *, owner: str | None = None, max_size: int = 8) -> None:
        self.url = url
        self.location = display_url(url)
        self.owner = owner or default_owner()
        self._local = threading.local()
        self._closed = False
        self._counter = ThreadPoolExecutor(2, "history-count")
        self._probe()
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
            # A failed refill is given up at once: the next call asks again (and fails coded after
            # ACQUIRE_TIMEOUT_S while the database is away), so no retry loop outlives an outage.
            reconnect_timeout=0,
            name="history",
        )
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S * 2)
        except PoolTimeout as exc:
            self._pool.close()
            raise self.unavailable(exc) from exc
        try:
            self._migrate()
        except BaseException:
            self._pool.close()
            raise

    # --- opening -------------------------------------------------------------------------------

    def unavailable(self, exc: BaseException | None = None) -> AppError:
        detail: dict[str, Any] = {"database_url": self.location, "hint": _HINT}
        if exc is not None:
            detail["error"] = self._scrub(str(exc).strip())
        return AppError(
            "database_unavailable",
            f"The history database {self.location} cannot be reached.",
            detail,
        )

    def _scrub(self, text: str) -> str:
        """`text` (a driver message) without the URL's password, written or percent-decoded."""
        # By hand, not urlsplit: a URL too broken to parse still has its password hidden.
        authority = self.url.partition("://")[2].split("/", 1)[0].split("?", 1)[0]
        raw = authority.rpartition("@")[0].partition(":")[2]
        for secret in {raw, unquote(raw)} - {""}:
            text = text.replace(secret, "***")
        return text

    def _probe(self) -> None:
        """One direct connection first: a wrong password or host fails at once with its reason,
        where the pool would only time out."""
        try:
            conn = psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True)
        except (psycopg.Error, ValueError) as exc:
            raise self.unavailable(exc) from exc
        conn.close()

    def _migrate(self) -> None:
        try:
            with self._pool.connection(timeout=ACQUIRE_TIMEOUT_S) as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                done = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
                for name, sql in MIGRATIONS:
                    if name not in done:
                        conn.execute(sql.encode())  # no parameters: several statements in one call
                        conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (name,))
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise self.unavailable(exc) from exc
        except psycopg.Error as exc:
            raise AppError(
                "history_migration_failed",
                f"The history database {self.location} could not be migrated.",
                {"database_url": self.location, "error": self._scrub(str(exc))},
            ) from exc

    def applied_migrations(self) -> list[str]:
        with self._read() as conn:
            return [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._counter.shutdown(wait=True)
            self._pool.close()

    # --- plumbing ------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise AppError("history_open_failed", f"History database {self.location} is closed.")

    def _error(self, exc: BaseException, failure: str, message: str) -> AppError:
        if isinstance(exc, PoolTimeout | psycopg.OperationalError):
            return self.unavailable(exc)
        return AppError(failure, message, {"error": self._scrub(str(exc))})

    @contextmanager
    def _write(
        self, failure: str = "history_write_failed", *, reindex: Sequence[str] = ()
    ) -> Iterator[psycopg.Connection[Any]]:
        self._check_open()
        held: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        try:
            if held is not None:  # inside `batch()`: part of the caller's transaction, which commits
                yield held  # or rolls back as a whole (no savepoint: two round trips per write saved)
                return
            conn = self._begun()
            try:
                yield conn
            except BaseException:
                if not conn.closed:
                    with suppress(psycopg.Error):
                        conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")
            finally:
                self._pool.putconn(conn)
        except (psycopg.Error, PoolTimeout) as exc:
            raise self._error(exc, failure, "A history write failed.") from exc

    def _begun(self) -> psycopg.Connection[Any]:
        """A pooled connection inside BEGIN. A connection the server closed while it sat in the
        pool fails right at BEGIN, before any statement of the write was sent: it is dropped, the
        other idle ones are checked (a restart closes them all), and BEGIN runs once more on
        another. A failure after BEGIN is never retried: the server rolls an unfinished
        transaction back when its connection breaks, but a broken COMMIT may already have
        committed, and the caller's statements cannot be replayed from here."""
        conn = self._pool.getconn(timeout=ACQUIRE_TIMEOUT_S)
        try:
            conn.execute("BEGIN")
        except psycopg.OperationalError:
            self._pool.putconn(conn)  # closed: the pool discards it
            if not conn.closed:
                raise
            self._pool.check()
            conn = self._pool.getconn(timeout=ACQUIRE_TIMEOUT_S)
            try:
                conn.execute("BEGIN")
            except BaseException:
                self._pool.putconn(conn)
                raise
        return conn

    @contextmanager
    def _write_one(
        self, failure: str = "history_write_failed", *, reindex: Sequence[str] = ()
    ) -> Iterator[psycopg.Connection[Any]]:
        """A write of exactly one statement: autocommit, no BEGIN/COMMIT (one round trip; the
        statement is its own transaction). It cannot be retried once sent (it may have committed),
        so a connection the server already closed is noticed before sending: the server sends its
        reason and closes, which leaves the idle socket readable, a check with no round trip. Inside
        `batch()` it is a write like any other."""
        if getattr(self._local, "conn", None) is not None:
            with self._write(failure, reindex=reindex) as held:
                yield held
            return
        self._check_open()
        try:
            conn = self._pool.getconn(timeout=ACQUIRE_TIMEOUT_S)
            if _closed_by_server(conn):
                conn.close()  # the pool then discards it and makes another
                self._pool.putconn(conn)
                self._pool.check()
                conn = self._pool.getconn(timeout=ACQUIRE_TIMEOUT_S)
            try:
                yield conn
            finally:
                self._pool.putconn(conn)
        except (psycopg.Error, PoolTimeout) as exc:
            raise self._error(exc, failure, "A history write failed.") from exc

    def transaction(self, failure: str = "history_write_failed") -> AbstractContextManager[psycopg.Connection[Any]]:
        """One write transaction's connection, for bulk work (COPY) beside the store's own calls."""
        return self._write(failure)

    @contextmanager
    def _read(self) -> Iterator[_Executes]:
        self._check_open()
        held: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        try:
            if held is not None:
                yield held
                return
            reads = _Reads(self._pool)
            try:
                yield reads
            finally:
                reads.release()
        except (psycopg.Error, PoolTimeout) as exc:
            raise self._error(exc, "history_query_failed", "A history query failed.") from exc

    @contextmanager
    def batch(self, failure: str = "history_write_failed") -> Iterator[None]:
        """Run several writes (`update_job`, `append_event`, ...) in one transaction: all or none."""
        if getattr(self._local, "conn", None) is not None:
            yield  # already inside one
            return
        with self._write(failure) as conn:
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None

    def _in(self, column: str, values: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
        return f"{column} = ANY(?)", (list(values),)

    def _is_duplicate(self, exc: AppError) -> bool:
        return isinstance(exc.__cause__, psycopg.errors.UniqueViolation)

    def _job_owner_columns(self) -> dict[str, Any]:
        return {"claimed_by": self.owner}

    def _interrupt_scope(self) -> tuple[str, tuple[Any, ...]]:
        return " AND (claimed_by IS NULL OR claimed_by = ?)", (self.owner,)

    # --- listing -------------------------------------------------------------------------------

    def _page(self, listing: Listing) -> dict[str, Any]:
        limit, after, clauses, params = listing.limit, listing.after, listing.clauses, listing.params
        if listing.needle:
            clauses.append(f"{SEARCH_EXPR} LIKE ?")
            params.append(f"%{escape_like(listing.needle)}%")
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        page_where, page_params = where, list(params)
        if after is not None:
            page_where = f" WHERE {' AND '.join([*clauses, '(created_at, id) < (?, ?)'])}"
            page_params.extend(after)
        searched = bool(listing.needle)
        pending: Future[tuple[int, bool]] | None = None
        if searched and getattr(self._local, "conn", None) is None:
            # A searched total re-reads rows the page may not touch: count on a second pooled
            # connection while the page is fetched (as history.sqlite does), so the two overlap.
            pending = self._counter.submit(self._total_apart, where, params, searched)
        with self._read() as conn:
            rows = conn.execute(
                self._q(f"SELECT {JOB_COLUMNS} FROM jobs{page_where} ORDER BY created_at DESC, id DESC LIMIT ?"),
                (*page_params, limit + 1),
            ).fetchall()
            has_more = len(rows) > limit
            rows = rows[:limit]
            if not has_more and after is None:
                total, estimated = len(rows), False  # the whole result is on this page
            elif pending is not None:
                total, estimated = pending.result()
            else:
                total, estimated = self._total(conn, where, params, searched)
            uploads = self._uploads(conn, [r[0] for r in rows])
        page = build_page(rows, uploads, has_more, total)
        if estimated:
            page["total_estimated"] = True
        return page

    def _total_apart(self, where: str, params: list[Any], searched: bool) -> tuple[int, bool]:
        with self._read() as conn:
            return self._total(conn, where, params, searched)

    def _total(self, conn: _Executes, where: str, params: list[Any], searched: bool) -> tuple[int, bool]:
        """The planner's estimate when it expects far more rows than the cap (counting a common
        word's hundreds of thousands of matches would cost more than the page); else an exact
        count up to the cap, and the estimate above it."""
        cap = SEARCH_COUNT_CAP if searched else COUNT_CAP
        plan = conn.execute(self._q(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM jobs{where}"), params).fetchone()
        doc = plan[0] if plan else None
        if isinstance(doc, str):
            doc = json.loads(doc)
        estimate = int(doc[0]["Plan"]["Plan Rows"]) if isinstance(doc, list) and doc else 0
        if estimate > cap * ESTIMATE_ONLY_FACTOR:
            return estimate, True
        row = conn.execute(
            self._q(f"SELECT count(*) FROM (SELECT 1 FROM jobs{where} LIMIT {cap + 1}) AS capped"), params
        ).fetchone()
        counted = int(row[0]) if row else 0
        if counted <= cap:
            return counted, False
        return max(estimate, cap + 1), True

    # --- events and uploads --------------------------------------------------------------------

    def append_event(self, job_id: str, kind: str, event_type: str, data: dict[str, Any]) -> tuple[int, str]:
        created_at = now_ts()
        with self._write_one() as conn:
            try:
                row = conn.execute(
                    _APPEND_EVENT, (job_id, job_id, job_id, kind, event_type, dumps(data), created_at)
                ).fetchone()
            except psycopg.errors.ForeignKeyViolation:  # no such job: nothing written
                raise self._not_found(job_id) from None
        assert row is not None
        return int(row[0]), created_at

    # --- signed-out web sessions (not job history: the one store every engine shares) ----------

    def revoke_web_session(self, session_id: str, expires_at: int) -> None:
        """Record a signed-out session until `expires_at` (unix s); drops records past theirs."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO revoked_web_sessions (id, expires_at) VALUES (%s, %s) "
                "ON CONFLICT (id) DO UPDATE SET expires_at = GREATEST(revoked_web_sessions.expires_at, excluded.expires_at)",
                (session_id, expires_at),
            )
            conn.execute("DELETE FROM revoked_web_sessions WHERE expires_at < %s", (int(time.time()),))

    def web_session_revoked(self, session_id: str) -> bool:
        with self._read() as conn:
            row = conn.execute("SELECT 1 FROM revoked_web_sessions WHERE id = %s", (session_id,)).fetchone()
        return row is not None
