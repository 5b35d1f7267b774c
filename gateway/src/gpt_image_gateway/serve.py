"""`gpt-image-2-web`: serve the gateway and the page with waitress.

Waitress writes each chunk an app yields straight to the socket (send_bytes=1), so
SSE messages reach the browser as the engine emits them; every SSE follower holds
one worker thread, so event streams are capped below the thread count (the rest
answer `/api/health` and every other request) and per client.

Before the app sees a request, waitress must read its body; the channel used here
checks the route's body cap as soon as the headers are in, so an oversized body is
refused (413 `payload_too_large`) before a byte of it is buffered. A connection that
stays silent with a half-sent request is closed after `channel_timeout` seconds.

The gateway binds its socket itself, so a busy port is one coded line (exit 2), not
a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any

from gpt_image_gateway.security import body_cap_for
from gpt_image_gateway.settings import Settings, bind_refusal, parse_networks
from gpt_image_protocol.address import resolve_address
from gpt_image_protocol.errors import AppError

PROG = "gpt-image-2-web"


def fail(err: AppError) -> int:
    """One line on stderr naming the code; exit status 2."""
    print(f"{PROG}: error [{err.code}]: {err.message}", file=sys.stderr, flush=True)
    return 2


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or `gateway_bind_failed`."""
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise AppError(
            "gateway_bind_failed", f"Cannot listen on {host}:{port}: {exc.strerror or exc}.", {"host": host}
        ) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        hint = " (another process is using that port; pick another with --port)" if exc.errno == 98 else ""
        raise AppError(
            "gateway_bind_failed",
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}{hint}.",
            {"host": host, "port": port, "errno": exc.errno},
        ) from None
    return sock


def capped_channel(settings: Settings) -> Any:
    """A waitress channel whose parser refuses a body over its route's cap once the headers are in."""
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser
    from waitress.utilities import Error, RequestEntityTooLarge

    class TooLarge(Error):  # type: ignore[misc]
        code = 413
        reason = "Payload Too Large"

        def __init__(self, cap: int) -> None:
            super().__init__("")
            self.cap = cap

        def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
            body = {
                "error": {
                    "code": "payload_too_large",
                    "message": "The request body is over the route's size cap.",
                    "detail": {"limit_bytes": self.cap},
                }
            }
            return (
                "413 Payload Too Large",
                [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                json.dumps(body).encode(),
            )

    class Parser(HTTPRequestParser):  # type: ignore[misc]
        def received(self, data: bytes) -> int:
            consumed: int = super().received(data)
            error: Any = getattr(self, "error", None)
            if self.headers_finished and (not error or isinstance(error, RequestEntityTooLarge)):
                cap = body_cap_for(self.path or "", settings)
                if self.content_length > cap or self.body_bytes_received > cap:
                    self.error = TooLarge(cap)
                    self.completed = True
            return consumed

    class Channel(HTTPChannel):  # type: ignore[misc]
        parser_class = Parser

    return Channel


def main(argv: list[str] | None = None) -> int:
    from gpt_image_gateway import __version__

    parser = argparse.ArgumentParser(prog=PROG, description="Serve the gpt-image-2 web page and HTTP API.")
    parser.add_argument("--version", action="version", version=f"gpt-image-2-web {__version__}")
    parser.add_argument("--host", default=os.environ.get("GPT_IMAGE_2_WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GPT_IMAGE_2_WEB_PORT", "8787")))
    parser.add_argument(
        "--engine", default=None, help="engine address (default: GPT_IMAGE_2_ENGINE or the local socket)"
    )
    parser.add_argument("--static-dir", default=None, help="the page's folder (default: GPT_IMAGE_2_WEB_DIST or web/)")
    parser.add_argument("--threads", type=int, default=None, help="waitress threads (GPT_IMAGE_2_WEB_THREADS, 256)")
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        help="a Host name the page may be reached by, added to GPT_IMAGE_2_WEB_ALLOWED_HOSTS (repeatable)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        help="a reverse proxy address or network whose X-Forwarded-For/-Proto are believed (repeatable)",
    )
    ns = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if ns.static_dir:
            settings.static_dir = Path(ns.static_dir)
        if ns.threads is not None:
            settings.threads = ns.threads
        settings.threads = max(8, settings.threads)
        extra = {h.strip().lower().strip("[]") for h in ns.allowed_host if h.strip()}
        bound = ns.host.strip().lower().strip("[]")
        if bound not in ("0.0.0.0", "::", ""):
            extra.add(bound)  # the address the operator chose to serve on is a name the page is reached by
        settings.allowed_hosts |= extra
        settings.trusted_proxies += parse_networks(ns.trusted_proxy)
        settings.check()
    except AppError as err:
        return fail(err)
    refusal = bind_refusal(ns.host, settings)
    if refusal:
        print(f"{PROG}: {refusal}", file=sys.stderr)
        return 2
    if not settings.token and (os.environ.get("GPT_IMAGE_2_WEB_ALLOW_UNAUTHENTICATED") or "").strip():
        print(f"{PROG}: WARNING: serving without a token on a non-loopback address.", file=sys.stderr)
    if not (settings.static_dir / "index.html").is_file():
        print(f"{PROG}: no index.html in {settings.static_dir}", file=sys.stderr)
        return 2
    try:
        address = resolve_address(ns.engine)
        sock = bind(ns.host, ns.port)
    except AppError as err:
        return fail(err)
    from waitress.server import create_server

    from gpt_image_gateway.app import create_app
    from gpt_image_gateway.client import EngineClient

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(EngineClient(address), settings)
    server = create_server(
        app,
        sockets=[sock],
        threads=settings.threads,
        connection_limit=max(100, settings.threads * 2) + 100,
        channel_timeout=settings.channel_timeout,
        cleanup_interval=max(1, min(30, settings.channel_timeout // 2)),
        max_request_body_size=settings.image_body_cap + 1,
        ident=PROG,
        clear_untrusted_proxy_headers=False,  # the app believes forwarded headers from trusted proxies only
    )
    server.channel_class = capped_channel(settings)
    print(f"{PROG}: serving http://{ns.host}:{ns.port}/ (engine {address})", file=sys.stderr, flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
