"""The transparent benchmark's realistic corpus: assets with exact ground truth on model-like key plates.

A case is an RGBA asset (straight colour `fg` in 0..255 floats, coverage `alpha` in 0..1) composited
onto a key plate that looks like what an image model returns when asked for a flat matte:

* a constant offset of up to +-14 levels per channel from the nominal key,
* a linear gradient of up to +-30 levels across the frame (mostly on the key's lit channels),
* a vignette darkening the corners by up to ~20 %,
* low-frequency blotches (a few levels, tens of pixels wide),
* Gaussian grain (sigma 1.5-2.5) over the whole image,
* spill: the subject is tinted toward the key over ~3 px inward from its edge,
* for some cases a JPEG round trip (q94 4:4:4, or a harsh q75 4:2:0).

The ground truth keeps the unspilled colour. Grain is part of the picture (it is on the subject too, as
in a real render), so it is counted as the subject's texture: the truth colour is `fg + grain`, and an
opaque pixel that an extractor leaves alone is exact. Only what an extractor does to edge, partial and
spilled pixels is measured.

`build_cases(size, quick)` returns the list of `Case`s; `make_case(kind, size, seed)` builds one (the
tests use it at small sizes).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

GREEN = (0.0, 255.0, 0.0)
MAGENTA = (255.0, 0.0, 255.0)


@dataclass
class Case:
    name: str  # class + variant, e.g. "glass/b"
    kind: str  # the class
    profile: str  # what `transparent generate` would pass for this kind of asset
    fg: np.ndarray  # (h, w, 3) float32 truth colour (grain included, spill excluded)
    alpha: np.ndarray  # (h, w) float32 truth alpha
    source: bytes  # the encoded key plate (PNG or JPEG)
    codec: str  # "png", "jpeg94-444", "jpeg75-420"
    key: tuple[float, float, float]  # the nominal key colour


# ----------------------------------------------------------------------------- drawing helpers


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return yy, xx


def _disc(yy, xx, cx, cy, r):
    return np.clip(r - np.hypot(xx - cx, yy - cy) + 0.5, 0.0, 1.0)


def _ellipse(yy, xx, cx, cy, rx, ry, ang=0.0):
    c, s = np.cos(ang), np.sin(ang)
    u = (xx - cx) * c + (yy - cy) * s
    v = -(xx - cx) * s + (yy - cy) * c
    d = np.hypot(u / rx, v / ry)
    # Signed distance approximated in pixels along the minor scale: anti-aliased over ~1 px.
    return np.clip((1.0 - d) * min(rx, ry) + 0.5, 0.0, 1.0)


def _rbox(yy, xx, x0, y0, x1, y1, r):
    """Anti-aliased rounded box."""
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = (x1 - x0) / 2 - r, (y1 - y0) / 2 - r
    qx = np.maximum(np.abs(xx - cx) - hx, 0)
    qy = np.maximum(np.abs(yy - cy) - hy, 0)
    inside = np.minimum(np.maximum(np.abs(xx - cx) - hx, np.abs(yy - cy) - hy), 0)
    sd = np.hypot(qx, qy) + inside - r
    return np.clip(0.5 - sd, 0.0, 1.0)


def _blur(a: np.ndarray, r: float) -> np.ndarray:
    """Three box passes (close to a Gaussian of sigma ~ r)."""
    k = int(round(r))
    if k < 1:
        return a
    out = a.astype(np.float32)
    for _ in range(3):
        for axis in (0, 1):
            pad = [(0, 0)] * out.ndim
            pad[axis] = (k + 1, k)
            c = np.cumsum(np.pad(out, pad, mode="edge"), axis=axis, dtype=np.float64)
            n = out.shape[axis]
            hi = np.take(c, np.arange(2 * k + 1, 2 * k + 1 + n), axis=axis)
            lo = np.take(c, np.arange(0, n), axis=axis)
            out = ((hi - lo) / (2 * k + 1)).astype(np.float32)
    return out


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Low-frequency noise in about [-1, 1]: a coarse random grid, bilinearly upsampled and blurred."""
    g = rng.normal(0, 1, (cells + 3, cells + 3)).astype(np.float32)
    img = Image.fromarray(g, "F").resize((w, h), Image.BICUBIC)
    out = np.asarray(img, np.float32)
    return out / max(float(np.abs(out).max()), 1e-6)


