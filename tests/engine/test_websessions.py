"""Signed-out web sessions in the engine (WebSessionsService): the list every gateway asks before
honouring a session cookie. In web_sessions.sqlite for a single engine, in the shared PostgreSQL
table for a cluster (two stores on one database stand for two engines), and through gRPC."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import grpc
import pytest

from gpt_image.v1 import websessions_pb2
from gpt_image_engine.store.history.postgres import PostgresHistory
from gpt_image_engine.store.websessions import FILE_NAME, PostgresRevoked, SqliteRevoked
from gpt_image_protocol.address import parse_address
from gpt_image_protocol.channel import open_channel
from gpt_image_protocol.rpc_errors import from_rpc_error
from gpt_image_protocol.stubs import EngineStubs
from tests.conftest import EngineProc


def test_sqlite_list_keeps_a_sign_out_until_the_session_would_expire(tmp_path: Path) -> None:
    now = int(time.time())
    store = SqliteRevoked(tmp_path / FILE_NAME)
    assert not store.revoked("a" * 64)
    store.revoke("a" * 64, now + 3600)
    store.revoke("old", now - 10)  # already past its expiry: dropped by the next sign-out
    assert store.revoked("a" * 64) and not store.revoked("b" * 64)
    store.revoke("c" * 64, now + 3600)
    assert not store.revoked("old")
    # Another engine process on the same state folder (a restart) reads the same file.
    assert SqliteRevoked(tmp_path / FILE_NAME).revoked("a" * 64)
    assert stat.S_IMODE((tmp_path / FILE_NAME).stat().st_mode) == 0o600


def test_postgres_list_is_shared_by_every_engine_on_the_database(pg_url: str) -> None:
    now = int(time.time())
    one, two = PostgresHistory(pg_url, owner="engine-1"), PostgresHistory(pg_url, owner="engine-2")
    a, b = PostgresRevoked(one), PostgresRevoked(two)
    a.revoke("s1", now + 60)
    a.revoke("s1", now + 30)  # a second sign-out of the same session never shortens the record
    a.revoke("gone", now - 1)
    assert b.revoked("s1") and not b.revoked("s2")
    b.revoke("s2", now + 60)
    assert a.revoked("s2") and not a.revoked("gone")
    one.close()
    two.close()


@pytest.fixture(scope="module")
def engine(module_engine: EngineProc) -> EngineProc:
    return module_engine


def test_the_service_records_checks_and_refuses_bad_ids(engine: EngineProc) -> None:
    channel = open_channel(parse_address(engine.address))
    stub = EngineStubs(channel).web_sessions
    try:
        sid = "d" * 64
        assert not stub.CheckWebSession(websessions_pb2.CheckWebSessionRequest(session_id=sid), timeout=5).revoked
        stub.RevokeWebSession(
            websessions_pb2.RevokeWebSessionRequest(session_id=sid, expires_at=int(time.time()) + 60), timeout=5
        )
        assert stub.CheckWebSession(websessions_pb2.CheckWebSessionRequest(session_id=sid), timeout=5).revoked
        assert (engine.shared_dir / FILE_NAME).exists()
        for bad in ("", " ", "x" * 129):
            with pytest.raises(grpc.RpcError) as info:
                stub.CheckWebSession(websessions_pb2.CheckWebSessionRequest(session_id=bad), timeout=5)
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert from_rpc_error(info.value).code == "invalid_argument"
    finally:
        channel.close()
