"""What history.sqlite and PostgreSQL do alike: the row operations, written once.

`RowStore` holds every `HistoryStore` call whose SQL is the same on both databases (create, update,
get, delete, soft delete, active jobs, interruption, uploads, events). A backend supplies its
transactions (`_write`, `_read`), its placeholder, how it locks a row it is about to rewrite, and
the few clauses that differ; listing/search and event numbering stay in each backend, where the
two databases really differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Self

from gpt_image_engine.errors import AppError
from gpt_image_engine.store.history.base import (
    ACTIVE_STATUSES,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    STATUS_GROUPS,
    interrupted_error,
    now_ts,
)
from gpt_image_engine.store.history.cursors import decode_cursor
from gpt_image_engine.store.history.shaping import (
    JOB_COLUMNS,
    UPLOAD_COLUMNS,
    dumps,
    json_loads,
    patched_metadata,
    row_to_job,
    uploads_by_job,
)

_UPSERT_UPLOAD = (
    f"INSERT INTO output_uploads ({UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (job_id, output_index, target) DO UPDATE SET target_type = excluded.target_type, "
    "status = excluded.status, url = excluded.url, error = excluded.error, bytes = excluded.bytes, "
    "attempts = excluded.attempts, updated_at = excluded.updated_at, metadata = excluded.metadata"
)


@dataclass
class Listing:
    """One `list_jobs` call, normalised: the row filters every backend applies (`clauses` with `?`
    parameters in `params`), the lowered search needle each backend serves its own way, and the
    page position."""

    limit: int
    after: tuple[str, str] | None
    statuses: tuple[str, ...]
    needle: str
    include_deleted: bool
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)


class RowStore:
    """The shared half of a history store. SQL here is written with `?` placeholders; `_q` turns
    them into the backend's."""

    #: The DB-API placeholder of the backend's driver.
    PLACEHOLDER = "?"
    #: Appended to a SELECT whose rows the transaction then rewrites.
    LOCK_ROWS = ""
    #: `status=interrupted`: failed rows a stopped engine left behind (the upstream's /jobs/interrupted).
    INTERRUPTED_CLAUSE = ""

    # --- what a backend provides ---------------------------------------------------------------

    def _write(
        self, failure: str = "history_write_failed", *, reindex: Sequence[str] = ()
    ) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _write_one(
        self, failure: str = "history_write_failed", *, reindex: Sequence[str] = ()
    ) -> AbstractContextManager[Any]:
        """`_write` for a body of exactly one statement (a backend may run it without BEGIN/COMMIT)."""
        return self._write(failure, reindex=reindex)

    def _in(self, column: str, values: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
        """`column` is one of `values`, as SQL and its parameters."""
        raise NotImplementedError

    def _is_duplicate(self, exc: AppError) -> bool:
        """Whether a failed insert hit the primary key."""
        raise NotImplementedError

    def _job_owner_columns(self) -> dict[str, Any]:
        """Extra columns a new job row gets (the engine that holds it, in a shared database)."""
        return {}

    def _interrupt_scope(self) -> tuple[str, tuple[Any, ...]]:
        """Which active rows `mark_interrupted` may take (SQL starting with AND, and parameters)."""
        return "", ()

    def _page(self, listing: Listing) -> dict[str, Any]:
        """The page for a normalised listing (search applied the backend's way)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # --- plumbing ------------------------------------------------------------------------------

    def _q(self, sql: str) -> str:
        return sql if self.PLACEHOLDER == "?" else sql.replace("?", self.PLACEHOLDER)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _not_found(job_id: str) -> AppError:
        return AppError("history_not_found", f"No job with id {job_id}.", {"job_id": job_id})

    def _refuse_running(self, job_id: str, status: str) -> None:
        if status in ("queued", "running"):
            raise AppError(
                "job_running", f"Job {job_id} is {status}; cancel it first.", {"job_id": job_id, "status": status}
            )

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
        extra = self._job_owner_columns()
        columns = ", ".join(["id, command, provider, status, output_path, created_at, metadata", *extra])
        values = (
            job_id,
            command,
            provider,
            status,
            output_path,
            now_ts(),
            dumps(dict(metadata or {})),
            *extra.values(),
        )
        marks = ", ".join("?" * len(values))
        try:
            if not fetch:  # the INSERT alone (its search-queue trigger is part of the statement)
                with self._write_one(reindex=[job_id]) as conn:
                    conn.execute(self._q(f"INSERT INTO jobs ({columns}) VALUES ({marks})"), values)
                return None
            with self._write(reindex=[job_id]) as conn:
                conn.execute(self._q(f"INSERT INTO jobs ({columns}) VALUES ({marks})"), values)
                return self._job(conn, job_id)
        except AppError as exc:
            if self._is_duplicate(exc):
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
        with self._write(reindex=[job_id]) as conn:
            row = conn.execute(self._q(f"SELECT metadata FROM jobs WHERE id = ?{self.LOCK_ROWS}"), (job_id,)).fetchone()
            if row is None:
                raise self._not_found(job_id)
            conn.execute(
                self._q(
                    "UPDATE jobs SET status = COALESCE(?, status), provider = COALESCE(?, provider), "
                    "output_path = COALESCE(?, output_path), metadata = ? WHERE id = ?"
                ),
                (status, provider, output_path, patched_metadata(row[0], metadata_patch, error, now_ts()), job_id),
            )
            return self._job(conn, job_id) if fetch else None

    def get_job(self, job_id: str) -> dict[str, Any]:
        with self._read() as conn:
            return self._job(conn, job_id)

    def _job(self, conn: Any, job_id: str) -> dict[str, Any]:
        row = conn.execute(self._q(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"), (job_id,)).fetchone()
        if row is None:
            raise self._not_found(job_id)
        return row_to_job(row, self._uploads(conn, [job_id]).get(job_id, []))

    def _uploads(self, conn: Any, job_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        if not job_ids:
            return {}
        chosen, params = self._in("job_id", job_ids)
        return uploads_by_job(
            conn.execute(
                self._q(
                    f"SELECT {UPLOAD_COLUMNS} FROM output_uploads WHERE {chosen} ORDER BY job_id, output_index, target"
                ),
                params,
            )
        )

    def delete_job(self, job_id: str) -> int:
        with self._write("history_delete_failed", reindex=[job_id]) as conn:
            row = conn.execute(self._q(f"SELECT status FROM jobs WHERE id = ?{self.LOCK_ROWS}"), (job_id,)).fetchone()
            if row is None:
                raise self._not_found(job_id)
            self._refuse_running(job_id, row[0])
            removed = 0
            for table, column in (("job_events", "job_id"), ("output_uploads", "job_id"), ("jobs", "id")):
                removed += conn.execute(self._q(f"DELETE FROM {table} WHERE {column} = ?"), (job_id,)).rowcount
            return int(removed)

    def soft_delete_job(self, job_id: str) -> dict[str, Any]:
        """Hide a finished job from listings (the upstream's trash); `restore_job` brings it back."""
        return self._set_deleted(job_id, now_ts())

    def restore_job(self, job_id: str) -> dict[str, Any]:
        return self._set_deleted(job_id, None)

    def _set_deleted(self, job_id: str, when: str | None) -> dict[str, Any]:
        with self._write("history_delete_failed") as conn:
            row = conn.execute(self._q(f"SELECT status FROM jobs WHERE id = ?{self.LOCK_ROWS}"), (job_id,)).fetchone()
            if row is None:
                raise self._not_found(job_id)
            if when is not None:
                self._refuse_running(job_id, row[0])
            conn.execute(self._q("UPDATE jobs SET deleted_at = ? WHERE id = ?"), (when, job_id))
            return self._job(conn, job_id)

    def active_jobs(self) -> list[dict[str, Any]]:
        active, params = self._in("status", ACTIVE_STATUSES)
        with self._read() as conn:
            rows = conn.execute(
                self._q(
                    f"SELECT {JOB_COLUMNS} FROM jobs WHERE {active} AND deleted_at IS NULL ORDER BY created_at DESC, id DESC"
                ),
                params,
            ).fetchall()
            uploads = self._uploads(conn, [r[0] for r in rows])
            return [row_to_job(r, uploads.get(r[0], [])) for r in rows]

    def mark_interrupted(self, reason: str) -> list[str]:
        """Fail every queued/running/uploading row this engine is responsible for: the process
        that ran it is gone."""
        now = now_ts()
        error = interrupted_error(reason)
        active, params = self._in("status", ACTIVE_STATUSES)
        scope, scope_params = self._interrupt_scope()
        ids: list[str] = []  # filled before the transaction ends, which re-indexes them
        with self._write(reindex=ids) as conn:
            rows = conn.execute(
                self._q(f"SELECT id, metadata FROM jobs WHERE {active}{scope} ORDER BY created_at, id{self.LOCK_ROWS}"),
                (*params, *scope_params),
            ).fetchall()
            for job_id, text in rows:
                meta = json_loads(text, {})
                if not isinstance(meta, dict):
                    meta = {}
                meta.update(interrupted_reason=reason, error=error, updated_at=now)
                conn.execute(
                    self._q("UPDATE jobs SET status = 'failed', metadata = ? WHERE id = ?"),
                    (dumps(meta), job_id),
                )
            ids.extend(str(r[0]) for r in rows)
        return ids

    # --- listing -------------------------------------------------------------------------------

    def list_jobs(
        self,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        status: str | None = None,
        query: str | None = None,
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        group = (status or "").strip().lower()
        listing = Listing(
            limit=max(1, min(MAX_LIMIT, int(limit))),
            after=decode_cursor(cursor) if cursor else None,
            statuses=STATUS_GROUPS.get(group, ()),
            needle=(query or "").strip().lower(),
            include_deleted=include_deleted,
        )
        if listing.statuses:
            chosen, params = self._in("status", listing.statuses)
            listing.clauses.append(chosen)
            listing.params.extend(params)
        if group == "interrupted":
            listing.clauses.append(self.INTERRUPTED_CLAUSE)
        if not include_deleted:
            listing.clauses.append("deleted_at IS NULL")
        return self._page(listing)

    # --- uploads and events --------------------------------------------------------------------

    def upsert_upload(self, record: dict[str, Any]) -> None:
        """Insert or replace one output upload row (the upstream's `output_uploads`)."""
        with self._write() as conn:
            conn.execute(
                self._q(_UPSERT_UPLOAD),
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
                self._q(
                    "SELECT seq, kind, event_type, data, created_at FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq"
                ),
                (job_id, after_seq),
            ).fetchall()
        return [
            {"seq": int(r[0]), "kind": r[1], "type": r[2], "data": json_loads(r[3], {}), "created_at": r[4]}
            for r in rows
        ]
