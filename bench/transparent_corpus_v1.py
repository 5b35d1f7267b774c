"""The original transparent benchmark corpus (kept as the second table): eleven asset classes on a
clean green plate with mild grain on the matte only. Kinder than real model output; see
`transparent_corpus.py` for the realistic one.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

KEY = np.array([0, 255, 0], np.float32)
RNG = np.random.default_rng(2024)

CLASSES = [
    ("icon", "flat-icon"),
    ("product", None),
    ("sticker", "sticker"),
    ("seal", None),
    ("glass", "glow"),
    ("glow_smoke", "glow"),
    ("shadow", "glow"),
    ("particles", None),
    ("hair", None),
    ("near_key", None),
    ("noisy_key", None),
]


def _grid(h, w):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return yy, xx


def _disc(yy, xx, cx, cy, r):
    return np.clip(r - np.hypot(xx - cx, yy - cy) + 0.5, 0.0, 1.0)


def _box(yy, xx, x0, y0, x1, y1):
    ax = np.clip(np.minimum(xx - x0 + 0.5, x1 - xx + 0.5), 0, 1)
    ay = np.clip(np.minimum(yy - y0 + 0.5, y1 - yy + 0.5), 0, 1)
    return ax * ay


def _blur(a, r):
    k = int(r)
    if k < 1:
        return a
    c = np.cumsum(np.pad(a, ((k + 1, k), (0, 0)), mode="edge"), axis=0)
    a = (c[2 * k + 1 :] - c[: -2 * k - 1]) / (2 * k + 1)
    c = np.cumsum(np.pad(a, ((0, 0), (k + 1, k)), mode="edge"), axis=1)
    return (c[:, 2 * k + 1 :] - c[:, : -2 * k - 1]) / (2 * k + 1)


def make_asset(kind: str, h: int, w: int):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    fg = np.zeros((h, w, 3), np.float32)
    cx, cy = w / 2, h / 2
    if kind == "icon":
        a = (_box(yy, xx, cx - 150 * s, cy - 150 * s, cx + 150 * s, cy + 150 * s) >= 0.5).astype(np.float32)
        inner = _disc(yy, xx, cx, cy, 80 * s) >= 0.5
        fg[:] = (30, 90, 220)
        fg[inner] = (250, 250, 250)
    elif kind == "product":
        a = np.maximum(
            _disc(yy, xx, cx, cy - 40 * s, 120 * s), _box(yy, xx, cx - 60 * s, cy, cx + 60 * s, cy + 170 * s)
        )
        shade = np.clip((xx - cx) / (250 * s) + 0.5, 0, 1)[..., None]
        fg[:] = (1 - shade) * np.array([210, 120, 60]) + shade * np.array([120, 60, 30])
    elif kind == "sticker":
        body = _disc(yy, xx, cx, cy, 140 * s)
        a = _disc(yy, xx, cx, cy, 160 * s)
        fg[:] = (255, 255, 255)
        fg += body[..., None] * (np.array([230, 60, 120]) - 255.0)
    elif kind == "seal":
        ring = np.clip(_disc(yy, xx, cx, cy, 170 * s) - _disc(yy, xx, cx, cy, 140 * s), 0, 1)
        marks = np.maximum(
            _box(yy, xx, cx - 70 * s, cy - 60 * s, cx - 20 * s, cy + 60 * s),
            _box(yy, xx, cx + 20 * s, cy - 60 * s, cx + 70 * s, cy + 60 * s),
        )
        a = np.maximum(ring, marks)
        fg[:] = (190, 25, 30)
    elif kind == "glass":
        shape = _box(yy, xx, cx - 170 * s, cy - 130 * s, cx + 170 * s, cy + 130 * s)
        a = shape * (0.2 + 0.5 * np.clip((xx - cx) / (340 * s) + 0.5, 0, 1))
        fg[:] = (190, 220, 250)
    elif kind == "glow_smoke":
        glow = np.clip(1 - np.hypot(xx - cx, yy - cy) / (200 * s), 0, 1) ** 2
        smoke = _blur(RNG.random((h, w)).astype(np.float32), 6 * s) * np.clip(
            1 - np.hypot(xx - cx, yy - cy + 60 * s) / (220 * s), 0, 1
        )
        smoke = np.clip((smoke - 0.1) * 1.2, 0, 0.7)
        a = np.clip(glow + smoke - glow * smoke, 0, 1)
        wg = glow / np.maximum(glow + smoke, 1e-6)
        fg[:] = wg[..., None] * np.array([255, 170, 40]) + (1 - wg[..., None]) * np.array([140, 140, 150])
    elif kind == "shadow":
        obj = _disc(yy, xx, cx, cy - 50 * s, 100 * s)
        sh = (
            _blur(
                ((((xx - cx) / (170 * s)) ** 2 + ((yy - cy - 120 * s) / (40 * s)) ** 2) < 1).astype(np.float32), 20 * s
            )
            * 0.55
        )
        a = obj + (1 - obj) * sh
        fg[:] = obj[..., None] * np.array([60, 110, 200]) / np.maximum(a, 1e-6)[..., None]
    elif kind == "particles":
        a = np.zeros((h, w), np.float32)
        for _ in range(60):
            px, py = RNG.uniform(60 * s, w - 60 * s), RNG.uniform(60 * s, h - 60 * s)
            d = _disc(yy, xx, px, py, RNG.uniform(2, 9) * s)
            col = RNG.choice([[255, 220, 80], [255, 120, 40], [250, 250, 250], [90, 160, 255]])
            fg = np.where((d > a)[..., None], np.array(col, np.float32), fg)
            a = np.maximum(a, d)
    elif kind == "hair":
        head = _disc(yy, xx, cx, cy + 40 * s, 110 * s)
        a = head.copy()
        for _ in range(90):
            ang = RNG.uniform(-2.6, -0.5)
            length = RNG.uniform(60, 150) * s
            ts = np.linspace(0, 1, int(length * 2) + 2)
            bx, by = cx + 100 * s * np.cos(ang), cy + 40 * s + 100 * s * np.sin(ang)
            bend = RNG.uniform(-0.4, 0.4)
            px = bx + length * ts * np.cos(ang + bend * ts)
            py = by + length * ts * np.sin(ang + bend * ts)
            cov = RNG.uniform(0.3, 0.8)
            ix, iy = np.round(px).astype(int), np.round(py).astype(int)
            ok = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
            a[iy[ok], ix[ok]] = np.maximum(a[iy[ok], ix[ok]], cov)
        fg[:] = (95, 62, 38)
    elif kind == "near_key":
        a = np.maximum(_disc(yy, xx, cx - 80 * s, cy, 110 * s), _disc(yy, xx, cx + 90 * s, cy, 100 * s))
        left = (xx < cx)[..., None]
        fg[:] = np.where(left, np.array([40, 160, 60], np.float32), np.array([120, 200, 90], np.float32))
    elif kind == "noisy_key":
        a = np.maximum(
            _disc(yy, xx, cx, cy - 40 * s, 120 * s), _box(yy, xx, cx - 60 * s, cy, cx + 60 * s, cy + 170 * s)
        )
        fg[:] = (200, 110, 70)
    else:
        raise ValueError(kind)
    return np.floor(np.clip(fg, 0, 255) + 0.5).astype(np.float32), np.clip(a, 0, 1).astype(np.float32)


def key_plate(kind: str, h: int, w: int):
    bg = np.empty((h, w, 3), np.float32)
    bg[:] = KEY
    noise = 1.0
    if kind == "noisy_key":
        yy, xx = _grid(h, w)
        g = 250 - 45 * xx / (w - 1) - 35 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2) * 4
        bg[..., 1] = g
        bg[..., 0] = 10 + 12 * yy / (h - 1)
        bg[..., 2] = 8
        noise = 4.0
    return bg, noise


def composite(fg, a, bg, noise):
    c = a[..., None] * fg + (1 - a[..., None]) * bg
    if noise:
        c += RNG.normal(0, noise, c.shape).astype(np.float32)
    return np.clip(np.floor(c + 0.5), 0, 255).astype(np.uint8)


def composite_on_plate(fg, a, bg, noise):
    """The chroma corpus: grain lives on the matte (the plate), the subject's own pixels are the
    truth. fg is integer-valued, so an opaque pixel reaches the PNG exactly and an extractor that
    passes opaque pixels through has zero colour error there; only what it does to partial
    pixels (un-mixing, despill, denoising) is measured. Noise on the whole composite instead
    would put a floor of ~0.8*sigma under every method's colour error that nothing fair can
    remove (an opaque pixel's grain is indistinguishable from the subject's texture)."""
    plate = bg + RNG.normal(0, noise, bg.shape).astype(np.float32) if noise else bg
    c = a[..., None] * fg + (1 - a[..., None]) * plate
    return np.clip(np.floor(c + 0.5), 0, 255).astype(np.uint8)


def png_rgb(rgb):
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "PNG", compress_level=1)
    return buf.getvalue()
