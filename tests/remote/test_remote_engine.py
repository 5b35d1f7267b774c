"""Issue 8: the engine on TCP with TLS and a token, clients with nothing shared but the address.

Every engine here runs `gpt-image-2-engine serve --no-socket --listen 127.0.0.1:PORT`
with certificates made in the test and its own CODEX_HOME; every client has a
different CODEX_HOME, so files can only travel over the artifact stream.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from gpt_image.v1 import common_pb2, images_pb2, images_pb2_grpc, system_pb2, system_pb2_grpc
from gpt_image_protocol import jsonshape
from gpt_image_protocol.address import parse_address
from gpt_image_protocol.channel import check_contract, open_channel
from gpt_image_protocol.errors import AppError
from tests.conftest import ENGINE, ROOT, base_env, run_cli
from tests.remote.support import Pki, TcpEngine, client_env, free_port, make_pki, short_tmp, write_token

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki(short_tmp() / "pki")


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "engine.token"
    write_token(path)
    return path


@pytest.fixture
def remote(tmp_path: Path, pki: Pki, token_file: Path) -> Iterator[TcpEngine]:
    engine = TcpEngine(home=tmp_path / "engine-home", pki=pki, token_file=token_file)
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()


def token_of(path: Path) -> str:
    return path.read_text().strip()


def generate(env: dict[str, str], out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = ["images", "generate", "--prompt", "a remote apple", "--out", str(out), "--json-events", *extra]
    result = run_cli(*args, env=env)
    return subprocess.CompletedProcess(args, result.returncode, result.stdout, result.stderr)


def test_cli_generates_through_tls_engine_without_shared_files(remote, fake_upstream, tmp_path, pki, token_file):  # type: ignore[no-untyped-def]
    client_home = tmp_path / "client-home"
    env = client_env(
        client_home,
        remote.address,
        pki,
        token_of(token_file),
        OPENAI_API_KEY="sk-remote-test",
        OPENAI_BASE_URL=fake_upstream.openai_base,
    )
    out = client_home / "out" / "apple"
    r = generate(env, out)
    assert r.returncode == 0, r.stdout + r.stderr
    body = json.loads(r.stdout)
    saved = Path(body["output"]["path"])
    assert saved == Path(str(out) + ".png") and saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The engine kept its copy in its own CODEX_HOME; the client's holds no engine data.
    assert remote.job_ids() == [body["history"]["job_id"]]
    assert not (client_home / ".codex" / "gpt-image-2-skill" / "history.sqlite").exists()
    assert str(client_home) not in (remote.shared_dir / "history.sqlite").read_bytes().decode("latin-1")
    # Progress streams the same as over the socket.
    events = [json.loads(line) for line in r.stderr.splitlines() if line.startswith("{")]
    types = [e["type"] for e in events]
    assert types.index("request_started") < types.index("request_completed") < types.index("output_saved")


def test_status_shows_address_tls_auth_version(remote, tmp_path, pki, token_file):  # type: ignore[no-untyped-def]
    r = run_cli("engine", "status", "--json", env=client_env(tmp_path / "c", remote.address, pki, token_of(token_file)))
    assert r.returncode == 0, r.stdout + r.stderr
    body = r.json
    assert body["running"] is True and body["address"] == remote.address
    assert body["transport"] == "tcp"
    assert body["tls"] == {"roots": str(pki.ca), "mtls": False}
    assert body["auth"] == {"token": True, "source": "env"}
    assert body["version"] and body["contract"]["compatible"] is True
    assert token_of(token_file) not in r.stdout


def test_token_from_file_env(remote, tmp_path, pki, token_file):  # type: ignore[no-untyped-def]
    env = client_env(tmp_path / "c", remote.address, pki, None, GPT_IMAGE_2_ENGINE_TOKEN_FILE=str(token_file))
    r = run_cli("history", "list", "--json", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.json["total"] == 0


@pytest.mark.parametrize("token", [None, "wrong-token-" + "x" * 40])
def test_missing_or_wrong_token_is_engine_unauthenticated(remote, fake_upstream, tmp_path, pki, token):  # type: ignore[no-untyped-def]
    env = client_env(
        tmp_path / "c", remote.address, pki, token, OPENAI_API_KEY="sk-x", OPENAI_BASE_URL=fake_upstream.openai_base
    )
    for args in (("history", "list", "--json"), ("engine", "status", "--json")):
        r = run_cli(*args, env=env)
        assert r.returncode == 1, r.stdout + r.stderr
        assert r.json["error"]["code"] == "engine_unauthenticated", r.stdout
    r = generate(env, tmp_path / "c" / "never")
    assert r.returncode == 1 and json.loads(r.stdout)["error"]["code"] == "engine_unauthenticated"
    assert not fake_upstream.requests_to("/v1/images/generations")
    assert remote.job_ids() == []


def test_health_answers_without_token_but_other_rpcs_do_not(remote, pki):  # type: ignore[no-untyped-def]
    channel = open_channel(parse_address(remote.address), ca_file=str(pki.ca), token="")
    try:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as caught:
            system_pb2_grpc.SystemServiceStub(channel).GetVersion(system_pb2.GetVersionRequest(), timeout=5)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        status = rpc_status.from_call(caught.value)
        info = error_details_pb2.ErrorInfo()
        assert status is not None and status.details[0].Unpack(info)
        assert info.reason == "engine_unauthenticated"
        # A streaming RPC is refused the same way, before any work starts.
        stream = images_pb2_grpc.ImagesServiceStub(channel).GenerateImage(
            images_pb2.GenerateImageRequest(image=images_pb2.ImageOptions(prompt="x")), timeout=5
        )
        with pytest.raises(grpc.RpcError) as caught:
            list(stream)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        channel.close()
    assert remote.job_ids() == []


def test_plaintext_client_cannot_talk_to_tls_listener(remote, tmp_path, token_file):  # type: ignore[no-untyped-def]
    env = client_env(tmp_path / "c", remote.address, None, token_of(token_file), GPT_IMAGE_2_ENGINE_TLS="0")
    r = run_cli("history", "list", "--json", env=env)
    assert r.returncode == 1 and r.json["error"]["code"] == "engine_unavailable"


def test_socket_and_tcp_side_by_side(tmp_path, pki, token_file):  # type: ignore[no-untyped-def]
    """The Unix socket keeps working without a token while TCP demands one."""
    sock = short_tmp() / "e.sock"
    engine = TcpEngine(home=tmp_path / "eh", pki=pki, token_file=token_file)
    engine.extra_args = ["--socket", str(sock)]
    engine.args = lambda: [a for a in TcpEngine.args(engine) if a != "--no-socket"]  # type: ignore[method-assign]
    engine.start()
    try:
        local = client_env(tmp_path / "c", f"unix://{sock}", None, None)
        r = run_cli("engine", "status", "--json", env=local)
        assert r.returncode == 0 and r.json["running"] is True and r.json["auth"] == "socket-permissions"
        assert oct(sock.stat().st_mode & 0o777) == "0o600"
        r = run_cli("history", "list", "--json", env=client_env(tmp_path / "c", engine.address, pki, None))
        assert r.json["error"]["code"] == "engine_unauthenticated"
    finally:
        engine.stop()


@pytest.mark.parametrize(
    ("listen", "extra", "needle"),
    [
        ("127.0.0.1:{port}", ["--insecure-no-tls"], "needs a bearer token"),  # no token on loopback either
        ("0.0.0.0:{port}", ["--token-file", "{token}", "--insecure-no-tls"], "only allowed on a loopback"),
        ("0.0.0.0:{port}", ["--token-file", "{token}"], "needs TLS"),
        ("127.0.0.1:{port}", ["--token-file", "{token}"], "--insecure-no-tls on loopback"),
    ],
)
def test_unsafe_listeners_are_refused(tmp_path, token_file, listen, extra, needle):  # type: ignore[no-untyped-def]
    port = free_port()
    args = [ENGINE, "serve", "--no-socket", "--listen", listen.format(port=port)]
    args += [a.format(token=token_file) for a in extra]
    proc = subprocess.run(args, env=base_env(tmp_path / "h"), capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    error = json.loads(proc.stderr.strip().splitlines()[-1])["error"]
    assert error["code"] == "engine_listen_refused" and needle in error["message"], error


def test_short_token_file_is_refused(tmp_path):  # type: ignore[no-untyped-def]
    weak = tmp_path / "weak.token"
    weak.write_text("secret\n")
    args = [ENGINE, "serve", "--no-socket", "--listen", f"127.0.0.1:{free_port()}", "--token-file", str(weak)]
    proc = subprocess.run(args + ["--insecure-no-tls"], env=base_env(tmp_path / "h"), capture_output=True, text=True)
    assert proc.returncode == 1
    assert json.loads(proc.stderr.strip().splitlines()[-1])["error"]["code"] == "engine_credentials_invalid"


def test_mtls_requires_client_certificate(tmp_path, pki, token_file):  # type: ignore[no-untyped-def]
    engine = TcpEngine(home=tmp_path / "eh", pki=pki, token_file=token_file)
    engine.extra_args = ["--tls-client-ca", str(pki.ca)]
    engine.ready = lambda: _health(engine.address, pki, with_client_cert=True)  # type: ignore[method-assign]
    engine.start()
    try:
        assert not _health(engine.address, pki, with_client_cert=False)
        env = client_env(
            tmp_path / "c",
            engine.address,
            pki,
            token_of(token_file),
            GPT_IMAGE_2_ENGINE_CLIENT_CERT=str(pki.client_cert),
            GPT_IMAGE_2_ENGINE_CLIENT_KEY=str(pki.client_key),
        )
        r = run_cli("engine", "status", "--json", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.json["tls"]["mtls"] is True
    finally:
        engine.stop()


def _health(address: str, pki: Pki, *, with_client_cert: bool) -> bool:
    from gpt_image_protocol.health import is_serving

    env = {"GPT_IMAGE_2_ENGINE_CA_FILE": str(pki.ca)}
    if with_client_cert:
        env |= {
            "GPT_IMAGE_2_ENGINE_CLIENT_CERT": str(pki.client_cert),
            "GPT_IMAGE_2_ENGINE_CLIENT_KEY": str(pki.client_key),
        }
    from gpt_image_protocol.channel import client_settings

    target = parse_address(address)
    channel = open_channel(target, settings=client_settings(target, env=env))
    try:
        return is_serving(channel, timeout=1.0)
    finally:
        channel.close()


def test_two_engines_behind_one_address_both_receive_jobs(tmp_path, pki, token_file, fake_upstream):  # type: ignore[no-untyped-def]
    engines = [TcpEngine(home=tmp_path / f"engine-{i}", pki=pki, token_file=token_file) for i in range(2)]
    for engine in engines:
        engine.start()
    try:
        both = ",".join(e.address for e in engines)
        token = token_of(token_file)
        # A long-lived client (the gateway's way): one round_robin channel, each call to the next engine.
        channel = open_channel(parse_address(both), ca_file=str(pki.ca), token=token)
        try:
            system = system_pb2_grpc.SystemServiceStub(channel)
            pids = set()
            for _ in range(20):
                pids.add(jsonshape.payload(system.GetVersion(system_pb2.GetVersionRequest(), timeout=5))["pid"])
                if len(pids) == 2:
                    break
            assert pids == {e.proc.pid for e in engines}  # type: ignore[union-attr]
            images = images_pb2_grpc.ImagesServiceStub(channel)
            options = common_pb2.CallOptions(
                env_openai_api_key="sk-rr", env_openai_base_url=fake_upstream.openai_base, request_id=uuid.uuid4().hex
            )
            for i in range(4):
                request = images_pb2.GenerateImageRequest(
                    options=options, image=images_pb2.ImageOptions(prompt=f"rr {i}", size="1024x1024")
                )
                events = list(images.GenerateImage(request, timeout=60))
                assert events[-1].terminal and jsonshape.state(events[-1]) == "completed", events[-1]
        finally:
            channel.close()
        assert all(len(e.job_ids()) >= 1 for e in engines), [e.job_ids() for e in engines]
        # The CLI pins each invocation to one engine, so upload, job and download meet.
        before = sum(len(e.job_ids()) for e in engines)
        env = client_env(
            tmp_path / "c", both, pki, token, OPENAI_API_KEY="sk-rr", OPENAI_BASE_URL=fake_upstream.openai_base
        )
        for i in range(2):
            r = generate(env, tmp_path / "c" / f"out{i}")
            assert r.returncode == 0, r.stdout + r.stderr
        assert sum(len(e.job_ids()) for e in engines) == before + 2
        r = run_cli("engine", "status", "--json", env=env)
        assert r.returncode == 0 and r.json["load_balancing"] == "round_robin"
        assert [row["running"] for row in r.json["engines"]] == [True, True]
    finally:
        for engine in engines:
            engine.stop()


def test_contract_check() -> None:
    assert check_contract({"version": "0.1.7"}, "0.1.0")["compatible"] is True
    assert check_contract({"contract": "1.4", "version": "9.0.0"}, "1.0")["compatible"] is True
    assert check_contract({}, "1.0")["compatible"] is None
    for engine_side, client_side in (("0.2.0", "0.1.0"), ("2.0", "1.3"), ("1.0", "2.0")):
        with pytest.raises(AppError) as caught:
            check_contract({"contract": engine_side}, client_side)
        assert caught.value.code == "engine_incompatible"
        assert "upgrade the" in caught.value.message


def test_health_only_listener_for_probes(tmp_path, pki, token_file):  # type: ignore[no-untyped-def]
    """`--health-listen` answers grpc.health.v1 in plaintext (kubelet probes) and nothing else."""
    health_port = free_port()
    engine = TcpEngine(home=tmp_path / "eh", pki=pki, token_file=token_file)
    engine.extra_args = ["--health-listen", f"127.0.0.1:{health_port}"]
    engine.start()
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{health_port}")
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.RpcError) as caught:
                system_pb2_grpc.SystemServiceStub(channel).GetVersion(system_pb2.GetVersionRequest(), timeout=5)
            assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
        finally:
            channel.close()
        probe = subprocess.run(
            [sys.executable, str(ROOT / "deploy" / "grpc_health_probe.py"), f"127.0.0.1:{health_port}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert probe.returncode == 0, probe.stdout + probe.stderr
    finally:
        engine.stop()


def test_remote_clients_cannot_choose_engine_host_paths(remote, tmp_path, pki, token_file):  # type: ignore[no-untyped-def]
    """--config / --auth-file name files on the engine host: refused over TCP (a remote
    client must not make the engine read or rewrite arbitrary files)."""
    env = client_env(tmp_path / "c", remote.address, pki, token_of(token_file))
    r = run_cli("config", "inspect", "--config", "/etc/passwd", "--json", env=env)
    assert r.returncode == 1 and r.json["error"]["code"] == "invalid_argument", r.stdout
    r = run_cli("auth", "inspect", "--auth-file", "/etc/shadow", "--json", env=env)
    assert r.returncode == 1 and r.json["error"]["code"] == "invalid_argument", r.stdout
    ok = run_cli("config", "inspect", "--json", env=env)
    assert ok.returncode == 0, ok.stdout


def test_a_port_taken_after_it_was_picked_gets_another(tmp_path, pki, token_file):  # type: ignore[no-untyped-def]
    """The test helper picks a port before the engine binds it; a parallel run that binds it
    first makes the engine exit "Cannot listen", and the helper starts it on a fresh port."""
    import socket

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        taken = squatter.getsockname()[1]
        engine = TcpEngine(home=tmp_path / "eh", pki=pki, token_file=token_file, port=taken)
        engine.start()
        try:
            assert engine.port != taken and engine.ready()
            assert "already in use" in (tmp_path / "eh" / "engine-stderr.log").read_text()
        finally:
            engine.stop()
