"""The proxy that provider traffic goes through (upstream §9.6).

Modes: `system` (HTTP(S)_PROXY / ALL_PROXY / NO_PROXY from the environment), `none`
(direct) and `custom` (`url` with scheme http, https, socks5 or socks5h, optional
user:password, and a `no_proxy` host list that goes direct). A provider's own `proxy`
overrides the global one. Used for provider calls, Codex token refresh and doctor probes;
never for webhooks or storage (result-URL downloads still go direct through the URL guard's
pinned fetch). `ProxyClients` keeps one httpx client per
distinct setting so connections are reused across jobs.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import httpx

from gpt_image_engine.errors import AppError
from gpt_image_engine.outputs import settings
from gpt_image_engine.security.urlguard import PinnedTransport, pinned_client

SYSTEM = {"mode": "system", "no_proxy": []}


def effective_proxy(global_proxy: Any, provider_proxy: Any = None) -> dict[str, Any]:
    """The provider's proxy when it sets a mode, else the global one, else `system`."""
    for candidate in (provider_proxy, global_proxy):
        if isinstance(candidate, dict) and candidate.get("mode"):
            return settings.validate_proxy(candidate)
    return dict(SYSTEM)


def label(plan: Mapping[str, Any]) -> str:
    """What doctor reports: `system`, `none` or `custom` (never the URL's credentials)."""
    return str(plan.get("mode") or "system")


def _no_proxy_mounts(hosts: list[str]) -> dict[str, httpx.BaseTransport | None]:
    mounts: dict[str, httpx.BaseTransport | None] = {}
    for host in hosts:
        host = host.strip().lstrip(".")
        if not host:
            continue
        if host == "*":
            mounts["all://"] = None
            continue
        mounts[f"all://{host}"] = None
        mounts[f"all://*.{host}"] = None
    return mounts


def build_client(plan: Mapping[str, Any], **kwargs: Any) -> httpx.Client:
    mode = plan.get("mode") or "system"
    # Direct connections (no proxy, or a no_proxy host) are pinned to the address the URL
    # guard checked (DNS rebinding); a proxied request connects to the proxy itself.
    if mode == "system":
        return pinned_client(trust_env=True, **kwargs)
    if mode == "none":
        return pinned_client(trust_env=False, **kwargs)
    url = settings.validate_proxy_url(plan.get("url"))
    try:
        return httpx.Client(
            transport=PinnedTransport(trust_env=False),
            trust_env=False,
            proxy=url,
            mounts=_no_proxy_mounts(list(plan.get("no_proxy") or [])),
            **kwargs,
        )
    except (ValueError, ImportError) as exc:
        raise AppError("proxy_url_invalid", f"The proxy URL cannot be used: {type(exc).__name__}.") from None


class ProxyClients:
    """One shared client per proxy setting (the key holds the URL, kept in memory only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str, tuple[str, ...]], httpx.Client] = {}

    def get(self, plan: Mapping[str, Any]) -> httpx.Client:
        key = (str(plan.get("mode")), str(plan.get("url") or ""), tuple(plan.get("no_proxy") or ()))
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = build_client(plan, follow_redirects=False)
                self._clients[key] = client
            return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
