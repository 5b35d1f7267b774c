"""`gpt-image-2-web`: serve the gateway with waitress on loopback (default 127.0.0.1:8787)."""

from __future__ import annotations

import argparse
import os
import sys

from gpt_image_protocol.address import resolve_address


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gpt-image-2-web")
    parser.add_argument("--host", default=os.environ.get("GPT_IMAGE_2_WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GPT_IMAGE_2_WEB_PORT", "8787")))
    parser.add_argument("--engine", default=None)
    ns = parser.parse_args(argv)
    if ns.host not in ("127.0.0.1", "localhost", "::1"):
        print("gpt-image-2-web: only loopback hosts are allowed until token auth lands.", file=sys.stderr)
        return 2
    from waitress import serve

    from gpt_image_gateway.app import create_app
    from gpt_image_gateway.client import EngineClient

    app = create_app(EngineClient(resolve_address(ns.engine)))
    serve(app, host=ns.host, port=ns.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
