"""Fixtures for the engine's in-process unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gpt_image_engine.store.history import History, HistoryStore
from gpt_image_engine.store.history.postgres import PostgresHistory


@pytest.fixture(params=["sqlite", "postgresql"])
def history(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HistoryStore]:
    """A real history store, once per backend: history.sqlite in the test's temporary folder, and
    a new database on the suite's private PostgreSQL cluster."""
    store: HistoryStore
    if request.param == "sqlite":
        store = History(tmp_path / "history.sqlite")
    else:
        store = PostgresHistory(request.getfixturevalue("pg_url"))
    try:
        yield store
    finally:
        store.close()
