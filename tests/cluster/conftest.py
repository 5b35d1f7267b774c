"""Fixtures for the cluster tests: one private PostgreSQL per session, a fresh database per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.cluster.pgserver import PgServer

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The URL of an empty database of its own."""
    return pg_server.new_database(f"t{next(_names)}")
