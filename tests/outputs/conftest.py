"""Session-wide real servers for the outputs tests (started once, stopped at the end; SeaweedFS,
`s3_server`, comes from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.outputs.servers import HttpSink, Proxies, Sftp, Smtp, WebDav


@pytest.fixture(scope="session")
def webdav_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDav]:
    server = WebDav(tmp_path_factory.mktemp("webdav") / "root").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sftp]:
    server = Sftp(tmp_path_factory.mktemp("sftp") / "root").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Smtp]:
    server = Smtp(tmp_path_factory.mktemp("smtp")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def proxies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxies]:
    server = Proxies(tmp_path_factory.mktemp("proxies")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    server = HttpSink().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def out_file(tmp_path: Path) -> Path:
    from tests.fakeupstream.server import draw_png

    path = tmp_path / "out.png"
    path.write_bytes(draw_png(32, 32))
    return path
