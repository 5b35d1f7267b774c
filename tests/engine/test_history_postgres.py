"""PostgreSQL history: migrations, an unreachable or lost database, shared rows, search, migrate-history.

All against the suite's private PostgreSQL cluster (tests/servers/postgres.py); the semantics both
backends share are in test_history.py.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest

import gpt_image_engine.store.history.postgres as pgmod
from gpt_image_engine.errors import AppError
from gpt_image_engine.store.history import History, HistoryStore, open_history
from gpt_image_engine.store.history.migrate import copy_sqlite_to_postgres
from gpt_image_engine.store.history.postgres import PostgresHistory, display_url
from tests.servers.postgres import PostgresCluster, _free_port


def _ascii_lower(text: str) -> str:
    return text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))


def _oracle(rows: list[tuple[str, str, str, str, str]], needle: str) -> list[str]:
    """The upstream's search in plain Python: a substring of any ASCII-lowered column."""
    hits = [r for r in rows if any(needle in _ascii_lower(col) for col in r[:4])]
    return [r[0] for r in sorted(hits, key=lambda r: (r[4], r[0]), reverse=True)]


def test_migrations_are_recorded_once_and_concurrent_opens_agree(pg_url: str) -> None:
    stores: list[PostgresHistory] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(PostgresHistory(pg_url))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(stores) == 4
    assert stores[0].applied_migrations() == ["m001_initial", "m002_search", "m003_claimed_by", "m004_web_sessions", "m005_event_counter"]
    for s in stores:
        s.close()
    with PostgresHistory(pg_url) as again:
        assert again.applied_migrations() == ["m001_initial", "m002_search", "m003_claimed_by", "m004_web_sessions", "m005_event_counter"]
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (5,)
        index = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_jobs_search_trgm'").fetchone()
        assert index is not None and "gin_trgm_ops" in index[0]


def test_open_history_picks_the_backend(tmp_path: Path, pg_url: str) -> None:
    with open_history(tmp_path / "h.sqlite") as h:
        assert isinstance(h, History)
    store = open_history(tmp_path / "h.sqlite", pg_url)
    assert isinstance(store, PostgresHistory) and isinstance(store, HistoryStore)
    store.close()
    with pytest.raises(AppError) as exc:
        open_history(tmp_path / "h.sqlite", "mysql://u:p@h/db")
    assert exc.value.code == "invalid_argument" and "p@" not in json.dumps(exc.value.to_envelope())


def test_unreachable_database_is_coded_with_the_password_redacted() -> None:
    url = f"postgresql://someone:hunter2secret@127.0.0.1:{_free_port()}/history?sslmode=disable"
    with pytest.raises(AppError) as exc:
        PostgresHistory(url)
    err = exc.value
    text = json.dumps(err.to_envelope())
    assert err.code == "database_unavailable"
    assert "hunter2secret" not in text
    assert err.detail is not None and err.detail["database_url"] == (
        f"postgresql://someone:***@127.0.0.1:{url.split(':')[3].split('/')[0]}/history?sslmode=disable"
    )
    assert "GPT_IMAGE_2_DATABASE_URL" in err.detail["hint"]
    assert "someone:***@" in err.message


def test_wrong_password_is_database_unavailable(postgres_cluster: PostgresCluster, pg_url: str) -> None:
    bad = pg_url.replace(postgres_cluster.password, "not-the-password")
    with pytest.raises(AppError) as exc:
        PostgresHistory(bad)
    assert exc.value.code == "database_unavailable"
    assert "not-the-password" not in json.dumps(exc.value.to_envelope())
    assert "password authentication failed" in exc.value.detail["error"]  # type: ignore[index]


def test_display_url_hides_passwords_only() -> None:
    assert display_url("postgresql://u:p%40ss@db:5432/h?password=x&sslmode=require") == (
        "postgresql://u:***@db:5432/h?password=[redacted]&sslmode=require"
    )
    assert display_url("postgresql://u@db/h") == "postgresql://u@db/h"


def _kill_connections(cluster: PostgresCluster, url: str) -> int:
    """Terminate every backend of the database and wait until they are gone (the server has then
    told each client and closed its connection)."""
    dbname = url.rsplit("/", 1)[1]
    killed = int(
        cluster.admin_sql(
            f"SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE datname = '{dbname}' "
            "AND pid <> pg_backend_pid()"
        )
    )
    return killed


