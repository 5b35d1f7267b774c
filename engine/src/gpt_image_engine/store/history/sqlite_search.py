"""history.sqlite's search index: an FTS5 trigram index kept beside the upstream's tables.

Search (`--query`) keeps the upstream's semantics (case-insensitive substring over id, command,
provider and the metadata JSON) but is served from an FTS5 trigram index when SQLite has one
(3.34+). Plain SQLite triggers on `jobs` (m003; in the file, so they also fire for rows the
upstream's tools write, and need no extension there) queue changed ids in `jobs_search_dirty`; the
engine folds that queue into `jobs_search` (a stable-rowid copy of the searchable text) and the
external-content FTS table `jobs_fts` inside its own write transactions and before a search.
Needles shorter than three characters, or an SQLite without FTS5, fall back to the LIKE scan.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from gpt_image_engine.store.history.shaping import dumps

# The searchable text of one row: lowered (ASCII only, like LIKE) and joined by a separator that
# never occurs in JSON text, so a match never spans two columns.
SEARCH_BODY = "lower(id || char(31) || command || char(31) || provider || char(31) || COALESCE(metadata, ''))"
SEARCH_SEP = "\x1f"

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


def ensure_search_index(conn: sqlite3.Connection) -> None:
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


def sync_search(conn: sqlite3.Connection, ids: Sequence[str] | None = None, limit: int = 0) -> int:
    """Re-index `ids`, or up to `limit` queued ids, inside the caller's write transaction. Set-based:
    one row of a status change and a 2,000-row chunk of a back-fill take the same five statements.
    Returns how many queued ids were taken."""
    params: tuple[str, ...]
    if ids is not None:
        if not ids:
            return 0
        chosen, params = "(SELECT value FROM json_each(?))", (dumps(list(ids)),)
    else:
        chosen, params = f"(SELECT job_id FROM jobs_search_dirty ORDER BY job_id LIMIT {int(limit)})", ()
    conn.execute(
        "INSERT INTO jobs_fts (jobs_fts, rowid, body) SELECT 'delete', rowid, body FROM jobs_search "
        f"WHERE job_id IN {chosen}",
        params,
    )
    conn.execute(f"DELETE FROM jobs_search WHERE job_id IN {chosen}", params)
    conn.execute(
        f"INSERT INTO jobs_search (job_id, body) SELECT id, {SEARCH_BODY} FROM jobs WHERE id IN {chosen}", params
    )
    conn.execute(
        f"INSERT INTO jobs_fts (rowid, body) SELECT rowid, body FROM jobs_search WHERE job_id IN {chosen}", params
    )
    return int(conn.execute(f"DELETE FROM jobs_search_dirty WHERE job_id IN {chosen}", params).rowcount)


# Up to this many queued rows are indexed at once (at open, before a search); a bigger backlog (a
# large history written by another program) is indexed in chunks on a background thread while
# searches use the LIKE scan, so neither the engine's start nor its writes wait for it.
INLINE_CATCH_UP = 5000
CHUNK = 2000

# The engine's own writes leave their ids in the trigger-fed queue and fold them into the index
# together, once this many are pending (or before a search, or at close): a job is written three
# or more times in a few seconds (queued, running, finished), and indexing each version of its
# metadata was most of a status update's cost. A search never sees a stale index: it folds the
# queue in first (`_catch_up`).
DEFER_REINDEX = 64

# Searches whose index estimate is at most this many rows read their ids from the index; beyond it
# the ordered LIKE scan finds a page sooner than sorting every hit.
FTS_SMALL = 2000


@dataclass
class SearchPlan:
    """`ids`: the exact matching job ids (the page and total filter on them); `matches`: the exact
    number of matching rows, deleted or not, when the page is left to the ordered LIKE scan."""

    ids: list[str] | None = None
    matches: int | None = None
