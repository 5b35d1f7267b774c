"""A real engine process on PostgreSQL: `migrate-history` fills the database, the engine serves
its listing and records new jobs there, and an unreachable database stops `serve` with a coded
error whose URL hides the password."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg

from gpt_image_engine.store.history import History
from tests.conftest import ENGINE, EngineProc, base_env
from tests.fakeupstream.server import draw_png
from tests.servers.postgres import PostgresCluster, _free_port


def _seed_sqlite(path: Path, count: int) -> None:
    with History(path) as h:
        for i in range(count):
            prompt = f"picture {i} of a " + ("lighthouse" if i % 10 == 3 else "meadow")
            h.create_job(f"job-{1_700_000_000_000_000_000 + i}-7", "images generate", "openai", status="completed",
                         metadata={"prompt": prompt})  # fmt: skip
            h.append_event(f"job-{1_700_000_000_000_000_000 + i}-7", "local", "job.completed", {"status": "completed"})


def test_engine_on_postgresql_after_migrate_history(
    tmp_path: Path, postgres_cluster: PostgresCluster, pg_url: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = base_env(home)
    src = tmp_path / "old-history.sqlite"
    _seed_sqlite(src, 40)
    out = subprocess.run(
        [ENGINE, "migrate-history", "--from", str(src), "--to", pg_url],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] and report["copied"] == {"jobs": 40, "job_events": 40, "output_uploads": 0}
    assert postgres_cluster.password not in out.stdout + out.stderr

    engine = EngineProc(home=home, env=env, socket=Path(f"/tmp/gi2pg-e2e-{_free_port()}.sock"),
                        extra_env={"GPT_IMAGE_2_DATABASE_URL": pg_url})  # fmt: skip
    engine.start()
    try:
        page = engine.cli("history", "list", "--query", "LightHouse", "--limit", "3").json
        assert page["ok"] and page["total"] == 4 and len(page["jobs"]) == 3 and page["has_more"]
        rest = engine.cli("history", "list", "--query", "lighthouse", "--cursor", page["next_cursor"]).json
        assert len(rest["jobs"]) == 1 and not rest["has_more"]
        png = tmp_path / "v.png"
        png.write_bytes(draw_png(16, 16, 0))
        verified = engine.cli("transparent", "verify", "--input", str(png))
        assert verified.returncode == 0, verified.stdout
        job_id = verified.json["history"]["job_id"]
        everything = engine.cli("history", "list", "--limit", "100").json
        assert everything["total"] == 41 and everything["jobs"][0]["id"] == job_id
        shown = json.dumps(everything)
        assert postgres_cluster.password not in shown
        where = engine.cli("config", "path")
        assert where.returncode == 0, where.stdout
        assert where.json["history_database"].endswith(pg_url.rsplit("@", 1)[1])
        assert postgres_cluster.password not in where.stdout
    finally:
        engine.stop()
    assert not (home / ".codex" / "gpt-image-2-skill" / "history.sqlite").exists()  # nothing went to SQLite
    with psycopg.connect(pg_url) as conn:
        status = conn.execute("SELECT status, claimed_by FROM jobs WHERE id = %s", (job_id,)).fetchone()
        types = [
            r[0] for r in conn.execute("SELECT event_type FROM job_events WHERE job_id = %s ORDER BY seq", (job_id,))
        ]
    assert status is not None and status[0] == "completed" and status[1]
    assert types[0] == "job.queued" and types[-1] == "job.completed"
    log_text = "".join(p.read_text(errors="replace") for p in home.rglob("*.log"))
    assert postgres_cluster.password not in log_text


def test_serve_with_an_unreachable_database_fails_coded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    url = f"postgresql://gi2:sup3rsecret@127.0.0.1:{_free_port()}/history"
    started = time.monotonic()
    out = subprocess.run(
        [ENGINE, "serve", "--socket", str(tmp_path / "e.sock"), "--database-url", url],
        env=base_env(home), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode != 0 and time.monotonic() - started < 30
    envelope: dict[str, Any] = json.loads(out.stderr.strip().splitlines()[-1])
    err = envelope["error"]
    assert err["code"] == "database_unavailable"
    assert "sup3rsecret" not in out.stderr + out.stdout
    assert err["detail"]["database_url"].startswith("postgresql://gi2:***@127.0.0.1:")
    assert "GPT_IMAGE_2_DATABASE_URL" in err["detail"]["hint"]
