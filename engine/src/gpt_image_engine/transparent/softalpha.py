"""Soft alpha from un-mixing against the key field.

For a saturated key the prior is the generalised Vlahos estimate ``1 - K(C)/K(B)`` with
``K = min(dominant) - max(other)``, bounded below by the smallest alpha that keeps the implied
foreground inside the RGB cube. Grain is measured, not guessed: per-channel allowances from the border
ring's residuals against the field shrink every bound, and the noise floor is a garrote (zero below it,
``p - a0^2/p`` above), so a 30 % shadow or a glow's faint tail keeps its alpha. Strongly coloured soft
matter (an orange glow, red glass) is bounded per hue of its cube-boundary foreground
(`refine_by_hue`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpt_image_engine.transparent.keyfield import KeyField, border_ring_xy

CUBE_MARGIN = 24.0


@dataclass
class KeyMaths:
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


def channel_sets(key: np.ndarray) -> tuple[list[int], list[int]]:
    hi, lo = float(key.max()), float(key.min())
    cut = hi - 0.5 * (hi - lo)
    dom = [c for c in range(3) if key[c] >= cut]
    return dom, [c for c in range(3) if c not in dom]


def kstrength(arr: np.ndarray, dom: list[int], oth: list[int]) -> np.ndarray:
    """Key strength of colours stacked on the last axis."""
    return ks([arr[..., 0], arr[..., 1], arr[..., 2]], dom, oth)


def allowance(res: np.ndarray) -> float:
    """Grain allowance from absolute residuals: the 97th percentile (grain plus the plate's blotches),
    or ~2.6 sigma from the median when a subject reaching the border inflates the tail."""
    return float(max(np.percentile(res, 97.0), 3.9 * float(np.median(res)) + 0.5))


def shrink(d: Any, t: float) -> Any:
    """Move `d` toward zero by `t` (soft threshold): grain within `t` of the key is no evidence."""
    if t <= 0.0:
        return d
    return np.sign(d) * np.maximum(np.abs(d) - np.float32(t), 0.0)


def floor_alpha(prior: np.ndarray, m: KeyMaths) -> np.ndarray:
    """Noise floor as a non-negative garrote: zero up to the floor, then prior - a0^2/prior, so a
    real 30 % shadow stays ~30 % instead of being rescaled toward zero."""
    p = np.maximum(prior, np.float32(m.a0))
    return np.clip(p - np.float32(m.a0 * m.a0) / p, 0.0, 1.0)


def solid_ramp(c: np.ndarray, b: np.ndarray, m: KeyMaths) -> np.ndarray:
    diff = c - b
    d = np.sqrt((diff * diff).sum(axis=-1))
    low = max(m.threshold, 0.0) if math.isfinite(m.threshold) else 0.0
    width = max(m.softness, 1.0) if math.isfinite(m.softness) else 1.0
    t = np.clip((d - low) / width, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def ks(arr: list[Any], dom: list[int], oth: list[int]) -> Any:
    """Key strength of a colour given as three planes (arrays or scalars)."""
    d = arr[dom[0]]
    for c in dom[1:]:
        d = np.minimum(d, arr[c])
    o = arr[oth[0]]
    for c in oth[1:]:
        o = np.maximum(o, arr[c])
    return d - o


def _cube_bound(c: list[np.ndarray], b: list, m: KeyMaths) -> tuple[Any, list[Any]]:
    """The smallest alpha that keeps the implied foreground inside the RGB cube (with a margin: the
    foreground may sit slightly outside it through noise or codec ringing, and channels where the
    key is ~0 or ~255 must not turn that into alpha), and the shrunk differences from the key."""
    cube: Any = None
    dcs = []
    for ch in range(3):
        dc = shrink(c[ch] - b[ch], m.tch[ch])
        dcs.append(dc)
        lowbound = np.maximum(dc * (-1.0 / (b[ch] + CUBE_MARGIN)), dc * (1.0 / (255.0 + CUBE_MARGIN - b[ch])))
        cube = lowbound if cube is None else np.maximum(cube, lowbound)
    return cube, dcs


def prior_soa(c: list[np.ndarray], b: list, m: KeyMaths) -> np.ndarray:
    """Smallest plausible alpha for colours c over keys b, given as three float32 planes (b holds
    scalars for a constant key)."""
    cube, _ = _cube_bound(c, b, m)
    if m.saturated:
        kb = np.maximum(ks(b, m.dom, m.oth), 1.0)
        cube = np.maximum(cube, 1.0 - (ks(c, m.dom, m.oth) + m.tk) / kb)
    return cube


def prior_parts(c: list[np.ndarray], b: list, m: KeyMaths) -> tuple[np.ndarray, ...]:
    """The alpha bounds of `prior_soa` kept apart: (cube bound, key-strength estimate, distance
    from the key after the grain allowance, hue bin of the cube-boundary foreground)."""
    cube, dcs = _cube_bound(c, b, m)
    dist2 = dcs[0] * dcs[0] + dcs[1] * dcs[1] + dcs[2] * dcs[2]
    if m.saturated:
        kb = np.maximum(ks(b, m.dom, m.oth), 1.0)
        vl = 1.0 - (ks(c, m.dom, m.oth) + m.tk) / kb
    else:
        vl = cube
    # Hue of the foreground the pixel would have at its smallest alpha: pixels of one material
    # share it, whatever their coverage.
    inv = 1.0 / np.maximum(cube, 1e-3)
    f = [np.clip(b[ch] + dcs[ch] * inv, 0.0, 255.0) for ch in range(3)]
    hi = np.maximum(np.maximum(f[0], f[1]), f[2])
    lo = np.minimum(np.minimum(f[0], f[1]), f[2])
    hue = np.arctan2(1.7320508 * (f[1] - f[2]), 2.0 * f[0] - f[1] - f[2])
    hbin = ((hue + np.pi) * (HUE_BINS / (2 * np.pi))).astype(np.int16) % HUE_BINS
    hbin[(hi - lo) < 0.25 * np.maximum(hi, 1.0)] = HUE_BINS  # achromatic (smoke, white glow)
    hbin[hi < 60.0] = HUE_BINS + 1  # dark (shadows)
    return cube, vl, np.sqrt(dist2), hbin


HUE_BINS = 24


def measure_floor(
    rgb: np.ndarray, field: KeyField, key: np.ndarray, m: KeyMaths, threshold: float, threshold_given: bool
) -> None:
    """The noise floor `m.a0` in alpha units, and the grain allowances `m.tch`/`m.tk`: measured on
    the border ring against the fitted field unless the caller set a threshold."""
    dom, oth, saturated = m.dom, m.oth, m.saturated
    if threshold_given:
        scale = float(kstrength(key, dom, oth)) if saturated else 255.0
        m.a0 = float(np.clip(max(threshold, 0.0) / max(scale, 64.0), 0.0, 0.9)) if math.isfinite(threshold) else 0.0
    else:
        ring, ry, rx = border_ring_xy(rgb, 20_000)
        # The floor is measured against the fitted field where each ring sample sits: against one
        # mean colour, a gradient plate's own slope would read as alpha.
        bmean = field.at(rx, ry) if not field.constant else field.coef[0].astype(np.float32)
        near = np.sqrt(((ring - bmean) ** 2).sum(axis=1)) <= max(24.0, 2.5 * field.noise)
        if near.sum() >= 16:
            res = np.abs(ring[near] - np.broadcast_to(bmean, ring.shape)[near])
            # ~2.6 sigma from the median absolute residual: robust to a subject that reaches the
            # border (a glow's tail, particles), where a high percentile would count it as grain.
            m.tch = tuple(allowance(res[:, ch]) for ch in range(3))  # type: ignore[assignment]
            if saturated:
                bk = kstrength(np.broadcast_to(bmean, ring.shape)[near], dom, oth)
                m.tk = allowance(np.abs(kstrength(ring[near], dom, oth) - bk))
        bplanes = [bmean[..., ch] for ch in range(3)]
        pri = prior_soa([ring[:, ch] for ch in range(3)], bplanes, m)
        vals = pri[near] if near.sum() >= 16 else pri
        m.a0 = float(np.clip(np.percentile(vals, 99.5) * 1.25 + 0.004, 0.004, 0.35))
    m.inv_floor = 1.0 / (1.0 - m.a0)


def refine_by_hue(alpha8: np.ndarray, parts: dict[int, tuple[np.ndarray, ...]], m: KeyMaths) -> None:
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
    nb = HUE_BINS + 2
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
    a = floor_alpha(est, m)
    alpha8[iy, ix] = np.floor(a * 255.0 + 0.5).astype(np.uint8)
