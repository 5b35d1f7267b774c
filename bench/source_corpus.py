"""Chroma-source corpus for the pre-keying checks: realistic key plates (which must be keyed) and
unkeyable sources (which must be refused with a coded error).

    python bench/source_corpus.py [--size N]

Plates carry what generated mattes have: an offset of up to +-14 levels from the nominal key, a
linear gradient of up to +-30 levels, a vignette of up to ~20 %, low-frequency blotches, Gaussian
noise (sigma 1.5-2.5) and, for some, a JPEG round trip (q94 4:4:4, q75 4:2:0). Subjects sit with
a margin, touch one edge, or (refused) fill the frame; painted checkerboards come in several cell
sizes, phases and tones. Everything is generated here, deterministically.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections.abc import Iterator

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "engine", "src"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "protos", "src"))

from gpt_image_engine.errors import AppError  # noqa: E402
from gpt_image_engine.transparent.sourcecheck import check_source  # noqa: E402

KEYS = {
    "green": (0, 255, 0),
    "magenta": (255, 0, 255),
    "blue": (0, 0, 255),
    "cyan": (0, 255, 255),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
}


def _lowfreq(rng: np.random.Generator, h: int, w: int, cells: int = 4) -> np.ndarray:
    g = rng.normal(0, 1, (cells + 1, cells + 1)).astype(np.float32)
    ys, xs = np.linspace(0, cells, h), np.linspace(0, cells, w)
    y0, x0 = np.minimum(ys.astype(int), cells - 1), np.minimum(xs.astype(int), cells - 1)
    fy, fx = (ys - y0)[:, None].astype(np.float32), (xs - x0)[None].astype(np.float32)
    top = g[y0][:, x0] * (1 - fx) + g[y0][:, x0 + 1] * fx
    bot = g[y0 + 1][:, x0] * (1 - fx) + g[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bot * fy


def plate(key: tuple[int, int, int], h: int, w: int, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """A realistic generated matte (float32, before noise)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bg = np.empty((h, w, 3), np.float32)
    bg[:] = np.asarray(key, np.float32) + rng.uniform(-14, 14, 3) * strength
    ang = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(ang) * (xx / max(w - 1, 1) - 0.5) + np.sin(ang) * (yy / max(h - 1, 1) - 0.5)) * 2
    bg += (ramp[..., None] * rng.uniform(-30, 30, 3) * strength).astype(np.float32)
    vig = 1 - 0.2 * strength * (((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2) / 2
    bg *= vig[..., None]
    bg += (_lowfreq(rng, h, w)[..., None] * 4.0 * strength).astype(np.float32)
    return bg


def finish(img: np.ndarray, rng: np.random.Generator, sigma: float, jpeg: str | None) -> np.ndarray:
    img = img + rng.normal(0, sigma, img.shape).astype(np.float32)
    rgb = np.clip(np.floor(img + 0.5), 0, 255).astype(np.uint8)
    if jpeg:
        buf = io.BytesIO()
        q, sub = {"q94": (94, 0), "q75": (75, 2)}[jpeg]
        Image.fromarray(rgb).save(buf, "JPEG", quality=q, subsampling=sub)
        rgb = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    out = np.full(rgb.shape[:2] + (4,), 255, np.uint8)
    out[..., :3] = rgb
    return out


def _subject(h: int, w: int, where: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy, r = w / 2, h / 2, min(h, w) * 0.3
    if where == "touch-bottom":
        cy = h - r * 0.6
    elif where == "touch-left":
        cx = r * 0.5
    a = np.clip(r - np.hypot(xx - cx, (yy - cy) * 0.8) + 0.5, 0, 1)
    if where == "crop-bottom":  # a bust cropped by the whole bottom edge
        a = np.clip(np.minimum(w * 0.42 - np.abs(xx - cx), yy - h * 0.55) + 0.5, 0, 1)
        a = np.maximum(a, np.clip(r * 0.6 - np.hypot(xx - cx, yy - h * 0.4) + 0.5, 0, 1))
    fg = np.empty((h, w, 3), np.float32)
    fg[:] = rng.uniform(40, 220, 3)
    fg += (_lowfreq(rng, h, w, 6)[..., None] * 25).astype(np.float32)
    return fg, a


def frame_filling(h: int, w: int, rng: np.random.Generator, style: str) -> np.ndarray:
    """A subject (or scene) that covers the whole frame, float32."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if style == "texture":
        img = rng.uniform(0, 255, (8, 8, 3)).astype(np.float32)[
            np.minimum((yy * 8 / h).astype(int), 7), np.minimum((xx * 8 / w).astype(int), 7)
        ]
        img += rng.normal(0, 25, img.shape).astype(np.float32)
    elif style == "scene":
        img = np.zeros((h, w, 3), np.float32)
        for _ in range(40):
            cx, cy, rr = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.3) * min(h, w)
            disc = np.hypot(xx - cx, yy - cy) < rr
            img[disc] = rng.uniform(0, 255, 3)
        img += (_lowfreq(rng, h, w, 12)[..., None] * 30).astype(np.float32)
    else:  # close-up: a big subject cropped by all four edges, with stripes of detail
        img = np.empty((h, w, 3), np.float32)
        img[:] = rng.uniform(60, 200, 3)
        u, v = rng.uniform(3, 9, 2)
        img += (40 * np.sin((xx + 0.6 * yy) / u + 1.0) * np.cos((yy - 0.5 * xx) / v + 0.5))[..., None]
    return img


def checker(h: int, w: int, cell: int, phase: tuple[int, int], tones: tuple[int, int]) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    par = ((xx + phase[0]) // cell + (yy + phase[1]) // cell) % 2 == 0
    img = np.empty((h, w, 3), np.float32)
    img[:] = np.where(par, tones[0], tones[1])[..., None]
    return img


def sources(size: int = 256) -> Iterator[tuple[str, str, np.ndarray]]:
    """(name, expected, rgba): expected is "ok", "transparent_source_checkerboard" or "transparent_no_key_border"."""
    rng = np.random.default_rng(23)
    h, w = size, int(size * 1.5)
    for kname, key in KEYS.items():
        for where in ("margin", "touch-bottom", "touch-left", "crop-bottom"):
            for sigma, jpeg in ((1.5, None), (2.5, "q94"), (2.0, "q75")):
                bg = plate(key, h, w, rng)
                fg, a = _subject(h, w, where, rng)
                img = a[..., None] * fg + (1 - a[..., None]) * bg
                yield (
                    f"{kname} plate, subject {where}, noise {sigma}{', ' + jpeg if jpeg else ''}",
                    "ok",
                    finish(img, rng, sigma, jpeg),
                )
    for cell, phase, tones in (
        (8, (0, 0), (255, 204)),
        (16, (5, 11), (255, 204)),
        (12, (3, 0), (238, 196)),
        (24, (0, 7), (250, 230)),
        (32, (9, 9), (204, 153)),
        (6, (1, 2), (255, 220)),
    ):
        for with_subject in (True, False):
            cell = min(cell, size // 8)  # at least 4 cells across, as any painted checker has
            img = checker(h, w, cell, phase, tones)
            if with_subject:
                fg, a = _subject(h, w, "margin", rng)
                img = a[..., None] * fg + (1 - a[..., None]) * img
            for jpeg in (None, "q75"):
                name = f"checker cell {cell} phase {phase} tones {tones}{' + subject' if with_subject else ''}"
                yield (
                    name + (f", {jpeg}" if jpeg else ""),
                    "transparent_source_checkerboard",
                    finish(img, rng, 1.0, jpeg),
                )
    for style in ("texture", "scene", "closeup"):
        for jpeg in (None, "q94"):
            yield (
                f"frame-filling {style}{', ' + jpeg if jpeg else ''}",
                "transparent_no_key_border",
                finish(frame_filling(h, w, rng, style), rng, 1.5, jpeg),
            )


def judge(rgba: np.ndarray) -> str:
    try:
        check_source(rgba)
    except AppError as exc:
        return exc.code
    return "ok"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    tally: dict[str, list[int]] = {}
    for name, expected, rgba in sources(args.size):
        got = judge(rgba)
        t = tally.setdefault(expected, [0, 0])
        t[0 if got == expected else 1] += 1
        if got != expected:
            print(f"  MISS {name}: expected {expected}, got {got}")
    print(f"source checks at {args.size}px (expected outcome: right / total)")
    for expected, (good, bad) in tally.items():
        print(f"  {expected:<34} {good}/{good + bad}")
    big = finish(plate((0, 255, 0), 2160, 3840, np.random.default_rng(1)), np.random.default_rng(2), 2.0, None)
    t0 = time.perf_counter()
    check_source(big)
    print(f"  3840x2160 key plate: {1000 * (time.perf_counter() - t0):.1f} ms")
    return 0 if all(bad == 0 for _, bad in tally.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
