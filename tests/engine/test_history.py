"""The history store: schema compatibility, refusal of foreign files, paging, search, events, deletes.

Tests taking the `history` fixture (tests/engine/conftest.py) run against both backends
(history.sqlite and a PostgreSQL database on the suite's private cluster); the SQLite file's own behaviour (the upstream's schema,
foreign files, the FTS index) is tested on SQLite alone.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.store.history import (
    History,
    HistoryStore,
    decode_cursor,
    encode_cursor,
    new_job_id,
)
from gpt_image_engine.store.history.postgres import PostgresHistory

# The upstream's DDL (§8.1), written out by hand: what an upstream-created file looks like.
UPSTREAM_DDL = """
CREATE TABLE jobs (id TEXT PRIMARY KEY, command TEXT NOT NULL, provider TEXT NOT NULL, status TEXT NOT NULL,
    output_path TEXT, created_at TEXT NOT NULL, metadata TEXT NOT NULL);
CREATE INDEX idx_jobs_created_at_id ON jobs (created_at DESC, id DESC);
CREATE INDEX idx_jobs_status_created_at_id ON jobs (status, created_at DESC, id DESC);
ALTER TABLE jobs ADD COLUMN deleted_at TEXT;
CREATE INDEX idx_jobs_deleted_at_created_at ON jobs (deleted_at, created_at DESC, id DESC);
CREATE TABLE output_uploads (job_id TEXT NOT NULL, output_index INTEGER NOT NULL, target TEXT NOT NULL,
    target_type TEXT NOT NULL, status TEXT NOT NULL, url TEXT, error TEXT, bytes INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (job_id, output_index, target), FOREIGN KEY (job_id) REFERENCES jobs(id) ON DELETE CASCADE);
CREATE INDEX idx_output_uploads_job_output ON output_uploads (job_id, output_index);
CREATE TABLE job_events (job_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, event_type TEXT NOT NULL,
    data TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (job_id, seq),
    FOREIGN KEY (job_id) REFERENCES jobs(id) ON DELETE CASCADE);
CREATE INDEX idx_job_events_job_created ON job_events (job_id, created_at);
"""


def insert_rows(history: HistoryStore, rows: list[tuple[object, ...]]) -> None:
    """Rows (id, command, provider, status, output_path, created_at, metadata) written straight
    into the store's database, as another program (or a bulk import) would."""
    if isinstance(history, History):
        conn = sqlite3.connect(history.path)
        with conn:
            conn.executemany(
                "INSERT INTO jobs (id, command, provider, status, output_path, created_at, metadata) "
                "VALUES (?,?,?,?,?,?,?)",
                rows,
            )
        conn.close()
        return
    assert isinstance(history, PostgresHistory)
    with psycopg.connect(history.url) as pg:
        pg.cursor().executemany(
            "INSERT INTO jobs (id, command, provider, status, output_path, created_at, metadata) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s)",
            rows,
        )


def _code(exc: pytest.ExceptionInfo[AppError]) -> str:
    return exc.value.code


def test_round_trip_and_job_json(history: HistoryStore) -> None:
    meta = {
        "prompt": "A Red Fox",
        "attempts": [{"attempt_id": "a"}],
        "attempts_truncated_count": 2,
        "output": {"path": "/o/out.png", "files": [{"index": 0, "path": "/o/out.png"}]},
    }
    job = history.create_job("job-1", "images generate", "openai", metadata=meta, output_path="/o/out.png")
    assert job["id"] == "job-1" and job["status"] == "queued"
    assert job["created_at"].isdigit() and job["updated_at"] == job["created_at"]
    assert "attempts" not in job["metadata"] and "attempts_truncated_count" not in job["metadata"]
    assert job["outputs"] == [{"index": 0, "path": "/o/out.png"}]
    assert job["reference_images"] == [] and job["storage_status"] == "not_configured" and job["error"] is None

    err = {"code": "http_error", "message": "boom"}
    job = history.update_job("job-1", status="failed", metadata_patch={"size": "1024x1024"}, error=err)
    assert job["status"] == "failed" and job["error"] == err
    assert job["metadata"]["size"] == "1024x1024" and job["metadata"]["prompt"] == "A Red Fox"
    assert job["metadata"]["updated_at"].isdigit()
    assert history.get_job("job-1") == job

    with pytest.raises(AppError) as exc:
        history.get_job("nope")
    assert _code(exc) == "history_not_found" and exc.value.detail == {"job_id": "nope"}
    with pytest.raises(AppError) as exc:
        history.update_job("nope", status="running")
    assert _code(exc) == "history_not_found"