def _fbm(rng: np.random.Generator, h: int, w: int, base: int = 4, octaves: int = 4) -> np.ndarray:
    out = np.zeros((h, w), np.float32)
    amp, tot = 1.0, 0.0
    for o in range(octaves):
        out += amp * _smooth_noise(rng, h, w, base * 2**o)
        tot += amp
        amp *= 0.55
    return out / tot


def _strands(rng, h, w, roots, n, length, width, ang_range, ss=4):
    """Sub-pixel strands: polylines drawn at `ss`x supersampling, box-downsampled to coverage."""
    H, W = h * ss, w * ss
    acc = np.zeros((H, W), np.float32)
    for _ in range(n):
        bx, by = roots[rng.integers(len(roots))]
        ang = rng.uniform(*ang_range)
        ln = rng.uniform(0.5, 1.0) * length
        bend = rng.uniform(-0.6, 0.6)
        t = np.linspace(0, 1, int(ln * ss * 2) + 2)
        px = (bx + ln * t * np.cos(ang + bend * t)) * ss
        py = (by + ln * t * np.sin(ang + bend * t)) * ss
        wdt = max(1, int(round(rng.uniform(*width) * ss)))
        taper = 1.0 - 0.7 * t  # strands thin towards the tip
        for ox in range(wdt):
            ix = np.round(px + ox - wdt / 2).astype(int)
            iy = np.round(py).astype(int)
            ok = (ix >= 0) & (ix < W) & (iy >= 0) & (iy < H) & (ox < wdt * taper)
            acc[iy[ok], ix[ok]] = 1.0
    cov = acc.reshape(h, ss, w, ss).mean(axis=(1, 3))
    return cov


def _over(fg1, a1, fg0, a0):
    """Layer 1 over layer 0, straight colour in and out."""
    a = a1 + a0 * (1 - a1)
    prem = fg1 * a1[..., None] + fg0 * (a0 * (1 - a1))[..., None]
    f = prem / np.maximum(a, 1e-6)[..., None]
    return f, a


# ----------------------------------------------------------------------------- asset classes


