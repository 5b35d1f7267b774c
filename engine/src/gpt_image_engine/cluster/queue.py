"""The shared job queue: enqueue, claim with `FOR UPDATE SKIP LOCKED`, leases, cancel, sweep.

Raw SQL on psycopg 3 rather than Procrastinate or PgQueuer: those libraries own the job model
(their own job table and states, task functions registered by name, their own workers and
retry loop, cancel as "abort requested" polled by the task), while the engine's model is already
fixed by its history (the `jobs` row and its `job_events` are what every client reads), its
lanes and `max_parallel`, cancel through a `threading.Event` the provider call checks, and the
events a watcher follows. What the engine needs from PostgreSQL is four statements (insert,
claim, heartbeat, sweep) around that model, not a second job system beside it.

Every statement runs on a connection of this module's own (one per calling role: the RPC
threads share one behind a lock, the engine's queue loop has its own), reconnected after a
failure; a failure is `cluster_queue_failed`, with the URL's password redacted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from gpt_image_engine.errors import AppError
from gpt_image_engine.security.redaction import redact_url

# Cluster-wide cap check: one claimer at a time when a cap is set (any constant; ours).
_CAP_LOCK = 0x67707469_6D67_33


@dataclass
class Claimed:
    job_id: str
    lane: str
    method: str
    spec: bytes | None


class Conn:
    """One psycopg connection used by one role at a time, reopened after a failure."""

    def __init__(self, url: str, what: str) -> None:
        self.url = url
        self.what = what
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()

    def _open(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, connect_timeout=5, autocommit=True)
        return self._conn

    @contextmanager
    def tx(self) -> Iterator[psycopg.Connection[Any]]:
        """A transaction (BEGIN ... COMMIT); any database error becomes `cluster_queue_failed` and
        drops the connection."""
        with self._used() as conn, conn.transaction():
            yield conn

    @contextmanager
    def one(self) -> Iterator[psycopg.Connection[Any]]:
        """For exactly one statement, which is its own transaction: one round trip instead of
        three (BEGIN, the statement, COMMIT). Errors as in `tx`."""
        with self._used() as conn:
            yield conn

    @contextmanager
    def _used(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock:
            try:
                yield self._open()
            except psycopg.Error as exc:
                self.close_locked()
                raise AppError(
                    "cluster_queue_failed",
                    f"The shared job queue could not be used ({self.what}): {type(exc).__name__}.",
                    {"database": redact_url(self.url), "error": str(exc).splitlines()[0] if str(exc) else ""},
                ) from exc

    def close_locked(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self.close_locked()


class Queue:
    """The SQL of the queue, for one engine (`engine_id`)."""

    def __init__(self, url: str, engine_id: str, lease_seconds: float = 5.0) -> None:
        self.engine_id = engine_id
        self.lease = f"{float(lease_seconds)} seconds"
        self.rpc = Conn(url, "request")
        self.loop = Conn(url, "queue loop")

    def close(self) -> None:
        self.rpc.close()
        self.loop.close()

    # --- engines
    def register(self, host: str, pid: int, max_parallel: int, version: str, address: str = "") -> None:
        with self.rpc.tx() as conn:
            conn.execute(
                "INSERT INTO cluster_engines (engine_id, host, pid, address, max_parallel, version) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (engine_id) DO UPDATE SET last_beat = now(), "
                "max_parallel = excluded.max_parallel, stopped_at = NULL",
                (self.engine_id, host, pid, address, max_parallel, version),
            )

    def unregister(self) -> None:
        with self.rpc.tx() as conn:
            conn.execute("UPDATE cluster_engines SET stopped_at = now() WHERE engine_id = %s", (self.engine_id,))

    def engine_alive(self, engine_id: str) -> bool:
        """Whether an engine of that name beat within the last lease and did not stop."""
        with self.rpc.tx() as conn:
            row = conn.execute(
                "SELECT 1 FROM cluster_engines WHERE engine_id = %s AND stopped_at IS NULL "
                "AND last_beat > now() - %s::interval",
                (engine_id, self.lease),
            ).fetchone()
        return row is not None

    def take_own(self) -> list[str]:
        """Take this engine name's unfinished rows off the queue (a previous run of it died):
        the jobs it ran and the jobs pinned to it that never started."""
        with self.rpc.tx() as conn:
            rows = conn.execute(
                "UPDATE job_queue SET state = 'done', finished_at = now() WHERE "
                "(engine_id = %(me)s AND state IN ('running', 'lost')) "
                "OR (pinned_engine = %(me)s AND engine_id IS NULL AND state = 'queued') RETURNING job_id",
                {"me": self.engine_id},
            ).fetchall()
        return [r[0] for r in rows]

    def peers(self) -> list[dict[str, Any]]:
        with self.rpc.tx() as conn:
            rows = conn.execute(
                "SELECT engine_id, host, pid, address, max_parallel, version, "
                "extract(epoch FROM now() - last_beat), "
                "(SELECT count(*) FROM job_queue q WHERE q.engine_id = e.engine_id AND q.state = 'running') "
                "FROM cluster_engines e WHERE stopped_at IS NULL ORDER BY started_at"
            ).fetchall()
        return [
            {
                "engine_id": r[0], "host": r[1], "pid": r[2], "address": r[3], "max_parallel": r[4],
                "version": r[5], "seconds_since_beat": round(float(r[6]), 1), "running": int(r[7]),
                "self": r[0] == self.engine_id,
            }
            for r in rows
        ]  # fmt: skip

    # --- jobs
    def enqueue(self, job_id: str, lane: str, method: str, spec: bytes | None, pinned: bool) -> None:
        with self.rpc.one() as conn:  # the row and its notice in one statement (NOTIFY goes at commit)
            conn.execute(
                "WITH queued AS (INSERT INTO job_queue (job_id, lane, method, spec, pinned_engine) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING job_id) SELECT pg_notify('job_queue', job_id) FROM queued",
                (job_id, lane, method, spec, self.engine_id if pinned else None),
            )

    def claim(self, local_ok: bool, provider_ok: bool, cluster_cap: int = 0) -> Claimed | None:
        """Take the oldest claimable job (SKIP LOCKED: engines never wait on each other's rows)."""
        if not (local_ok or provider_ok):
            return None
        # Without a cluster-wide cap the claim is one statement; with one, a transaction that first
        # takes the cap's lock and counts.
        with self.loop.tx() if cluster_cap > 0 else self.loop.one() as conn:
            if cluster_cap > 0:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_CAP_LOCK,))
                (running,) = conn.execute(
                    "SELECT count(*) FROM job_queue WHERE state = 'running' AND lease_until > now()"
                ).fetchone() or (0,)
                if int(running) >= cluster_cap:
                    return None
            row = conn.execute(
                "UPDATE job_queue SET state = 'running', engine_id = %(me)s, claimed_at = now(), "
                "lease_until = now() + %(lease)s::interval "
                "WHERE job_id = (SELECT job_id FROM job_queue WHERE state = 'queued' AND NOT cancel_requested "
                "AND (pinned_engine IS NULL OR pinned_engine = %(me)s) "
                "AND ((lane = 'local' AND %(local)s) OR (lane <> 'local' AND %(provider)s)) "
                "ORDER BY enqueued_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
                "RETURNING job_id, lane, method, spec",
                {"me": self.engine_id, "lease": self.lease, "local": local_ok, "provider": provider_ok},
            ).fetchone()
        if row is None:
            return None
        return Claimed(job_id=row[0], lane=row[1], method=row[2], spec=bytes(row[3]) if row[3] is not None else None)

    def still_queued(self, job_ids: list[str]) -> set[str]:
        with self.loop.tx() as conn:
            rows = conn.execute(
                "SELECT job_id FROM job_queue WHERE job_id = ANY(%s) AND state = 'queued'", (job_ids,)
            ).fetchall()
        return {r[0] for r in rows}

    def heartbeat(self, job_ids: list[str]) -> tuple[list[str], list[str]]:
        """Extend this engine's leases; returns (jobs whose cancel was requested, jobs no longer ours)."""
        with self.loop.tx() as conn:
            conn.execute("UPDATE cluster_engines SET last_beat = now() WHERE engine_id = %s", (self.engine_id,))
            if not job_ids:
                return [], []
            rows = conn.execute(
                "UPDATE job_queue SET lease_until = now() + %s::interval WHERE job_id = ANY(%s) "
                "AND engine_id = %s AND state = 'running' RETURNING job_id, cancel_requested",
                (self.lease, job_ids, self.engine_id),
            ).fetchall()
        kept = {r[0] for r in rows}
        return [r[0] for r in rows if r[1]], [j for j in job_ids if j not in kept]

    def renew(self, job_id: str) -> bool:
        """Extend this engine's lease on one job (before recording its end); False when the
        lease is no longer ours (swept while this engine stalled)."""
        with self.rpc.one() as conn:
            row = conn.execute(
                "UPDATE job_queue SET lease_until = now() + %s::interval WHERE job_id = %s AND engine_id = %s "
                "AND state = 'running' RETURNING job_id",
                (self.lease, job_id, self.engine_id),
            ).fetchone()
        return row is not None

    def finish(self, job_id: str) -> bool:
        """Close this engine's lease on a job; False when the lease was lost (swept meanwhile)."""
        with self.rpc.one() as conn:
            row = conn.execute(
                "UPDATE job_queue SET state = 'done', finished_at = now(), lease_until = NULL "
                "WHERE job_id = %s AND state IN ('running', 'queued') AND (engine_id = %s OR engine_id IS NULL) "
                "RETURNING job_id",
                (job_id, self.engine_id),
            ).fetchone()
        return row is not None

    def request_cancel(self, job_id: str) -> str | None:
        """Flag a job for cancel. Returns 'queued' when it was still waiting (now taken off the
        queue: the caller records it cancelled), 'running' when an engine runs it (that engine is
        told through NOTIFY and its heartbeat), None when the queue no longer holds it."""
        with self.rpc.tx() as conn:
            row = conn.execute(
                "WITH old AS (SELECT job_id, state FROM job_queue WHERE job_id = %s "
                "AND state IN ('queued', 'running') FOR UPDATE) "
                "UPDATE job_queue q SET cancel_requested = true, "
                "state = CASE WHEN old.state = 'queued' THEN 'done' ELSE q.state END, "
                "finished_at = CASE WHEN old.state = 'queued' THEN now() ELSE q.finished_at END "
                "FROM old WHERE q.job_id = old.job_id RETURNING old.state",
                (job_id,),
            ).fetchone()
            if row is None:
                return None
            if row[0] == "running":
                conn.execute("SELECT pg_notify('job_cancel', %s)", (job_id,))
            return str(row[0])

    def take_expired(self, grace_seconds: float = 0.0, limit: int = 50) -> list[tuple[str, str | None, str]]:
        """Jobs whose engine is gone: running rows whose lease expired, and queued rows pinned to an
        engine that stopped beating. Each is taken off the queue here (one sweeper wins each row);
        returns (job_id, engine_id, what) with what = 'lease_expired' | 'engine_lost'."""
        with self.loop.tx() as conn:
            rows = conn.execute(
                "UPDATE job_queue q SET state = 'done', finished_at = now() FROM ("
                "SELECT job_id FROM job_queue j WHERE (state = 'running' AND lease_until < now() - %(grace)s::interval) "
                "OR state = 'lost' "
                "OR (state = 'queued' AND pinned_engine IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cluster_engines e "
                "WHERE e.engine_id = j.pinned_engine AND e.stopped_at IS NULL "
                "AND e.last_beat > now() - %(lease)s::interval - %(grace)s::interval)) "
                "LIMIT %(limit)s FOR UPDATE OF j SKIP LOCKED) dead WHERE q.job_id = dead.job_id "
                "RETURNING q.job_id, COALESCE(q.engine_id, q.pinned_engine), "
                "CASE WHEN q.engine_id IS NULL THEN 'engine_lost' ELSE 'lease_expired' END",
                {"grace": f"{float(grace_seconds)} seconds", "lease": self.lease, "limit": limit},
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def orphans(self, settle_seconds: float = 30.0, limit: int = 50) -> list[tuple[str, str | None]]:
        """Jobs the queue closed whose history row never got its end (an engine killed between
        taking a queued job off the queue and recording it): looked at only in the last hour."""
        with self.loop.tx() as conn:
            rows = conn.execute(
                "SELECT q.job_id, COALESCE(q.engine_id, q.pinned_engine) FROM job_queue q JOIN jobs j ON j.id = q.job_id "
                "WHERE q.state = 'done' AND q.finished_at < now() - %s::interval "
                "AND q.finished_at > now() - interval '1 hour' AND j.status IN ('queued', 'running') LIMIT %s",
                (f"{float(settle_seconds)} seconds", limit),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def prune(self, keep_seconds: float = 86400.0, limit: int = 1000) -> int:
        """Forget closed rows older than `keep_seconds` (the history keeps the jobs; the queue
        only needs recent rows, for the orphan check)."""
        with self.loop.tx() as conn:
            cur = conn.execute(
                "DELETE FROM job_queue WHERE job_id IN (SELECT job_id FROM job_queue WHERE state = 'done' "
                "AND finished_at < now() - %s::interval LIMIT %s FOR UPDATE SKIP LOCKED)",
                (f"{float(keep_seconds)} seconds", limit),
            )
        return int(cur.rowcount or 0)

    def reopen(self, job_id: str) -> None:
        """Put a swept row back as `lost` (its end could not be recorded): the next sweep, here or
        on any engine, takes it again; its old engine's heartbeat cannot renew it."""
        with self.loop.tx() as conn:
            conn.execute(
                "UPDATE job_queue SET state = 'lost', finished_at = NULL WHERE job_id = %s AND state = 'done'",
                (job_id,),
            )

    def counts(self) -> dict[str, Any]:
        with self.rpc.tx() as conn:
            rows = conn.execute(
                "SELECT state, engine_id = %s, array_agg(job_id ORDER BY enqueued_at) FROM job_queue "
                "WHERE state IN ('queued', 'running') GROUP BY 1, 2",
                (self.engine_id,),
            ).fetchall()
        out: dict[str, Any] = {"queued": [], "running": [], "running_here": []}
        for state, mine, ids in rows:
            out[state] += list(ids)
            if state == "running" and mine:
                out["running_here"] += list(ids)
        return out
