"""The cluster's tables in PostgreSQL, as named forward-only migrations.

`job_queue` holds one row per job a cluster engine accepted (state `queued`, `running`,
`done`, or `lost`: swept but not yet recorded, for the next sweep): its lane, the stored request it
can be rebuilt from (`method` + `spec`), the engine holding its lease and until when, and the
cancel flag. `cluster_engines` lists the engines with their last heartbeat (doctor's peers; a
pinned job whose engine stopped beating is swept). A trigger on `job_events` NOTIFYs every
insert at commit, so a listener that reads the row after the notice always finds it.

The history tables (`jobs`, `job_events`) belong to the history store and are migrated first.
"""

from __future__ import annotations

from typing import Any

# Serialises engines migrating at the same time (any constant works; this one is ours).
_LOCK_KEY = 0x67707469_6D67_32  # "gptimg2"

_C001_QUEUE = """
CREATE TABLE IF NOT EXISTS job_queue (
    job_id TEXT PRIMARY KEY,
    lane TEXT NOT NULL,
    method TEXT NOT NULL DEFAULT '',
    spec BYTEA,
    state TEXT NOT NULL DEFAULT 'queued',
    pinned_engine TEXT,
    engine_id TEXT,
    lease_until TIMESTAMPTZ,
    cancel_requested BOOLEAN NOT NULL DEFAULT false,
    enqueued_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    claimed_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS idx_job_queue_ready ON job_queue (enqueued_at) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS idx_job_queue_running ON job_queue (lease_until) WHERE state IN ('running', 'lost');
CREATE INDEX IF NOT EXISTS idx_job_queue_finished ON job_queue (finished_at) WHERE state = 'done';
CREATE TABLE IF NOT EXISTS cluster_engines (
    engine_id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    max_parallel INTEGER NOT NULL,
    version TEXT NOT NULL DEFAULT '',
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_beat TIMESTAMPTZ NOT NULL DEFAULT now(),
    stopped_at TIMESTAMPTZ
);
"""

_C002_EVENT_NOTIFY = """
CREATE OR REPLACE FUNCTION gpt_image_notify_event() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('job_events', NEW.job_id || ' ' || NEW.seq);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS job_events_notify ON job_events;
CREATE TRIGGER job_events_notify AFTER INSERT ON job_events
    FOR EACH ROW EXECUTE FUNCTION gpt_image_notify_event();
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("c001_queue", _C001_QUEUE),
    ("c002_event_notify", _C002_EVENT_NOTIFY),
]


def migrate(conn: Any) -> list[str]:
    """Apply the cluster migrations not yet recorded; returns the names applied. `conn` is a
    psycopg connection; engines starting together wait on one lock."""
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS cluster_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ "
            "NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT name FROM cluster_migrations").fetchall()}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            conn.execute(sql)
            conn.execute("INSERT INTO cluster_migrations (name) VALUES (%s)", (name,))
            applied.append(name)
    return applied
