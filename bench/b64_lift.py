"""Issue 19 (4): taking a 4K image out of an Images API JSON response, today's lift against ijson.

The response is what `OpenAIProvider` spools to disk: `{"created", "data": [{"b64_json": <~16 MB>,
"revised_prompt"}], "usage"}` for an incompressible ~12 MB PNG (a real 4K photo's size). Each way
runs in a fresh process, alternated, and reports CPU time and the growth of peak RSS (VmHWM, reset
before the parse); the mapped file's pages count, as they do for the engine:

  * lift: the engine's `_lift_base64` over an mmap of the file, `json.loads` of the skeleton, and
    `_decode_span` straight from the mapping (no text copy of the base64);
  * ijson: `ijson.items(file, "")` with the yajl2_c backend (the fast C one), reading 64 KiB (its
    default), 1 MiB or 8 MiB at a time, then decoding the `b64_json` string it built.

    .venv/bin/python bench/b64_lift.py [--runs 7] [--mb 12]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IJSON_BUFFERS = {"ijson-64k": 1 << 16, "ijson-1m": 1 << 20, "ijson-8m": 1 << 23}  # read size; 64 KiB is its default


def make_body(path: Path, mb: int) -> None:
    image = os.urandom(mb * 1_000_000)
    path.write_text(
        '{"created": 1760000000, "data": [{"b64_json": "' + base64.b64encode(image).decode() + '", '
        '"revised_prompt": "a harbor at dawn"}], "usage": {"total_tokens": 4200}}'
    )


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def run_one(way: str, path: str) -> None:
    """In a fresh process: parse `path` the `way` way; print cpu_ms, rss growth MB, image bytes."""
    import mmap

    if way.startswith("ijson"):
        import ijson
    else:
        from gpt_image_engine.providers.openai import _decode_span, _lift_base64
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    base = _status_kb("VmHWM")
    t0 = time.process_time()
    if way.startswith("ijson"):
        with open(path, "rb") as fh:
            payload = next(ijson.items(fh, "", use_float=True, buf_size=IJSON_BUFFERS[way]))
        image = base64.b64decode(payload["data"][0].pop("b64_json"))
    else:
        with open(path, "rb") as fh:
            raw = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        skeleton, lifted = _lift_base64(raw)
        payload = json.loads(skeleton)
        start, end = lifted[payload["data"][0].pop("b64_json")]
        image = _decode_span(raw, start, end)
        raw.close()
    cpu = time.process_time() - t0
    grown = (_status_kb("VmHWM") - base) / 1024
    print(json.dumps({"cpu_ms": cpu * 1000, "rss_mb": grown, "bytes": len(image), "keys": sorted(payload)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--mb", type=int, default=12)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.one:
        run_one(*ns.one)
        return
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "raw_response.json"
        make_body(body, ns.mb)
        results: dict[str, list[dict[str, float]]] = {"lift": [], **{way: [] for way in IJSON_BUFFERS}}
        for _ in range(ns.runs):
            for way in results:
                out = subprocess.run(
                    [sys.executable, __file__, "--one", way, str(body)], capture_output=True, text=True, check=True
                )
                results[way].append(json.loads(out.stdout))
        sizes = {r["bytes"] for rows in results.values() for r in rows}
        assert len(sizes) == 1, sizes
        print(f"{body.stat().st_size / 1e6:.1f} MB response, {ns.mb} MB image; median of {ns.runs} alternated runs")
        for way, rows in results.items():
            cpu = statistics.median(r["cpu_ms"] for r in rows)
            rss = statistics.median(r["rss_mb"] for r in rows)
            print(f"  {way:9s} CPU {cpu:7.1f} ms   peak RSS growth {rss:6.1f} MB")


if __name__ == "__main__":
    main()
