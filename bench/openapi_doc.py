"""The gateway's OpenAPI document: time to build it (a fresh app's first GET) and to serve it
(every later GET), over Flask's test client, in-process (no engine needed: the route reads no RPC).

    .venv/bin/python bench/openapi_doc.py [--apps 30] [--gets 300]

Prints one JSON object: median and p90 of the first GET on a fresh app (`first_get_ms`, the
build), median and p90 of later GETs (`get_ms`), the body size and the operation count. The
app factory's own cost (`create_app_ms`) is shown apart, since it is not the document's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gpt_image_gateway.app import create_app  # noqa: E402
from gpt_image_gateway.client import EngineClient  # noqa: E402
from gpt_image_gateway.settings import Settings  # noqa: E402
from gpt_image_protocol.address import parse_address  # noqa: E402


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered) * 1000, 3),
        "p90": round(ordered[int(len(ordered) * 0.9) - 1] * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=30, help="fresh apps (each one first GET)")
    parser.add_argument("--gets", type=int, default=300, help="later GETs on one app")
    args = parser.parse_args()
    client = EngineClient(parse_address(f"unix://{tempfile.mkdtemp(prefix='gi2-bench-')}/none.sock"))
    factory, first, later = [], [], []
    body = b""
    try:
        for _ in range(args.apps):
            t0 = time.perf_counter()
            app = create_app(client, Settings())
            t1 = time.perf_counter()
            reply = app.test_client().get("/api/openapi.json")
            t2 = time.perf_counter()
            assert reply.status_code == 200, reply.status_code
            factory.append(t1 - t0)
            first.append(t2 - t1)
        http = app.test_client()
        for _ in range(args.gets):
            t0 = time.perf_counter()
            reply = http.get("/api/openapi.json")
            later.append(time.perf_counter() - t0)
            body = reply.get_data()
    finally:
        client.close()
    doc: dict[str, Any] = json.loads(body)
    print(
        json.dumps(
            {
                "create_app_ms": _ms(factory),
                "first_get_ms": _ms(first),
                "get_ms": _ms(later),
                "body_bytes": len(body),
                "operations": sum(len(ops) for ops in doc["paths"].values()),
                "apps": args.apps,
                "gets": args.gets,
            }
        )
    )


if __name__ == "__main__":
    main()
