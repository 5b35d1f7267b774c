"""Request guards: the access token, the token-less Host allow-list, cross-site
refusal for state-changing requests, and per-route body caps.

* With a token, every `/api` request except `/api/session` (and the health probe)
  presents it as `Authorization: Bearer <t>` or the `gpt2_session` cookie; compared
  in constant time.
* Without a token, the Host header (port and brackets stripped, lower-cased) must be
  allowed: a DNS-rebinding page cannot reach a loopback gateway by a foreign name.
* A POST/PUT/PATCH/DELETE whose `Sec-Fetch-Site` says cross-site/same-site, or whose
  `Origin` is `null` or another origin than the Host, is refused (403).
* Image routes accept 64 MiB bodies, everything else 2 MiB (413 beyond).
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Flask, current_app, request

from gpt_image_gateway.settings import Settings
from gpt_image_protocol.errors import AppError

COOKIE = "gpt2_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
OPEN_PATHS = {"/api/session", "/api/health"}
IMAGE_ROUTES = ("/api/images/", "/api/transparent/")


def settings() -> Settings:
    s: Settings = current_app.extensions["gateway_settings"]
    return s


def token_matches(candidate: str | None, token: str) -> bool:
    if not candidate:
        return False
    return hmac.compare_digest(candidate.encode("utf-8"), token.encode("utf-8"))


def presented_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.cookies.get(COOKIE)


def authorized() -> bool:
    token = settings().token
    return not token or token_matches(presented_token(), token)


def host_name(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def _check_host(s: Settings) -> None:
    host = request.headers.get("Host")
    if s.token or not host:
        return
    if host_name(host) not in s.allowed_hosts:
        raise AppError("host_not_allowed", "Host not allowed for token-less access.", {"host": host_name(host)})


def _check_origin() -> None:
    if request.method in SAFE_METHODS:
        return
    site = (request.headers.get("Sec-Fetch-Site") or "").strip().lower()
    if site and site not in ("same-origin", "none"):
        raise AppError("cross_site_request", "Cross-site requests may not change state.", {"sec_fetch_site": site})
    origin = request.headers.get("Origin")
    if origin is None:
        return
    origin = origin.strip()
    if origin.lower() == "null":
        raise AppError("cross_site_request", "Requests with an opaque origin may not change state.", {"origin": "null"})
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != (request.host or "").lower():
        raise AppError("cross_site_request", "Cross-origin requests may not change state.", {"origin": origin})


def _apply_body_cap(s: Settings) -> None:
    cap = s.image_body_cap if request.path.startswith(IMAGE_ROUTES) else s.body_cap
    request.max_content_length = cap
    length = request.content_length
    if length is not None and length > cap:
        raise AppError(
            "payload_too_large", f"The request body is over the {cap // (1024 * 1024)} MiB cap.", {"limit_bytes": cap}
        )


def install(app: Flask) -> None:
    @app.before_request
    def guard() -> None:
        s = settings()
        _check_host(s)
        if not request.path.startswith("/api/") and request.path != "/api":
            return
        _check_origin()
        if request.path not in OPEN_PATHS and not authorized():
            raise AppError("unauthenticated", "Missing or invalid access token.")
        _apply_body_cap(s)

    @app.after_request
    def headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        else:
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
                "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            )
        return response