def test_reopen_records_migrations_once(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    History(path).close()
    h = History(path)
    h.create_job("job-a", "images generate", "openai", metadata={})
    h.close()
    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY name")]
    assert names == ["m001_initial", "m002_deleted_at", "m003_search_queue"]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_opens_upstream_created_database(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(UPSTREAM_DDL)
    meta = {
        "prompt": "lighthouse at dusk",
        "output": {"path": "/x.png", "files": [{"index": 0, "path": "/x.png"}]},
    }
    conn.execute(
        "INSERT INTO jobs (id, command, provider, status, output_path, created_at, metadata) VALUES (?,?,?,?,?,?,?)",
        (
            "job-1700000000000000000-1",
            "images generate",
            "codex",
            "completed",
            "/x.png",
            "1700000000",
            json.dumps(meta),
        ),
    )
    conn.execute(
        "INSERT INTO output_uploads (job_id, output_index, target, target_type, status, updated_at, metadata) "
        "VALUES (?,?,?,?,?,?,?)",
        (
            "job-1700000000000000000-1",
            0,
            "s3",
            "s3",
            "completed",
            "1700000001",
            '{"role":"primary"}',
        ),
    )
    conn.commit()
    conn.close()

    with History(path) as h:
        page = h.list_jobs()
        assert page["total"] == 1 and page["has_more"] is False and page["next_cursor"] is None
        job = page["jobs"][0]
        assert job["provider"] == "codex" and job["storage_status"] == "completed"
        assert job["outputs"][0]["uploads"][0]["target"] == "s3"
        assert h.list_jobs(query="LIGHTHOUSE")["total"] == 1
        # our writes land in the upstream's columns
        h.create_job("job-ours", "images edit", "openai", metadata={"prompt": "x"})

    # and the file still satisfies the upstream's own DDL (IF NOT EXISTS form) and reads
    conn = sqlite3.connect(path)
    conn.executescript(
        UPSTREAM_DDL.replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ")
        .replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ")
        .replace("ALTER TABLE jobs ADD COLUMN deleted_at TEXT;", "")
    )
    rows = conn.execute(
        "SELECT id, command, provider, status, output_path, created_at, metadata FROM jobs "
        "WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC"
    ).fetchall()
    assert {r[0] for r in rows} == {"job-1700000000000000000-1", "job-ours"}
    conn.close()


def test_upstream_database_without_deleted_at_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(
        UPSTREAM_DDL.replace("ALTER TABLE jobs ADD COLUMN deleted_at TEXT;", "").replace(
            "CREATE INDEX idx_jobs_deleted_at_created_at ON jobs (deleted_at, created_at DESC, id DESC);",
            "",
        )
    )
    conn.close()
    with History(path) as h:
        h.create_job("job-1", "images generate", "openai", metadata={})
        assert h.list_jobs()["total"] == 1


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a database, just text\n" * 10,
        b"SQLite format 3\x00" + b"\xff" * 4000,
    ],
    ids=["text", "bad-sqlite-body"],
)
def test_corrupt_file_is_refused_and_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "history.sqlite"
    path.write_bytes(content)
    with pytest.raises(AppError) as exc:
        History(path)
    assert _code(exc) == "history_open_failed"
    assert str(path) in exc.value.message
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite"]


