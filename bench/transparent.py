"""Transparent-extraction benchmark: synthetic corpus with ground-truth alpha, ours vs ffmpeg.

    python bench/transparent.py [--quick]

Builds RGBA assets per class, composites them onto a green matte (PNG), keys them with our
chroma extractor and with ffmpeg `chromakey`+`despill` (best of a small parameter grid, so
ffmpeg is judged at its best), and prints per class: mean absolute alpha error (8-bit levels,
over pixels where either alpha is non-zero), alpha-weighted foreground colour error, halo
(composite error over mid-grey in the edge band) and key residue (green excess) in the edge
band, plus timings. Then dual-background accuracy and 4K end-to-end timing and memory.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "engine", "src"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "protos", "src"))

from gpt_image_engine.transparent.chroma import extract_chroma, resolve_settings  # noqa: E402
from gpt_image_engine.transparent.dual import extract_dual  # noqa: E402
from gpt_image_engine.transparent.imageio import decode_image, encode_png  # noqa: E402

KEY = np.array([0, 255, 0], np.float32)
RNG = np.random.default_rng(2024)


# ----------------------------------------------------------------------------- corpus


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


# ----------------------------------------------------------------------------- metrics


def metrics(out, fg, a):
    ae = out[..., 3].astype(np.float32) / 255.0
    region = (a > 0) | (ae > 0)
    mae = float(np.abs(ae - a)[region].mean() * 255.0) if region.any() else 0.0
    both = (a > 0.02) & (ae > 5 / 255)
    f_est = out[..., :3].astype(np.float32)
    if both.any():
        wgt = a[both]
        fg_err = float((np.abs(f_est[both] - fg[both]).mean(axis=1) * wgt).sum() / wgt.sum())
    else:
        fg_err = 0.0
    band = (a > 0.02) & (a < 0.98)
    grey = 128.0
    comp_e = ae[..., None] * f_est + (1 - ae[..., None]) * grey
    comp_t = a[..., None] * fg + (1 - a[..., None]) * grey
    halo = float(np.abs(comp_e - comp_t)[band].mean()) if band.any() else 0.0
    excess = np.maximum(f_est[..., 1] - np.maximum(f_est[..., 0], f_est[..., 2]), 0) * ae
    resid_true = np.maximum(fg[..., 1] - np.maximum(fg[..., 0], fg[..., 2]), 0) * a
    residue = float(np.maximum(excess - resid_true, 0)[band].mean()) if band.any() else 0.0
    unscrubbed = int(((out[..., 3] == 0) & (out[..., :3].max(axis=2) > 0)).sum())
    return {"alpha": mae, "fg": fg_err, "halo": halo, "residue": residue, "unscrubbed": unscrubbed}


# ----------------------------------------------------------------------------- runners


def run_ours(data: bytes, material: str | None):
    t0 = time.perf_counter()
    rgba = decode_image(data)
    t1 = time.perf_counter()
    out, _ = extract_chroma(rgba, None, resolve_settings(material))
    t2 = time.perf_counter()
    encode_png(out)
    t3 = time.perf_counter()
    return out, (t2 - t1), (t3 - t0)


def run_ffmpeg(data: bytes, tmp: str, sim: float, blend: float):
    src = os.path.join(tmp, "in.png")
    dst = os.path.join(tmp, "out.png")
    with open(src, "wb") as fh:
        fh.write(data)
    vf = f"chromakey=color=0x00FF00:similarity={sim}:blend={blend},despill=type=green,format=rgba"
    t0 = time.perf_counter()
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, "-vf", vf, "-frames:v", "1", dst], check=True)
    dt = time.perf_counter() - t0
    out = np.asarray(Image.open(dst).convert("RGBA")).copy()
    return out, dt


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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small images, one ffmpeg setting, no 4K")
    args = ap.parse_args()
    size = 384 if args.quick else 1024
    has_ffmpeg = shutil.which("ffmpeg") is not None
    if not has_ffmpeg:
        print("NOTE: ffmpeg not found; ffmpeg columns are skipped (apt-get install -y ffmpeg).")
    grid = [(0.1, 0.1)] if args.quick else [(0.08, 0.05), (0.1, 0.1), (0.15, 0.1), (0.2, 0.15), (0.3, 0.1)]
    corpus = []
    for kind, material in CLASSES:
        fg, a = make_asset(kind, size, size)
        bg, noise = key_plate(kind, size, size)
        corpus.append((kind, material, fg, a, png_rgb(composite_on_plate(fg, a, bg, noise))))
    if not args.quick:
        fg, a = make_asset("product", 2048, 2048)
        bg, noise = key_plate("product", 2048, 2048)
        corpus.append(("product_2048", None, fg, a, png_rgb(composite_on_plate(fg, a, bg, noise))))
    ours = {}
    for kind, material, fg, a, data in corpus:
        out, key_s, e2e_s = run_ours(data, material)
        mp = a.size / 1e6
        ours[kind] = metrics(out, fg, a) | {"key_ms_mp": key_s * 1000 / mp, "e2e_ms_mp": e2e_s * 1000 / mp}
    ff = {}
    if has_ffmpeg:
        with tempfile.TemporaryDirectory() as tmp:
            best = None
            for sim, blend in grid:
                res = {}
                for kind, _material, fg, a, data in corpus:
                    out, dt = run_ffmpeg(data, tmp, sim, blend)
                    res[kind] = metrics(out, fg, a) | {"e2e_ms_mp": dt * 1000 / (a.size / 1e6)}
                overall = np.mean([r["alpha"] for r in res.values()])
                if best is None or overall < best[0]:
                    best = (overall, (sim, blend), res)
            assert best is not None
            ff = best[2]
            print(
                f"ffmpeg chromakey+despill: best of {len(grid)} settings -> similarity={best[1][0]} blend={best[1][1]}"
            )
    hdr = f"{'class':<13} {'alphaMAE':>8} {'ff':>7} {'ratio':>6} | {'fgErr':>6} {'ff':>6} {'ratio':>6} | {'halo':>6} {'ff':>6} {'ratio':>6} | {'resid':>6} {'ff':>6} | {'unscr':>5} | {'key ms/MP':>9} {'e2e ms/MP':>9} {'ff e2e':>7}"
    print(hdr)
    print("-" * len(hdr))
    rat = lambda x, y: (x / y) if y else float("nan")  # noqa: E731
    for kind, *_ in corpus:
        o = ours[kind]
        f = ff.get(kind, {})
        fa, ffg, fh, fr, fe = (f.get(k, float("nan")) for k in ("alpha", "fg", "halo", "residue", "e2e_ms_mp"))
        print(
            f"{kind:<13} {o['alpha']:8.2f} {fa:7.2f} {rat(o['alpha'], fa):6.2f} | {o['fg']:6.2f} {ffg:6.2f} {rat(o['fg'], ffg):6.2f} | "
            f"{o['halo']:6.2f} {fh:6.2f} {rat(o['halo'], fh):6.2f} | {o['residue']:6.2f} {fr:6.2f} | {o['unscrubbed']:5d} | "
            f"{o['key_ms_mp']:9.1f} {o['e2e_ms_mp']:9.1f} {fe:7.1f}"
        )
    keys = [k for k, *_ in corpus]
    mean = lambda d, k: float(np.mean([d[c][k] for c in keys]))  # noqa: E731
    if ff:
        print(
            f"{'OVERALL':<13} {mean(ours, 'alpha'):8.2f} {mean(ff, 'alpha'):7.2f} {mean(ours, 'alpha') / mean(ff, 'alpha'):6.2f} | "
            f"{mean(ours, 'fg'):6.2f} {mean(ff, 'fg'):6.2f} {mean(ours, 'fg') / mean(ff, 'fg'):6.2f} | "
            f"{mean(ours, 'halo'):6.2f} {mean(ff, 'halo'):6.2f} {mean(ours, 'halo') / mean(ff, 'halo'):6.2f}"
        )
        worse = [k for k in keys if ours[k]["alpha"] >= ff[k]["alpha"]]
        print("classes where ffmpeg's alpha is as good or better:", ", ".join(worse) or "none")
    else:
        print(f"{'OVERALL':<13} {mean(ours, 'alpha'):8.2f}")

    # Dual: clean pairs, then plates off by ~10 levels with noise.
    print("\ndual (alpha MAE, 8-bit levels):")
    for kind in ("glass", "product", "glow_smoke", "hair"):
        fg, a = make_asset(kind, size, size)
        row = []
        for plates, noise in (((0.0, 255.0), 0.0), ((10.0, 245.0), 1.5)):
            dark = composite(fg, a, np.full((size, size, 3), plates[0], np.float32), noise)
            light = composite(fg, a, np.full((size, size, 3), plates[1], np.float32), noise)
            out, _, _ = extract_dual(
                np.dstack([dark, np.full(dark.shape[:2], 255, np.uint8)]),
                np.dstack([light, np.full(dark.shape[:2], 255, np.uint8)]),
            )
            row.append(metrics(out, fg, a)["alpha"])
        print(f"  {kind:<11} clean {row[0]:5.2f}   plates 10/245 + noise 1.5: {row[1]:5.2f}")

    if not args.quick:
        fg, a = make_asset("product", 2160, 3840)
        bg, noise = key_plate("product", 2160, 3840)
        data = png_rgb(composite_on_plate(fg, a, bg, noise))
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            rgba = decode_image(data)
            t1 = time.perf_counter()
            out, _ = extract_chroma(rgba, None, resolve_settings())
            t2 = time.perf_counter()
            png = encode_png(out)
            t3 = time.perf_counter()
            times.append((t3 - t0, t1 - t0, t2 - t1, t3 - t2))
        tot, dec, key, enc = min(times)
        print(
            f"\n4K 3840x2160: decode+key+encode {tot * 1000:.0f} ms (decode {dec * 1000:.0f}, key {key * 1000:.0f} = {key * 1000 / 8.2944:.1f} ms/MP, encode {enc * 1000:.0f}); PNG {len(png) / 1e6:.1f} MB"
        )
        rgba = decode_image(data)
        tracemalloc.start()
        extract_chroma(rgba, None, resolve_settings())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak extra memory during keying: {peak / 1e6:.0f} MB = {peak / rgba.nbytes:.1f}x the RGBA frame")
        if has_ffmpeg:
            with tempfile.TemporaryDirectory() as tmp:
                _, dt = run_ffmpeg(data, tmp, 0.1, 0.1)
            print(f"ffmpeg 4K chromakey+despill end to end: {dt * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
