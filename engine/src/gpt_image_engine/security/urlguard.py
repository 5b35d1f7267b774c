"""The URL guard: only public http(s) hosts may be fetched on a user's behalf (upstream §9.5).

`check_public_url` validates a URL (http/https with a host), resolves the host, and
requires **every** resolved address to be public; `ip_is_internal` is the classifier
(loopback, unspecified, multicast, private, link-local incl. cloud metadata,
broadcast, 0.0.0.0/8, IPv6 ULA and link-local; IPv4-mapped IPv6 is unmapped first).
`fetch_image_url` downloads an image with a direct connection (never a proxy), pins
each connection to the address it validated (so DNS rebinding cannot swap it),
follows at most `max_redirects` hops by hand re-validating each, and caps the size.

Pinning (DNS rebinding): `PinnedTransport` is the one place outgoing connections are
made. For each request it resolves the host **once**, applies the guard's rules to those
addresses (`policy`: "base" for configured endpoints, "public" for URLs from a request),
and connects to the checked address while the Host header and TLS SNI/certificate
check keep the name; a host that does not resolve is refused
(`storage_remote_resolve_failed`), never left to a second lookup. The engine's shared
client (providers, Codex token refresh, result downloads) and `fetch_image_url` use it;
`pinned_client()` builds one for any new outgoing code (storage targets, webhooks).
A request can pick its policy with `extensions={POLICY_EXTENSION: POLICY_PUBLIC}`.
Requests sent through an operator-configured HTTP proxy are connected by the proxy.

Cloud metadata is refused always (`ip_is_metadata`, `host_is_metadata`): link-local
169.254.0.0/16 and fe80::/10, 100.100.100.200, fd00:ec2::254, and the metadata host
names, in every spelling the resolver accepts (decimal, hex, octal, IPv4-mapped,
NAT64, 6to4). That rule holds for trusted hosts, configured base URLs
(`check_base_url`, which otherwise allows private and loopback addresses: local
OpenAI-compatible servers are common), every redirect hop, and under the opt-out.

Test-only opt-out: `GPT_IMAGE_2_ALLOW_PRIVATE_URLS=1` skips the "every address is
public" rule for private and loopback addresses (URL shape, resolution and the
metadata rule are still checked) so tests can fetch from a fake upstream on
127.0.0.1. Never set it in a deployment.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Collection
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from gpt_image_engine.errors import AppError

ALLOW_PRIVATE_ENV = "GPT_IMAGE_2_ALLOW_PRIVATE_URLS"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 300.0
DEFAULT_MAX_REDIRECTS = 10
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def canonical_ip(ip: str | IPAddress) -> IPAddress:
    """Parse an address; an IPv4 address embedded in IPv6 (::ffff:a.b.c.d mapped, NAT64
    64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::) becomes the IPv4 one."""
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return addr.ipv4_mapped
        if addr in _NAT64:
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if addr.sixtofour is not None:
            return addr.sixtofour
    return addr


_METADATA_BLOCKS = [
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",  # link-local: AWS, GCP, Azure, OpenStack, Oracle metadata
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # AWS IPv6 metadata
    )
]
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
    }
)


def ip_is_metadata(ip: str | IPAddress) -> bool:
    """True for link-local and cloud metadata addresses: refused everywhere, always."""
    addr = canonical_ip(ip)
    return any(addr.version == block.version and addr in block for block in _METADATA_BLOCKS)


def host_is_metadata(host: str) -> bool:
    """True for a cloud metadata host name (case and trailing dots ignored)."""
    return host.strip().rstrip(".").lower() in METADATA_HOSTS


_V4_BLOCKS = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
    )
]
_V6_BLOCKS = [ipaddress.ip_network(n) for n in ("fc00::/7", "fe80::/10")]


def ip_is_internal(ip: str | IPAddress) -> bool:
    """True for any address a user-supplied URL must not reach (see module docstring)."""
    addr = canonical_ip(ip)
    if ip_is_metadata(addr) or addr.is_loopback or addr.is_unspecified or addr.is_multicast:
        return True
    if addr.is_reserved or addr.is_private or not addr.is_global:
        # Shared (100.64/10), documentation, benchmarking and reserved ranges too.
        return True
    if isinstance(addr, ipaddress.IPv4Address):
        if addr == ipaddress.IPv4Address("255.255.255.255"):
            return True
        return any(addr in block for block in _V4_BLOCKS)
    return any(addr in block for block in _V6_BLOCKS)


def private_urls_allowed() -> bool:
    """The test-only opt-out (`GPT_IMAGE_2_ALLOW_PRIVATE_URLS=1`)."""
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip() == "1"


def _parts(url: str, label: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AppError(
            "storage_remote_url_invalid",
            f"{label} URL is invalid.",
            {"url": safe_url(url)},
        ) from None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("http", "https") or not host:
        raise AppError(
            "storage_remote_url_invalid",
            f"{label} URL must be http(s) with a host.",
            {"url": safe_url(url)},
        )
    return scheme, host, port or (443 if scheme == "https" else 80)


def safe_url(url: str) -> str:
    """The URL without credentials, query or fragment, for error details."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port:
            netloc += f":{parts.port}"
        return f"{parts.scheme}://{netloc}{parts.path}"
    except ValueError:
        return "<invalid url>"


