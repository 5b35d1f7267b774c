"""Clients stay plain (issue 17): engines on one PostgreSQL history and one SeaweedFS bucket,
reached through gRPC's own `round_robin` over `127.0.0.1:A,127.0.0.1:B` (gRPC's
`ipv4:127.0.0.1:A,127.0.0.1:B` target).

Each engine says `stores.shared` in GetVersion; the CLI then opens one balanced channel and the
calls of a single invocation land on both engines (no pinning, no owner lookup): an upload on
one, the work on either, the download from the bucket through whichever answers. The gateway
skips owner routing and lists one engine's page (a merged listing would show every job twice).
Engines with their own stores keep the owner routing (tests/remote/test_multi_engine.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gpt_image.v1 import system_pb2, system_pb2_grpc
from gpt_image_protocol.address import parse_address
from gpt_image_protocol.channel import open_channel
from tests.conftest import run_cli
from tests.fakeupstream.server import FakeUpstream, draw_png
from tests.remote.support import TcpEngine, client_env, short_tmp, write_token

pytestmark = pytest.mark.slow


@dataclass
class Cluster:
    engines: list[TcpEngine]
    token: str
    upstream: FakeUpstream
    root: Path

    @property
    def address(self) -> str:
        return ",".join(e.address for e in self.engines)

    def env(self) -> dict[str, str]:
        return client_env(
            self.root / "client",
            self.address,
            None,
            self.token,
            OPENAI_API_KEY="sk-cluster",
            OPENAI_BASE_URL=self.upstream.openai_base,
        )


@pytest.fixture
def cluster(s3_server: Any, s3_url: str, pg_url: str) -> Iterator[Cluster]:
    root = short_tmp()
    token_file = root / "engine.token"
    token = write_token(token_file)
    upstream = FakeUpstream().start()
    shared = {
        "GPT_IMAGE_2_DATABASE_URL": pg_url,
        "GPT_IMAGE_2_ARTIFACTS_URL": s3_url,
        "AWS_ENDPOINT_URL_S3": s3_server.endpoint,
        "AWS_ACCESS_KEY_ID": s3_server.access_key,
        "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
    }
    engines = [
        TcpEngine(home=root / f"engine-{i}", pki=None, token_file=token_file, extra_env=shared) for i in range(2)
    ]
    try:
        for engine in engines:
            engine.start(timeout=60)
        yield Cluster(engines, token, upstream, root)
    finally:
        for engine in engines:
            engine.stop()
        upstream.stop()


def engine_ids(cluster: Cluster) -> dict[str, str]:
    """engine_id -> address, asked of each engine alone."""
    out = {}
    for engine in cluster.engines:
        channel = open_channel(parse_address(engine.address), token=cluster.token, tls=False)
        try:
            reply = system_pb2_grpc.SystemServiceStub(channel).GetVersion(system_pb2.GetVersionRequest(), timeout=10)
        finally:
            channel.close()
        info = json.loads(reply.result_json)
        assert info["stores"] == {"history": "postgresql", "artifacts": "s3", "shared": True}
        out[info["engine_id"]] = engine.address
    return out


def test_one_cli_channel_balances_over_both_engines(cluster: Cluster, tmp_path: Path) -> None:
    ids = engine_ids(cluster)
    from gpt_image_cli.connect import connect_remote

    address = parse_address(cluster.address)
    assert address.grpc_target == "ipv4:" + cluster.address
    env = cluster.env()
    engine = connect_remote(address, token_file=str(cluster.root / "engine.token"))
    try:
        assert engine.router is None and engine.address == address  # one balanced channel, no pinning
        seen = {engine.version()["engine_id"] for _ in range(12)}
    finally:
        engine.close()
    assert seen == set(ids), "round_robin reaches every engine"

    # The real CLI: an edit uploads its reference, runs the job and downloads the output, on
    # whichever engines answer; the job is the same row on both (one history, one bucket).
    ref = tmp_path / "ref.png"
    ref.write_bytes(draw_png(64, 64, 1))
    out = tmp_path / "out" / "pear"
    r = run_cli("images", "edit", "--prompt", "a pear", "--ref-image", str(ref), "--out", str(out), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    job_id = r.json["history"]["job_id"]
    saved_png = Path(r.json["output"]["path"]).read_bytes()
    assert saved_png[:8] == b"\x89PNG\r\n\x1a\n"
    for engine in cluster.engines:
        one = client_env(cluster.root / "client", engine.address, None, cluster.token)
        shown = run_cli("history", "show", job_id, env=one)
        assert shown.returncode == 0 and shown.json["job"]["status"] == "completed", shown.stdout + shown.stderr
    listed = run_cli("history", "list", env=env)
    assert [j["id"] for j in listed.json["jobs"]].count(job_id) == 1


def test_the_gateway_skips_owner_routing_on_shared_stores(cluster: Cluster) -> None:
    from gpt_image_gateway.client import EngineClient
    from gpt_image_protocol.channel import client_settings

    address = parse_address(cluster.address)
    client = EngineClient(address, settings=client_settings(address, token=cluster.token, tls=False))
    try:
        assert client.shared and client.pinned() is client
        served = set()
        for _ in range(8):
            served.add(client.version()["engine_id"])
        assert served == set(engine_ids(cluster))
        page = client.list_jobs(limit=50, cursor="", status="", query="")
        assert not page.next_page_token.startswith("m1.")  # one engine's own cursor, not a merged one
    finally:
        client.close()
