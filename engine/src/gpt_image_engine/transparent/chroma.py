"""Chroma-key extraction: a single-matte source -> straight-alpha RGBA plus the upstream's report.

How it differs from the upstream (reference section 8), in the order the work happens:

* The key is a *field*, not one colour: a robust vector estimate from the whole border ring,
  then a quadratic surface fitted to every grid sample that agrees with it (iteratively
  re-selected), so gradients and vignettes key cleanly. A flat field collapses to a constant.
* Alpha comes from un-mixing, not from a distance ramp. For a saturated key the prior is the
  generalised Vlahos estimate ``1 - K(C)/K(B)`` with ``K = min(dominant) - max(other)``, bounded
  below by the smallest alpha that keeps the implied foreground inside the RGB cube. The noise
  floor is measured on the background itself (unless ``threshold`` is given).
* Grain is measured, not guessed: per-channel allowances from the border ring's residuals against
  the field shrink every bound, and the floor is a garrote (zero below it, ``p - a0^2/p`` above),
  so a 30 % shadow or a glow's faint tail keeps its alpha instead of being rescaled toward zero.
* Soft matter: the key-strength estimate over-states alpha for strongly coloured matter (an orange
  glow, red glass); pixels are grouped by the hue of their cube-boundary foreground, and the
  densest pixels of each hue bound the rest (``_refine_by_hue``).
* Which matter is keyed comes from ``--material``, else the profile (icon/product/sticker/seal are
  solid; translucent/glow/shadow/effect soft), else detection on a sample of the frame
  (``_looks_soft``): much of the subject half-transparent and a fading boundary means soft.
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
# Without --material, the verification profile says what kind of asset is expected (as
# `transparent generate` passes it): these are solid; translucent, glow, shadow and effect assets
# are soft matter; generic is decided from the image (see `_looks_soft`).
SOLID_PROFILES = frozenset({"icon", "product", "sticker", "seal"})
SOFT_PROFILES = frozenset({"translucent", "glow", "shadow", "effect"})
TRANSPARENT_ALPHA_MAX = 5
_EDGE_RADIUS = 1
_SPILL_RADIUS = 3
_CUBE_MARGIN = 24.0
_BAND_ROWS = 64
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
    profile: str = "generic"


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
    profile: str = "generic",
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
        profile=profile,
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


def _border_ring_xy(rgb: np.ndarray, max_samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Like `_border_ring`, with each sample's (y, x)."""
    h, w = rgb.shape[:2]
    k = max(1, min(8, min(h, w) // 16))
    rows = np.r_[0:k, h - k : h]
    mid = np.arange(k, h - k)
    cols = np.r_[0:k, w - k : w]
    ys = np.concatenate([np.repeat(rows, w), np.repeat(mid, len(cols))])
    xs = np.concatenate([np.tile(np.arange(w), len(rows)), np.tile(cols, len(mid))])
    if len(ys) > max_samples:
        sl = slice(None, None, len(ys) // max_samples + 1)
        ys, xs = ys[sl], xs[sl]
    return rgb[ys, xs].astype(np.float32), ys.astype(np.float64), xs.astype(np.float64)


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
    # Per-channel noise allowance (levels) and the key strength's own: differences from the key
    # field within these are grain, not subject, so the alpha bounds shrink by them.
    tch: tuple[float, float, float] = (0.0, 0.0, 0.0)
    tk: float = 0.0


def _looks_soft(rgb: np.ndarray, field: KeyField, m: _KeyMaths) -> bool:
    """Material detection for the generic profile, on a strided sample of the frame: soft matter
    (glow, smoke, shadow, glass) leaves much of the subject partly transparent, a solid subject
    only its one-pixel rim. Soft when over 30 % of the subject's sample is below half opacity."""
    h, w = rgb.shape[:2]
    step = max(1, int(math.ceil(math.sqrt(h * w / 40_000))))
    sub = rgb[::step, ::step]
    ys = np.arange(0, h, step, dtype=np.float64)[: sub.shape[0]]
    xs = np.arange(0, w, step, dtype=np.float64)[: sub.shape[1]]
    gy, gx = np.meshgrid(ys, xs, indexing="ij")
    if field.constant:
        b: list = [float(v) for v in field.coef[0]]
    else:
        bb = field.at(gx.ravel(), gy.ravel())
        b = [bb[:, ch] for ch in range(3)]
    c = [sub[..., ch].reshape(-1).astype(np.float32) for ch in range(3)]
    cube, vl, _, _ = _prior_parts(c, b, m)
    est = _floor_alpha(np.maximum(cube, np.minimum(vl, 1.0)), m).reshape(sub.shape[:2])
    on = est > 0.02
    subject = int(on.sum())
    if subject < 16:
        return False
    if int((on & (est < 0.5)).sum()) <= 0.3 * subject:
        return False
    # A flat subject of a colour near the key also reads as half-transparent; what tells it from
    # soft matter is its boundary: a solid jumps from the key to its own value, soft matter fades.
    edge = np.zeros_like(on)
    edge[1:] |= on[1:] & ~on[:-1]
    edge[:-1] |= on[:-1] & ~on[1:]
    edge[:, 1:] |= on[:, 1:] & ~on[:, :-1]
    edge[:, :-1] |= on[:, :-1] & ~on[:, 1:]
    return not edge.any() or float(np.median(est[edge])) < 0.2


def _is_solid(settings: ChromaSettings) -> bool:
    if settings.material is not None:
        return settings.material in SOLID_MATERIALS
    return settings.profile not in SOFT_PROFILES


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
        dc = _shrink(diff[..., ch], m.tch[ch])
        # The foreground may sit slightly outside the cube (noise, codec ringing): a margin keeps
        # channels where the key is ~0 or ~255 from turning noise into alpha.
        lowbound = np.maximum(-dc / (bb[..., ch] + _CUBE_MARGIN), dc / (255.0 + _CUBE_MARGIN - bb[..., ch]))
        cube = lowbound if cube is None else np.maximum(cube, lowbound)
    assert cube is not None
    if m.saturated:
        kb = np.maximum(_kstrength(bb, m.dom, m.oth), 1.0)
        cube = np.maximum(cube, 1.0 - (_kstrength(c, m.dom, m.oth) + m.tk) / kb)
    return cube


def _allowance(res: np.ndarray) -> float:
    """Grain allowance from absolute residuals: the 97th percentile (grain plus the plate's blotches),
    or ~2.6 sigma from the median when a subject reaching the border inflates the tail."""
    return float(max(np.percentile(res, 97.0), 3.9 * float(np.median(res)) + 0.5))


def _shrink(d: Any, t: float) -> Any:
    """Move `d` toward zero by `t` (soft threshold): grain within `t` of the key is no evidence."""
    if t <= 0.0:
        return d
    return np.sign(d) * np.maximum(np.abs(d) - np.float32(t), 0.0)


def _floor_alpha(prior: np.ndarray, m: _KeyMaths) -> np.ndarray:
    """Noise floor as a non-negative garrote: zero up to the floor, then prior - a0^2/prior, so a
    real 30 % shadow stays ~30 % instead of being rescaled toward zero."""
    p = np.maximum(prior, np.float32(m.a0))
    return np.clip(p - np.float32(m.a0 * m.a0) / p, 0.0, 1.0)


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


def _band_bounds(
    field: KeyField, terms: tuple[np.ndarray, np.ndarray, np.ndarray] | None, kb: np.ndarray, y0: int, y1: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-column (w, 3) min and max of the key field over rows [y0, y1) (exact for a quadratic)."""
    if terms is None:
        return kb[None].astype(np.float64), kb[None].astype(np.float64)
    p0, p1, p2 = (t.astype(np.float64) for t in terms)
    ya, yb = (float(v) for v in field.y_norm(np.array([y0, y1 - 1])))
    vals = [p0 + ya * p1 + ya * ya * p2, p0 + yb * p1 + yb * yb * p2]
    lo, hi = np.minimum(*vals), np.maximum(*vals)
    with np.errstate(divide="ignore", invalid="ignore"):
        yv = np.where(p2 != 0.0, -p1 / (2.0 * np.where(p2 != 0.0, p2, 1.0)), ya)
    inside = (yv > ya) & (yv < yb)
    if inside.any():
        vv = p0 + yv * p1 + yv * yv * p2
        lo = np.where(inside, np.minimum(lo, vv), lo)
        hi = np.where(inside, np.maximum(hi, vv), hi)
    return lo, hi


def extract_chroma(
    rgba: np.ndarray,
    matte: tuple[int, int, int] | None,
    settings: ChromaSettings,
    progress: Callable[[str, int, str], None] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Key `rgba` (HxWx4 uint8, not modified). Returns (output RGBA, extraction report).

    Two passes over row bands on a thread pool. Pass A classifies every pixel with integer
    arithmetic on the channel planes -- surely background (the alpha prior cannot exceed the
    noise floor anywhere the band's key field reaches), surely opaque (no key strength left) --
    and computes the float alpha prior only for what is left. Pass B does the neighbourhood work
    (despeckle, edge band, solid interior, local foreground, un-mixing) on the columns that hold
    anything but background, and only the edge/partial pixels take the per-pixel float path.
    """
    h, w = rgba.shape[:2]
    rgba = np.ascontiguousarray(rgba)
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
        _is_solid(settings),
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
        ring, ry, rx = _border_ring_xy(rgb, 20_000)
        # The floor is measured against the fitted field where each ring sample sits: against one
        # mean colour, a gradient plate's own slope would read as alpha.
        bmean = field.at(rx, ry) if not field.constant else field.coef[0].astype(np.float32)
        near = np.sqrt(((ring - bmean) ** 2).sum(axis=1)) <= max(24.0, 2.5 * field.noise)
        if near.sum() >= 16:
            res = np.abs(ring[near] - np.broadcast_to(bmean, ring.shape)[near])
            # ~2.6 sigma from the median absolute residual: robust to a subject that reaches the
            # border (a glow's tail, particles), where a high percentile would count it as grain.
            m.tch = tuple(_allowance(res[:, ch]) for ch in range(3))  # type: ignore[assignment]
            if saturated:
                bk = _kstrength(np.broadcast_to(bmean, ring.shape)[near], dom, oth)
                m.tk = _allowance(np.abs(_kstrength(ring[near], dom, oth) - bk))
        pri = _alpha_prior(ring, bmean, m)
        vals = pri[near] if near.sum() >= 16 else pri
        m.a0 = float(np.clip(np.percentile(vals, 99.5) * 1.25 + 0.004, 0.004, 0.35))
    m.inv_floor = 1.0 / (1.0 - m.a0)
    kb = field.coef[0].astype(np.float32)
    terms = None if field.constant else field.row_terms()
    material_source = "material" if settings.material is not None else "profile"
    if settings.material is None and settings.profile not in SOLID_PROFILES | SOFT_PROFILES:
        m.solid = not _looks_soft(rgb, field, m)
        material_source = "detected"

    kbl = [float(v) for v in kb]
    if terms is not None:
        tp0, tp1 = (np.ascontiguousarray(t.T) for t in terms[:2])
        tp2 = [float(v) for v in terms[2]]

    def b_at(ys: np.ndarray, xs: np.ndarray) -> list:
        """Key colour at pixel coordinates as three planes (scalars for a constant key)."""
        if terms is None:
            return kbl
        yn = field.y_norm(ys)
        yn2 = yn * yn
        return [tp0[ch][xs] + yn * tp1[ch][xs] + yn2 * tp2[ch] for ch in range(3)]

    alpha8 = np.empty((h, w), np.uint8)
    eps = 1e-3

    def pass_a(y0: int) -> None:
        y1 = min(h, y0 + _BAND_ROWS)
        planes = [np.ascontiguousarray(rgba[y0:y1, :, ch]) for ch in range(3)]
        bmin, bmax = _band_bounds(field, terms, kb, y0, y1)
        # Surely background: every cube bound and the key-strength bound stay under the floor
        # for every key value the field takes in this band.
        tch = np.array(m.tch)
        lo = np.ceil(bmax * (1.0 - m.a0) - m.a0 * _CUBE_MARGIN - tch + eps)
        hi = np.floor(bmin * (1.0 - m.a0) + m.a0 * (255.0 + _CUBE_MARGIN) + tch - eps)
        bad = (lo > 255) | (hi < 0) | (lo > hi)
        lo = np.where(bad, 255, np.clip(lo, 0, 255)).astype(np.uint8)
        hi = np.where(bad, 0, np.clip(hi, 0, 255)).astype(np.uint8)
        bg = None
        for ch in range(3):
            pl = planes[ch]
            lc, hc = lo[:, ch], hi[:, ch]
            if lc.shape[0] == 1:
                lv, hv = int(lc[0]), int(hc[0])
                cond = None if lv == 0 and hv == 255 else (pl >= lv) & (pl <= hv)
            else:
                cond = (pl >= lc) & (pl <= hc)
            if cond is not None:
                bg = cond if bg is None else (bg & cond)
        opq = None
        if m.saturated:
            d = planes[m.dom[0]]
            for c in m.dom[1:]:
                d = np.minimum(d, planes[c])
            o = planes[m.oth[0]]
            for c in m.oth[1:]:
                o = np.maximum(o, planes[c])
            k = d.astype(np.int16)
            k -= o
            kd = np.min([bmax[:, c] for c in m.dom], axis=0) - np.max([bmin[:, c] for c in m.oth], axis=0)
            kthr = np.ceil((1.0 - m.a0) * np.maximum(kd, 1.0) - m.tk + eps)
            kc = k >= (int(kthr[0]) if kthr.shape[0] == 1 else kthr.astype(np.int16))
            bg = kc if bg is None else (bg & kc)
            opq = k <= 0
        if bg is None:
            bg = np.ones((y1 - y0, w), bool)
        band = alpha8[y0:y1]
        if opq is not None and not m.solid:
            # Soft matter: a coloured glow has no key strength left long before it is opaque, so
            # only pixels the cube bound itself calls opaque skip the estimate.
            band[:] = 0
            unsure = ~bg
        elif opq is not None:
            np.multiply(opq, 255, out=band, dtype=np.uint8, casting="unsafe")
            unsure = ~(bg | opq)
        else:
            band[:] = 0
            unsure = ~bg
        iy, ix = np.nonzero(unsure)
        if len(iy):
            cp = [pl[iy, ix].astype(np.float32) for pl in planes]
            parts = _prior_parts(cp, b_at(iy + y0, ix), m)
            band[iy, ix] = np.floor(_floor_alpha(np.maximum(parts[0], parts[1]), m) * 255.0 + 0.5).astype(np.uint8)
            soft_parts[y0] = (iy + y0, ix, *parts)

    soft_parts: dict[int, tuple[np.ndarray, ...]] = {}
    bands = list(range(0, h, _BAND_ROWS))
    list(_executor().map(pass_a, bands))
    if m.saturated and soft_parts:
        _refine_by_hue(alpha8, soft_parts, m)
    if progress:
        progress("key", 50, "alpha estimated")

    palette = _palette(rgb, alpha8)
    out = np.empty_like(rgba)
    out32 = out.view(np.uint32).reshape(h, w)
    src32 = rgba.view(np.uint32).reshape(h, w)
    src_opaque = bool((src32 >= np.uint32(0xFF000000)).all()) if np.little_endian else False
    halo = 6
    recon: list[tuple[float, int]] = []

    def pass_b(y0: int) -> None:
        y1 = min(h, y0 + _BAND_ROWS)
        ya, yb = max(0, y0 - halo), min(h, y1 + halo)
        win = alpha8[ya:yb]
        cols = np.flatnonzero((win != 0).any(axis=0))
        out32[y0:y1] = 0
        if not len(cols):
            return
        xa, xb = max(0, int(cols[0]) - 3), min(w, int(cols[-1]) + 4)
        a = win[:, xa:xb].copy()
        bg = a == 0
        # Despeckle: lone faint pixels in the background go, lone key-coloured holes in a subject fill.
        nb = _neighbour_count(~bg)
        lone = (~bg) & (nb == 0) & (a < 128)
        a[lone] = 0
        hole = bg & (nb == 8)
        bg = (bg | lone) & ~hole
        near_bg = _shift_or(bg, _EDGE_RADIUS)
        interior = ~near_bg
        src = rgb[ya:yb, xa:xb]
        if hole.any():
            a[hole] = 255

        def force(sel: np.ndarray) -> None:
            if sel.any():
                iy, ix = np.nonzero(sel)
                c = src[iy, ix].astype(np.float32)
                key_at = b_at(iy + ya, ix + xa)
                bb = np.stack([np.broadcast_to(np.float32(v), len(iy)) for v in key_at], axis=1)
                r8 = np.floor(_solid_ramp(c, bb, m) * 255.0 + 0.5).astype(np.uint8)
                a[iy, ix] = np.maximum(a[iy, ix], r8)

        if m.solid:
            # The body (2+ px from the key), then the ring just inside the edge where it touches the
            # body: spill there is a tint, not coverage. Thin strands have no body and keep theirs.
            deep = ~_shift_or(bg, _EDGE_RADIUS + 1)
            force(deep & (a < 255))
            force(interior & ~deep & (a < 255) & _shift_or(deep & (a == 255), 1))
            interior &= deep | _shift_or(deep & (a == 255), 1)
        core = interior & (a == 255)
        # Pixels whose colour needs work: partial alpha, or within the edge band.
        lo, hi = y0 - ya, y1 - ya
        # Colour work reaches further in than the alpha edge: a model tints ~3 px of the subject
        # toward the key (spill), and those pixels are opaque but need their colour un-mixed.
        rim = _shift_or(bg[lo:hi], _SPILL_RADIUS) if m.solid else near_bg[lo:hi]
        work_c = (~bg[lo:hi]) & ((a[lo:hi] < 255) | rim)
        a8 = a[lo:hi].copy()
        wy, wx = np.nonzero(work_c)
        f8 = None
        if len(wy):
            f8, a8w, rec = _work(wy + lo, wx, a, core, src, b_at(wy + y0, wx + xa), palette, m)
            recon.append((rec, len(wy)))
            a8[wy, wx] = a8w
        if not src_opaque:
            np.minimum(a8, rgba[y0:y1, xa:xb, 3], out=a8)
        o32 = src32[y0:y1, xa:xb] & np.uint32(0x00FFFFFF)
        o32 *= a8 > TRANSPARENT_ALPHA_MAX
        o32 |= a8.astype(np.uint32) << np.uint32(24)
        out32[y0:y1, xa:xb] = o32
        if f8 is not None:
            keep = a8[wy, wx] > TRANSPARENT_ALPHA_MAX
            out[wy[keep] + y0, wx[keep] + xa, :3] = f8[keep]

    list(_executor().map(pass_b, bands))
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
            "matter": "solid" if m.solid else "soft",
            "matter_source": material_source,
            # Mean |re-composite over the key - source| on the edge and partial pixels (levels).
            "reconstruction_error": round(sum(r for r, _ in recon) / max(sum(k for _, k in recon), 1), 3),
        },
    }
    return out, report


def _ks(arr: list[Any], dom: list[int], oth: list[int]) -> Any:
    """Key strength of a colour given as three planes (arrays or scalars)."""
    d = arr[dom[0]]
    for c in dom[1:]:
        d = np.minimum(d, arr[c])
    o = arr[oth[0]]
    for c in oth[1:]:
        o = np.maximum(o, arr[c])
    return d - o


def _prior_soa(c: list[np.ndarray], b: list, m: _KeyMaths) -> np.ndarray:
    """`_alpha_prior` on three float32 planes; b holds scalars (constant key) or planes."""
    cube = None
    for ch in range(3):
        dc = _shrink(c[ch] - b[ch], m.tch[ch])
        lowbound = np.maximum(dc * (-1.0 / (b[ch] + _CUBE_MARGIN)), dc * (1.0 / (255.0 + _CUBE_MARGIN - b[ch])))
        cube = lowbound if cube is None else np.maximum(cube, lowbound)
    assert cube is not None
    if m.saturated:
        kb = np.maximum(_ks(b, m.dom, m.oth), 1.0)
        cube = np.maximum(cube, 1.0 - (_ks(c, m.dom, m.oth) + m.tk) / kb)
    return cube


def _prior_parts(c: list[np.ndarray], b: list, m: _KeyMaths) -> tuple[np.ndarray, ...]:
    """The alpha bounds of `_prior_soa` kept apart: (cube bound, key-strength estimate, distance
    from the key after the grain allowance, hue bin of the cube-boundary foreground)."""
    cube: Any = None
    dist2: Any = 0.0
    dcs = []
    for ch in range(3):
        dc = _shrink(c[ch] - b[ch], m.tch[ch])
        dcs.append(dc)
        dist2 = dist2 + dc * dc
        lowbound = np.maximum(dc * (-1.0 / (b[ch] + _CUBE_MARGIN)), dc * (1.0 / (255.0 + _CUBE_MARGIN - b[ch])))
        cube = lowbound if cube is None else np.maximum(cube, lowbound)
    if m.saturated:
        kb = np.maximum(_ks(b, m.dom, m.oth), 1.0)
        vl = 1.0 - (_ks(c, m.dom, m.oth) + m.tk) / kb
    else:
        vl = cube
    # Hue of the foreground the pixel would have at its smallest alpha: pixels of one material
    # share it, whatever their coverage.
    inv = 1.0 / np.maximum(cube, 1e-3)
    f = [np.clip(b[ch] + dcs[ch] * inv, 0.0, 255.0) for ch in range(3)]
    hi = np.maximum(np.maximum(f[0], f[1]), f[2])
    lo = np.minimum(np.minimum(f[0], f[1]), f[2])
    hue = np.arctan2(1.7320508 * (f[1] - f[2]), 2.0 * f[0] - f[1] - f[2])
    hbin = ((hue + np.pi) * (_HUE_BINS / (2 * np.pi))).astype(np.int16) % _HUE_BINS
    hbin[(hi - lo) < 0.25 * np.maximum(hi, 1.0)] = _HUE_BINS  # achromatic (smoke, white glow)
    hbin[hi < 60.0] = _HUE_BINS + 1  # dark (shadows)
    return cube, vl, np.sqrt(dist2), hbin


_HUE_BINS = 24


def _refine_by_hue(alpha8: np.ndarray, parts: dict[int, tuple[np.ndarray, ...]], m: _KeyMaths) -> None:
    """The key-strength estimate assumes a foreground with no key strength of its own, so it
    over-states alpha for strongly coloured soft matter (an orange glow, red glass). Pixels of one
    material share the hue of their cube-boundary foreground, and its densest pixels show how far
    from the key that foreground lies: alpha <= distance / (the hue's largest distance). The
    smaller of the two over-estimates is kept, never below the cube bound (which is a true lower
    bound)."""
    iy = np.concatenate([p[0] for p in parts.values()])
    ix = np.concatenate([p[1] for p in parts.values()])
    cube = np.concatenate([p[2] for p in parts.values()])
    vl = np.concatenate([p[3] for p in parts.values()])
    dist = np.concatenate([p[4] for p in parts.values()])
    hbin = np.concatenate([p[5] for p in parts.values()]).astype(np.intp)
    nb = _HUE_BINS + 2
    # Robust per-bin maximum: the 99.5th percentile of each bin's distances.
    order = np.lexsort((dist, hbin))
    counts = np.bincount(hbin, minlength=nb)
    ends = np.cumsum(counts)
    starts = ends - counts
    pick = np.clip(starts + (counts * 0.995).astype(np.intp), starts, np.maximum(ends - 1, starts))
    dmax = np.where(counts > 0, dist[order][np.minimum(pick, len(dist) - 1)], 1.0)
    # Within 8 % of the hue's furthest pixel counts as full strength (shading of an opaque part).
    ratio = dist / np.maximum(dmax[hbin] * 0.92, 1.0)
    est = np.maximum(cube, np.minimum(vl, np.maximum(ratio, 0.0)))
    a = _floor_alpha(est, m)
    alpha8[iy, ix] = np.floor(a * 255.0 + 0.5).astype(np.uint8)


_PAD = 5
_LS_RADIUS = 3
_LS_ALPHA = 0.85
_DIR_TOL = 0.3


def _box_at(plane: np.ndarray, ty: np.ndarray, tx: np.ndarray, r: int) -> np.ndarray:
    """Sum of `plane` over the (2r+1)^2 window around each target (zero outside)."""
    p = np.pad(plane, ((r + 1, r), (0, 0)))
    cs = np.cumsum(p, axis=0, dtype=np.float32)
    v = cs[2 * r + 1 :] - cs[: -2 * r - 1]
    p = np.pad(v, ((0, 0), (r + 1, r)))
    cs = np.cumsum(p, axis=1, dtype=np.float32)
    return cs[ty, tx + 2 * r + 1] - cs[ty, tx]


def _ls_colour(aw: np.ndarray, src: np.ndarray, ty: np.ndarray, tx: np.ndarray, bt: list) -> tuple[list, np.ndarray]:
    """Least-squares local foreground at the targets, and how much to trust it (0..1)."""
    r = _LS_RADIUS
    hh, ww = aw.shape
    n = len(ty)
    if n * (2 * r + 1) ** 2 * 17 > hh * ww * 40:
        # Dense: box sums over the whole window.
        u = aw.astype(np.float32) * np.float32(1.0 / 255.0)
        s2 = _box_at(u * u, ty, tx, r)
        s1 = _box_at(u, ty, tx, r) - s2
        sc = [_box_at(u * src[..., ch], ty, tx, r) for ch in range(3)]
    else:
        # Sparse: gather the window around each target.
        s2 = np.zeros(n, np.float32)
        s1 = np.zeros(n, np.float32)
        sc = [np.zeros(n, np.float32) for _ in range(3)]
        for dy in range(-r, r + 1):
            yy = ty + dy
            oky = (yy >= 0) & (yy < hh)
            yy = np.clip(yy, 0, hh - 1)
            for dx in range(-r, r + 1):
                xx = tx + dx
                ok = oky & (xx >= 0) & (xx < ww)
                xx = np.clip(xx, 0, ww - 1)
                u = aw[yy, xx] * np.where(ok, np.float32(1.0 / 255.0), np.float32(0.0))
                u2 = u * u
                s2 += u2
                s1 += u - u2
                for ch in range(3):
                    sc[ch] += u * src[yy, xx, ch]
    den = np.maximum(s2, 1e-6)
    fls = [np.clip((sc[ch] - bt[ch] * s1) / den, 0.0, 255.0) for ch in range(3)]
    return fls, np.clip(s2 * 2.0, 0.0, 1.0)


def _work(
    wy: np.ndarray,
    wx: np.ndarray,
    a: np.ndarray,
    core: np.ndarray,
    src: np.ndarray,
    b: list,
    palette: list[np.ndarray],
    m: _KeyMaths,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Edge / partial pixels (window coordinates): re-estimated alpha, decontaminated colour, and
    the summed re-composite error (levels) of those pixels over the key.

    Colours are handled as three float32 planes (structure of arrays): reductions over a
    3-wide axis are what made the per-pixel path slow."""
    n = len(wy)
    c = [src[wy, wx, ch].astype(np.float32) for ch in range(3)]
    av = a[wy, wx].astype(np.float32) * np.float32(1.0 / 255.0)
    # Local foreground colour from confident interior pixels nearby (only pixels that have one
    # within reach take the gather loop).
    f_loc = [np.zeros(n, np.float32) for _ in range(3)]
    has_f = np.zeros(n, bool)
    if core.any():
        near = _shift_or(core, _PAD)[wy, wx]
        si = np.flatnonzero(near)
        if len(si):
            hh, ww = a.shape
            wp = ww + 2 * _PAD
            core_p = np.pad(core, _PAD)
            cf = core_p.ravel()
            planes = [np.pad(np.where(core, src[..., ch], 0), _PAD).ravel() for ch in range(3)]
            base = (wy[si] + _PAD) * wp + (wx[si] + _PAD)
            acc = [np.zeros(len(si), np.float32) for _ in range(3)]
            cnt = np.zeros(len(si), np.float32)
            for dy, dx in _OFFSETS:
                idx = base + (dy * wp + dx)
                cnt += cf[idx]
                for ch in range(3):
                    acc[ch] += planes[ch][idx]
            got = cnt > 0
            inv = 1.0 / np.maximum(cnt, 1.0)
            for ch in range(3):
                f_loc[ch][si] = acc[ch] * inv
            has_f[si] = got
    # Candidate foregrounds: the local one (slightly preferred) and the global palette.
    # The pixel takes the alpha of the candidate whose B->F segment explains it best.
    best_r = np.full(n, np.inf, np.float32)
    best_a = np.zeros(n, np.float32)
    best_i = np.full(n, -1, np.int16)  # -1: local foreground, k: palette entry k
    cb = [c[ch] - b[ch] for ch in range(3)]
    # A candidate must explain the pixel's direction from the key, not just lie within noise of
    # it: a faint shadow pixel is close to every segment's start, but points at only one of them.
    rmax = np.sqrt(cb[0] * cb[0] + cb[1] * cb[1] + cb[2] * cb[2]) * _DIR_TOL + 1.5
    constant = all(np.ndim(v) == 0 for v in b)
    pal = np.array(palette, np.float32).reshape(-1, 3)

    def consider(k: int, fb: list, slack: float, allowed: np.ndarray | None) -> None:
        nonlocal best_r, best_a, best_i
        den = fb[0] * fb[0] + fb[1] * fb[1] + fb[2] * fb[2]
        if np.ndim(den) == 0 and den <= 1600.0:
            return
        dot = cb[0] * fb[0] + cb[1] * fb[1] + cb[2] * fb[2]
        proj = np.clip(dot / np.maximum(den, 1.0), 0.0, 1.0)
        r2: Any = 0.0
        for ch in range(3):
            r = cb[ch] - proj * fb[ch]
            r2 = r2 + r * r
        rn = np.sqrt(r2)
        ok = rn <= np.maximum(10.0, 0.12 * np.sqrt(den))
        if np.ndim(den):
            ok &= den > 1600.0
        ok &= rn <= rmax
        if allowed is not None:
            ok &= allowed
        rn = rn - slack
        take = ok & (rn < best_r)
        if take.any():
            best_r = np.where(take, rn, best_r)
            best_a = np.where(take, proj, best_a)
            best_i = np.where(take, np.int16(k), best_i)

    # Candidate foregrounds: the local one (slightly preferred) and the global palette.
    # The pixel takes the alpha of the candidate whose B->F segment explains it best.
    if has_f.any():
        consider(-1, [f_loc[ch] - b[ch] for ch in range(3)], 3.0, has_f)
    if len(pal) and constant:
        # Constant key: every palette segment is a fixed vector, so all candidates go through
        # one small matrix product and an argmin (same choice as testing them in order).
        fbm = pal - np.array(b, np.float32)[None]
        den = (fbm * fbm).sum(axis=1)
        keep = den > 1600.0
        if keep.any():
            ids = np.flatnonzero(keep).astype(np.int16)
            fbm, den = fbm[keep], den[keep]
            thr = np.maximum(10.0, 0.12 * np.sqrt(den)).astype(np.float32)
            cbm = np.stack(cb, axis=1)
            dot = cbm @ fbm.T
            proj = np.clip(dot * (1.0 / np.maximum(den, 1.0)).astype(np.float32), 0.0, 1.0)
            cb2 = (cb[0] * cb[0] + cb[1] * cb[1] + cb[2] * cb[2])[:, None]
            r2 = cb2 - proj * (2.0 * dot - proj * den.astype(np.float32))
            rn = np.sqrt(np.maximum(r2, 0.0))
            rn[(rn > thr) | (rn > rmax[:, None])] = np.inf
            j = np.argmin(rn, axis=1)
            rj = np.take_along_axis(rn, j[:, None], axis=1)[:, 0]
            take = rj < best_r
            if take.any():
                best_r = np.where(take, rj, best_r)
                best_a = np.where(take, np.take_along_axis(proj, j[:, None], axis=1)[:, 0], best_a)
                best_i = np.where(take, ids[j], best_i)
    else:
        for k, p in enumerate(pal):
            consider(k, [float(p[ch]) - b[ch] for ch in range(3)], 0.0, None)
    pal_f = [np.concatenate([pal[:, ch], np.zeros(1, np.float32)]) for ch in range(3)]
    best_f = [np.where(best_i >= 0, pal_f[ch][best_i], f_loc[ch]) for ch in range(3)]
    good = np.isfinite(best_r)
    if good.any():
        gi = np.flatnonzero(good)
        bg_ = [bc[gi] if np.ndim(bc) else bc for bc in b]
        prior = _prior_soa([cc[gi] for cc in c], bg_, m)
        av[gi] = np.where(prior <= m.a0, 0.0, np.clip(best_a[gi], 0.0, 1.0))
        has_f |= good
        f_loc = [np.where(good, best_f[ch], f_loc[ch]) for ch in range(3)]
    # Solid interior pixels in the spill rim came here for their colour only: their alpha stays.
    av = np.where(core[wy, wx], np.float32(1.0), av)
    a8w = np.floor(av * 255.0 + 0.5).astype(np.uint8)
    aq = a8w.astype(np.float32) * np.float32(1.0 / 255.0)
    # Un-mix the key from partial pixels; faint ones lean on the local foreground colour.
    inv_a = 1.0 / np.maximum(aq, 1e-3)
    opaque = aq >= 1.0
    faint = (aq < 0.3) & has_f
    wgt = np.where(faint, aq * np.float32(1.0 / 0.3), 1.0)
    # Partial pixels: the un-mixed colour amplifies the matte's grain by (1 - a) / a. Where alpha
    # is low, take instead the least-squares foreground of the neighbourhood (every pixel j in a
    # (2R+1)^2 window explains c_j = a_j F + (1 - a_j) B): F = sum a_j (c_j - (1 - a_j) B) / sum a_j^2.
    own = [b[ch] + cb[ch] * inv_a for ch in range(3)]
    ti = np.flatnonzero((aq > 0.0) & (aq < _LS_ALPHA))
    if len(ti):
        aw = a.copy()
        aw[wy, wx] = a8w
        bt = [bc[ti] if np.ndim(bc) else bc for bc in b]
        fls, strength = _ls_colour(aw, src, wy[ti], wx[ti], bt)
        wls = np.clip((_LS_ALPHA - aq[ti]) * (1.0 / (_LS_ALPHA - 0.3)), 0.0, 1.0) * strength
        for ch in range(3):
            own[ch][ti] = wls * fls[ch] + (1.0 - wls) * own[ch][ti]
    # Opaque rim pixels: spill is a mix toward the key, so un-mix by how far along the key -> local
    # foreground segment the pixel sits (a pixel that matches its neighbourhood keeps its colour).
    spill_free = c
    if has_f.any():
        fb = [f_loc[ch] - b[ch] for ch in range(3)]
        den = fb[0] * fb[0] + fb[1] * fb[1] + fb[2] * fb[2]
        dot = cb[0] * fb[0] + cb[1] * fb[1] + cb[2] * fb[2]
        p_loc = np.where(has_f & (den > 1600.0), np.clip(dot / np.maximum(den, 1.0), 0.5, 1.0), 1.0)
        spill_free = [np.clip(b[ch] + cb[ch] / p_loc, 0.0, 255.0) for ch in range(3)]
    f = []
    for ch in range(3):
        fch = wgt * own[ch] + (1.0 - wgt) * f_loc[ch]
        fch = np.where(opaque, spill_free[ch], fch)
        f.append(np.clip(fch, 0.0, 255.0))
    if m.saturated and m.spill > 0.0:
        kf = _ks(f, m.dom, m.oth)
        kref = np.where(has_f, np.maximum(_ks(f_loc, m.dom, m.oth), 0.0), 0.0)
        excess = np.maximum(kf - kref, 0.0) * m.spill
        for ch in m.dom:
            f[ch] = np.clip(f[ch] - excess, 0.0, 255.0)
    f8 = np.empty((n, 3), np.uint8)
    for ch in range(3):
        f8[:, ch] = np.floor(f[ch] + 0.5)
    # Self-check (weakness 12): re-composite what will be written over the fitted key and
    # compare with the source pixel.
    shown = np.where(a8w > TRANSPARENT_ALPHA_MAX, aq, 0.0)
    rec: Any = None
    for ch in range(3):
        e = np.abs(shown * f8[:, ch] + (1.0 - shown) * b[ch] - c[ch])
        rec = e if rec is None else rec + e
    return f8, a8w, float(rec.sum()) / 3.0


def _palette(rgb: np.ndarray, alpha: np.ndarray, size: int = 12) -> list[np.ndarray]:
    """The subject's main opaque colours (4-bit bins of a strided sample), for un-mixing edges."""
    h, w = alpha.shape
    step = max(1, int(math.sqrt(h * w / 120_000)))
    sel = alpha[::step, ::step] == 255
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