def test_lost_connections_fail_coded_write_nothing_half_and_reconnect(
    postgres_cluster: PostgresCluster, pg_url: str
) -> None:
    h = PostgresHistory(pg_url)
    h.create_job("job-1", "images generate", "openai", metadata={"prompt": "before"})
    # A batch whose connection dies half-way: the first write is rolled back with it.
    with pytest.raises(AppError) as exc, h.batch():
        h.update_job("job-1", status="running", metadata_patch={"prompt": "half"}, fetch=False)
        assert _kill_connections(postgres_cluster, pg_url) >= 1
        h.append_event("job-1", "local", "job.running", {})
    assert exc.value.code == "database_unavailable"
    assert ":***@" in exc.value.detail["database_url"]  # type: ignore[index]
    # The next calls find their pooled connections closed and run again on fresh ones.
    job = h.get_job("job-1")
    assert job["status"] == "queued" and job["metadata"]["prompt"] == "before"
    assert h.events("job-1") == []
    _kill_connections(postgres_cluster, pg_url)
    assert h.append_event("job-1", "local", "job.queued", {})[0] == 1
    assert h.list_jobs(query="before")["total"] == 1
    h.close()


def test_mark_interrupted_leaves_other_engines_rows(pg_url: str) -> None:
    a = PostgresHistory(pg_url, owner="engine-a")
    b = PostgresHistory(pg_url, owner="engine-b")
    a.create_job("job-a", "images generate", "openai", status="running", metadata={})
    b.create_job("job-b", "images generate", "openai", status="running", metadata={})
    with psycopg.connect(pg_url) as conn:  # a row no engine holds (copied in by migrate-history)
        conn.execute(
            "INSERT INTO jobs (id, command, provider, status, created_at, metadata) "
            "VALUES ('job-old', 'images edit', 'openai', 'queued', '1', '{}')"
        )
    assert sorted(a.mark_interrupted("engine_restarted")) == ["job-a", "job-old"]
    assert b.get_job("job-b")["status"] == "running"
    assert [j["id"] for j in b.list_jobs(status="interrupted")["jobs"]] == ["job-a", "job-old"]
    assert b.mark_interrupted("engine_restarted") == ["job-b"]
    a.close()
    b.close()


def test_search_matches_the_upstream_semantics_and_uses_the_index(pg_url: str) -> None:
    h = PostgresHistory(pg_url)
    prompts = ["A Red FOX", "red_fox 100%", 'quote "x" fox', "Élan vital", "élan", "foxglove", "f o x", "back\\slash"]
    for i, prompt in enumerate(prompts * 3):
        h.create_job(f"job-{i:03d}", "images generate", "openai", status="completed", metadata={"prompt": prompt})
    h.update_job("job-000", metadata_patch={"prompt": "now a wolf"})
    h.delete_job("job-001")
    with psycopg.connect(pg_url) as conn:
        conn.execute(
            "INSERT INTO jobs (id, command, provider, status, created_at, metadata) VALUES "
            "('job-bad-json', 'images edit', 'codex', 'failed', '2', 'not json {fox')"
        )
        rows = conn.execute("SELECT id, command, provider, metadata, created_at FROM jobs").fetchall()
    for needle in ["fox", "red_", "0%", '"x"', "élan", "Élan", "wolf", "job-0", "codex", "o x", "\\sl", "fo", "zzz"]:
        page = h.list_jobs(limit=200, query=needle)
        expected = _oracle(rows, needle.lower())
        assert [j["id"] for j in page["jobs"]] == expected, needle
        assert page["total"] == len(expected) and "total_estimated" not in page, needle
    assert h.get_job("job-bad-json")["metadata"] is None  # bad JSON text is shown as such, not fatal
    with psycopg.connect(pg_url) as conn:
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                f"EXPLAIN SELECT id FROM jobs WHERE {pgmod.SEARCH_EXPR} LIKE %s", ("%xylophone%",)
            ).fetchall()
        )
    assert "idx_jobs_search_trgm" in plan
    h.close()


def test_large_totals_are_estimated_beyond_the_cap(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgmod, "COUNT_CAP", 50)
    monkeypatch.setattr(pgmod, "SEARCH_COUNT_CAP", 20)
    h = PostgresHistory(pg_url)
    with psycopg.connect(pg_url) as conn:
        conn.cursor().executemany(
            "INSERT INTO jobs (id, command, provider, status, created_at, metadata) VALUES (%s,'images generate',"
            "'openai','completed',%s,%s)",
            [
                (f"job-{i:04d}", str(1_700_000_000 + i), json.dumps({"prompt": "heron" if i % 2 else "dune"}))
                for i in range(400)
            ],
        )
        conn.execute("ANALYZE jobs")
    page = h.list_jobs(limit=20)
    assert page["total_estimated"] is True and page["total"] > 50 and len(page["jobs"]) == 20
    exact = h.list_jobs(limit=5, query="job-000")  # 10 rows: exact
    assert exact["total"] == 10 and "total_estimated" not in exact and exact["has_more"]
    searched = h.list_jobs(limit=5, query="heron")  # 200 rows, beyond the search cap of 20
    assert searched["total_estimated"] is True and searched["total"] > 20
    h.close()