def resolve(host: str, port: int, label: str) -> list[str]:
    """Every address of `host` (in resolver order, no duplicates); `storage_remote_resolve_failed`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise AppError(
            "storage_remote_resolve_failed",
            f"{label} host could not be resolved.",
            {"host": host, "error": str(exc)},
        ) from None
    ips: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if address not in ips:
            ips.append(address)
    if not ips:
        raise AppError(
            "storage_remote_resolve_failed",
            f"{label} host resolved to no address.",
            {"host": host},
        )
    return ips


def _refuse_metadata(host: str, ips: Collection[str], label: str) -> None:
    blocked = [ip for ip in ips if ip_is_metadata(ip)]
    if host_is_metadata(host) or blocked:
        raise AppError(
            "storage_remote_blocked",
            f"{label} URL points at a link-local or cloud metadata address.",
            {"host": host, "addresses": blocked},
        )


def check_public_url(url: str, label: str = "Image download") -> list[str]:
    """Validate `url` and return its resolved addresses, all public (unless the test opt-out is set;
    metadata and link-local addresses are refused even then).

    Errors: storage_remote_url_invalid, storage_remote_resolve_failed, storage_remote_blocked.
    """
    _, host, port = _parts(url, label)
    _refuse_metadata(host, (), label)
    ips = resolve(host, port, label)
    _refuse_metadata(host, ips, label)
    if not private_urls_allowed():
        blocked = [ip for ip in ips if ip_is_internal(ip)]
        if blocked:
            raise AppError(
                "storage_remote_blocked",
                f"{label} URL points at an internal address.",
                {"host": host, "addresses": blocked},
            )
    return ips


def check_base_url(url: str, label: str = "Provider base URL") -> None:
    """A base URL the user configured: http(s) with a host; private and loopback hosts are fine
    (local OpenAI-compatible servers), link-local and cloud metadata never are; a host that
    does not resolve is refused. (Requests themselves are checked again, and pinned, by
    `PinnedTransport`; providers call `check_url_shape` before sending.)

    Errors: storage_remote_url_invalid, storage_remote_resolve_failed, storage_remote_blocked.
    """
    _, host, port = _parts(url, label)
    checked_address(host, port, POLICY_BASE, label)


def check_url_shape(url: str, label: str = "Provider base URL") -> None:
    """http(s) with a host that is not a metadata name; no lookup (the transport does it once)."""
    _, host, _port = _parts(url, label)
    _refuse_metadata(host, (), label)


POLICY_EXTENSION = "gpt_image_url_policy"
POLICY_BASE = "base"  # configured endpoints: private and loopback allowed, metadata never
POLICY_PUBLIC = "public"  # URLs from a request: every address public (test opt-out aside)


def checked_address(host: str, port: int, policy: str = POLICY_BASE, label: str = "Outgoing request") -> str:
    """Resolve `host` once, apply the guard's rules for `policy` to every address, and return
    the one to connect to. An IP literal is checked as is.

    Errors: storage_remote_resolve_failed, storage_remote_blocked.
    """
    _refuse_metadata(host, (), label)
    literal = host.strip("[]")
    try:
        ips = [str(ipaddress.ip_address(literal.split("%", 1)[0]))]
    except ValueError:
        ips = resolve(host, port, label)
    _refuse_metadata(host, ips, label)
    if policy == POLICY_PUBLIC and not private_urls_allowed():
        blocked = [ip for ip in ips if ip_is_internal(ip)]
        if blocked:
            raise AppError(
                "storage_remote_blocked",
                f"{label} URL points at an internal address.",
                {"host": host, "addresses": blocked},
            )
    return ips[0]


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport that connects only to addresses the guard checked (see the module
    docstring). `policy` is the default for requests that do not name one."""

    def __init__(self, policy: str = POLICY_BASE, label: str = "Outgoing request", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy
        self.label = label

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        policy = str(request.extensions.get(POLICY_EXTENSION) or self.policy)
        address = checked_address(host, port, policy, self.label)
        if address != host:
            # Connect to the checked address; Host (already set) and TLS keep the name.
            request.url = url.copy_with(host=address)
            if url.scheme == "https":
                request.extensions = {**request.extensions, "sni_hostname": host}
        return super().handle_request(request)


def pinned_client(policy: str = POLICY_BASE, label: str = "Outgoing request", **kwargs: Any) -> httpx.Client:
    """An `httpx.Client` whose direct connections are pinned (`PinnedTransport`). Keyword
    arguments go to the client (timeout, trust_env, follow_redirects...).

    httpx ignores the environment's proxies once a transport is given, so with `trust_env`
    (the `system` proxy mode) they are mounted here: HTTP(S)_PROXY / ALL_PROXY requests go to
    the proxy (which makes the connection), NO_PROXY hosts and the rest connect pinned."""
    trust_env = kwargs.get("trust_env", True)
    mounts: dict[str, httpx.BaseTransport | None] = dict(kwargs.pop("mounts", None) or {})
    if trust_env:
        from httpx._utils import get_environment_proxies  # the same parsing httpx itself applies

        for pattern, proxy_url in get_environment_proxies().items():
            if pattern not in mounts:
                mounts[pattern] = None if proxy_url is None else httpx.HTTPTransport(proxy=proxy_url, trust_env=False)
    return httpx.Client(transport=PinnedTransport(policy, label, trust_env=trust_env), mounts=mounts, **kwargs)


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


def trusted_host_key(base_url: str) -> str:
    """The `host:port` key of a base URL, for `fetch_image_url(trusted_hosts=...)`."""
    return _host_key(base_url)


def fetch_image_url(
    url: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    *,
    trusted_hosts: Collection[str] = (),
    label: str = "Image download",
) -> tuple[bytes, str]:
    """Download `url` safely and return (bytes, mime).

    Each hop is checked and pinned by `PinnedTransport` with the public policy (hosts in
    `trusted_hosts`, as `host:port` keys from `trusted_host_key`, get the base policy: an
    operator configured them).
    Errors: the guard's codes, network_error (transport, > max_redirects hops, body
    over max_bytes), http_error (non-2xx, body as detail).
    """
    current = url
    with pinned_client(POLICY_PUBLIC, label, trust_env=False, follow_redirects=False, timeout=timeout) as client:
        for _hop in range(max_redirects + 1):
            _parts(current, label)
            policy = POLICY_BASE if _host_key(current) in trusted_hosts else POLICY_PUBLIC
            request = client.build_request("GET", current, extensions={POLICY_EXTENSION: policy})
            try:
                response = client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise AppError(
                    "network_error",
                    f"{label} failed.",
                    {"url": safe_url(current), "error": str(exc)},
                ) from None
            try:
                if response.status_code in _REDIRECT_STATUSES and response.headers.get("location"):
                    current = urljoin(current, response.headers["location"])
                    continue
                if not 200 <= response.status_code < 300:
                    body = response.read()[:2048].decode("utf-8", "replace")
                    raise AppError(
                        "http_error",
                        f"HTTP {response.status_code}",
                        body,
                        status_code=response.status_code,
                    )
                data = _read_capped(response, max_bytes, label)
                mime = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
                return data, mime
            except httpx.HTTPError as exc:
                raise AppError(
                    "network_error",
                    f"{label} failed.",
                    {"url": safe_url(current), "error": str(exc)},
                ) from None
            finally:
                response.close()
    raise AppError(
        "network_error",
        f"{label} followed too many redirects.",
        {"max_redirects": max_redirects},
    )


def _read_capped(response: httpx.Response, max_bytes: int, label: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise AppError(
            "network_error",
            f"{label} is larger than {max_bytes} bytes.",
            {"max_bytes": max_bytes},
        )
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise AppError(
                "network_error",
                f"{label} is larger than {max_bytes} bytes.",
                {"max_bytes": max_bytes},
            )
        chunks.append(chunk)
    return b"".join(chunks)
