"""Issue 19 (4): encoding a 4K RGBA PNG, the transparent pipeline's encoder against libraries.

The picture is what `transparent extract` writes at 4K (3840x2160): a cut-out subject with a
photographic texture (smooth shading plus grain) and a soft edge, on fully transparent pixels.
Each encoder writes it and the file is decoded again to check every pixel comes back; the
figures are the median wall time (the latency a job sees), the CPU time and the size, over
alternated runs:

  * ours: `transparent.imageio.encode_png` (Up filter in numpy, deflate level 1 in ~2 MB bands
    on 4 threads, joined into one zlib stream);
  * Pillow `Image.save(format="PNG")` at compress_level 1 (its adaptive filter) and 6;
  * imagecodecs' libpng (`png_encode`) and libspng (`spng_encode`) at level 1.

    .venv/bin/python bench/png_encode.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gpt_image_engine.transparent.imageio import decode_image, encode_png  # noqa: E402


def cutout(width: int = 3840, height: int = 2160, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = width / 2, height / 2
    r = np.sqrt(((x - cx) / (width * 0.32)) ** 2 + ((y - cy) / (height * 0.4)) ** 2)
    alpha = np.clip((1.0 - r) * 40.0, 0.0, 1.0)
    rgba = np.zeros((height, width, 4), np.uint8)
    shade = 0.55 + 0.45 * np.sin(x / 300.0) * np.cos(y / 220.0)
    grain = rng.normal(0, 2.0, (height, width)).astype(np.float32)
    for c, base in enumerate((190.0, 120.0, 60.0)):
        rgba[..., c] = np.clip(base * shade + grain + c * 10, 0, 255).astype(np.uint8)
    rgba[..., 3] = np.round(alpha * 255).astype(np.uint8)
    rgba[rgba[..., 3] == 0, :3] = 0  # straight alpha, scrubbed: what the pipeline writes
    return rgba


def _pillow(level: int) -> Callable[[np.ndarray], bytes]:
    def encode(rgba: np.ndarray) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(rgba, "RGBA").save(buf, format="PNG", compress_level=level)
        return buf.getvalue()

    return encode


def encoders() -> dict[str, Callable[[np.ndarray], bytes]]:
    found: dict[str, Callable[[np.ndarray], bytes]] = {
        "ours (level 1)": encode_png,
        "Pillow level 1": _pillow(1),
        "Pillow level 6": _pillow(6),
    }
    try:
        import imagecodecs

        found["libpng level 1"] = lambda a: bytes(imagecodecs.png_encode(a, level=1))
        found["libspng level 1"] = lambda a: bytes(imagecodecs.spng_encode(a, level=1))
    except ImportError:
        print("(imagecodecs not installed: libpng/libspng skipped)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    ns = parser.parse_args()
    rgba = cutout()
    ways = encoders()
    wall: dict[str, list[float]] = {name: [] for name in ways}
    cpu: dict[str, list[float]] = {name: [] for name in ways}
    size: dict[str, int] = {}
    for name, encode in ways.items():  # warm-up and the pixel check
        png = encode(rgba)
        assert np.array_equal(decode_image(png), rgba), f"{name}: pixels differ"
        size[name] = len(png)
    for _ in range(ns.runs):
        for name, encode in ways.items():
            c0, t0 = time.process_time(), time.perf_counter()
            encode(rgba)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    print(f"3840x2160 RGBA cut-out, median of {ns.runs} alternated runs (every file decodes to the same pixels)")
    for name in ways:
        print(
            f"  {name:16s} wall {statistics.median(wall[name]) * 1000:6.0f} ms   "
            f"CPU {statistics.median(cpu[name]) * 1000:6.0f} ms   {size[name] / 1e6:6.2f} MB"
        )


if __name__ == "__main__":
    main()
