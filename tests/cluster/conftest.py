"""Fixtures for the cluster tests: the suite's private PostgreSQL (tests/servers/postgres.py),
a fresh database per test, and two engines on it sharing one SeaweedFS bucket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.engines import cluster_engine
from tests.conftest import EngineProc
from tests.servers.postgres import pg_url, postgres_cluster

__all__ = ["pair", "pg_url", "postgres_cluster"]


@pytest.fixture
def pair(
    tmp_path: Path, pg_url: str, s3_server: Any, s3_url: str, fake_upstream: Any
) -> Iterator[tuple[EngineProc, EngineProc]]:
    """Two real engines on one PostgreSQL database and one bucket, the fake upstream as provider."""
    bucket = s3_server.engine_env(s3_url)
    a = cluster_engine(tmp_path / "a", pg_url, fake_upstream.openai_base, bucket)
    b = cluster_engine(tmp_path / "b", pg_url, fake_upstream.openai_base, bucket)
    a.start()
    try:
        b.start()
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()
