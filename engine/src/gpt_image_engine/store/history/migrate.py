"""`gpt-image-2-engine migrate-history --to postgresql://...`: copy a history.sqlite into PostgreSQL.

The SQLite file is opened read-only and checked like the engine checks it (a foreign or broken
file is refused untouched). The target is migrated to the current schema and must hold no jobs
(`history_target_not_empty`: nothing is merged or overwritten). Jobs, events and upload rows
travel by COPY inside one transaction, and the rows in PostgreSQL are counted per table before it
commits: any difference rolls everything back (`history_migration_failed`). Event and upload
rows whose job no longer exists (SQLite does not enforce the foreign key unless asked) cannot be
kept under PostgreSQL's; they are left out and counted in the report.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from gpt_image_engine.errors import AppError
from gpt_image_engine.store.history.postgres import PostgresHistory
from gpt_image_engine.store.history.shaping import JOB_COLUMNS, UPLOAD_COLUMNS
from gpt_image_engine.store.history.sqlite import open_error, validate_sqlite_file

__all__ = ["copy_sqlite_to_postgres"]

_EVENT_COLUMNS = "job_id, seq, kind, event_type, data, created_at"
_TABLES = ("jobs", "job_events", "output_uploads")


def _source_queries(has_deleted_at: bool) -> dict[str, str]:
    jobs_cols = JOB_COLUMNS if has_deleted_at else JOB_COLUMNS.replace("deleted_at", "NULL")
    owned = "WHERE job_id IN (SELECT id FROM jobs)"
    return {
        "jobs": f"SELECT {jobs_cols} FROM jobs ORDER BY created_at, id",
        "job_events": f"SELECT {_EVENT_COLUMNS} FROM job_events {owned} ORDER BY job_id, seq",
        "output_uploads": f"SELECT {UPLOAD_COLUMNS} FROM output_uploads {owned} ORDER BY job_id, output_index, target",
    }


def copy_sqlite_to_postgres(source: Path, url: str) -> dict[str, Any]:
    """Copy every row; returns {"from", "to", "copied": {table: n}, "skipped_orphans": {table: n}}."""
    if not source.is_file():
        raise AppError(
            "history_open_failed",
            f"History database {source} does not exist.",
            {"history_file": str(source), "hint": "Pass --from PATH or set GPT_IMAGE_2_HISTORY_FILE."},
        )
    validate_sqlite_file(source)
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise open_error(source, "could not be opened read-only", exc) from exc
    try:
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "jobs" not in tables:
            raise AppError("history_open_failed", f"History database {source} has no jobs table.", {})
        has_deleted_at = "deleted_at" in {r[1] for r in src.execute("PRAGMA table_info(jobs)")}
        queries = {t: q for t, q in _source_queries(has_deleted_at).items() if t in tables}
        in_source = {t: int(src.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in queries}
        target = PostgresHistory(url, max_size=1)
        try:
            copied = _copy(src, target, queries)
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise AppError(
            "history_query_failed", f"History database {source} could not be read.", {"error": str(exc)}
        ) from exc
    finally:
        src.close()
    return {
        "from": str(source),
        "to": target.location,
        "copied": copied,
        "skipped_orphans": {t: in_source[t] - copied.get(t, 0) for t in in_source if t != "jobs"},
    }


def _copy(src: sqlite3.Connection, target: PostgresHistory, queries: dict[str, str]) -> dict[str, int]:
    columns = {"jobs": JOB_COLUMNS, "job_events": _EVENT_COLUMNS, "output_uploads": UPLOAD_COLUMNS}
    expected: dict[str, int] = {}
    with target.transaction("history_migration_failed") as conn:
        held = conn.execute("SELECT (SELECT COUNT(*) FROM jobs) + (SELECT COUNT(*) FROM job_events)").fetchone()
        if held and int(held[0]) > 0:
            raise AppError(
                "history_target_not_empty",
                f"The database {target.location} already holds jobs; migrate-history only fills an empty one.",
                {
                    "database_url": target.location,
                    "hint": "Point --to at a new database (CREATE DATABASE ...), or empty this one first.",
                },
            )
        for table, query in queries.items():
            n = 0
            with conn.cursor().copy(f"COPY {table} ({columns[table]}) FROM STDIN") as copy:
                for row in src.execute(query):
                    copy.write_row(row)
                    n += 1
            expected[table] = n
        counted = {t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in expected}  # type: ignore[index]
        if counted != expected:
            raise AppError(
                "history_migration_failed",
                "The copied row counts differ from the source; nothing was kept.",
                {"expected": expected, "counted": counted},
            )
    return counted
