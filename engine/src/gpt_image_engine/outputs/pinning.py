"""Checking a remote target's address at connect time and pinning the connection to it.

Storage targets and webhooks are URLs an API client may configure, so every connection is
checked when it is made (not when the setting was saved: DNS may have changed since): the
host is resolved and every address must be public, unless the operator started the engine
with `GPT_IMAGE_2_ALLOW_PRIVATE_TARGETS=1` (private and loopback addresses then pass; cloud
metadata and link-local never do). The request then connects to the address that was checked
while Host, TLS SNI and certificate checks keep the name, so a DNS answer that changes between
check and connect cannot redirect it. `pinned_request` is the only function that builds such a
request: when the URL guard grows a pinned transport it can delegate there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from gpt_image_engine.errors import AppError
from gpt_image_engine.security import urlguard

ALLOW_PRIVATE_TARGETS_ENV = "GPT_IMAGE_2_ALLOW_PRIVATE_TARGETS"


def private_targets_allowed(env: Mapping[str, str]) -> bool:
    """The operator's allowance (an engine environment variable, never a config.json key,
    so an API client cannot grant it to itself)."""
    return env.get(ALLOW_PRIVATE_TARGETS_ENV, "").strip().lower() in ("1", "true", "yes")


safe_url = urlguard.safe_url  # a URL for messages: no credentials, query or fragment


@dataclass(frozen=True)
class Checked:
    """A host whose addresses passed the guard; `address` is the one connections use."""

    host: str
    port: int
    address: str


def check_host(host: str, port: int, *, allow_private: bool, blocked_code: str, label: str) -> Checked:
    """Resolve `host` and require every address to be public (or private when allowed);
    metadata and link-local addresses are refused always. Errors: `blocked_code`,
    storage_remote_resolve_failed."""
    if urlguard.host_is_metadata(host):
        raise AppError(blocked_code, f"{label} points at a cloud metadata host.", {"host": host})
    ips = urlguard.resolve(host, port, label)
    refused = [ip for ip in ips if urlguard.ip_is_metadata(ip) or (not allow_private and urlguard.ip_is_internal(ip))]
    if refused:
        raise AppError(
            blocked_code,
            f"{label} points at an internal address; only public addresses are allowed.",
            {"host": host, "addresses": refused},
        )
    return Checked(host, port, ips[0])


def check_url(url: str, *, allow_private: bool, blocked_code: str, invalid_code: str, label: str) -> Checked:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AppError(invalid_code, f"{label} URL is invalid.", {"url": safe_url(url)}) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise AppError(invalid_code, f"{label} URL must be http(s) with a host.", {"url": safe_url(url)})
    return check_host(
        parts.hostname,
        port or (443 if scheme == "https" else 80),
        allow_private=allow_private,
        blocked_code=blocked_code,
        label=label,
    )


def pinned_request(client: httpx.Client, method: str, url: str, checked: Checked, **kwargs: Any) -> httpx.Request:
    """A request for `url` that connects to `checked.address`; Host, SNI and certificate
    verification stay on the name. Extra keyword arguments go to `build_request`."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    default_port = 443 if scheme == "https" else 80
    host = checked.host
    named = f"[{host}]" if ":" in host else host
    host_header = named if checked.port == default_port else f"{named}:{checked.port}"
    headers = dict(kwargs.pop("headers", None) or {})
    headers["Host"] = host_header
    target = httpx.URL(url).copy_with(host=checked.address, port=checked.port)
    request = client.build_request(method, target, headers=headers, **kwargs)
    if scheme == "https":
        request.extensions["sni_hostname"] = host
    return request
