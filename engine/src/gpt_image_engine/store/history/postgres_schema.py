"""The PostgreSQL history schema: forward-only named migrations, recorded in `schema_migrations`.

The tables mirror history.sqlite's (the upstream's columns, timestamps as unix-second strings,
metadata as JSON text) so a SQLite history copies across row for row and both backends shape the
same job JSON. Text that is sorted or compared is `COLLATE "C"` (byte order, like SQLite, whatever
the database's locale), which also makes `lower()` fold ASCII only, like SQLite's LIKE.

A released migration is never edited: change the schema by appending one. Each runs in the
transaction that records it, under an advisory lock, so engines starting together migrate once.
"""

from __future__ import annotations

# The searchable text of one row, exactly as the trigram index holds it: `list_jobs` filters on this
# same expression so the planner can use the index (see m002_search). Lowered (ASCII only under
# "C") and joined by a separator that never occurs in JSON text, so a match never spans two columns.
SEARCH_EXPR = "lower(id || chr(31) || command || chr(31) || provider || chr(31) || metadata)"

_M001_INITIAL = """
CREATE TABLE jobs (
    id TEXT COLLATE "C" PRIMARY KEY,
    command TEXT COLLATE "C" NOT NULL,
    provider TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    output_path TEXT,
    created_at TEXT COLLATE "C" NOT NULL,
    metadata TEXT COLLATE "C" NOT NULL,
    deleted_at TEXT COLLATE "C"
);
CREATE INDEX idx_jobs_created_at_id ON jobs (created_at DESC, id DESC);
CREATE INDEX idx_jobs_status_created_at_id ON jobs (status, created_at DESC, id DESC);
CREATE INDEX idx_jobs_deleted_at_created_at ON jobs (deleted_at, created_at DESC, id DESC);
CREATE TABLE output_uploads (
    job_id TEXT COLLATE "C" NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    output_index INTEGER NOT NULL,
    target TEXT COLLATE "C" NOT NULL,
    target_type TEXT NOT NULL,
    status TEXT NOT NULL,
    url TEXT,
    error TEXT,
    bytes BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (job_id, output_index, target)
);
CREATE TABLE job_events (
    job_id TEXT COLLATE "C" NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX idx_job_events_job_created ON job_events (job_id, created_at);
-- metadata is JSON text that another program may have written badly: read it as NULL then.
CREATE FUNCTION gi2_try_jsonb(t TEXT) RETURNS JSONB LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN t::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
"""

# pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it. The GIN index
# serves `LIKE '%needle%'` on SEARCH_EXPR for needles of three or more characters.
_M002_SEARCH = f"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX idx_jobs_search_trgm ON jobs USING gin (({SEARCH_EXPR}) gin_trgm_ops);
"""

# The engine that took a job: on restart an engine marks only its own unfinished rows (and rows no
# engine holds) as interrupted, never those other live engines are running. (The cluster's queue,
# leases and heartbeats keep their own tables.)
# (IF NOT EXISTS: a database made by a pre-release build, whose m003 also added the column, upgrades.)
_M003_CLAIMED_BY = """
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS claimed_by TEXT;
CREATE INDEX IF NOT EXISTS idx_jobs_active_claimed_by ON jobs (claimed_by)
    WHERE status IN ('queued', 'running', 'uploading');
"""

# Web sessions signed out at a gateway (WebSessionsService), kept until the session would have
# expired anyway: every gateway of every engine on this database refuses them. Not job history; it
# lives here because this is the one store all engines share.
_M004_WEB_SESSIONS = """
CREATE TABLE revoked_web_sessions (
    id TEXT COLLATE "C" PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX idx_revoked_web_sessions_expires_at ON revoked_web_sessions (expires_at);
"""

# Each job's last event number, so that appending an event is one statement (one round trip, no
# BEGIN/COMMIT): the upsert of this row numbers the event and serialises appenders of one job, where
# an advisory lock had to come first in a statement of its own. A job's row is made by its first
# append (from its events' MAX(seq): rows written before this migration, or by `migrate-history`,
# need no backfill) and goes with the job.
_M005_EVENT_COUNTER = """
CREATE TABLE job_event_seq (
    job_id TEXT COLLATE "C" PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL
);
"""

# Forward-only and append-only: a name, once shipped, never changes meaning.
MIGRATIONS: list[tuple[str, str]] = [
    ("m001_initial", _M001_INITIAL),
    ("m002_search", _M002_SEARCH),
    ("m003_claimed_by", _M003_CLAIMED_BY),
    ("m004_web_sessions", _M004_WEB_SESSIONS),
    ("m005_event_counter", _M005_EVENT_COUNTER),
]

# Any constant: the key of the advisory lock that serialises migrations across engines.
MIGRATION_LOCK = 0x67693232
