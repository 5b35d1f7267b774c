"""The shared queue's SQL against a real PostgreSQL: claims never overlap, leases expire,
cancel reaches the engine running a job, event rows are pushed with NOTIFY."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from gpt_image_engine.cluster.hub import Hub
from gpt_image_engine.cluster.queue import Queue
from gpt_image_engine.cluster.schema import migrate
from gpt_image_engine.errors import AppError

# The history tables the cluster's trigger hangs on (the history store migrates them first).
_HISTORY = """
CREATE TABLE jobs (id TEXT PRIMARY KEY, command TEXT NOT NULL, provider TEXT NOT NULL, status TEXT NOT NULL,
    output_path TEXT, created_at TEXT NOT NULL, metadata TEXT NOT NULL);
CREATE TABLE job_events (job_id TEXT NOT NULL REFERENCES jobs(id), seq INTEGER NOT NULL, kind TEXT NOT NULL,
    event_type TEXT NOT NULL, data TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (job_id, seq));
"""


@pytest.fixture
def db(pg_url: str) -> str:
    with psycopg.connect(pg_url) as conn:
        conn.execute(_HISTORY)
        assert migrate(conn) == ["c001_queue", "c002_event_notify"]
        assert migrate(conn) == []  # recorded: a second engine starting applies nothing
    return pg_url


def _queue(db: str, name: str, lease: float = 5.0) -> Queue:
    queue = Queue(db, name, lease_seconds=lease)
    queue.register("host", 1, 4, "test")
    return queue


def test_concurrent_claims_take_each_job_exactly_once(db: str) -> None:
    a, b = _queue(db, "a"), _queue(db, "b")
    ids = [f"job-{i:03d}" for i in range(60)]
    for job_id in ids:
        a.enqueue(job_id, "provider:openai", "GenerateImage", b"spec", pinned=False)
    taken: dict[str, list[str]] = {"a": [], "b": []}

    start = threading.Barrier(2)

    def drain(queue: Queue, into: list[str]) -> None:
        start.wait()
        while (claimed := queue.claim(local_ok=True, provider_ok=True)) is not None:
            into.append(claimed.job_id)
            assert claimed.spec == b"spec" and claimed.method == "GenerateImage"
            time.sleep(0.01)  # an engine starts the job before it looks for the next one

    threads = [threading.Thread(target=drain, args=(q, taken[n])) for n, q in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken["a"] + taken["b"]) == ids  # every job once, none twice
    assert taken["a"] and taken["b"]  # both engines got work
    assert sorted(a.counts()["running"]) == ids
    a.close()
    b.close()


def test_pinned_jobs_and_lanes(db: str) -> None:
    a, b = _queue(db, "a"), _queue(db, "b")
    a.enqueue("pinned", "provider:openai", "", None, pinned=True)
    a.enqueue("local-1", "local", "ExtractTransparent", b"x", pinned=False)
    assert b.claim(local_ok=False, provider_ok=True) is None  # pinned to a; the local job is not wanted
    claimed = b.claim(local_ok=True, provider_ok=False)
    assert claimed is not None and claimed.job_id == "local-1"
    mine = a.claim(local_ok=True, provider_ok=True)
    assert mine is not None and mine.job_id == "pinned" and mine.spec is None
    a.close()
    b.close()


def _later(db: str, sql: str) -> None:
    """Time passes for one row, in the database's own clock (`now()`): a lease or a beat is moved
    into the past. A short real lease and a sleep instead made "still holds" checks fail whenever
    a loaded machine stalled the test for longer than the lease."""
    with psycopg.connect(db) as conn:
        assert conn.execute(sql).rowcount == 1


def test_an_expired_lease_is_swept_once_and_its_engine_learns_it_lost_it(db: str) -> None:
    a, b, c = _queue(db, "a"), _queue(db, "b"), _queue(db, "c")
    a.enqueue("j1", "provider:openai", "GenerateImage", b"s", pinned=False)
    assert a.claim(True, True) is not None
    assert b.take_expired() == []  # the lease still holds
    _later(db, "UPDATE job_queue SET lease_until = now() - interval '1 second' WHERE job_id = 'j1'")  # a stalled
    swept = b.take_expired() + c.take_expired()
    assert swept == [("j1", "a", "lease_expired")]  # one sweeper wins the row
    assert a.heartbeat(["j1"]) == ([], ["j1"])  # a learns it is no longer its job
    assert a.finish("j1") is False  # and must not record an end over the sweeper's
    for q in (a, b, c):
        q.close()


def test_heartbeats_keep_a_lease(db: str) -> None:
    # A real lease and real time (what a heartbeat does is move it on from now); 1 s so that only
    # a stall of a whole second between a beat and the sweep that follows could break it.
    a, b = _queue(db, "a", lease=1.0), _queue(db, "b", lease=1.0)
    a.enqueue("j1", "provider:openai", "GenerateImage", b"s", pinned=False)
    assert a.claim(True, True) is not None
    started = time.monotonic()
    while time.monotonic() - started < 2.2:  # over twice the lease
        assert a.heartbeat(["j1"]) == ([], [])
        assert b.take_expired() == []
        time.sleep(0.2)
    assert a.finish("j1") is True
    a.close()
    b.close()


def test_queued_job_of_an_engine_that_stopped_beating_is_swept(db: str) -> None:
    a, b = _queue(db, "a", lease=0.3), _queue(db, "b", lease=0.3)
    a.enqueue("pinned", "provider:openai", "", None, pinned=True)
    a.enqueue("free", "provider:openai", "GenerateImage", b"s", pinned=False)
    time.sleep(0.5)
    b.heartbeat([])  # b is alive; a is silent
    assert b.take_expired() == [("pinned", "a", "engine_lost")]  # the portable one waits for any engine
    claimed = b.claim(True, True)
    assert claimed is not None and claimed.job_id == "free"
    a.close()
    b.close()


def test_cluster_cap_limits_running_jobs_across_engines(db: str) -> None:
    a, b = _queue(db, "a"), _queue(db, "b")
    for i in range(4):
        a.enqueue(f"j{i}", "provider:openai", "GenerateImage", b"s", pinned=False)
    assert a.claim(True, True, cluster_cap=2) is not None
    assert b.claim(True, True, cluster_cap=2) is not None
    assert a.claim(True, True, cluster_cap=2) is None
    assert b.claim(True, True, cluster_cap=2) is None
    a.finish("j0")
    assert b.claim(True, True, cluster_cap=2) is not None
    a.close()
    b.close()


def test_cancel_from_any_engine(db: str) -> None:
    cancelled: list[str] = []
    got = threading.Event()

    def on_cancel(job_id: str) -> None:
        cancelled.append(job_id)
        got.set()

    a, b = _queue(db, "a"), _queue(db, "b")
    hub = Hub(db, on_cancel=on_cancel, on_queued=lambda: None)
    hub.start()
    try:
        a.enqueue("waiting", "provider:openai", "GenerateImage", b"s", pinned=False)
        assert b.request_cancel("waiting") == "queued"  # off the queue at once
        assert a.claim(True, True) is None
        a.enqueue("busy", "provider:openai", "GenerateImage", b"s", pinned=False)
        assert a.claim(True, True) is not None
        assert b.request_cancel("busy") == "running"
        assert got.wait(5) and cancelled == ["busy"]  # pushed to the engine running it
        assert a.heartbeat(["busy"]) == (["busy"], [])  # and repeated by the heartbeat
        assert b.request_cancel("unknown") is None
    finally:
        hub.stop()
        a.close()
        b.close()


def test_event_rows_are_pushed_to_subscribers(db: str) -> None:
    hub = Hub(db, on_cancel=lambda _: None, on_queued=lambda: None)
    hub.start()
    sub = hub.subscribe("j1")
    other = hub.subscribe("j2")
    try:
        with psycopg.connect(db) as conn:
            conn.execute("INSERT INTO jobs VALUES ('j1', 'images generate', 'openai', 'queued', NULL, 'now', '{}')")
            conn.execute("INSERT INTO job_events VALUES ('j1', 1, 'local', 'job.queued', '{}', 'now')")
            assert not sub.wait(0.3)  # not committed yet: no notice
        t0 = time.monotonic()
        assert sub.wait(5)
        assert time.monotonic() - t0 < 1
        assert not other.wait(0.2)  # another job's watcher sleeps on
    finally:
        hub.unsubscribe("j1", sub)
        hub.unsubscribe("j2", other)
        hub.stop()


def test_unreachable_database_is_a_coded_error_without_the_password() -> None:
    queue = Queue("postgresql://gpt:s3cret-pass@127.0.0.1:1/postgres", "a")
    with pytest.raises(AppError) as info:
        queue.register("host", 1, 2, "test")
    assert info.value.code == "cluster_queue_failed"
    assert "s3cret-pass" not in str(info.value.to_envelope())
    assert "127.0.0.1:1" in str(info.value.detail)


def test_a_sweep_that_could_not_record_puts_the_row_back(db: str) -> None:
    a, b = _queue(db, "a", lease=0.3), _queue(db, "b", lease=0.3)
    a.enqueue("j1", "provider:openai", "spec.json/v1", b"{}", pinned=False)
    assert a.claim(True, True) is not None
    time.sleep(0.5)
    assert b.take_expired() == [("j1", "a", "lease_expired")]
    assert b.take_expired() == []
    b.reopen("j1")  # the history write failed: the next sweep, on any engine, takes it again
    assert a.heartbeat(["j1"]) == ([], ["j1"])  # still not a's again
    assert b.take_expired() == [("j1", "a", "lease_expired")]
    a.close()
    b.close()


def test_orphans_are_closed_rows_whose_history_never_ended(db: str) -> None:
    a = _queue(db, "a")
    with psycopg.connect(db) as conn:
        for job_id in ("left", "ended"):
            conn.execute(
                "INSERT INTO jobs VALUES (%s, 'images generate', 'openai', 'queued', NULL, 'now', '{}')", (job_id,)
            )
    for job_id in ("left", "ended"):
        a.enqueue(job_id, "provider:openai", "spec.json/v1", b"{}", pinned=False)
        assert a.request_cancel(job_id) == "queued"  # off the queue; the engine dies before recording it
    with psycopg.connect(db) as conn:
        conn.execute("UPDATE jobs SET status = 'cancelled' WHERE id = 'ended'")
    assert a.orphans(settle_seconds=30) == []  # give a live engine time to record its end
    time.sleep(0.1)
    assert a.orphans(settle_seconds=0.05) == [("left", None)]
    a.close()


def test_closed_rows_are_pruned_after_a_while(db: str) -> None:
    a = _queue(db, "a")
    for job_id in ("old", "new", "open"):
        a.enqueue(job_id, "provider:openai", "spec.json/v1", b"{}", pinned=False)
    for job_id in ("old", "new"):
        assert a.request_cancel(job_id) == "queued"
    with psycopg.connect(db) as conn:
        conn.execute("UPDATE job_queue SET finished_at = now() - interval '2 days' WHERE job_id = 'old'")
    assert a.prune() == 1
    with psycopg.connect(db) as conn:
        left = {r[0] for r in conn.execute("SELECT job_id FROM job_queue").fetchall()}
    assert left == {"new", "open"}
    a.close()


def test_a_named_engine_restarting_takes_back_only_its_own_rows(db: str) -> None:
    before, other = _queue(db, "pod-a"), _queue(db, "pod-b")
    before.enqueue("ran", "provider:openai", "spec.json/v1", b"{}", pinned=False)
    before.enqueue("pinned", "provider:openai", "", None, pinned=True)
    other.enqueue("theirs", "provider:openai", "spec.json/v1", b"{}", pinned=False)
    assert before.claim(True, True) is not None  # "ran"
    assert other.claim(True, True) is not None  # "theirs"
    assert other.engine_alive("pod-a")  # just beat: a second engine of that name must wait
    # pod-a was killed: it stopped beating, and a lease later it is gone.
    _later(db, "UPDATE cluster_engines SET last_beat = now() - interval '1 minute' WHERE engine_id = 'pod-a'")
    assert not other.engine_alive("pod-a")
    again = Queue(db, "pod-a", lease_seconds=5.0)
    assert sorted(again.take_own()) == ["pinned", "ran"]
    assert other.heartbeat(["theirs"]) == ([], [])  # another engine's job is left alone
    for q in (before, other, again):
        q.close()