def test_foreign_sqlite_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE jobs (job_id TEXT PRIMARY KEY, state TEXT)")
    conn.execute("INSERT INTO jobs VALUES ('a', 'b')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(AppError) as exc:
        History(path)
    assert _code(exc) == "history_open_failed" and str(path) in exc.value.message
    assert path.read_bytes() == before
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == [
        "jobs",
        "sqlite_autoindex_jobs_1",
    ]
    conn.close()


def _bulk(history: HistoryStore, n: int) -> list[str]:
    """n jobs, several per second, so ordering leans on the id tiebreak."""
    rows: list[tuple[object, ...]] = []
    for i in range(n):
        status = [
            "completed",
            "failed",
            "queued",
            "running",
            "cancelled",
            "partial_failed",
            "canceled",
        ][i % 7]
        meta = {"prompt": f"picture {i} of a {'walrus' if i % 10 == 0 else 'cat'}"}
        rows.append(
            (
                f"job-{i:06d}",
                "images generate",
                "openai",
                status,
                None,
                str(1_700_000_000 + i // 4),
                json.dumps(meta),
            )
        )
    insert_rows(history, rows)
    return [str(r[0]) for r in rows]


def test_paging_1200_jobs_sees_each_once(history: HistoryStore) -> None:
    ids = _bulk(history, 1200)
    seen: list[str] = []
    cursor = None
    cursors = []
    while True:
        page = history.list_jobs(limit=50, cursor=cursor)
        assert page["total"] == 1200
        seen.extend(j["id"] for j in page["jobs"])
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        assert len(page["jobs"]) == 50
        cursor = page["next_cursor"]
        cursors.append(cursor)
    assert seen == sorted(ids, reverse=True)  # created_at DESC, id DESC
    assert len(cursors) == 23
    # stable: the same cursor gives the same page, also after a newer job arrives
    again = history.list_jobs(limit=50, cursor=cursors[5])
    history.create_job(new_job_id(), "images generate", "openai", metadata={})
    assert history.list_jobs(limit=50, cursor=cursors[5])["jobs"] == again["jobs"]
    # limit is clamped
    assert len(history.list_jobs(limit=0)["jobs"]) == 1
    assert len(history.list_jobs(limit=10_000)["jobs"]) == 200


def test_cursor_is_opaque_and_validated(history: HistoryStore) -> None:
    token = encode_cursor("1700000000", "job-1")
    assert "|" not in token and decode_cursor(token) == ("1700000000", "job-1")
    for bad in ["not base64!", "Zm9v", encode_cursor("", "x").replace("=", ""), "%%%"]:
        with pytest.raises(AppError) as exc:
            history.list_jobs(cursor=bad)
        assert _code(exc) == "invalid_argument"


def test_search_and_status_filters(history: HistoryStore) -> None:
    _bulk(history, 140)
    assert history.list_jobs(query="  WALRUS ")["total"] == 14
    walrus_failed = sum(1 for i in range(0, 140, 10) if i % 7 in (1, 4, 5, 6))  # failed group
    assert history.list_jobs(query="walrus", status="failed")["total"] == walrus_failed == 8
    assert history.list_jobs(query="job-00001")["total"] == 10
    assert history.list_jobs(query="100%")["total"] == 0  # % is literal, not a wildcard
    assert history.list_jobs(query="job_0")["total"] == 0  # _ is literal
    history.create_job("job-x", "images generate", "openai", metadata={"prompt": "50% off_sale \\ now"})
    assert history.list_jobs(query="50% off_sale \\")["total"] == 1

    def count(status: str | None) -> int:
        return int(history.list_jobs(status=status, limit=200)["total"])

    assert count("completed") == 20 + 20  # completed + partial_failed
    assert count("failed") == 20 * 4  # failed, partial_failed, cancelled, canceled
    assert count("queued") == 20 + 1  # plus job-x
    assert count("active") == count("running") == 20 + 20 + 1
    assert count("cancelled") == 40
    assert count("all") == count(None) == count("bogus") == count("") == 141
    statuses = {j["status"] for j in history.list_jobs(status="failed", limit=200)["jobs"]}
    assert statuses == {"failed", "partial_failed", "cancelled", "canceled"}


def test_events_seq_continuity_and_concurrency(history: HistoryStore) -> None:
    history.create_job("job-1", "images generate", "openai", metadata={})
    assert history.append_event("job-1", "local", "job.queued", {"status": "queued"})[0] == 1
    history.update_job("job-1", status="running")
    seq, created_at = history.append_event("job-1", "local", "job.running", {"status": "running"})
    assert seq == 2 and created_at.isdigit()

    errors: list[Exception] = []

    def worker(n: int) -> None:
        try:
            for i in range(25):
                history.append_event("job-1", "local", "job.progress", {"worker": n, "i": i})
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    events = history.events("job-1")
    assert [e["seq"] for e in events] == list(range(1, 8 * 25 + 3))
    assert events[0] == {"seq": 1, "kind": "local", "type": "job.queued", "data": {"status": "queued"},
                         "created_at": events[0]["created_at"]}  # fmt: skip
    assert len({(e["data"].get("worker"), e["data"].get("i")) for e in events[2:]}) == 200
    assert [e["seq"] for e in history.events("job-1", after_seq=200)] == [201, 202]
    with pytest.raises(AppError) as exc:
        history.append_event("nope", "local", "job.queued", {})
    assert _code(exc) == "history_not_found"


def test_events_survive_an_upstream_style_duplicate_seq(tmp_path: Path) -> None:
    history = History(tmp_path / "history.sqlite")
    history.create_job("job-1", "images generate", "openai", metadata={})
    conn = sqlite3.connect(history.path)
    with conn:
        conn.execute(
            "INSERT INTO job_events (job_id, seq, kind, event_type, data, created_at) VALUES (?,?,?,?,?,?)",
            ("job-1", 1, "local", "job.queued", "{}", "1"),
        )
    conn.close()
    assert history.append_event("job-1", "local", "job.running", {})[0] == 2
    assert [e["type"] for e in history.events("job-1")] == ["job.queued", "job.running"]
    history.close()


def test_delete_job(history: HistoryStore) -> None:
    history.create_job("job-run", "images generate", "openai", status="running", metadata={})
    history.create_job("job-q", "images generate", "openai", metadata={})
    history.create_job("job-done", "images generate", "openai", status="completed", metadata={})
    history.append_event("job-done", "local", "job.completed", {})
    for job_id in ("job-run", "job-q"):
        with pytest.raises(AppError) as exc:
            history.delete_job(job_id)
        assert _code(exc) == "job_running"
    assert history.delete_job("job-done") == 2
    with pytest.raises(AppError) as exc:
        history.delete_job("job-done")
    assert _code(exc) == "history_not_found"
    assert history.events("job-done") == []


def test_active_jobs_and_mark_interrupted(history: HistoryStore) -> None:
    for job_id, status in [
        ("a", "queued"),
        ("b", "running"),
        ("c", "uploading"),
        ("d", "completed"),
    ]:
        history.create_job(
            job_id,
            "images generate",
            "openai",
            status=status,
            metadata={"prompt": job_id},
        )
    history.soft_delete_job("c")
    assert {j["id"] for j in history.active_jobs()} == {"a", "b"}
    assert history.list_jobs()["total"] == 3 and history.list_jobs(include_deleted=True)["total"] == 4

    assert sorted(history.mark_interrupted("engine_restarted")) == ["a", "b", "c"]
    assert history.active_jobs() == []
    job = history.get_job("b")
    assert job["status"] == "failed"
    assert job["metadata"]["interrupted_reason"] == "engine_restarted"
    assert job["error"]["code"] == "job_interrupted" and job["metadata"]["prompt"] == "b"
    assert history.get_job("d")["status"] == "completed"
    assert history.mark_interrupted("again") == []


def test_new_job_id_unique_and_shaped() -> None:
    ids = [new_job_id() for _ in range(5000)]
    assert len(set(ids)) == 5000
    prefix, nanos, pid = ids[0].split("-")
    assert prefix == "job" and nanos.isdigit() and len(nanos) >= 19 and pid.isdigit()
    assert ids == sorted(ids)


def test_reads_from_other_threads_and_close(history: HistoryStore) -> None:
    h = history
    h.create_job("job-1", "images generate", "openai", metadata={"prompt": "otter"})
    out: list[int] = []
    t = threading.Thread(target=lambda: out.append(h.list_jobs(query="otter")["total"]))
    t.start()
    t.join()
    assert out == [1]
    h.close()
    with pytest.raises(AppError):
        h.get_job("job-1")


def _like_ids(path: Path, needle: str) -> list[str]:
    """The upstream's search, verbatim: LOWER(col) LIKE %q% over id, command, provider, metadata."""
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT id FROM jobs WHERE deleted_at IS NULL AND (LOWER(id) LIKE ?1 ESCAPE '\\' OR LOWER(command) LIKE ?1 "
        "ESCAPE '\\' OR LOWER(provider) LIKE ?1 ESCAPE '\\' OR LOWER(metadata) LIKE ?1 ESCAPE '\\') "
        "ORDER BY created_at DESC, id DESC",
        (pattern,),
    ).fetchall()
    conn.close()
    return [r[0] for r in rows]


def _all_ids(history: History, **kw: object) -> tuple[list[str], int]:
    page = history.list_jobs(limit=200, **kw)  # type: ignore[arg-type]
    ids = [j["id"] for j in page["jobs"]]
    total = page["total"]
    while page["has_more"]:
        page = history.list_jobs(limit=200, cursor=page["next_cursor"], **kw)  # type: ignore[arg-type]
        ids += [j["id"] for j in page["jobs"]]
    return ids, total


def test_search_index_matches_upstream_like_semantics(tmp_path: Path) -> None:
    from gpt_image_engine.store.history import fts_trigram_available

    path = tmp_path / "h.sqlite"
    h = History(path)
    prompts = ["A Red FOX", "red_fox 100%", 'quote "x" fox', "Élan vital", "élan", "foxglove", "f o x", "back\\slash"]
    for i, prompt in enumerate(prompts * 3):
        h.create_job(f"job-{i:03d}", "images generate", "openai", status="completed", metadata={"prompt": prompt})
    h.update_job("job-000", metadata_patch={"prompt": "now a wolf"})  # re-indexed, old text gone
    h.delete_job("job-001")
    for i in range(2500):  # enough rows for the planner's index-count branch
        h.create_job(f"job-b{i:04d}", "images generate", "codex", metadata={"prompt": "common harbor"})
    # Rows written by another program (the upstream's tools): triggers queue them for the index.
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO jobs (id, command, provider, status, created_at, metadata) VALUES "
            "('job-upstream', 'images edit', 'openai', 'completed', '1', '{\"prompt\":\"zebra crossing\"}')"
        )
        conn.execute("UPDATE jobs SET metadata = '{\"prompt\":\"gone fox\"}' WHERE id = 'job-002'")
    conn.close()
    for needle in ["fox", "red", "red_", "0%", '"x"', "élan", "Élan", "zebra", "wolf", "gone", "job-0", "harbor",
                   "codex", "images", "o x", "\\sl", "fo", "nothing-like-this", "a red fox"]:  # fmt: skip
        ids, total = _all_ids(h, query=needle)
        expected = _like_ids(path, needle.lower())
        assert ids == expected, needle
        assert total == len(expected), needle
    assert _all_ids(h, query="fox", status="failed") == ([], 0)
    h.close()
    if fts_trigram_available():
        conn = sqlite3.connect(path)
        assert conn.execute("SELECT COUNT(*) FROM jobs_search_dirty").fetchone()[0] == 0
        assert (
            conn.execute("SELECT COUNT(*) FROM jobs_search").fetchone()[0]
            == conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        )
        conn.close()


def test_search_without_fts_falls_back_to_like(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gpt_image_engine.store.history.sqlite_search as mod

    monkeypatch.setattr(mod, "_fts_probe", False)
    path = tmp_path / "h.sqlite"
    h = History(path)
    h.create_job("job-1", "images generate", "openai", metadata={"prompt": "a lighthouse"})
    h.create_job("job-2", "images generate", "openai", metadata={"prompt": "a tree"})
    assert _all_ids(h, query="lighthouse") == (["job-1"], 1)
    h.close()
    monkeypatch.setattr(mod, "_fts_probe", None)
    h = History(path)  # FTS back: the index is built from the queue the triggers kept
    h.create_job("job-3", "images generate", "openai", metadata={"prompt": "another lighthouse"})
    assert _all_ids(h, query="lighthouse") == (["job-3", "job-1"], 2)
    h.close()


def test_large_backlog_is_indexed_in_the_background(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import gpt_image_engine.store.history.sqlite_search as mod

    if not mod.fts_trigram_available():
        pytest.skip("no FTS5 trigram in this SQLite")
    monkeypatch.setattr(mod, "INLINE_CATCH_UP", 10)
    monkeypatch.setattr(mod, "CHUNK", 7)
    path = tmp_path / "h.sqlite"
    History(path).close()
    conn = sqlite3.connect(path)
    with conn:  # another program writes 60 rows: the triggers queue them
        conn.executemany(
            "INSERT INTO jobs (id, command, provider, status, created_at, metadata) VALUES (?, 'images generate', 'openai', 'completed', ?, ?)",
            [(f"job-{i:03d}", str(i), json.dumps({"prompt": f"kite {i}" if i % 3 else "boat"})) for i in range(60)],
        )
    history = History(path)  # opens at once; the backlog goes to a thread
    assert _all_ids(history, query="kite")[1] == 40  # exact meanwhile (scan)
    deadline = time.monotonic() + 10
    while conn.execute("SELECT COUNT(*) FROM jobs_search_dirty").fetchone()[0] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert conn.execute("SELECT COUNT(*) FROM jobs_search").fetchone()[0] == 60
    ids, total = _all_ids(history, query="kite")
    assert total == 40 and ids == _like_ids(path, "kite")
    conn.close()
    history.close()
