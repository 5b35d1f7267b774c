"""The history in PostgreSQL: the `HistoryStore` several engines share.

Chosen with `GPT_IMAGE_2_DATABASE_URL=postgresql://...` (or `serve --database-url`). Same semantics
as history.sqlite (the job JSON, events numbered per job, uploads, soft deletes, cursors, the
upstream's substring search) over the schema in `postgres_schema`. psycopg 3 with a
`psycopg_pool.ConnectionPool`: every connection is checked before use, so an engine whose database
restarted reconnects by itself; while it is gone, calls fail `database_unavailable` and a write
never lands half (each is one transaction). Search is served by a pg_trgm GIN index on the same
expression the query filters on. A listing's `total` is exact up to `COUNT_CAP` matching rows
(when the planner does not already expect far more); above that it is the planner's estimate
(`total_estimated: true`), so a first page on a million jobs stays in milliseconds.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Self
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool, PoolTimeout

from gpt_image_engine.errors import AppError
from gpt_image_engine.store.history.base import (
    ACTIVE_STATUSES,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    STATUS_GROUPS,
    interrupted_error,
    now_ts,
)
from gpt_image_engine.store.history.cursors import decode_cursor, escape_like
from gpt_image_engine.store.history.postgres_schema import MIGRATION_LOCK, MIGRATIONS, SEARCH_EXPR
from gpt_image_engine.store.history.shaping import (
    JOB_COLUMNS,
    UPLOAD_COLUMNS,
    build_page,
    dumps,
    json_loads,
    patched_metadata,
    row_to_job,
    uploads_by_job,
)

__all__ = ["COUNT_CAP", "PostgresHistory", "display_url"]

# Totals are counted exactly up to this many matching rows, estimated above.
COUNT_CAP = 2000
# Above this many times the cap, the estimate alone is used (no counting scan at all).
ESTIMATE_ONLY_FACTOR = 4
CONNECT_TIMEOUT_S = 5
# How long a call waits for a pooled connection (the database may be restarting) before it fails.
ACQUIRE_TIMEOUT_S = 5.0
_SECRET_PARAMS = frozenset({"password", "sslpassword", "passfile", "sslkey"})
_HINT = (
    "Check that PostgreSQL is running and reachable from this engine, and the user, password and "
    "database in GPT_IMAGE_2_DATABASE_URL (or --database-url); unset it to use history.sqlite."
)


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
        netloc = f"{user}:[redacted]@{hostport}" if sep else f"{user}@{hostport}"
    query = urlencode(
        [(k, "[redacted]" if k.lower() in _SECRET_PARAMS else v) for k, v in parse_qsl(parts.query)],
        quote_via=quote,
        safe="[]/",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def default_owner() -> str:
    """This engine's name on shared rows: GPT_IMAGE_2_ENGINE_ID, else the host name (a pod's name)."""
    return (os.environ.get("GPT_IMAGE_2_ENGINE_ID") or "").strip() or socket.gethostname()


class PostgresHistory:
    """Thread-safe history over a connection pool. Writes are single transactions (a `batch()`
    holds one connection for several); reads use any pooled connection."""

    def __init__(self, url: str, *, owner: str | None = None, max_size: int = 8) -> None:
        self.url = url
        self.location = display_url(url)
        self.owner = owner or default_owner()
        self._local = threading.local()
        self._closed = False
        self._probe()
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
            check=ConnectionPool.check_connection,
            reconnect_timeout=0,  # keep trying to refill while the database is away
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
        password = urlsplit(self.url).password if "://" in self.url else None
        return text.replace(password, "[redacted]") if password else text

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
            self._pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise AppError("history_open_failed", f"History database {self.location} is closed.")

    def _error(self, exc: BaseException, failure: str, message: str) -> AppError:
        if isinstance(exc, PoolTimeout | psycopg.OperationalError):
            return self.unavailable(exc)
        return AppError(failure, message, {"error": self._scrub(str(exc))})

    @contextmanager
    def _write(self, failure: str = "history_write_failed") -> Iterator[psycopg.Connection[Any]]:
        self._check_open()
        held: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        try:
            if held is not None:  # inside `batch()`: a savepoint in the caller's transaction
                with held.transaction():
                    yield held
                return
            with self._pool.connection(timeout=ACQUIRE_TIMEOUT_S) as conn, conn.transaction():
                yield conn
        except (psycopg.Error, PoolTimeout) as exc:
            raise self._error(exc, failure, "A history write failed.") from exc

    def transaction(self, failure: str = "history_write_failed") -> AbstractContextManager[psycopg.Connection[Any]]:
        """One write transaction's connection, for bulk work (COPY) beside the store's own calls."""
        return self._write(failure)

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[Any]]:
        self._check_open()
        held: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        try:
            if held is not None:
                yield held
                return
            with self._pool.connection(timeout=ACQUIRE_TIMEOUT_S) as conn:
                yield conn
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
        """Insert a job row; returns the job JSON (None with `fetch=False`). The row names this
        engine as its holder (`claimed_by`), so a restart of another engine leaves it alone."""
        try:
            with self._write() as conn:
                conn.execute(
                    "INSERT INTO jobs (id, command, provider, status, output_path, created_at, metadata, claimed_by) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (job_id, command, provider, status, output_path, now_ts(), dumps(dict(metadata or {})), self.owner),
                )
                return self._job(conn, job_id) if fetch else None
        except AppError as exc:
            if isinstance(exc.__cause__, psycopg.errors.UniqueViolation):
                raise AppError(
                    "history_write_failed", f"A job with id {job_id} already exists.", {"job_id": job_id}
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
        with self._write() as conn:
            row = conn.execute("SELECT metadata FROM jobs WHERE id = %s FOR NO KEY UPDATE", (job_id,)).fetchone()
            if row is None:
                raise self._not_found(job_id)
            conn.execute(
                "UPDATE jobs SET status = COALESCE(%s, status), provider = COALESCE(%s, provider), "
                "output_path = COALESCE(%s, output_path), metadata = %s WHERE id = %s",
                (status, provider, output_path, patched_metadata(row[0], metadata_patch, error, now_ts()), job_id),
            )
            return self._job(conn, job_id) if fetch else None

    def get_job(self, job_id: str) -> dict[str, Any]:
        with self._read() as conn:
            return self._job(conn, job_id)

    def _job(self, conn: psycopg.Connection[Any], job_id: str) -> dict[str, Any]:
        row = conn.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = %s", (job_id,)).fetchone()
        if row is None:
            raise self._not_found(job_id)
        return row_to_job(row, self._uploads(conn, [job_id]).get(job_id, []))

    def _uploads(self, conn: psycopg.Connection[Any], job_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        if not job_ids:
            return {}
        return uploads_by_job(
            conn.execute(
                f"SELECT {UPLOAD_COLUMNS} FROM output_uploads WHERE job_id = ANY(%s) "
                "ORDER BY job_id, output_index, target",
                (list(job_ids),),
            )
        )

    def delete_job(self, job_id: str) -> int:
        with self._write("history_delete_failed") as conn:
            row = conn.execute("SELECT status FROM jobs WHERE id = %s FOR NO KEY UPDATE", (job_id,)).fetchone()
            if row is None:
                raise self._not_found(job_id)
            if row[0] in ("queued", "running"):
                raise AppError(
                    "job_running", f"Job {job_id} is {row[0]}; cancel it first.", {"job_id": job_id, "status": row[0]}
                )
            removed = 0
            for table, column in (("job_events", "job_id"), ("output_uploads", "job_id"), ("jobs", "id")):
                removed += conn.execute(f"DELETE FROM {table} WHERE {column} = %s", (job_id,)).rowcount
            return removed

    def soft_delete_job(self, job_id: str) -> dict[str, Any]:
        """Hide a finished job from listings (the upstream's trash); `restore_job` brings it back."""
        return self._set_deleted(job_id, now_ts())

    def restore_job(self, job_id: str) -> dict[str, Any]:
        return self._set_deleted(job_id, None)

    def _set_deleted(self, job_id: str, when: str | None) -> dict[str, Any]:
        with self._write("history_delete_failed") as conn:
            row = conn.execute("SELECT status FROM jobs WHERE id = %s FOR NO KEY UPDATE", (job_id,)).fetchone()
            if row is None:
                raise self._not_found(job_id)
            if when is not None and row[0] in ("queued", "running"):
                raise AppError(
                    "job_running", f"Job {job_id} is {row[0]}; cancel it first.", {"job_id": job_id, "status": row[0]}
                )
            conn.execute("UPDATE jobs SET deleted_at = %s WHERE id = %s", (when, job_id))
            return self._job(conn, job_id)

    def active_jobs(self) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE status = ANY(%s) AND deleted_at IS NULL "
                "ORDER BY created_at DESC, id DESC",
                (list(ACTIVE_STATUSES),),
            ).fetchall()
            uploads = self._uploads(conn, [r[0] for r in rows])
            return [row_to_job(r, uploads.get(r[0], [])) for r in rows]

    def mark_interrupted(self, reason: str) -> list[str]:
        """Fail every queued/running/uploading row this engine held (or no engine holds): the
        process that ran it is gone. Rows other live engines hold are theirs."""
        now = now_ts()
        error = interrupted_error(reason)
        with self._write() as conn:
            rows = conn.execute(
                "SELECT id, metadata FROM jobs WHERE status = ANY(%s) AND (claimed_by IS NULL OR claimed_by = %s) "
                "ORDER BY created_at, id FOR NO KEY UPDATE",
                (list(ACTIVE_STATUSES), self.owner),
            ).fetchall()
            for job_id, text in rows:
                meta = json_loads(text, {})
                if not isinstance(meta, dict):
                    meta = {}
                meta.update(interrupted_reason=reason, error=error, updated_at=now)
                conn.execute(
                    "UPDATE jobs SET status = 'failed', metadata = %s, lease_until = NULL WHERE id = %s",
                    (dumps(meta), job_id),
                )
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
        statuses = STATUS_GROUPS.get(group, ())
        if statuses:
            clauses.append("status = ANY(%s)")
            params.append(list(statuses))
        if group == "interrupted":  # failed rows a stopped engine left behind (the upstream's /jobs/interrupted)
            clauses.append("status = 'failed' AND (gi2_try_jsonb(metadata) ->> 'interrupted_reason') IS NOT NULL")
        if not include_deleted:
            clauses.append("deleted_at IS NULL")
        needle = (query or "").strip().lower()
        if needle:
            clauses.append(f"{SEARCH_EXPR} LIKE %s")
            params.append(f"%{escape_like(needle)}%")
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        page_where, page_params = where, list(params)
        if after is not None:
            page_where = f" WHERE {' AND '.join([*clauses, '(created_at, id) < (%s, %s)'])}"
            page_params.extend(after)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs{page_where} ORDER BY created_at DESC, id DESC LIMIT %s",
                (*page_params, limit + 1),
            ).fetchall()
            has_more = len(rows) > limit
            rows = rows[:limit]
            if not has_more and after is None:
                total, estimated = len(rows), False  # the whole result is on this page
            else:
                total, estimated = self._total(conn, where, params)
            uploads = self._uploads(conn, [r[0] for r in rows])
        page = build_page(rows, uploads, has_more, total)
        if estimated:
            page["total_estimated"] = True
        return page

    def _total(self, conn: psycopg.Connection[Any], where: str, params: list[Any]) -> tuple[int, bool]:
        """The planner's estimate when it says the result is far beyond COUNT_CAP (counting a
        common word's hundreds of thousands of rows would cost more than the page); else an exact
        count up to the cap, and the estimate above it."""
        plan = conn.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM jobs{where}", params).fetchone()
        doc = plan[0] if plan else None
        if isinstance(doc, str):
            doc = json.loads(doc)
        estimate = int(doc[0]["Plan"]["Plan Rows"]) if isinstance(doc, list) and doc else 0
        if estimate > COUNT_CAP * ESTIMATE_ONLY_FACTOR:
            return estimate, True
        row = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM jobs{where} LIMIT {COUNT_CAP + 1}) AS capped", params
        ).fetchone()
        counted = int(row[0]) if row else 0
        if counted <= COUNT_CAP:
            return counted, False
        return max(estimate, COUNT_CAP + 1), True

    # --- events and uploads --------------------------------------------------------------------

    def append_event(self, job_id: str, kind: str, event_type: str, data: dict[str, Any]) -> tuple[int, str]:
        created_at = now_ts()
        with self._write() as conn:
            # One appender per job at a time (a transaction-scoped lock on the id, not the row, so
            # a queue's SKIP LOCKED claim never waits on an event write).
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (job_id,))
            if conn.execute("SELECT 1 FROM jobs WHERE id = %s", (job_id,)).fetchone() is None:
                raise self._not_found(job_id)
            row = conn.execute(
                "INSERT INTO job_events (job_id, seq, kind, event_type, data, created_at) "
                "SELECT %s, COALESCE(MAX(seq), 0) + 1, %s, %s, %s, %s FROM job_events WHERE job_id = %s "
                "RETURNING seq",
                (job_id, kind, event_type, dumps(data), created_at, job_id),
            ).fetchone()
        return (int(row[0]) if row else 0), created_at

    def upsert_upload(self, record: dict[str, Any]) -> None:
        """Insert or replace one output upload row (the upstream's `output_uploads`)."""
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO output_uploads ({UPLOAD_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (job_id, output_index, target) DO UPDATE SET target_type = excluded.target_type, "
                "status = excluded.status, url = excluded.url, error = excluded.error, bytes = excluded.bytes, "
                "attempts = excluded.attempts, updated_at = excluded.updated_at, metadata = excluded.metadata",
                (
                    record["job_id"], record["output_index"], record["target"], record["target_type"],
                    record["status"], record.get("url"), record.get("error"), record.get("bytes"),
                    int(record.get("attempts") or 0), record.get("updated_at") or now_ts(),
                    dumps(record.get("metadata") or {}),
                ),
            )  # fmt: skip

    def uploads(self, job_id: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            return self._uploads(conn, [job_id]).get(job_id, [])

    def events(self, job_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT seq, kind, event_type, data, created_at FROM job_events WHERE job_id = %s AND seq > %s "
                "ORDER BY seq",
                (job_id, after_seq),
            ).fetchall()
        return [
            {"seq": int(r[0]), "kind": r[1], "type": r[2], "data": json_loads(r[3], {}), "created_at": r[4]}
            for r in rows
        ]
