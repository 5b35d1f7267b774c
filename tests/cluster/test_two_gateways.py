"""Two real `gpt-image-2-web` processes, each in front of its own engine, the two engines on one
PostgreSQL database and one SeaweedFS bucket: a browser signs in on gateway A and uses that
session on gateway B (generate, follow the events, download the output); signing out on B ends it
on A as well, though A never saw the sign-out (the signed-out list lives in the shared database).
No sticky sessions are needed in front of several gateways."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EngineProc
from tests.gateway.conftest import sse_events
from tests.gateway.support import GatewayProc, env_without_proxies, start_gateway

pytestmark = pytest.mark.slow  # real engines, gateways, PostgreSQL and SeaweedFS

TOKEN = secrets.token_hex(24)


@pytest.fixture
def gateways(pair: tuple[EngineProc, EngineProc], tmp_path: Path) -> Iterator[tuple[GatewayProc, GatewayProc]]:
    a, b = pair
    env = env_without_proxies()
    gw_a = start_gateway(a.address, env, tmp_path / "gateway-a.log", token=TOKEN)
    try:
        gw_b = start_gateway(b.address, env, tmp_path / "gateway-b.log", token=TOKEN)
        try:
            yield gw_a, gw_b
        finally:
            gw_b.stop()
    finally:
        gw_a.stop()


def test_a_session_from_one_gateway_works_on_the_other_until_signed_out_on_either(
    gateways: tuple[GatewayProc, GatewayProc], fake_upstream: Any
) -> None:
    gw_a, gw_b = gateways
    with httpx.Client(base_url=gw_a.url, timeout=60) as on_a, httpx.Client(base_url=gw_b.url, timeout=60) as on_b:
        signed_in = on_a.post("/api/session", json={"token": TOKEN})
        assert signed_in.status_code == 204, signed_in.text
        cookie = {"Cookie": f"gpt2_session={signed_in.cookies['gpt2_session']}"}
        assert on_b.get("/api/jobs").status_code == 401  # no cookie: nothing
        assert on_b.get("/api/session", headers=cookie).json() == {"auth_required": True, "authorized": True}

        started = on_b.post("/api/images/generate", json={"prompt": "a heron", "size": "1024x1024"}, headers=cookie)
        assert started.status_code == 202, started.text
        job_id = started.json()["job_id"]
        with on_b.stream("GET", f"/api/jobs/{job_id}/events", headers=cookie) as stream:
            assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
            events = sse_events(stream.read())
        types = [m["data"]["type"] for m in events]
        assert types[0] == "job.queued" and types[-1] == "job.completed", types
        output = next(x for x in events[-1]["data"]["artifacts"] if x["role"] == "output")
        image = on_b.get(f"/api/jobs/{job_id}/outputs/0", headers=cookie)
        assert image.status_code == 200 and hashlib.sha256(image.content).hexdigest() == output["sha256"]
        assert on_a.get(f"/api/jobs/{job_id}", headers=cookie).json()["job"]["status"] == "completed"

        signed_out = on_b.delete("/api/session", headers=cookie)
        assert signed_out.status_code == 204
        assert "gpt2_session=" in signed_out.headers["set-cookie"]  # the browser's copy is cleared
        for gateway in (on_a, on_b):  # the kept copy works on neither
            refused = gateway.get("/api/jobs", headers=cookie)
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
        assert on_a.get(f"/api/jobs/{job_id}/outputs/0", headers=cookie).status_code == 401
        assert on_a.get("/api/session", headers=cookie).json()["authorized"] is False
        # Bearer clients were never tied to a gateway; a new sign-in on B works on A.
        assert on_a.get("/api/jobs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        again = on_b.post("/api/session", json={"token": TOKEN})
        assert (
            on_a.get("/api/jobs", headers={"Cookie": f"gpt2_session={again.cookies['gpt2_session']}"}).status_code
            == 200
        )
    for gateway in gateways:
        assert TOKEN not in gateway.log.read_text()
