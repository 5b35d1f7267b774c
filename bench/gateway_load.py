"""Gateway load on loopback: `GET /api/jobs` requests/s and p99 with 10,000 jobs in history,
and 200 concurrent SSE watchers on one job (all get every event; delivery lag vs. the engine).

Everything is real: engine process (history seeded through the real schema by bench/history.py),
the `gpt-image-2-web` process under waitress, the fake upstream as provider. Uses `wrk` when it is
installed (apt-get install -y wrk), else a bounded Python client. Run:

    .venv/bin/python bench/gateway_load.py [--jobs 10000] [--watchers 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.history import build  # noqa: E402
from gpt_image_gateway.client import EngineClient  # noqa: E402
from gpt_image_protocol.address import parse_address  # noqa: E402
from tests.conftest import EngineProc, base_env  # noqa: E402
from tests.fakeupstream.server import FakeUpstream, Fault  # noqa: E402
from tests.gateway.support import start_gateway  # noqa: E402


def wrk(url: str, seconds: int, connections: int) -> dict[str, Any]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def ms(label: str) -> float:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        assert m, out
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "tool": "wrk",
        "connections": connections,
        "requests_per_s": rps,
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def python_load(url: str, seconds: int, connections: int) -> dict[str, Any]:
    host, port = url.split("/")[2].split(":")
    path = "/" + url.split("/", 3)[3]
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        mine = []
        while time.monotonic() < deadline:
            t = time.perf_counter()
            conn.request("GET", path)
            conn.getresponse().read()
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {
        "tool": "python",
        "connections": connections,
        "requests_per_s": len(latencies) / seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def list_jobs_load(url: str, seconds: int, connections: int) -> dict[str, Any]:
    return wrk(url, seconds, connections) if shutil.which("wrk") else python_load(url, seconds, connections)


def sse_watchers(base: str, engine_address: str, upstream: FakeUpstream, watchers: int) -> dict[str, Any]:
    upstream.faults(Fault.slow(3.0, path="/v1/images/generations"))
    request = urllib.request.Request(
        base + "/api/images/generate",
        json.dumps({"prompt": "bench", "size": "1024x1024"}).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        job_id = json.loads(reply.read())["job_id"]
    host, port = base.removeprefix("http://").split(":")
    arrivals: list[dict[int, float]] = [{} for _ in range(watchers)]
    connected = threading.Barrier(watchers + 1, timeout=60)
    failures: list[str] = []

    def watch(i: int) -> None:
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            conn.request("GET", f"/api/jobs/{job_id}/events")
            reply = conn.getresponse()
            assert reply.status == 200, reply.status
            connected.wait()
            seq = None
            while True:
                line = reply.fp.readline()
                if not line:
                    break
                if line.startswith(b"id: "):
                    seq = int(line[4:])
                elif line.startswith(b"data: ") and seq is not None:
                    arrivals[i][seq] = time.monotonic()
                    if b'"terminal":true' in line:
                        break
            conn.close()
        except Exception as exc:  # noqa: BLE001
            failures.append(repr(exc))
            try:
                connected.abort()
            except Exception:  # noqa: BLE001
                pass

    direct: dict[int, float] = {}
    client = EngineClient(parse_address(engine_address))

    def engine_watch() -> None:
        for event in client.watch_job(job_id, 0):
            direct[event.seq] = time.monotonic()
            if event.terminal:
                return

    t0 = time.monotonic()
    threads = [threading.Thread(target=watch, args=(i,)) for i in range(watchers)]
    for t in threads:
        t.start()
    connected.wait()
    all_connected_s = time.monotonic() - t0
    ew = threading.Thread(target=engine_watch)
    ew.start()
    for t in threads:
        t.join(120)
    ew.join(60)
    client.close()
    complete = sum(1 for a in arrivals if a and max(a) in direct and len(a) == len(direct))
    # Lag of every watcher for events the engine emitted after everyone was attached.
    live = {seq: at for seq, at in direct.items() if at > t0 + all_connected_s + 0.1}
    lags = sorted((a[seq] - at) * 1000 for a in arrivals for seq, at in live.items() if seq in a)
    return {
        "watchers": watchers,
        "all_connected_s": round(all_connected_s, 3),
        "watchers_with_every_event": complete,
        "events": len(direct),
        "live_events_measured": len(live),
        "lag_ms_p50": round(statistics.median(lags), 2) if lags else None,
        "lag_ms_p99": round(lags[int(len(lags) * 0.99)], 2) if lags else None,
        "lag_ms_max": round(lags[-1], 2) if lags else None,
        "failures": failures[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--watchers", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    ns = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="gwbench-"))
    home = root / "home"
    home.mkdir()
    env = base_env(home)
    history = Path(env["CODEX_HOME"]) / "gpt-image-2-skill" / "history.sqlite"
    history.parent.mkdir(parents=True, exist_ok=True)
    build(history, ns.jobs)
    engine = EngineProc(home=home, env=env, socket=Path(tempfile.mkdtemp(prefix="gi2-")) / "e.sock")
    upstream = FakeUpstream().start()
    engine.start()
    gateway = None
    try:
        client = EngineClient(parse_address(engine.address))
        client.config_call(
            "AddProvider",
            name="fake",
            type="openai-compatible",
            api_base=upstream.openai_base,
            api_key="sk-test",
            set_default=True,
        )
        client.close()
        # One load tool stands for many browsers: lift the per-client event-stream cap for it.
        gateway = start_gateway(
            engine.address, env, root / "gateway.log", extra={"GPT_IMAGE_2_WEB_SSE_PER_CLIENT": str(ns.watchers)}
        )
        results: dict[str, Any] = {"jobs_in_history": ns.jobs}
        with urllib.request.urlopen(gateway.url + "/api/jobs?limit=1", timeout=30) as reply:
            results["total_reported"] = json.loads(reply.read())["total"]
        results["list_jobs_limit_50"] = list_jobs_load(gateway.url + "/api/jobs?limit=50", ns.seconds, ns.connections)
        results["list_jobs_search"] = list_jobs_load(
            gateway.url + "/api/jobs?limit=50&q=xylophone", ns.seconds, ns.connections
        )
        results["sse"] = sse_watchers(gateway.url, engine.address, upstream, ns.watchers)
        print(json.dumps(results, indent=2))
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        (out / "gateway_load.json").write_text(json.dumps(results, indent=2))
    finally:
        if gateway is not None:
            gateway.stop()
        engine.stop()
        upstream.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
