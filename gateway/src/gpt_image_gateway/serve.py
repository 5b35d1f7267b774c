"""`gpt-image-2-web`: serve the gateway and the page with waitress.

Waitress writes each chunk an app yields straight to the socket (send_bytes=1), so
SSE messages reach the browser as the engine emits them; every SSE follower holds
one worker thread, hence the large thread pool (threads are cheap; the engine sees
one watch per job whatever the number of followers).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from gpt_image_gateway.settings import Settings, bind_refusal
from gpt_image_protocol.address import resolve_address
from gpt_image_protocol.errors import AppError


def main(argv: list[str] | None = None) -> int:
    from gpt_image_gateway import __version__

    parser = argparse.ArgumentParser(prog="gpt-image-2-web", description="Serve the gpt-image-2 web page and HTTP API.")
    parser.add_argument("--version", action="version", version=f"gpt-image-2-web {__version__}")
    parser.add_argument("--host", default=os.environ.get("GPT_IMAGE_2_WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GPT_IMAGE_2_WEB_PORT", "8787")))
    parser.add_argument(
        "--engine", default=None, help="engine address (default: GPT_IMAGE_2_ENGINE or the local socket)"
    )
    parser.add_argument("--static-dir", default=None, help="the page's folder (default: GPT_IMAGE_2_WEB_DIST or web/)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GPT_IMAGE_2_WEB_THREADS", "256")))
    ns = parser.parse_args(argv)
    settings = Settings.from_env()
    if ns.static_dir:
        from pathlib import Path

        settings.static_dir = Path(ns.static_dir)
    refusal = bind_refusal(ns.host, settings)
    if refusal:
        print(f"gpt-image-2-web: {refusal}", file=sys.stderr)
        return 2
    if not settings.token and (os.environ.get("GPT_IMAGE_2_WEB_ALLOW_UNAUTHENTICATED") or "").strip():
        print("gpt-image-2-web: WARNING: serving without a token on a non-loopback address.", file=sys.stderr)
    if not (settings.static_dir / "index.html").is_file():
        print(f"gpt-image-2-web: no index.html in {settings.static_dir}", file=sys.stderr)
        return 2
    try:
        address = resolve_address(ns.engine)
    except AppError as err:
        print(f"gpt-image-2-web: {err.message}", file=sys.stderr)
        return 2
    from waitress import serve

    from gpt_image_gateway.app import create_app
    from gpt_image_gateway.client import EngineClient

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(EngineClient(address), settings)
    print(f"gpt-image-2-web: serving http://{ns.host}:{ns.port}/ (engine {address})", file=sys.stderr, flush=True)
    serve(
        app,
        host=ns.host,
        port=ns.port,
        threads=max(8, ns.threads),
        connection_limit=max(100, ns.threads * 2),
        channel_timeout=300,
        ident="gpt-image-2-web",
        clear_untrusted_proxy_headers=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
