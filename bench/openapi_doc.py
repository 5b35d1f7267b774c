"""The gateway's OpenAPI document, before and after it was generated from the routes: time to
build it (a fresh app's first GET) and to serve it (every later GET), over Flask's test client,
in-process (no engine: the route reads no RPC).

    .venv/bin/python bench/openapi_doc.py [--apps 30] [--gets 300] [--rounds 3]

*after* is `GET /api/openapi.json` as the gateway serves it now (apispec, built once per app,
served as the same bytes). *before* is the hand-written table of commit `BEFORE` (its
openapi.py and the OPENAPI table of its api/outputs.py, loaded from this repository's history)
served as it was, `jsonify(document())` on every request, from a route added to the same app.
Rounds alternate the two; each figure is the median over rounds of per-round medians (ms), with
the CPU time of the whole round beside. Without the history (a source tarball) only *after* runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask, jsonify  # noqa: E402

from gpt_image_gateway.app import create_app  # noqa: E402
from gpt_image_gateway.client import EngineClient  # noqa: E402
from gpt_image_gateway.settings import Settings  # noqa: E402
from gpt_image_protocol.address import parse_address  # noqa: E402

BEFORE = "d717576"  # main before the change: the hand-written document
GATEWAY = "gateway/src/gpt_image_gateway"


def _source(path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BEFORE}:{path}"], capture_output=True, text=True, check=True
    ).stdout


def before_module() -> types.ModuleType | None:
    """The hand-written document's module as it was, with its blueprint table merged in."""
    try:
        outputs_src, openapi_src = _source(f"{GATEWAY}/api/outputs.py"), _source(f"{GATEWAY}/openapi.py")
    except (OSError, subprocess.CalledProcessError):
        return None
    outputs = types.ModuleType("outputs_before")
    exec(compile(outputs_src, "outputs_before.py", "exec"), outputs.__dict__)  # noqa: S102 - our own history
    module = types.ModuleType("openapi_before")
    openapi_src = openapi_src.replace("\n_merge_blueprint_docs()\n", "\n")
    exec(compile(openapi_src, "openapi_before.py", "exec"), module.__dict__)  # noqa: S102 - our own history
    module.ROUTES.update(outputs.OPENAPI)
    return module


def app_for(client: EngineClient, before: types.ModuleType | None) -> Flask:
    app = create_app(client, Settings())
    if before is not None:
        app.add_url_rule("/bench/openapi-before.json", "openapi_before", lambda: jsonify(before.document(app)))
    return app


def measure(client: EngineClient, url: str, before: types.ModuleType | None, apps: int, gets: int) -> dict[str, Any]:
    first, later, body = [], [], b""
    cpu = time.process_time()
    for _ in range(apps):
        app = app_for(client, before)
        t0 = time.perf_counter()
        reply = app.test_client().get(url)
        first.append(time.perf_counter() - t0)
        assert reply.status_code == 200, reply.status_code
    http = app.test_client()
    for _ in range(gets):
        t0 = time.perf_counter()
        body = http.get(url).get_data()
        later.append(time.perf_counter() - t0)
    doc = json.loads(body)
    return {
        "first_get": statistics.median(first) * 1000,
        "get": statistics.median(later) * 1000,
        "cpu_s": time.process_time() - cpu,
        "body_bytes": len(body),
        "operations": sum(len(ops) for ops in doc["paths"].values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=30, help="fresh apps per round (each one first GET)")
    parser.add_argument("--gets", type=int, default=300, help="later GETs per round on one app")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    before = before_module()
    client = EngineClient(parse_address(f"unix://{tempfile.mkdtemp(prefix='gi2-bench-')}/none.sock"))
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    sides: dict[str, Callable[[], dict[str, Any]]] = {
        "after": lambda: measure(client, "/api/openapi.json", before, args.apps, args.gets)
    }
    if before is not None:
        sides["before"] = lambda: measure(client, "/bench/openapi-before.json", before, args.apps, args.gets)
    try:
        for _ in range(args.rounds):
            for name, run in sides.items():
                runs[name].append(run())
    finally:
        client.close()
    out = {}
    for name, rows in runs.items():
        if rows:
            out[name] = {
                key: round(statistics.median(r[key] for r in rows), 3)
                for key in ("first_get", "get", "cpu_s", "body_bytes", "operations")
            }
    if before is None:
        out["before"] = f"commit {BEFORE} is not in this clone's history"
    print(json.dumps({"ms_median": out, "apps": args.apps, "gets": args.gets, "rounds": args.rounds}, indent=1))


if __name__ == "__main__":
    main()