def _icon(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    cx, cy = w / 2 + rng.uniform(-8, 8) * s, h / 2 + rng.uniform(-8, 8) * s
    a = _rbox(yy, xx, cx - 150 * s, cy - 150 * s, cx + 150 * s, cy + 150 * s, 40 * s)
    base = np.array(rng.choice([[30, 90, 220], [230, 70, 40], [250, 190, 30], [120, 60, 200]]), np.float32)
    fg = np.empty((h, w, 3), np.float32)
    fg[:] = base
    inner = _disc(yy, xx, cx, cy, 80 * s)
    bar = _rbox(yy, xx, cx - 20 * s, cy - 110 * s, cx + 20 * s, cy + 110 * s, 8 * s)
    glyph = np.maximum(inner - _disc(yy, xx, cx, cy, 50 * s), bar)
    fg += glyph[..., None] * (np.array([250, 250, 250]) - fg)
    return fg, a


def _product(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    cx, cy = w / 2, h / 2
    body = _rbox(yy, xx, cx - 80 * s, cy - 90 * s, cx + 80 * s, cy + 170 * s, 30 * s)
    neck = _rbox(yy, xx, cx - 30 * s, cy - 170 * s, cx + 30 * s, cy - 80 * s, 8 * s)
    cap = _rbox(yy, xx, cx - 36 * s, cy - 200 * s, cx + 36 * s, cy - 160 * s, 6 * s)
    a = np.maximum(np.maximum(body, neck), cap)
    col = np.array(rng.choice([[210, 120, 60], [180, 40, 50], [60, 80, 170], [230, 220, 200]]), np.float32)
    shade = np.clip((xx - cx) / (170 * s) + 0.5, 0, 1)[..., None]
    fg = col * (1.15 - 0.6 * shade)
    spec = np.exp(-(((xx - cx + 45 * s) / (10 * s)) ** 2)) * (body > 0)
    fg += spec[..., None] * (255 - fg) * 0.8
    fg = np.where((cap > 0)[..., None], np.array([40, 40, 45], np.float32), fg)
    return np.clip(fg, 0, 255), a


def _sticker(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    cx, cy = w / 2, h / 2
    # Die-cut: the union of a few blobs, a white border, a coloured interior.
    blobs = [(cx, cy, 130), (cx - 90 * s, cy - 60 * s, 70), (cx + 100 * s, cy + 40 * s, 80)]
    outer = np.zeros((h, w), np.float32)
    inner = np.zeros((h, w), np.float32)
    for bx, by, r in blobs:
        outer = np.maximum(outer, _disc(yy, xx, bx, by, (r + 18) * s))
        inner = np.maximum(inner, _disc(yy, xx, bx, by, r * s))
    col = np.array(rng.choice([[230, 60, 120], [40, 120, 230], [250, 150, 30]]), np.float32)
    fg = np.full((h, w, 3), 255.0, np.float32)
    fg += inner[..., None] * (col - 255.0)
    return fg, outer


def _seal(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    cx, cy = w / 2, h / 2
    ring = np.clip(_disc(yy, xx, cx, cy, 170 * s) - _disc(yy, xx, cx, cy, 145 * s), 0, 1)
    marks = np.maximum(
        _rbox(yy, xx, cx - 75 * s, cy - 70 * s, cx - 20 * s, cy + 70 * s, 4 * s),
        _rbox(yy, xx, cx + 20 * s, cy - 70 * s, cx + 75 * s, cy + 70 * s, 4 * s),
    )
    shape = np.maximum(ring, marks)
    # Stamp ink: uneven coverage with small voids, as a rubber stamp leaves it.
    ink = np.clip(0.9 + 0.35 * _fbm(rng, h, w, 16, 3), 0.45, 1.0)
    a = shape * ink
    fg = np.empty((h, w, 3), np.float32)
    fg[:] = rng.choice([[190, 25, 30], [170, 20, 40]])
    return fg, a


def _glass(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    cx, cy = w / 2, h / 2
    body = _rbox(yy, xx, cx - 120 * s, cy - 150 * s, cx + 120 * s, cy + 170 * s, 60 * s)
    rim = np.clip(body - _rbox(yy, xx, cx - 112 * s, cy - 142 * s, cx + 112 * s, cy + 162 * s, 54 * s), 0, 1)
    tint = np.array(
        rng.choice([[150, 200, 250], [230, 150, 40], [200, 40, 60], [120, 90, 200], [220, 220, 235]]), np.float32
    )
    # Body alpha 0.1-0.6: thicker glass towards the sides and the bottom, plus a slow ripple.
    lateral = np.abs(xx - cx) / (120 * s)
    depth = np.clip((yy - cy + 150 * s) / (320 * s), 0, 1)
    ab = 0.12 + 0.3 * lateral**2 + 0.15 * depth + 0.04 * _smooth_noise(rng, h, w, 5)
    a_body = body * np.clip(ab, 0.1, 0.6)
    fg = np.empty((h, w, 3), np.float32)
    fg[:] = tint
    fg *= (1.0 - 0.25 * depth)[..., None]
    a = np.maximum(a_body, 0.85 * rim)
    # A specular streak: white, nearly opaque.
    streak = _rbox(yy, xx, cx - 80 * s, cy - 110 * s, cx - 62 * s, cy + 90 * s, 9 * s) * 0.9
    fg, a = _over(np.full((h, w, 3), 250.0, np.float32), streak, fg, a)
    return fg, a


def _glow(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    cx, cy = w / 2 + rng.uniform(-10, 10) * s, h / 2 + rng.uniform(-10, 10) * s
    col = np.array(rng.choice([[255, 170, 40], [80, 200, 255], [255, 90, 200], [255, 240, 160]]), np.float32)
    r = np.hypot(xx - cx, yy - cy)
    core_r, reach = 40 * s, rng.uniform(150, 200) * s
    a = np.clip(1 - (r - core_r) / (reach - core_r), 0, 1) ** 2.2
    a = np.where(r <= core_r, 1.0, a).astype(np.float32)
    # Rays make the falloff anisotropic.
    th = np.arctan2(yy - cy, xx - cx)
    a *= np.clip(0.85 + 0.15 * np.cos(6 * th), 0, 1) ** (np.clip(r / reach, 0, 1))
    core = np.full((h, w, 3), 255.0, np.float32)
    wcore = np.clip(1 - r / (core_r * 1.6), 0, 1)[..., None]
    fg = wcore * core + (1 - wcore) * col
    return fg, a


def _smoke(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    cx, cy = w / 2, h / 2
    plume = np.clip(1 - np.hypot((xx - cx) / (150 * s), (yy - cy) / (210 * s)), 0, 1)
    dens = np.clip(0.55 + 0.6 * _fbm(rng, h, w, 4, 4), 0, 1)
    a = np.clip(plume**1.3 * dens * 0.85, 0, 0.75)
    a = _blur(a, 2 * s)
    col = np.array(rng.choice([[140, 140, 150], [225, 225, 230], [70, 65, 70]]), np.float32)
    fg = np.empty((h, w, 3), np.float32)
    fg[:] = col
    fg *= (0.9 + 0.15 * _smooth_noise(rng, h, w, 6))[..., None]
    return np.clip(fg, 0, 255), a.astype(np.float32)


def _shadow(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    cx, cy = w / 2, h / 2
    obj = _rbox(yy, xx, cx - 90 * s, cy - 150 * s, cx + 90 * s, cy + 60 * s, 25 * s)
    col = np.array(rng.choice([[60, 110, 200], [210, 80, 50], [240, 240, 235]]), np.float32)
    fgo = np.empty((h, w, 3), np.float32)
    fgo[:] = col
    fgo *= (1.05 - 0.3 * np.clip((xx - cx) / (180 * s) + 0.5, 0, 1))[..., None]
    ell = (((xx - cx - 30 * s) / (170 * s)) ** 2 + ((yy - cy - 95 * s) / (45 * s)) ** 2 < 1).astype(np.float32)
    sh = _blur(ell, 14 * s) * rng.uniform(0.4, 0.5)
    sh = np.where(sh < 0.05, sh * (sh / 0.05), sh)  # the tail keeps falling smoothly below 5 %
    fgs = np.full((h, w, 3), rng.uniform(5, 25), np.float32)
    return _over(np.clip(fgo, 0, 255), obj, fgs, sh.astype(np.float32))


def _particles(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    fg = np.zeros((h, w, 3), np.float32)
    a = np.zeros((h, w), np.float32)
    for _ in range(70):
        px, py = rng.uniform(50 * s, w - 50 * s), rng.uniform(50 * s, h - 50 * s)
        rad = rng.uniform(0.4, 7) * s
        col = np.array(rng.choice([[255, 220, 80], [255, 120, 40], [250, 250, 250], [90, 160, 255]]), np.float32)
        r = np.hypot(xx - px, yy - py)
        # A spark: a solid (or sub-pixel) core with a soft glow around it.
        d = np.clip(rad - r + 0.5, 0, 1) * min(1.0, rad * 1.5) + 0.5 * np.exp(-((r / (rad * 3 + 1.5)) ** 2))
        d = np.clip(d, 0, 1).astype(np.float32)
        fg, a = _over(np.broadcast_to(col, fg.shape), d, fg, a)
    return fg, a


def _hair(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    cx, cy = w / 2, h / 2 + 60 * s
    head = _disc(yy, xx, cx, cy, 115 * s)
    roots = [(cx + 112 * s * np.cos(t), cy + 112 * s * np.sin(t)) for t in np.linspace(-3.0, -0.15, 60)]
    strands = _strands(rng, h, w, roots, 260, 130 * s, (0.25, 1.2), (-2.9, -0.25))
    a = np.clip(np.maximum(head, strands), 0, 1)
    col = np.array(rng.choice([[95, 62, 38], [200, 160, 90], [40, 32, 28]]), np.float32)
    fg = np.empty((h, w, 3), np.float32)
    fg[:] = col
    fg *= (0.85 + 0.3 * _smooth_noise(rng, h, w, 12))[..., None]
    return np.clip(fg, 0, 255), a.astype(np.float32)


def _leaf(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    cx, cy = w / 2, h / 2
    ang = rng.uniform(-0.6, 0.6)
    a = _ellipse(yy, xx, cx, cy, 190 * s, 90 * s, ang)
    stem = _rbox(yy, xx, cx - 4 * s, cy + 60 * s, cx + 4 * s, cy + 200 * s, 3 * s)
    a = np.maximum(a, stem)
    base = np.array(rng.choice([[60, 150, 40], [90, 170, 60], [40, 120, 50]]), np.float32)
    c, sn = np.cos(ang), np.sin(ang)
    u = (xx - cx) * c + (yy - cy) * sn
    v = -(xx - cx) * sn + (yy - cy) * c
    vein = np.exp(-((v / (2.5 * s)) ** 2)) + 0.6 * np.exp(-((np.abs(v) - 0.5 * np.abs(u)) ** 2 / (2.0 * s) ** 2))
    fg = base * (0.9 + 0.2 * _smooth_noise(rng, h, w, 6))[..., None]
    fg = fg * (1 - 0.35 * np.clip(vein, 0, 1))[..., None] + np.clip(vein, 0, 1)[..., None] * 0.35 * np.array(
        [170, 200, 120]
    )
    return np.clip(fg, 0, 255), a


def _flower(rng, h, w):
    yy, xx = _grid(h, w)
    s = min(h, w) / 512.0
    cx, cy = w / 2, h / 2
    a = np.zeros((h, w), np.float32)
    rot = rng.uniform(0, 1)
    for k in range(5):
        t = rot + k * 2 * np.pi / 5
        a = np.maximum(a, _ellipse(yy, xx, cx + 95 * s * np.cos(t), cy + 95 * s * np.sin(t), 95 * s, 50 * s, t))
    centre = _disc(yy, xx, cx, cy, 45 * s)
    a = np.maximum(a, centre)
    petal = np.array(rng.choice([[210, 50, 170], [230, 90, 200], [180, 30, 140]]), np.float32)
    r = np.hypot(xx - cx, yy - cy) / (190 * s)
    fg = petal * (0.75 + 0.35 * np.clip(r, 0, 1))[..., None]
    fg = fg + centre[..., None] * (np.array([250, 200, 40]) - fg)
    return np.clip(fg, 0, 255), a


def _busy(rng, h, w):
    """A busy scene: products with shadows, a glass, a glow, smoke, hair and sparks, layered."""
    fg = np.zeros((h, w, 3), np.float32)
    a = np.zeros((h, w), np.float32)
    q = h // 2
    layers = [
        (_smoke, 0, 0),
        (_glow, 0, q),
        (_shadow, q, 0),
        (_glass, q, q),
        (_product, q // 2, q // 2),
        (_hair, 0, q // 2),
        (_particles, q // 2, 0),
    ]
    for fn, y0, x0 in layers:
        lf, la = fn(rng, q, q)
        full_f = np.zeros((h, w, 3), np.float32)
        full_a = np.zeros((h, w), np.float32)
        full_f[y0 : y0 + q, x0 : x0 + q] = lf
        full_a[y0 : y0 + q, x0 : x0 + q] = la
        fg, a = _over(full_f, full_a, fg, a)
    # Keep a clean key border, as the extraction prompt asks.
    m = max(8, h // 64)
    yy, xx = _grid(h, w)
    edge = np.minimum(np.minimum(xx, w - 1 - xx), np.minimum(yy, h - 1 - yy))
    a *= np.clip((edge - m) / m, 0, 1)
    return fg, a


def _tiny(rng, h, w):
    yy, xx = _grid(h, w)
    a = _rbox(yy, xx, 3.3, 3.4, 12.6, 12.7, 2.5)
    fg = np.empty((h, w, 3), np.float32)
    fg[:] = rng.choice([[220, 40, 40], [40, 90, 220], [250, 200, 40]])
    fg += _disc(yy, xx, 8, 8, 2.2)[..., None] * (250 - fg)
    return fg, a


KINDS = {
    "icon": (_icon, "icon", GREEN),
    "product": (_product, "product", GREEN),
    "sticker": (_sticker, "sticker", GREEN),
    "seal": (_seal, "seal", GREEN),
    "glass": (_glass, "translucent", GREEN),
    "glow": (_glow, "glow", GREEN),
    "smoke": (_smoke, "effect", GREEN),
    "shadow": (_shadow, "shadow", GREEN),
    "particles": (_particles, "effect", GREEN),
    "hair": (_hair, "generic", GREEN),
    "leaf_on_green": (_leaf, "product", GREEN),
    "flower_on_magenta": (_flower, "product", MAGENTA),
    "tiny16": (_tiny, "icon", GREEN),
    "busy": (_busy, "generic", GREEN),
}


# ----------------------------------------------------------------------------- plates


def make_plate(rng: np.random.Generator, h: int, w: int, key) -> np.ndarray:
    """A model-like key plate (float32, before grain)."""
    key = np.asarray(key, np.float32)
    lit = (key > 128).astype(np.float32)  # the key's lit channels carry most of the variation
    plate = np.empty((h, w, 3), np.float32)
    plate[:] = key + rng.uniform(-14, 14, 3)
    yy, xx = _grid(h, w)
    th = rng.uniform(0, 2 * np.pi)
    ramp = ((xx / max(w - 1, 1) - 0.5) * np.cos(th) + (yy / max(h - 1, 1) - 0.5) * np.sin(th)) * 2
    amp = rng.uniform(10, 30) * rng.choice([-1, 1])
    plate += ramp[..., None] * (amp * lit + 0.25 * amp * (1 - lit))
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    plate *= (1 - rng.uniform(0.05, 0.2) * np.clip(r2 / 2, 0, 1))[..., None]
    for ch in range(3):
        plate[..., ch] += rng.uniform(2, 5) * _smooth_noise(rng, h, w, 4)
    return plate


def grow(mask: np.ndarray, r: int) -> np.ndarray:
    """`mask` dilated by r steps of the 3x3 neighbourhood (numpy only)."""
    out = mask.copy()
    for _ in range(r):
        m = out.copy()
        m[1:] |= out[:-1]
        m[:-1] |= out[1:]
        n = m.copy()
        n[:, 1:] |= m[:, :-1]
        n[:, :-1] |= m[:, 1:]
        out = n
    return out


def _steps(mask: np.ndarray, limit: int) -> np.ndarray:
    """Chessboard distance (in steps, capped at `limit`) from each pixel of `mask` to its outside."""
    d = np.zeros(mask.shape, np.float32)
    cur = mask.copy()
    for k in range(1, limit + 1):
        d[cur] = k
        cur = cur & ~grow(~cur, 1)
    return d


def _spill(fg: np.ndarray, a: np.ndarray, plate: np.ndarray, rng) -> np.ndarray:
    """Tint the subject toward the plate over ~3 px inward from its edge (what a model does)."""
    inside = a >= 0.5
    if not inside.any():
        return fg
    d = _steps(inside, 5) - 0.5
    outside = _steps(~inside, 3) - 0.5
    strength = rng.uniform(0.15, 0.35)
    s = strength * np.clip(1 - (d - 0.5) / 3.0, 0, 1) * (a > 0)
    # Outside the solid part only the anti-aliased rim (within 1.5 px) is spilled: a glow's or a
    # shadow's body is lit by its own colour, not the key's.
    s = np.where(inside, s, strength * ((a > 0) & (outside <= 1.5)))
    return fg + s[..., None] * (plate - fg)


def _encode(rgb: np.ndarray, codec: str) -> bytes:
    buf = io.BytesIO()
    im = Image.fromarray(rgb, "RGB")
    if codec == "png":
        im.save(buf, "PNG", compress_level=1)
    elif codec == "jpeg94-444":
        im.save(buf, "JPEG", quality=94, subsampling=0)
    elif codec == "jpeg75-420":
        im.save(buf, "JPEG", quality=75, subsampling=2)
    else:
        raise ValueError(codec)
    return buf.getvalue()


def make_case(kind: str, size: int, seed: int, codec: str = "png", variant: str = "a") -> Case:
    fn, profile, key = KINDS[kind]
    rng = np.random.default_rng(seed)
    h = w = 16 if kind == "tiny16" else size
    fg, a = fn(rng, h, w)
    fg = np.clip(np.asarray(fg, np.float32), 0, 255)
    a = np.clip(np.asarray(a, np.float32), 0, 1)
    plate = make_plate(rng, h, w, key)
    sigma = rng.uniform(1.5, 2.5)
    grain = rng.normal(0, sigma, (h, w, 3)).astype(np.float32)
    spilled = _spill(fg, a, plate, rng)
    comp = a[..., None] * spilled + (1 - a[..., None]) * plate + grain
    rgb = np.clip(np.floor(comp + 0.5), 0, 255).astype(np.uint8)
    truth_fg = np.clip(np.floor(fg + grain + 0.5), 0, 255).astype(np.float32)
    return Case(f"{kind}/{variant}", kind, profile, truth_fg, a, _encode(rgb, codec), codec, key)


def build_cases(size: int, busy_size: int = 2048) -> list[Case]:
    """Two cases per class (a PNG one and a JPEG one), a 16x16 pair, and the busy scene."""
    cases = []
    for i, kind in enumerate(KINDS):
        if kind == "busy":
            cases.append(make_case(kind, busy_size, 9000, "jpeg94-444"))
            continue
        jpeg = "jpeg94-444" if i % 2 == 0 else "jpeg75-420"
        cases.append(make_case(kind, size, 100 + i, "png", "a"))
        cases.append(make_case(kind, size, 200 + i, jpeg, "b"))
    return cases


# ----------------------------------------------------------------------------- metrics


def metrics(out: np.ndarray, fg: np.ndarray, a: np.ndarray) -> dict[str, float]:
    """alpha: sum |alpha - truth| / pixels of the truth's support grown by 3 px (strays are charged and
    cannot dilute the mean); fg: truth-weighted colour error where both keep the pixel; halo: error of
    the composite over mid-grey in the edge band (0.02 < truth < 0.98 grown 2 px into the subject);
    scrub: alpha-0 pixels with colour. All in 8-bit levels."""
    ae = out[..., 3].astype(np.float32) / 255.0
    support = grow(a > 0, 3)
    mae = float(np.abs(ae - a).sum() / max(int(support.sum()), 1) * 255.0)
    both = (a > 0.02) & (ae > 5 / 255)
    f_est = out[..., :3].astype(np.float32)
    if both.any():
        wgt = a[both]
        fg_err = float((np.abs(f_est[both] - fg[both]).mean(axis=1) * wgt).sum() / wgt.sum())
    else:
        fg_err = 0.0
    band = grow((a > 0.02) & (a < 0.98), 2) & (a > 0.02)
    comp_e = ae[..., None] * f_est + (1 - ae[..., None]) * 128.0
    comp_t = a[..., None] * fg + (1 - a[..., None]) * 128.0
    halo = float(np.abs(comp_e - comp_t)[band].mean()) if band.any() else 0.0
    unscrubbed = int(((out[..., 3] == 0) & (out[..., :3].max(axis=2) > 0)).sum())
    return {"alpha": mae, "fg": fg_err, "halo": halo, "scrub": unscrubbed}
