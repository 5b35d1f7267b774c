"""The history store: jobs, their event logs and upload rows, behind one seam.

`HistoryStore` (in `base`) is what the rest of the engine calls. Two implementations:

- `History` (`sqlite`): history.sqlite, the embedded default, in the upstream's schema
  (`sqlite_schema`) with a trigram search index beside it (`sqlite_search`);
- `PostgresHistory` (`postgres`): a PostgreSQL database shared by several engines
  (`postgres_schema`), chosen with `GPT_IMAGE_2_DATABASE_URL=postgresql://...`.

Both shape rows into the same job JSON (`shaping`) and page with the same opaque cursors
(`cursors`). `open_history` picks one from the settings; `migrate` copies a SQLite history into
PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from gpt_image_engine.errors import AppError
from gpt_image_engine.store.history.base import (
    ACTIVE_STATUSES,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PAGE_BYTES,
    ROW_BYTES,
    SUMMARY_CHARS,
    HistoryStore,
    new_job_id,
    now_ts,
)
from gpt_image_engine.store.history.cursors import decode_cursor, encode_cursor
from gpt_image_engine.store.history.shaping import storage_status, summarise_job
from gpt_image_engine.store.history.sqlite import History
from gpt_image_engine.store.history.sqlite_schema import MIGRATIONS
from gpt_image_engine.store.history.sqlite_search import fts_trigram_available

POSTGRES_SCHEMES = ("postgresql", "postgres")


def open_history(history_file: Path, database_url: str | None = None) -> HistoryStore:
    """The engine's store: PostgreSQL when `database_url` is set (`GPT_IMAGE_2_DATABASE_URL`),
    else the history.sqlite file."""
    if not database_url:
        return History(history_file)
    scheme = database_url.partition("://")[0].lower()
    if scheme not in POSTGRES_SCHEMES:
        raise AppError(
            "invalid_argument",
            "GPT_IMAGE_2_DATABASE_URL must be a postgresql:// URL.",
            {"scheme": scheme, "hint": "Unset it to keep the history in history.sqlite."},
        )
    from gpt_image_engine.store.history.postgres import PostgresHistory

    return PostgresHistory(database_url)


__all__ = [
    "ACTIVE_STATUSES",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MIGRATIONS",
    "PAGE_BYTES",
    "ROW_BYTES",
    "SUMMARY_CHARS",
    "History",
    "HistoryStore",
    "decode_cursor",
    "encode_cursor",
    "fts_trigram_available",
    "new_job_id",
    "now_ts",
    "open_history",
    "storage_status",
    "summarise_job",
]
