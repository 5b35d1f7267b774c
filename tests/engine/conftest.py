"""Fixtures for the engine's in-process unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gpt_image_engine.store.history import History


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    """A real history.sqlite in the test's temporary folder."""
    store = History(tmp_path / "history.sqlite")
    try:
        yield store
    finally:
        store.close()