def _sqlite_history(path: Path) -> None:
    with History(path) as h:
        for i in range(30):
            h.create_job(
                f"job-{i:03d}", "images generate", "openai", status="completed", metadata={"prompt": f"owl {i}"}
            )
            h.append_event(f"job-{i:03d}", "local", "job.completed", {"status": "completed", "i": i})
        h.upsert_upload({"job_id": "job-004", "output_index": 0, "target": "s3", "target_type": "s3",
                         "status": "completed", "url": "https://x/y.png", "metadata": {"role": "primary"}})  # fmt: skip
        h.soft_delete_job("job-005")
    conn = sqlite3.connect(path)
    with conn:  # an orphan the upstream's tools can leave (SQLite's foreign keys are off by default)
        conn.execute("INSERT INTO job_events VALUES ('job-gone', 1, 'local', 'job.queued', '{}', '1')")
    conn.close()


def test_migrate_history_copies_every_row_and_refuses_a_non_empty_target(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "history.sqlite"
    _sqlite_history(src)
    before = src.read_bytes()
    report = copy_sqlite_to_postgres(src, pg_url)
    assert report["copied"] == {"jobs": 30, "job_events": 30, "output_uploads": 1}
    assert report["skipped_orphans"] == {"job_events": 1, "output_uploads": 0}
    assert ":***@" in report["to"]
    assert src.read_bytes() == before  # read-only
    with History(src) as s, PostgresHistory(pg_url) as p:
        assert (
            p.list_jobs(limit=200, include_deleted=True)["jobs"] == s.list_jobs(limit=200, include_deleted=True)["jobs"]
        )
        assert p.list_jobs(query="owl 17")["total"] == s.list_jobs(query="owl 17")["total"] == 1
        assert p.events("job-007") == s.events("job-007")
        assert p.append_event("job-007", "local", "job.storage", {})[0] == 2
    with pytest.raises(AppError) as exc:
        copy_sqlite_to_postgres(src, pg_url)
    assert exc.value.code == "history_target_not_empty" and "hint" in (exc.value.detail or {})


def test_migrate_history_refuses_a_foreign_file_untouched(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "history.sqlite"
    src.write_bytes(b"not a database\n" * 20)
    with pytest.raises(AppError) as exc:
        copy_sqlite_to_postgres(src, pg_url)
    assert exc.value.code == "history_open_failed" and src.read_bytes() == b"not a database\n" * 20
    with pytest.raises(AppError) as exc:
        copy_sqlite_to_postgres(tmp_path / "missing.sqlite", pg_url)
    assert exc.value.code == "history_open_failed"


def test_a_job_whose_database_goes_away_ends_coded_and_the_engine_recovers(
    postgres_cluster: PostgresCluster, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job manager on PostgreSQL: the database refuses connections while a job runs. Its
    watchers still get a coded end, nothing half is recorded, and once the database is back the
    same store serves again and the stale row is marked interrupted."""
    from gpt_image_engine.jobs.manager import JobManager, LiveJob, Outcome

    monkeypatch.setattr(pgmod, "ACQUIRE_TIMEOUT_S", 1.0)
    dbname = pg_url.rsplit("/", 1)[1]
    h = PostgresHistory(pg_url)
    (tmp_path / "jobs").mkdir()
    manager = JobManager(h, tmp_path / "jobs", max_parallel=1)

    def work(job: LiveJob) -> Outcome:
        postgres_cluster.admin_sql(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS false")
        _kill_connections(postgres_cluster, pg_url)
        return Outcome(payload={"output": None}, metadata={"n": 1})

    try:
        job = manager.submit("images generate", "fake", {"prompt": "a heron"}, work)
        events = list(manager.watch(job.job_id))
        assert [e["type"] for e in events] == ["job.queued", "job.running", "job.failed"]
        assert [e["seq"] for e in events] == [1, 2, 3]
        assert events[-1]["data"]["error"]["code"] == "database_unavailable"
        assert postgres_cluster.password not in json.dumps(events)
        with pytest.raises(AppError) as exc:
            h.get_job(job.job_id)
        assert exc.value.code == "database_unavailable"
    finally:
        postgres_cluster.admin_sql(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS true")
    row = h.get_job(job.job_id)  # the same store, reconnected
    assert row["status"] == "running" and "n" not in row["metadata"]  # the end was not half-written
    assert [e["type"] for e in h.events(job.job_id)] == ["job.queued", "job.running"]
    assert h.mark_interrupted("engine_restarted") == [job.job_id]
    h.close()


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:pw%40secret@[::1/db", "postgresql://u:pw%40secret@127.0.0.1:notaport/db", "postgresql:///"],
    ids=["bad-host", "bad-port", "no-host"],
)
def test_a_malformed_url_is_coded_and_hides_the_password(url: str) -> None:
    with pytest.raises(AppError) as exc:
        PostgresHistory(url)
    text = json.dumps(exc.value.to_envelope())
    assert exc.value.code == "database_unavailable"
    assert "pw%40secret" not in text and "pw@secret" not in text
    assert "hint" in (exc.value.detail or {})


def _fill_pool(h: PostgresHistory, n: int) -> None:
    """Leave `n` idle connections in the store's pool (each a backend the server may close)."""
    held = [h._pool.getconn() for _ in range(n)]
    for conn in held:
        h._pool.putconn(conn)


@pytest.mark.parametrize("lose", ["terminate", "restart"])
def test_calls_after_the_server_dropped_every_pooled_connection_succeed_once(
    postgres_cluster: PostgresCluster, pg_url: str, lose: str
) -> None:
    """No check before each use (it cost a round trip per call): a call that meets a connection the
    server closed runs again on a fresh one, once, and a write is never applied twice."""
    h = PostgresHistory(pg_url)
    h.create_job("job-1", "images generate", "openai", metadata={"prompt": "osprey"})

    def drop() -> None:
        _fill_pool(h, 4)
        if lose == "restart":
            postgres_cluster.restart()
        else:
            assert _kill_connections(postgres_cluster, pg_url) >= 4

    drop()
    assert h.get_job("job-1")["metadata"]["prompt"] == "osprey"  # a read
    drop()
    assert h.append_event("job-1", "local", "job.queued", {})[0] == 1  # a write
    drop()
    with h.batch():  # several writes in one transaction
        h.update_job("job-1", status="running", fetch=False)
        h.append_event("job-1", "local", "job.running", {})
    drop()
    page = h.list_jobs(query="osprey")  # a search: the page and its count on two connections
    assert page["total"] == 1 and page["jobs"][0]["status"] == "running"
    drop()
    h.update_job("job-1", status="completed", metadata_patch={"n": 1}, fetch=False)
    # Each write landed exactly once.
    assert [e["seq"] for e in h.events("job-1")] == [1, 2]
    assert [e["type"] for e in h.events("job-1")] == ["job.queued", "job.running"]
    assert h.get_job("job-1")["status"] == "completed"
    h.close()


def test_the_store_reconnects_after_the_server_restarts(postgres_cluster: PostgresCluster, pg_url: str) -> None:
    h = PostgresHistory(pg_url)
    h.create_job("job-1", "images generate", "openai", status="completed", metadata={"prompt": "kestrel"})
    postgres_cluster.restart()  # every connection the pool held is gone
    assert h.get_job("job-1")["metadata"]["prompt"] == "kestrel"
    assert h.append_event("job-1", "local", "job.storage", {})[0] == 1
    assert h.list_jobs(query="kestrel")["total"] == 1
    h.close()


def test_an_event_append_is_one_statement_and_numbers_on_from_rows_it_did_not_write(pg_url: str) -> None:
    """Events written without the counter (an engine before m005, `migrate-history`'s COPY) are
    numbered on from, and a deleted job's counter goes with it."""
    h = PostgresHistory(pg_url)
    h.create_job("job-1", "images generate", "openai", status="completed", fetch=False)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO job_events (job_id, seq, kind, event_type, data, created_at) "
            "SELECT 'job-1', s, 'local', 'job.progress', '{}', '1700000000' FROM generate_series(1, 3) AS s"
        )
    assert h.append_event("job-1", "local", "job.completed", {})[0] == 4
    with psycopg.connect(pg_url, autocommit=True) as conn:  # and once more behind the counter's back
        conn.execute(
            "INSERT INTO job_events (job_id, seq, kind, event_type, data, created_at) "
            "VALUES ('job-1', 5, 'local', 'job.storage', '{}', '1700000000')"
        )
    assert h.append_event("job-1", "local", "job.storage", {})[0] == 6
    assert [e["seq"] for e in h.events("job-1")] == [1, 2, 3, 4, 5, 6]
    h.delete_job("job-1")
    h.create_job("job-1", "images generate", "openai", fetch=False)
    assert h.append_event("job-1", "local", "job.queued", {})[0] == 1
    h.close()
