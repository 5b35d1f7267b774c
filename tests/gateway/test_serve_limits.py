"""Issue 12, items 5 and 10 (gateway): the served `gpt-image-2-web` under waitress, with real
sockets on 127.0.0.1 and bounded loops.

* A body over its route's cap is refused (413, coded) as soon as the headers arrive, before
  the gateway reads a byte of it; `/api/session` takes only a tiny body.
* Event streams are capped per client (429 `too_many_followers`) and in total (503
  `gateway_busy`), below the thread count, so `/api/health` answers while they are open.
* A connection that sends half a request and goes silent is closed after the channel timeout.
* A token under 32 characters and a port already in use each stop the start with one coded
  line, no traceback.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import base_env
from tests.fakeupstream.server import Fault
from tests.gateway.support import WEB, GatewayProc, Stack, free_port, start_gateway

pytestmark = pytest.mark.slow

THREADS = 16  # the event-stream cap is then 16 - 4 = 12
PER_CLIENT = 3


@pytest.fixture(scope="module")
def gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProc]:
    gw = start_gateway(
        stack.address,
        stack.engine.env,
        tmp_path_factory.mktemp("gwlimits") / "gateway.log",
        extra={
            "GPT_IMAGE_2_WEB_THREADS": str(THREADS),
            "GPT_IMAGE_2_WEB_SSE_PER_CLIENT": str(PER_CLIENT),
            "GPT_IMAGE_2_WEB_CHANNEL_TIMEOUT": "2",
            "GPT_IMAGE_2_WEB_TRUSTED_PROXIES": "127.0.0.1",  # lets the test speak for several clients
        },
    )
    yield gw
    gw.stop()


def hostport(gw: GatewayProc) -> tuple[str, int]:
    host, port = gw.url.removeprefix("http://").split(":")
    return host, int(port)


def raw_exchange(gw: GatewayProc, head: bytes, timeout: float = 5.0) -> tuple[float, bytes]:
    """Send `head` (request line + headers, no body), then read until the server closes."""
    started = time.monotonic()
    with socket.create_connection(hostport(gw), timeout=timeout) as sock:
        sock.sendall(head)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            pass
    return time.monotonic() - started, data


def status_and_json(data: bytes) -> tuple[int, Any]:
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def health(gw: GatewayProc, timeout: float = 3.0) -> float:
    started = time.monotonic()
    conn = http.client.HTTPConnection(*hostport(gw), timeout=timeout)
    try:
        conn.request("GET", "/api/health")
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    return time.monotonic() - started


@pytest.mark.parametrize(
    ("path", "length", "cap"),
    [
        ("/api/session", 900 * 1024 * 1024, 4 * 1024),
        ("/api/session", 5000, 4 * 1024),
        ("/api/providers/default", 3 * 1024 * 1024, 2 * 1024 * 1024),
        ("/api/images/edit", 65 * 1024 * 1024, 64 * 1024 * 1024),
    ],
)
def test_oversized_body_refused_before_it_is_sent(gateway: GatewayProc, path: str, length: int, cap: int) -> None:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    elapsed, data = raw_exchange(gateway, head)
    assert data, "no answer before the body was sent"
    status, body = status_and_json(data)
    assert status == 413 and body["error"]["code"] == "payload_too_large", data[:300]
    assert body["error"]["detail"]["limit_bytes"] == cap
    assert elapsed < 3.0


def test_chunked_body_over_the_cap_is_cut_off(gateway: GatewayProc) -> None:
    with socket.create_connection(hostport(gateway), timeout=5) as sock:
        sock.sendall(
            b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 2048
        sent = 0
        data = b""
        try:
            for _ in range(64):  # at most 128 KiB offered against a 4 KiB cap
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                sock.settimeout(0.05)
                try:
                    data += sock.recv(65536)
                except TimeoutError:
                    continue
                if data:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(5)
        try:
            while chunk_in := sock.recv(65536):
                data += chunk_in
        except (TimeoutError, ConnectionResetError):
            pass
    status, body = status_and_json(data)
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    assert sent <= 64 * 1024


def test_half_sent_requests_are_closed_and_health_still_answers(gateway: GatewayProc) -> None:
    socks = []
    try:
        for _ in range(40):
            s = socket.create_connection(hostport(gateway), timeout=10)
            s.sendall(b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
            socks.append(s)
        assert health(gateway) < 2.0
        started = time.monotonic()
        for s in socks:
            assert s.recv(1) == b""  # closed by the server (channel timeout 2 s, checked every 1 s)
        assert time.monotonic() - started < 8.0
    finally:
        for s in socks:
            s.close()


def _open_stream(gw: GatewayProc, job_id: str, client: str) -> tuple[http.client.HTTPConnection, int, Any]:
    conn = http.client.HTTPConnection(*hostport(gw), timeout=10)
    conn.request("GET", f"/api/jobs/{job_id}/events", headers={"X-Forwarded-For": client})
    reply = conn.getresponse()
    if reply.status != 200:
        body = json.loads(reply.read())
        conn.close()
        return conn, reply.status, (body, reply.getheader("Retry-After"))
    reply.fp.readline()  # "retry: 2000"
    return conn, 200, reply


def test_event_streams_capped_per_client_and_in_total_health_answers(gateway: GatewayProc, stack: Stack) -> None:
    stack.upstream.faults(Fault.slow(30.0, path="/v1/images/generations"))
    conn = http.client.HTTPConnection(*hostport(gateway), timeout=10)
    conn.request("POST", "/api/images/generate", json.dumps({"prompt": "slow"}), {"Content-Type": "application/json"})
    started = json.loads(conn.getresponse().read())
    conn.close()
    job_id = started["job_id"]
    opened: list[http.client.HTTPConnection] = []
    try:
        for i in range(PER_CLIENT):
            c, status, _ = _open_stream(gateway, job_id, "192.0.2.1")
            assert status == 200, i
            opened.append(c)
        c, status, (body, retry) = _open_stream(gateway, job_id, "192.0.2.1")
        assert status == 429 and body["error"]["code"] == "too_many_followers" and retry
        total = THREADS - 4
        for i in range(total - PER_CLIENT):
            c, status, _ = _open_stream(gateway, job_id, f"192.0.2.{10 + i // PER_CLIENT}")
            assert status == 200, i
            opened.append(c)
        c, status, (body, retry) = _open_stream(gateway, job_id, "192.0.2.99")
        assert status == 503 and body["error"]["code"] == "gateway_busy" and retry
        # Every stream slot is taken, yet the health probe and ordinary requests answer at once.
        assert health(gateway) < 1.0
        assert health(gateway) < 1.0
    finally:
        cancel = http.client.HTTPConnection(*hostport(gateway), timeout=10)
        cancel.request("POST", f"/api/jobs/{job_id}/cancel", "{}", {"Content-Type": "application/json"})
        cancel.getresponse().read()
        cancel.close()
        for c in opened:
            c.close()
        stack.upstream.clear_faults()


def _start(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([WEB, *args], env=env, capture_output=True, text=True, timeout=30)


def test_short_token_stops_the_start_with_a_coded_line(tmp_path: Path) -> None:
    env = {**base_env(tmp_path), "GPT_IMAGE_2_WEB_TOKEN": "a"}
    out = _start(["--port", str(free_port())], env)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "[web_token_too_short]" in out.stderr, out.stderr


def test_port_in_use_is_one_coded_line(tmp_path: Path, stack: Stack) -> None:
    env = {**base_env(tmp_path), "GPT_IMAGE_2_ENGINE": stack.address}
    env.pop("GPT_IMAGE_2_WEB_TOKEN", None)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        out = _start(["--port", str(busy.getsockname()[1])], env)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and "[gateway_bind_failed]" in out.stderr, out.stderr
    assert len([line for line in out.stderr.splitlines() if "gateway_bind_failed" in line]) == 1
