"""Chroma-key extraction: a single-matte source -> straight-alpha RGBA plus the upstream's report.

How it differs from the upstream (reference section 8), in the order the work happens:

* The key is a *field*, not one colour: a robust vector estimate from the whole border ring,
  then a quadratic surface fitted to every grid sample that agrees with it (iteratively
  re-selected), so gradients and vignettes key cleanly. A flat field collapses to a constant.
* Alpha comes from un-mixing, not from a distance ramp. For a saturated key the prior is the
  generalised Vlahos estimate ``1 - K(C)/K(B)`` with ``K = min(dominant) - max(other)``, bounded
  below by the smallest alpha that keeps the implied foreground inside the RGB cube. The noise
  floor is measured on the background itself (unless ``threshold`` is given).
* Solid materials protect the interior: a pixel further than two pixels from background
  whose distance to the key passes the (threshold, softness) ramp is opaque, so subjects that
  merely resemble the key keep their colour and alpha.
* Edge pixels are re-estimated by projecting onto the segment from the local key to the
  local foreground colour (sampled from confident interior pixels nearby).
* Colours of partial pixels are un-mixed against the local key; faint pixels borrow their
  colour from the local foreground instead of amplifying noise; despill acts only on edge or
  partial pixels, and only by the key excess beyond what the local subject itself shows.
* Work is split into row bands processed on a thread pool; numpy releases the GIL.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpt_image_engine.errors import AppError
from gpt_image_engine.transparent.color import is_saturated, to_hex

PRESETS: dict[str, tuple[float, float, float]] = {
    "standard": (28.0, 34.0, 0.85),
    "soft-3d": (60.0, 40.0, 0.20),
    "flat-icon": (32.0, 28.0, 0.75),
    "sticker": (45.0, 38.0, 0.45),
    "glow": (18.0, 62.0, 0.15),
}
MATERIAL_ALIASES = {"soft3d": "soft-3d"}
# Materials whose subjects are solid: interior pixels are forced opaque by the distance ramp.
# Glow and soft-3d sources are expected to hold real translucency, so their interior is un-mixed.
SOLID_MATERIALS = frozenset({"standard", "flat-icon", "sticker"})
TRANSPARENT_ALPHA_MAX = 5
_EDGE_RADIUS = 2
_CUBE_MARGIN = 24.0
_BAND_ROWS = 32
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="chroma")
    return _pool


@dataclass(frozen=True)
class ChromaSettings:
    threshold: float
    softness: float
    spill_suppression: float
    material: str | None
    threshold_given: bool = False


def normalize_material(material: str | None) -> str | None:
    if material is None:
        return None
    name = MATERIAL_ALIASES.get(material, material)
    if name not in PRESETS:
        raise AppError(
            "invalid_argument",
            "Material must be one of standard, soft-3d, flat-icon, sticker, glow.",
            {"value": material},
        )
    return name


def resolve_settings(
    material: str | None = None,
    threshold: float | None = None,
    softness: float | None = None,
    spill_suppression: float | None = None,
) -> ChromaSettings:
    """Preset (or defaults), then each given field replaces its own (upstream section 3.3)."""
    name = normalize_material(material)
    t, s, p = PRESETS[name or "standard"]
    if spill_suppression is not None:
        sp = float(spill_suppression)
        if not (0.0 <= sp <= 1.0):  # NaN fails too
            raise AppError(
                "invalid_argument", "Spill suppression must be between 0 and 1.", {"value": spill_suppression}
            )
        p = sp
    for label, value in (("threshold", threshold), ("softness", softness)):
        if value is not None:
            try:
                float(value)
            except (TypeError, ValueError) as exc:
                raise AppError("invalid_argument", f"{label} must be a number.", {"value": value}) from exc
    return ChromaSettings(
        threshold=float(threshold) if threshold is not None else t,
        softness=float(softness) if softness is not None else s,
        spill_suppression=p,
        material=name,
        threshold_given=threshold is not None,
    )


# ----------------------------------------------------------------------------- key model


def _border_ring(rgb: np.ndarray, max_samples: int = 60_000) -> np.ndarray:
    h, w = rgb.shape[:2]
    k = max(1, min(8, min(h, w) // 16))
    parts = [
        rgb[:k].reshape(-1, 3),
        rgb[h - k :].reshape(-1, 3),
        rgb[k : h - k, :k].reshape(-1, 3),
        rgb[k : h - k, w - k :].reshape(-1, 3),
    ]
    ring = np.concatenate(parts).astype(np.float32)
    if len(ring) > max_samples:
        ring = ring[:: len(ring) // max_samples + 1]
    return ring


def robust_key(samples: np.ndarray) -> np.ndarray:
    """A joint (vector) estimate of the dominant colour: per-channel median, then the mean of
    the samples near it, twice. Tolerates up to ~half the ring covered by the subject."""
    centre = np.median(samples, axis=0)
    for radius in (60.0, 24.0):
        dist = np.sqrt(((samples - centre) ** 2).sum(axis=1))
        near = samples[dist <= max(radius, float(np.percentile(dist, 30)))]
        if len(near):
            centre = near.mean(axis=0)
    return centre.astype(np.float32)


def estimate_matte_color(rgba: np.ndarray) -> tuple[int, int, int]:
    key = robust_key(_border_ring(rgba[..., :3]))
    r, g, b = (int(math.floor(float(c) + 0.5)) for c in key)
    return (r, g, b)


@dataclass
class KeyField:
    """Background colour as c0 + c1 x + c2 y + c3 x^2 + c4 xy + c5 y^2 per channel (x, y in [-1, 1])."""

    coef: np.ndarray  # (6, 3) float64
    width: int
    height: int
    constant: bool
    noise: float  # 99th percentile of background residual distance

    def _xy(self, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sx = 2.0 / max(self.width - 1, 1)
        sy = 2.0 / max(self.height - 1, 1)
        return xs * sx - 1.0, ys * sy - 1.0

    def at(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        x, y = self._xy(np.asarray(xs, np.float64), np.asarray(ys, np.float64))
        basis = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1)
        return (basis @ self.coef).astype(np.float32)

    def row_terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """B(x, y) = p0[x] + y * p1[x] + y^2 * p2 with y normalised: lets a band broadcast exactly."""
        x, _ = self._xy(np.arange(self.width, dtype=np.float64), np.zeros(1))
        c = self.coef
        p0 = c[0][None] + x[:, None] * c[1][None] + (x * x)[:, None] * c[3][None]
        p1 = c[2][None] + x[:, None] * c[4][None]
        return p0.astype(np.float32), p1.astype(np.float32), c[5].astype(np.float32)

    def y_norm(self, ys: np.ndarray) -> np.ndarray:
        return (np.asarray(ys, np.float64) * (2.0 / max(self.height - 1, 1)) - 1.0).astype(np.float32)


def fit_key_field(rgb: np.ndarray, key: np.ndarray) -> KeyField:
    h, w = rgb.shape[:2]
    step = max(1, max(h, w) // 160)
    grid = rgb[step // 2 :: step, step // 2 :: step].astype(np.float32)
    gy, gx = np.mgrid[step // 2 : h : step, step // 2 : w : step]
    gy, gx = gy[: grid.shape[0], : grid.shape[1]], gx[: grid.shape[0], : grid.shape[1]]
    samples = grid.reshape(-1, 3)
    xs = gx.reshape(-1).astype(np.float64)
    ys = gy.reshape(-1).astype(np.float64)
    # The field is fitted to the border ring only: what lies inside (glows, shadows, the subject)
    # must never bend the background model. A quadratic still captures gradients and vignettes.
    ring_w = max(2 * step, min(h, w) // 12)
    on_border = (xs < ring_w) | (ys < ring_w) | (xs >= w - ring_w) | (ys >= h - ring_w)
    coef = np.zeros((6, 3))
    coef[0] = key
    field = KeyField(coef, w, h, True, 0.0)
    dist = np.sqrt(((samples - key) ** 2).sum(axis=1))
    ring_d = dist[on_border]
    spread = float(np.percentile(ring_d, 60)) if len(ring_d) else 0.0
    tol = max(30.0, 3.0 * spread)
    chosen = on_border & (dist <= tol)
    if h >= 16 and w >= 16 and chosen.sum() >= 24:
        for it in range(3):
            x, y = field._xy(xs[chosen], ys[chosen])
            basis = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1)
            sol, *_ = np.linalg.lstsq(basis, samples[chosen].astype(np.float64), rcond=None)
            field = KeyField(sol, w, h, False, 0.0)
            pred = field.at(xs, ys)
            resid = np.sqrt(((samples - pred) ** 2).sum(axis=1))
            base = resid[chosen]
            tol = (
                max(12.0, 4.0 * float(np.percentile(base, 75)) + 4.0)
                if it
                else max(20.0, 3.0 * float(np.percentile(base, 90)))
            )
            new = on_border & (resid <= tol)
            if new.sum() < 24:
                break
            chosen = new
        pred = field.at(xs, ys)
        span = float(np.ptp(pred, axis=0).max()) if len(pred) else 0.0
        if span < 2.0:
            coef = np.zeros((6, 3))
            coef[0] = samples[chosen].mean(axis=0)
            field = KeyField(coef, w, h, True, 0.0)
    pred = field.at(xs, ys)
    resid = np.sqrt(((samples - pred) ** 2).sum(axis=1))
    bgsel = (
        chosen & (resid <= max(12.0, 3.0 * float(np.percentile(resid[chosen], 90)))) if chosen.any() else resid <= 12.0
    )
    field.noise = float(np.percentile(resid[bgsel], 99)) if bgsel.any() else 0.0
    return field


# ----------------------------------------------------------------------------- per-pixel maths


@dataclass
class _KeyMaths:
    saturated: bool
    dom: list[int]
    oth: list[int]
    a0: float
    inv_floor: float
    solid: bool
    threshold: float
    softness: float
    spill: float


def _channel_sets(key: np.ndarray) -> tuple[list[int], list[int]]:
    hi, lo = float(key.max()), float(key.min())
    cut = hi - 0.5 * (hi - lo)
    dom = [c for c in range(3) if key[c] >= cut]
    return dom, [c for c in range(3) if c not in dom]


def _kstrength(arr: np.ndarray, dom: list[int], oth: list[int]) -> np.ndarray:
    d = arr[..., dom[0]]
    for c in dom[1:]:
        d = np.minimum(d, arr[..., c])
    o = arr[..., oth[0]]
    for c in oth[1:]:
        o = np.maximum(o, arr[..., c])
    return d - o


def _alpha_prior(c: np.ndarray, b: np.ndarray, m: _KeyMaths) -> np.ndarray:
    """Smallest plausible alpha for colour c over key b (float32, any leading shape)."""
    diff = c - b
    bb = np.broadcast_to(b, c.shape)
    cube = None
    for ch in range(3):
        dc = diff[..., ch]
        # The foreground may sit slightly outside the cube (noise, codec ringing): a margin keeps
        # channels where the key is ~0 or ~255 from turning noise into alpha.
        lowbound = np.maximum(-dc / (bb[..., ch] + _CUBE_MARGIN), dc / (255.0 + _CUBE_MARGIN - bb[..., ch]))
        cube = lowbound if cube is None else np.maximum(cube, lowbound)
    assert cube is not None
    if m.saturated:
        kb = np.maximum(_kstrength(bb, m.dom, m.oth), 1.0)
        cube = np.maximum(cube, 1.0 - _kstrength(c, m.dom, m.oth) / kb)
    return cube


def _floor_alpha(prior: np.ndarray, m: _KeyMaths) -> np.ndarray:
    return np.clip((prior - m.a0) * m.inv_floor, 0.0, 1.0)


def _solid_ramp(c: np.ndarray, b: np.ndarray, m: _KeyMaths) -> np.ndarray:
    diff = c - b
    d = np.sqrt((diff * diff).sum(axis=-1))
    low = max(m.threshold, 0.0) if math.isfinite(m.threshold) else 0.0
    width = max(m.softness, 1.0) if math.isfinite(m.softness) else 1.0
    t = np.clip((d - low) / width, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _shift_or(mask: np.ndarray, radius: int) -> np.ndarray:
    out = mask.copy()
    for r in range(1, radius + 1):
        out[r:] |= mask[:-r]
        out[:-r] |= mask[r:]
    tmp = out.copy()
    for r in range(1, radius + 1):
        out[:, r:] |= tmp[:, :-r]
        out[:, :-r] |= tmp[:, r:]
    return out


def _neighbour_count(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    rows = m.copy()
    rows[1:] += m[:-1]
    rows[:-1] += m[1:]
    out = rows.copy()
    out[:, 1:] += rows[:, :-1]
    out[:, :-1] += rows[:, 1:]
    return out - m  # 8-neighbour count


_OFFSETS = [
    (dy, dx) for r in (2, 3, 5) for dy, dx in ((-r, 0), (r, 0), (0, -r), (0, r), (-r, -r), (-r, r), (r, -r), (r, r))
]


def extract_chroma(
    rgba: np.ndarray,
    matte: tuple[int, int, int] | None,
    settings: ChromaSettings,
    progress: Callable[[str, int, str], None] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Key `rgba` (HxWx4 uint8, not modified). Returns (output RGBA, extraction report)."""
    h, w = rgba.shape[:2]
    rgb = rgba[..., :3]
    if matte is None:
        key = robust_key(_border_ring(rgb))
        source = "auto-sampled"
        field = fit_key_field(rgb, key)
        matte_rgb = tuple(int(math.floor(float(c) + 0.5)) for c in key)
    else:
        key = np.asarray(matte, np.float32)
        source = "provided"
        # A provided colour names the key; the field still follows the real background if it drifts.
        field = fit_key_field(rgb, key)
        matte_rgb = tuple(int(c) for c in matte)
    if progress:
        progress("key", 20, "key model fitted")
    saturated = is_saturated(tuple(float(c) for c in key))
    dom, oth = _channel_sets(key) if saturated else ([], [])
    m = _KeyMaths(
        saturated,
        dom,
        oth,
        0.0,
        1.0,
        (settings.material or "standard") in SOLID_MATERIALS,
        settings.threshold,
        settings.softness,
        settings.spill_suppression,
    )
    # Noise floor in alpha units: measured on the border ring unless the caller set a threshold.
    if settings.threshold_given:
        scale = float(_kstrength(key, dom, oth)) if saturated else 255.0
        m.a0 = (
            float(np.clip(max(settings.threshold, 0.0) / max(scale, 64.0), 0.0, 0.9))
            if math.isfinite(settings.threshold)
            else 0.0
        )
    else:
        ring = _border_ring(rgb, 20_000)
        ys = np.zeros(len(ring))  # the floor only needs a representative key; use the field mean
        bmean = (
            field.at(np.full(1, w / 2), np.full(1, h / 2))[0]
            if not field.constant
            else field.coef[0].astype(np.float32)
        )
        del ys
        pri = _alpha_prior(ring, bmean, m)
        near = np.sqrt(((ring - bmean) ** 2).sum(axis=1)) <= max(24.0, 2.5 * field.noise)
        vals = pri[near] if near.sum() >= 16 else pri
        m.a0 = float(np.clip(np.percentile(vals, 99.5) * 1.25 + 0.004, 0.004, 0.35))
    m.inv_floor = 1.0 / (1.0 - m.a0)

    alpha = np.empty((h, w), np.float32)
    if field.constant:
        kb = field.coef[0].astype(np.float32)
        terms = None
    else:
        terms = field.row_terms()

    def band_b(y0: int, y1: int) -> np.ndarray:
        if terms is None:
            return kb
        p0, p1, p2 = terms
        yn = field.y_norm(np.arange(y0, y1))
        return p0[None] + yn[:, None, None] * p1[None] + (yn * yn)[:, None, None] * p2

    def phase1(y0: int) -> None:
        y1 = min(h, y0 + _BAND_ROWS)
        c = rgb[y0:y1].astype(np.float32)
        b = band_b(y0, y1)
        alpha[y0:y1] = _floor_alpha(_alpha_prior(c, b, m), m)

    bands = list(range(0, h, _BAND_ROWS))
    list(_executor().map(phase1, bands))
    if progress:
        progress("key", 50, "alpha estimated")

    palette = _palette(rgb, alpha)
    out = np.empty_like(rgba)
    halo = 6
    phase2_rows = 128

    def phase2(y0: int) -> None:
        y1 = min(h, y0 + phase2_rows)
        ya, yb = max(0, y0 - halo), min(h, y1 + halo)
        a = alpha[ya:yb].copy()
        bg = a <= 0.0
        # Despeckle: lone faint pixels in the background go, lone key-coloured holes in a subject fill.
        nb = _neighbour_count(~bg)
        lone = (~bg) & (nb == 0) & (a < 0.5)
        a[lone] = 0.0
        hole = bg & (nb == 8)
        bg = (bg | lone) & ~hole
        near_bg = _shift_or(bg, _EDGE_RADIUS)
        interior = ~near_bg
        src = rgb[ya:yb]
        if hole.any():
            a[hole] = 1.0
        if m.solid:
            sel = interior & (a < 1.0)
            if sel.any():
                iy, ix = np.nonzero(sel)
                c = src[iy, ix].astype(np.float32)
                b = _b_at(iy + ya, ix)
                a[iy, ix] = np.maximum(a[iy, ix], _solid_ramp(c, b, m))
        core = interior & (a >= 0.999)
        # Pixels whose colour needs work: partial alpha, or within the edge band.
        work = (~bg) & ((a < 1.0) | near_bg)
        lo, hi = y0 - ya, y1 - ya
        work_c = work[lo:hi]
        o = out[y0:y1]
        o[..., :3] = rgb[y0:y1]
        a8 = np.floor(a[lo:hi] * 255.0 + 0.5).astype(np.uint8)
        if not work_c.any():
            _finish(o, a8, rgba[y0:y1, :, 3])
            return
        wy, wx = np.nonzero(work_c)
        wy_full = wy + lo
        c = src[wy_full, wx].astype(np.float32)
        b = _b_at(wy + y0, wx)
        av = a[wy_full, wx]
        # Local foreground colour from confident interior pixels nearby.
        acc = np.zeros_like(c)
        cnt = np.zeros(len(wy), np.float32)
        hh, ww = a.shape
        for dy, dx in _OFFSETS:
            yy = np.clip(wy_full + dy, 0, hh - 1)
            xx = np.clip(wx + dx, 0, ww - 1)
            ok = core[yy, xx]
            if ok.any():
                acc[ok] += src[yy[ok], xx[ok]]
                cnt[ok] += 1.0
        has_f = cnt > 0
        f_loc = acc / np.maximum(cnt, 1.0)[:, None]
        # Candidate foregrounds: the local one (slightly preferred) and the global palette.
        # The pixel takes the alpha of the candidate whose B->F segment explains it best.
        cands = [f_loc] + [np.broadcast_to(p, c.shape) for p in palette]
        best_r = np.full(len(wy), np.inf, np.float32)
        best_a = np.zeros(len(wy), np.float32)
        best_f = f_loc.copy()
        cb = c - b
        for i, fc in enumerate(cands):
            fb = fc - b
            den = (fb * fb).sum(axis=1)
            proj = np.clip((cb * fb).sum(axis=1) / np.maximum(den, 1.0), 0.0, 1.0)
            resid = cb - proj[:, None] * fb
            rn = np.sqrt((resid * resid).sum(axis=1))
            ok = (den > 40.0 * 40.0) & (rn <= np.maximum(10.0, 0.12 * np.sqrt(den)))
            if i == 0:
                ok &= has_f
                rn = rn - 3.0
            take = ok & (rn < best_r)
            best_r[take] = rn[take]
            best_a[take] = proj[take]
            best_f[take] = fc[take]
        good = np.isfinite(best_r)
        if good.any():
            prior = _alpha_prior(c[good], b[good], m)
            av[good] = np.where(prior <= m.a0, 0.0, np.clip(best_a[good], 0.0, 1.0))
        has_f = has_f | good
        f_loc = np.where(good[:, None], best_f, f_loc)
        a8w = np.floor(av * 255.0 + 0.5).astype(np.uint8)
        aq = a8w.astype(np.float32) / 255.0
        # Un-mix the key from partial pixels; faint ones lean on the local foreground colour.
        f = b + (c - b) / np.maximum(aq, 1e-3)[:, None]
        faint = (aq < 0.3) & has_f
        if faint.any():
            wgt = (aq[faint] / 0.3)[:, None]
            f[faint] = wgt * f[faint] + (1.0 - wgt) * f_loc[faint]
        opaque = aq >= 1.0
        f[opaque] = c[opaque]
        f = np.clip(f, 0.0, 255.0)
        if m.saturated and m.spill > 0.0:
            kf = _kstrength(f, m.dom, m.oth)
            kref = np.where(has_f, np.maximum(_kstrength(f_loc, m.dom, m.oth), 0.0), 0.0)
            excess = np.maximum(kf - kref, 0.0) * m.spill
            for ch in m.dom:
                f[:, ch] -= excess
            f = np.clip(f, 0.0, 255.0)
        o[wy, wx, :3] = np.floor(f + 0.5).astype(np.uint8)
        a8[wy, wx] = a8w
        _finish(o, a8, rgba[y0:y1, :, 3])

    def _b_at(ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        if field.constant:
            return np.broadcast_to(kb, (len(ys), 3)).astype(np.float32)
        return field.at(xs.astype(np.float64), ys.astype(np.float64))

    list(_executor().map(phase2, range(0, h, phase2_rows)))
    if progress:
        progress("key", 70, "colours decontaminated")
    report: dict[str, Any] = {
        "method": "chroma",
        "matte_color": to_hex(matte_rgb),
        "matte_color_source": source,
        "threshold": settings.threshold,
        "softness": settings.softness,
        "spill_suppression": settings.spill_suppression,
        "material": settings.material,
        "matte_decontamination_applied": True,
        "rgb_scrubbed": True,
        "dual_alignment": None,
        "key_model": {
            "kind": "constant" if field.constant else "quadratic",
            "noise": round(field.noise, 3),
            "alpha_floor": round(m.a0, 5),
        },
    }
    return out, report


def _palette(rgb: np.ndarray, alpha: np.ndarray, size: int = 12) -> list[np.ndarray]:
    """The subject's main opaque colours (4-bit bins of a strided sample), for un-mixing edges."""
    h, w = alpha.shape
    step = max(1, int(math.sqrt(h * w / 120_000)))
    a = alpha[::step, ::step]
    sel = a >= 0.999
    if sel.sum() < 16:
        return []
    cols = rgb[::step, ::step][sel].astype(np.int32)
    bins = ((cols >> 4) * np.array([256, 16, 1])).sum(axis=1)
    counts = np.bincount(bins, minlength=4096)
    order = np.argsort(counts)[::-1][:size]
    out = []
    for b in order:
        if counts[b] < max(4, 0.002 * len(cols)):
            break
        out.append(cols[bins == b].mean(axis=0).astype(np.float32))
    return out


def _finish(o: np.ndarray, a8: np.ndarray, src_alpha: np.ndarray) -> None:
    """Cap by the source alpha, write alpha, and scrub: alpha <= 5 carries no colour."""
    np.minimum(a8, src_alpha, out=a8)
    o[..., 3] = a8
    o[a8 <= TRANSPARENT_ALPHA_MAX, :3] = 0
