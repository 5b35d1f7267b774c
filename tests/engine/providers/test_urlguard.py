"""The URL guard: address classification (upstream network_safety.rs table), URL checks,
guarded downloads with manual redirects and a size cap."""

from __future__ import annotations

import ipaddress

import pytest

from gpt_image_engine.errors import AppError
from gpt_image_engine.security import urlguard
from gpt_image_engine.security.urlguard import canonical_ip, check_public_url, fetch_image_url, ip_is_internal
from tests.fakeupstream import FakeUpstream, draw_png


@pytest.fixture(autouse=True)
def _strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(urlguard.ALLOW_PRIVATE_ENV, raising=False)


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1", "127.1.2.3", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255", "::1", "::", "fc00::1",
        "fd12:3456::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1",
    ],
)  # fmt: skip
def test_internal_addresses(ip: str) -> None:
    assert ip_is_internal(ip)


@pytest.mark.parametrize("ip", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1", "::ffff:8.8.8.8"])
def test_public_addresses(ip: str) -> None:
    assert not ip_is_internal(ip)


def test_canonicalize_unmaps_ipv4_in_ipv6() -> None:
    assert canonical_ip("::ffff:192.168.0.1") == ipaddress.IPv4Address("192.168.0.1")
    assert canonical_ip("2606:4700:4700::1111") == ipaddress.IPv6Address("2606:4700:4700::1111")


@pytest.mark.parametrize("url", ["ftp://example.com/a.png", "http://", "not a url", "file:///etc/passwd", "https:///x"])
def test_invalid_urls(url: str) -> None:
    with pytest.raises(AppError) as info:
        check_public_url(url)
    assert info.value.code == "storage_remote_url_invalid"


def test_blocked_and_resolved() -> None:
    with pytest.raises(AppError) as info:
        check_public_url("http://127.0.0.1:9/x.png")
    assert info.value.code == "storage_remote_blocked"
    with pytest.raises(AppError) as info:
        check_public_url("http://[::ffff:169.254.169.254]/latest/meta-data")
    assert info.value.code == "storage_remote_blocked"
    assert check_public_url("http://8.8.8.8/x.png") == ["8.8.8.8"]


def test_resolve_failure() -> None:
    with pytest.raises(AppError) as info:
        check_public_url("http://nonexistent.invalid/x.png")
    assert info.value.code == "storage_remote_resolve_failed"


def test_fetch_blocks_loopback_without_opt_out(fake: FakeUpstream) -> None:
    url = fake.host_file("a.png", draw_png())
    with pytest.raises(AppError) as info:
        fetch_image_url(url)
    assert info.value.code == "storage_remote_blocked"
    assert fake.requests == []


def test_fetch_with_test_opt_out_follows_redirects_and_caps(
    fake: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(urlguard.ALLOW_PRIVATE_ENV, "1")
    png = draw_png()
    url = fake.host_file("a.png", png)
    data, mime = fetch_image_url(f"{fake.base_url}/redirect?to={url}")
    assert (data, mime) == (png, "image/png")
    with pytest.raises(AppError) as info:
        fetch_image_url(url, max_bytes=10)
    assert info.value.code == "network_error"
    hop = f"{fake.base_url}/redirect?to={url}"
    with pytest.raises(AppError) as info:
        fetch_image_url(f"{fake.base_url}/redirect?to={hop}", max_redirects=1)
    assert info.value.code == "network_error" and "redirects" in info.value.message
    with pytest.raises(AppError) as info:
        fetch_image_url(f"{fake.base_url}/files/missing.png")
    assert info.value.code == "http_error" and info.value.status_code == 404


def test_redirect_to_internal_is_revalidated(fake: FakeUpstream) -> None:
    png = draw_png()
    url = fake.host_file("a.png", png)
    trusted = {urlguard.trusted_host_key(fake.base_url)}
    assert fetch_image_url(url, trusted_hosts=trusted)[0] == png
    with pytest.raises(AppError) as info:
        fetch_image_url(f"{fake.base_url}/redirect?to=http://127.0.0.2:{fake.port}/files/a.png", trusted_hosts=trusted)
    assert info.value.code == "storage_remote_blocked"
