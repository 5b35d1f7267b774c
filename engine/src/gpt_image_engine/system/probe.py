"""Endpoint reachability probes: HTTP HEAD with a 5 s budget; any HTTP status counts as reachable.

Probes run concurrently (`probe_many`) so `doctor` costs one probe's time, and the host is
resolved first with a short deadline so an unresolvable name fails fast instead of hanging
in the resolver (which ignores socket timeouts). The probe goes through the configured proxy
(system, none or custom, as provider calls do); `proxy` in the result names the mode.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from urllib.parse import urlsplit

import httpx

from gpt_image_engine.errors import AppError
from gpt_image_engine.outputs.proxy import build_client

PROBE_TIMEOUT_SECONDS = 5.0
RESOLVE_TIMEOUT_SECONDS = 2.0
_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
_RESOLVER = ThreadPoolExecutor(max_workers=8, thread_name_prefix="probe-dns")


def _system_proxy_set(env: Mapping[str, str]) -> bool:
    return any((env.get(name) or "").strip() for name in _PROXY_VARS)


def _resolve_error(host: str, port: int, timeout: float) -> str | None:
    future = _RESOLVER.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        future.result(timeout=timeout)
    except FutureTimeout:
        return f"Timed out resolving host {host}."
    except OSError as exc:
        return f"Unable to resolve host {host}: {exc}"
    return None


def probe_endpoint(
    endpoint: str,
    timeout: float = PROBE_TIMEOUT_SECONDS,
    env: Mapping[str, str] | None = None,
    proxy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The endpoint probe object of §2.2: {endpoint, host, port, scheme, reachable, proxy, status?, tls_ok?, error}."""
    env = os.environ if env is None else env
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as exc:
        return {"endpoint": endpoint, "reachable": False, "error": str(exc)}
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return {"endpoint": endpoint, "reachable": False, "error": f"Invalid endpoint URL: {endpoint}"}
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    base = {"endpoint": endpoint, "host": host, "port": port, "scheme": parts.scheme}
    plan = dict(proxy or {"mode": "system"})
    mode = str(plan.get("mode") or "system")
    direct = mode == "none" or (mode == "system" and not _system_proxy_set(env))
    if direct:
        error = _resolve_error(host, port, min(RESOLVE_TIMEOUT_SECONDS, timeout))
        if error is not None:
            return {**base, "reachable": False, "proxy": mode, "error": error}
    try:
        with build_client(plan, timeout=timeout, follow_redirects=False) as client:
            response = client.head(endpoint)
    except (httpx.HTTPError, AppError) as exc:
        text = exc.message if isinstance(exc, AppError) else (str(exc) or type(exc).__name__)
        return {**base, "reachable": False, "proxy": mode, "error": text}
    return {
        **base,
        "reachable": True,
        "proxy": mode,
        "status": response.status_code,
        "tls_ok": True if parts.scheme == "https" else None,
        "error": None,
    }


def probe_many(
    endpoints: Iterable[str],
    timeout: float = PROBE_TIMEOUT_SECONDS,
    env: Mapping[str, str] | None = None,
    proxy: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Probe distinct endpoints concurrently; returns {endpoint: probe}."""
    unique = list(dict.fromkeys(endpoints))
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=len(unique), thread_name_prefix="probe") as pool:
        results = pool.map(lambda url: probe_endpoint(url, timeout, env, proxy), unique)
        return dict(zip(unique, results, strict=True))
