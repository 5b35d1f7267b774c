"""Issue 9 (3): one URL guard for every URL input.

Cloud metadata and link-local addresses are refused in every spelling, through redirects
and DNS, for trusted and configured hosts, and even under the test-only opt-out. Private
and loopback addresses are refused for URLs inside a request (ref images) and allowed for
base URLs the user configured. file:// from the wire never reads engine-host files.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.providers.sources import image_from_url
from gpt_image_engine.security import urlguard
from gpt_image_engine.security.urlguard import check_base_url, check_public_url, fetch_image_url, ip_is_metadata
from tests.fakeupstream.server import EDITS_PATH, GENERATIONS_PATH, FakeUpstream, draw_png
from tests.hardening.conftest import open_engine_channel, rpc_code

METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/",
    "http://0xa9fea9fe/",
    "http://0251.0376.0251.0376/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://169.254.43518/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[fe80::1]/",
    "http://[fd00:ec2::254]/latest/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/",
    "http://metadata/",
    "http://100.100.100.200/latest/meta-data/",
    "https://169.254.169.254:443/",
]


@pytest.fixture(params=["strict", "opt-out"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "opt-out":
        monkeypatch.setenv(urlguard.ALLOW_PRIVATE_ENV, "1")
    else:
        monkeypatch.delenv(urlguard.ALLOW_PRIVATE_ENV, raising=False)
    return str(request.param)


def _fake_dns(monkeypatch: pytest.MonkeyPatch, table: dict[str, str]) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = str(host).rstrip(".").lower()
        if name in table:
            ip = table[name]
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            addr = (ip, int(port or 0), 0, 0) if family == socket.AF_INET6 else (ip, int(port or 0))
            return [(family, socket.SOCK_STREAM, 6, "", addr)]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("url", METADATA_URLS)
def test_metadata_refused_in_every_spelling(url: str, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Metadata host names must be refused before any lookup; make any lookup of them loud.
    _fake_dns(monkeypatch, {"metadata.google.internal": "169.254.169.254", "metadata": "169.254.169.254"})
    for check in (check_public_url, check_base_url):
        with pytest.raises(AppError) as info:
            check(url)
        assert info.value.code == "storage_remote_blocked", (check, url)


@pytest.mark.parametrize("target", ["169.254.169.254", "fe80::1%eth0", "100.100.100.200", "::ffff:169.254.169.254"])
def test_dns_name_resolving_to_metadata(target: str, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {"innocent.example": target})
    with pytest.raises(AppError) as info:
        check_public_url("http://innocent.example/x.png")
    assert info.value.code == "storage_remote_blocked"
    with pytest.raises(AppError) as info:
        check_base_url("http://innocent.example/v1")
    assert info.value.code == "storage_remote_blocked"


@pytest.mark.parametrize("ip", ["10.1.2.3", "127.0.0.1", "192.168.0.10", "::1", "fd12::1", "100.64.0.1"])
def test_private_refused_in_requests_allowed_as_base(ip: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(urlguard.ALLOW_PRIVATE_ENV, raising=False)
    _fake_dns(monkeypatch, {"lan.example": ip})
    with pytest.raises(AppError) as info:
        check_public_url("http://lan.example/x.png")
    assert info.value.code == "storage_remote_blocked"
    check_base_url("http://lan.example:8080/v1")  # a local OpenAI-compatible server is fine


def test_public_name_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(urlguard.ALLOW_PRIVATE_ENV, raising=False)
    _fake_dns(monkeypatch, {"cdn.example": "93.184.216.34"})
    assert check_public_url("https://cdn.example/a.png") == ["93.184.216.34"]
    assert not ip_is_metadata("93.184.216.34")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://127.0.0.1:70/", "javascript:alert(1)", "//x/y"]
)
def test_other_schemes_refused(url: str) -> None:
    for check in (check_public_url, check_base_url):
        with pytest.raises(AppError) as info:
            check(url)
        assert info.value.code == "storage_remote_url_invalid"


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://2852039166/", "http://[::ffff:a9fe:a9fe]/"])
def test_redirect_to_metadata_refused(target: str, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(urlguard.ALLOW_PRIVATE_ENV, "1")  # the fake itself lives on loopback
    with FakeUpstream() as fake:
        hop = f"{fake.base_url}/redirect?to={target}"
        with pytest.raises(AppError) as info:
            fetch_image_url(hop)
        assert info.value.code == "storage_remote_blocked"
        # A trusted (configured) host redirecting there is refused too.
        with pytest.raises(AppError) as info:
            fetch_image_url(hop, trusted_hosts={urlguard.trusted_host_key(fake.base_url)})
        assert info.value.code == "storage_remote_blocked"


def test_file_urls_refused_from_the_wire(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(draw_png())
    for url in (secret.as_uri(), f"file://localhost{secret}", "FILE:///etc/passwd"):
        with pytest.raises(AppError) as info:
            image_from_url(url)
        assert info.value.code == "ref_image_invalid"


# --- end to end: a real engine (with and without the test opt-out)


def _edit_request(url: str) -> Any:
    from gpt_image.v1 import common_pb2, images_pb2

    return images_pb2.EditImageRequest(
        image=images_pb2.ImageOptions(prompt="p"), refs=[common_pb2.ImageSource(url=url)]
    )


def test_engine_refuses_wire_file_urls_and_metadata(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    from gpt_image.v1 import images_pb2_grpc

    secret = tmp_path / "engine-host-secret.png"
    secret.write_bytes(draw_png())
    channel = open_engine_channel(engine)
    try:
        stub = images_pb2_grpc.ImagesServiceStub(channel)
        for url, code in (
            (secret.as_uri(), "ref_image_invalid"),
            ("file:///etc/passwd", "ref_image_invalid"),
            ("http://169.254.169.254/latest/meta-data/iam", "storage_remote_blocked"),
            ("http://0xa9fea9fe/", "storage_remote_blocked"),
            ("http://metadata.google.internal/computeMetadata/v1/", "storage_remote_blocked"),
        ):
            assert rpc_code(lambda u=url: stub.EditImage(_edit_request(u), timeout=20)) == code, url
    finally:
        channel.close()
    assert fake_upstream.requests_to(EDITS_PATH) == []


def test_request_create_body_cannot_read_engine_files(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    secret = tmp_path / "engine-host-secret.png"
    secret.write_bytes(draw_png())
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"model": "gpt-image-2", "prompt": "p", "images": [{"image_url": secret.as_uri()}]}))
    env = engine.client_env(OPENAI_API_KEY="sk-guard", OPENAI_BASE_URL=fake_upstream.openai_base)
    r = engine.cli("request", "create", "--body-file", str(body), "--request-operation", "edit", env=env)
    assert r.returncode == 1 and r.json["error"]["code"] == "ref_image_invalid", r.stdout
    assert fake_upstream.requests_to(EDITS_PATH) == []


def test_without_opt_out_loopback_refs_refused_but_loopback_base_allowed(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    engine.stop()
    engine.extra_env[urlguard.ALLOW_PRIVATE_ENV] = "0"
    engine.start()
    env = engine.client_env(OPENAI_API_KEY="sk-guard", OPENAI_BASE_URL=fake_upstream.openai_base)
    ok = engine.cli("images", "generate", "--prompt", "p", "--out", str(tmp_path / "ok.png"), env=env)
    assert ok.returncode == 0, ok.stdout  # the configured base URL is on 127.0.0.1
    ref = fake_upstream.host_file("ref.png", draw_png())
    r = engine.cli(
        "images", "edit", "--prompt", "p", "--ref-image", ref, "--out", str(tmp_path / "e.png"), env=env
    )
    assert r.returncode == 1 and r.json["error"]["code"] == "storage_remote_blocked", r.stdout
    assert fake_upstream.requests_to("/files/ref.png") == []


@pytest.mark.parametrize(
    "base", ["http://169.254.169.254/v1", "http://[::ffff:169.254.169.254]/v1", "http://metadata.google.internal/v1"]
)
def test_base_url_at_metadata_refused(engine, tmp_path, base):  # type: ignore[no-untyped-def]
    env = engine.client_env(OPENAI_API_KEY="sk-guard", OPENAI_BASE_URL=base)
    r = engine.cli("images", "generate", "--prompt", "p", "--out", str(tmp_path / "m.png"), "--retries", "0", env=env)
    assert r.returncode == 1 and r.json["error"]["code"] == "storage_remote_blocked", r.stdout


def test_codex_endpoint_at_metadata_refused(engine, fake_upstream, tmp_path):  # type: ignore[no-untyped-def]
    auth = fake_upstream.write_auth_json(tmp_path / "auth.json")
    r = engine.cli(
        "images", "generate", "--prompt", "p", "--out", str(tmp_path / "c.png"), "--retries", "0",
        "--provider", "codex", "--auth-file", str(auth), "--endpoint", "http://2852039166/backend-api/codex/responses",
    )  # fmt: skip
    assert r.returncode == 1 and r.json["error"]["code"] == "storage_remote_blocked", r.stdout
    assert fake_upstream.requests_to(GENERATIONS_PATH) == []
