"""Issue 19 (4): parsing a provider's event stream, the hand-written framing against httpx-sse.

A streamed generation as the Images API sends it: `partial_image` events whose one `data:` line
carries ~1-2 MB of base64, then the completed event with a 4K image's ~12 MB. Both parsers read
the same `httpx.Response` (64 KiB chunks, as the socket delivers them) and yield each event's data;
the figures are the median CPU seconds (steadier than wall time on a busy machine) and the peak memory of the parse (tracemalloc), alternated.

    .venv/bin/python bench/sse_parse.py [--runs 7] [--mb 12]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gpt_image_engine.providers.sse import event_data  # noqa: E402


def hand_written(lines: Iterator[str]) -> Iterator[str]:
    """The framing both providers carried before (`data:` lines joined at each blank line)."""
    buffer: list[str] = []
    for line in lines:
        if line == "":
            if buffer:
                yield "".join(buffer)
                buffer.clear()
        elif line.startswith("data:"):
            buffer.append(line[5:].lstrip())
    if buffer:
        yield "".join(buffer)


def stream_body(mb: int) -> bytes:
    parts = []
    for index, size in enumerate((1_000_000, 1_500_000, 2_000_000)):
        b64 = base64.b64encode(os.urandom(size)).decode()
        event = {"type": "image_generation.partial_image", "partial_image_index": index, "b64_json": b64}
        parts.append(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n")
    final = {"type": "image_generation.completed", "b64_json": base64.b64encode(os.urandom(mb * 1_000_000)).decode()}
    parts.append(f"event: {final['type']}\ndata: {json.dumps(final)}\n\n")
    return "".join(parts).encode()


def response(body: bytes) -> httpx.Response:
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    return httpx.Response(
        200,
        headers={"content-type": "text/event-stream"},
        stream=httpx.ByteStream(b"") if not body else _Chunks(chunks),
    )


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def measure(parse: Callable[[httpx.Response], Iterator[str]], body: bytes) -> tuple[float, float, int]:
    tracemalloc.start()
    t0 = time.process_time()
    total = sum(len(data) for data in parse(response(body)))
    seconds = time.process_time() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak / 1e6, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--mb", type=int, default=12)
    ns = parser.parse_args()
    body = stream_body(ns.mb)
    parsers = {"hand-written": lambda r: hand_written(r.iter_lines()), "httpx-sse": event_data}
    times: dict[str, list[float]] = {name: [] for name in parsers}
    peaks: dict[str, float] = {}
    totals: dict[str, int] = {}
    for _ in range(ns.runs):
        for name, parse in parsers.items():
            seconds, peak, total = measure(parse, body)
            times[name].append(seconds)
            peaks[name], totals[name] = peak, total
    # timing without tracemalloc's overhead
    for _ in range(ns.runs):
        for name, parse in parsers.items():
            t0 = time.process_time()
            for _data in parse(response(body)):
                pass
            times[name].append(time.process_time() - t0)
    assert len(set(totals.values())) == 1, totals
    print(f"event stream of {len(body) / 1e6:.1f} MB (4 events), median of {ns.runs} alternated runs")
    for name in parsers:
        plain = statistics.median(times[name][ns.runs :])
        print(f"  {name:13s} {plain * 1000:7.1f} ms  {len(body) / 1e6 / plain:7.0f} MB/s  peak {peaks[name]:6.1f} MB")


if __name__ == "__main__":
    main()
