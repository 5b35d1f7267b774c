"""The web gateway (a real `gpt-image-2-web` process) in front of a TLS + token engine on TCP:
its health, a generate job, its event stream and the output, with no data directory shared."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

from tests.gateway.support import start_gateway
from tests.remote.support import TcpEngine, client_env, make_pki, short_tmp, write_token

pytestmark = pytest.mark.slow


def _get(url: str) -> tuple[int, bytes, str]:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return reply.status, reply.read(), reply.headers.get_content_type()


def test_gateway_generates_through_remote_engine(tmp_path: Path, fake_upstream) -> None:  # type: ignore[no-untyped-def]
    pki = make_pki(short_tmp() / "pki")
    token_file = tmp_path / "token"
    write_token(token_file)
    # Credentials live with the engine (the GPU box), not with the gateway.
    engine = TcpEngine(
        home=tmp_path / "engine-home",
        pki=pki,
        token_file=token_file,
        extra_env={"OPENAI_API_KEY": "sk-gw-remote", "OPENAI_BASE_URL": fake_upstream.openai_base},
    )
    engine.start()
    gateway = None
    try:
        env = client_env(tmp_path / "gw-home", engine.address, pki, None, GPT_IMAGE_2_ENGINE_TOKEN_FILE=str(token_file))
        env = {k: v for k, v in env.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
        gateway = start_gateway(engine.address, env, tmp_path / "gateway.log")
        status, body, _ = _get(gateway.url + "/api/health")
        assert status == 200, body
        request = urllib.request.Request(
            gateway.url + "/api/images/generate",
            data=json.dumps({"prompt": "a fox over TLS", "size": "1024x1024"}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            assert reply.status == 202
            job_id = json.loads(reply.read())["job_id"]
        status, stream, kind = _get(f"{gateway.url}/api/jobs/{job_id}/events")
        assert status == 200 and kind == "text/event-stream"
        assert b'"terminal": true' in stream or b'"terminal":true' in stream
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, image, kind = _get(f"{gateway.url}/api/jobs/{job_id}/outputs/0")
            if status == 200:
                break
            time.sleep(0.1)
        assert kind == "image/png" and image[:8] == b"\x89PNG\r\n\x1a\n"
        assert engine.job_ids() == [job_id]
        assert fake_upstream.requests_to("/v1/images/generations")[-1].headers["authorization"] == "Bearer sk-gw-remote"
    finally:
        if gateway is not None:
            gateway.stop()
        engine.stop()
