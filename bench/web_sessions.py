"""What a signed session cookie costs per gateway request: the gateway asks the engine whether the
session was signed out (one small gRPC call, one indexed read) before honouring a cookie, where
a Bearer token is only compared. Real engine and `gpt-image-2-web` processes on loopback, one
keep-alive connection, `GET /api/session` (no other engine call) and `GET /api/queue` (one engine
call), Bearer and cookie interleaved in rounds; the engine's signed-out list in its SQLite file,
or with --postgres in a private PostgreSQL (as a cluster keeps it). Run:

    .venv/bin/python bench/web_sessions.py [--rounds 30] [--per-round 50] [--postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import EngineProc, base_env  # noqa: E402
from tests.gateway.support import env_without_proxies, start_gateway  # noqa: E402
from tests.servers.postgres import running_cluster  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--per-round", type=int, default=50)
    ap.add_argument("--postgres", action="store_true", help="the engine's history (and the list) in PostgreSQL")
    args = ap.parse_args()
    token = secrets.token_hex(24)
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        (tmp / "home").mkdir()
        env = base_env(tmp / "home")
        if args.postgres:
            cluster = stack.enter_context(running_cluster())
            env["GPT_IMAGE_2_DATABASE_URL"] = cluster.url(cluster.create_database("sessions"))
        engine = EngineProc(home=tmp / "home", env=env, socket=Path(tempfile.mkdtemp(prefix="gi2b-")) / "e.sock")
        engine.start()
        stack.callback(engine.stop)
        gateway = start_gateway(engine.address, env_without_proxies(), tmp / "gateway.log", token=token)
        stack.callback(gateway.stop)
        conn = http.client.HTTPConnection(gateway.url.removeprefix("http://"), timeout=30)
        conn.request("POST", "/api/session", body=f'{{"token": "{token}"}}', headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        reply.read()
        cookie = reply.getheader("Set-Cookie", "").split(";", 1)[0]
        ways = {"Bearer": {"Authorization": f"Bearer {token}"}, "cookie": {"Cookie": cookie}}

        def get(path: str, headers: dict[str, str]) -> None:
            conn.request("GET", path, headers=headers)
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200, answer.status

        times: dict[tuple[str, str], list[float]] = {}
        paths = ("/api/session", "/api/queue")
        for path in paths:
            for way in ways.values():
                get(path, way)  # warm
        for _ in range(args.rounds):
            for path in paths:
                for name, way in ways.items():
                    t0 = time.perf_counter()
                    for _ in range(args.per_round):
                        get(path, way)
                    times.setdefault((path, name), []).append((time.perf_counter() - t0) * 1000 / args.per_round)
        conn.close()
    store = "PostgreSQL" if args.postgres else "SQLite file"
    print(f"gateway request, ms (median of {args.rounds} rounds of {args.per_round}; signed-out list: {store})")
    print(f"{'request':<18} {'Bearer':>8} {'cookie':>8} {'cost':>8}")
    for path in paths:
        bearer, cookie_ms = statistics.median(times[(path, "Bearer")]), statistics.median(times[(path, "cookie")])
        print(f"{'GET ' + path:<18} {bearer:>8.3f} {cookie_ms:>8.3f} {cookie_ms - bearer:>+8.3f}")


if __name__ == "__main__":
    main()
