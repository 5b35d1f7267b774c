"""Engines of one cluster for tests and the bench: real `gpt-image-2-engine serve` processes on
one PostgreSQL database and one S3 bucket (SeaweedFS), each with its own data folder (only a
working folder: every file goes to the bucket) and Unix socket, and the provider key in each
engine's own environment (a cluster's secrets live with its engines, never in the database)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import EngineProc, base_env
from tests.gateway.support import wait_for

__all__ = ["client_env", "cluster_engine", "job_json", "queue_row", "statuses", "wait_for"]


def cluster_engine(
    home: Path, database_url: str, upstream_base: str, bucket: dict[str, str], **extra: str
) -> EngineProc:
    home.mkdir(parents=True, exist_ok=True)
    env = base_env(home)
    env.update(
        GPT_IMAGE_2_DATABASE_URL=database_url,
        OPENAI_API_KEY="sk-cluster-engine",
        OPENAI_BASE_URL=upstream_base,
        **bucket,
        **extra,
    )
    sock = Path(tempfile.mkdtemp(prefix="gi2c-")) / "e.sock"
    return EngineProc(home=home, env=env, socket=sock)


def client_env(engine: EngineProc, **extra: str) -> dict[str, str]:
    """A CLI environment aimed at one engine, with no provider key of its own (the job then
    travels: any engine may run it)."""
    env = engine.client_env(**extra)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "GPT_IMAGE_2_DATABASE_URL", "GPT_IMAGE_2_ARTIFACTS_URL"):
        env.pop(name, None)
    env.update(extra)
    return env


def queue_row(database_url: str, job_id: str) -> dict[str, Any]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT q.state, q.engine_id, q.pinned_engine, e.pid FROM job_queue q "
            "LEFT JOIN cluster_engines e ON e.engine_id = COALESCE(q.engine_id, q.pinned_engine) WHERE q.job_id = %s",
            (job_id,),
        ).fetchone()
    assert row is not None, job_id
    return {"state": row[0], "engine_id": row[1], "pinned_engine": row[2], "pid": row[3]}


def statuses(database_url: str, job_ids: list[str]) -> dict[str, str]:
    """The jobs' statuses straight from the shared database (cheaper to poll than a CLI process)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT id, status FROM jobs WHERE id = ANY(%s)", (job_ids,)).fetchall()
    return {r[0]: r[1] for r in rows}


def job_json(engine: EngineProc, job_id: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = engine.cli("history", "show", job_id, env=env or client_env(engine))
    assert result.returncode == 0, result.stdout + result.stderr
    return dict(json.loads(result.stdout)["job"])
