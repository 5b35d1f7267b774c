"""Chroma-key extraction: a single-matte source -> straight-alpha RGBA plus the upstream's report.

How it differs from the upstream (reference section 8), in the order the work happens, and where
each part lives:

* `keyfield`: the key is a *field*, not one colour: a robust vector estimate from the whole border
  ring, then a quadratic surface fitted to the ring samples that agree with it (iteratively
  re-selected), so gradients and vignettes key cleanly. A flat field collapses to a constant.
* `softalpha`: alpha comes from un-mixing, not from a distance ramp (generalised Vlahos estimate
  bounded below by the RGB cube), with grain allowances and a noise floor measured on the plate
  itself, and strongly coloured soft matter bounded per hue.
* `material` / `keysettings`: which matter is keyed comes from ``--material``, else the profile
  (icon/product/sticker/seal are solid; translucent/glow/shadow/effect soft), else detection on a
  sample of the frame. Solid materials protect the interior: a pixel further than two pixels from
  background whose distance to the key passes the (threshold, softness) ramp is opaque.
* `unmix`: edge pixels are re-estimated on the segment from the local key to the local foreground
  colour; colours of partial pixels are un-mixed against the local key, faint pixels borrow the
  neighbourhood's foreground, and despill removes only the key excess beyond the local subject's.
* This module orchestrates: two passes over row bands on a thread pool (numpy releases the GIL).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from gpt_image_engine.transparent.color import is_saturated, to_hex
from gpt_image_engine.transparent.components import label_runs
from gpt_image_engine.transparent.keyfield import (
    KeyField,
    band_bounds,
    border_ring,
    estimate_matte_color,
    fit_key_field,
    robust_key,
)
from gpt_image_engine.transparent.keysettings import (
    MATERIAL_ALIASES,
    PRESETS,
    SOFT_PROFILES,
    SOLID_MATERIALS,
    SOLID_PROFILES,
    TRANSPARENT_ALPHA_MAX,
    ChromaSettings,
    is_solid,
    normalize_material,
    resolve_settings,
)
from gpt_image_engine.transparent.masks import neighbour_count, shift_or
from gpt_image_engine.transparent.material import looks_soft
from gpt_image_engine.transparent.softalpha import (
    CUBE_MARGIN,
    KeyMaths,
    channel_sets,
    floor_alpha,
    measure_floor,
    prior_parts,
    refine_by_hue,
    solid_ramp,
)
from gpt_image_engine.transparent.unmix import subject_palette, unmix_edges

__all__ = [
    "MATERIAL_ALIASES",
    "PRESETS",
    "SOFT_PROFILES",
    "SOLID_MATERIALS",
    "SOLID_PROFILES",
    "TRANSPARENT_ALPHA_MAX",
    "ChromaSettings",
    "estimate_matte_color",
    "extract_chroma",
    "normalize_material",
    "resolve_settings",
]

_EDGE_RADIUS = 1
_SPILL_RADIUS = 3
_BAND_ROWS = 64
_HALO = 6
_EPS = 1e-3
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="chroma")
    return _pool


_MIX_RADIUS = 2
# Body pixels two or more px inside keep most of their colour (spill fades inward); a pixel at under
# three quarters of a neighbour's distance from the key is cover, not body.
_MIX_FRACTION = 0.75
# The ring just inside the edge is where spill is strongest, so it must sit further down the segment
# (under 0.6 of its neighbour: more key than a tint) before it counts as a strand.
_RING_MIX_FRACTION = 0.6
_MIX_OFF = 0.15  # off-segment distance allowed, as a share of the neighbour's distance from the key
_THIN_RADIUS = 3
_HOLE_RIM = 192


def _neighbour_min(a: np.ndarray) -> np.ndarray:
    """The smallest of each pixel's 8 neighbours (edges replicated)."""
    p = np.pad(a, 1, mode="edge")
    rows = np.minimum(np.minimum(p[:-2], p[1:-1]), p[2:])
    out = np.minimum(np.minimum(rows[:, :-2], rows[:, 2:]), p[:-2, 1:-1])
    return np.minimum(out, p[2:, 1:-1])


def _mixed_with_neighbour(
    src: np.ndarray, iy: np.ndarray, ix: np.ndarray, cb: np.ndarray, fraction: float = 0.75
) -> np.ndarray:
    """Which pixels are a mix of the key and a nearby pixel's colour: they sit on the segment from
    the key to a neighbour (within `_MIX_RADIUS`) at a fraction clearly below one, with little off
    it. A clump of crossing hair strands is that; the body of a subject that resembles the key is
    not (its neighbours are no further from the key in its own direction)."""
    hh, ww = src.shape[:2]
    n2 = (cb * cb).sum(axis=1)
    mixed = np.zeros(len(iy), bool)
    for dy in range(-_MIX_RADIUS, _MIX_RADIUS + 1):
        yy = np.clip(iy + dy, 0, hh - 1)
        for dx in range(-_MIX_RADIUS, _MIX_RADIUS + 1):
            if dy == 0 and dx == 0:
                continue
            xx = np.clip(ix + dx, 0, ww - 1)
            cn = src[yy, xx].astype(np.float32) - (src[iy, ix].astype(np.float32) - cb)
            nn2 = (cn * cn).sum(axis=1)
            dot = (cb * cn).sum(axis=1)
            t = dot / np.maximum(nn2, 1.0)
            perp2 = n2 - dot * t
            mixed |= (nn2 > 1600.0) & (t < fraction) & (perp2 < (_MIX_OFF * _MIX_OFF) * nn2)
    return mixed


_SPECK_ALPHA = 48  # a component that never reaches this alpha ...
_SPECK_SIZE = 64  # ... and is this small is plate noise, for solid matter


def _drop_faint_specks(out: np.ndarray) -> None:
    """Solid matter: clear small components whose alpha stays faint. A codec's blocks leave
    correlated patches on the plate that a lone-pixel despeckle cannot see; a solid subject never
    has a detached part that is nowhere more than faintly opaque."""
    alpha = out[..., 3]
    runs = label_runs(alpha > 0)
    if not len(runs.sizes):
        return
    w = alpha.shape[1]
    starts = runs.rows * w + runs.starts
    bounds = np.empty(2 * len(starts), np.int64)
    bounds[0::2] = starts
    bounds[1::2] = starts + (runs.ends - runs.starts + 1)
    flat = np.concatenate([alpha.reshape(-1), np.zeros(1, np.uint8)])
    run_max = np.maximum.reduceat(flat, bounds)[0::2]
    comp_max = np.zeros(len(runs.sizes), np.uint8)
    np.maximum.at(comp_max, runs.labels, run_max)
    faint = ((comp_max < _SPECK_ALPHA) & (runs.sizes <= _SPECK_SIZE))[runs.labels]
    if not faint.any():
        return
    lens = (runs.ends - runs.starts + 1)[faint]
    first = starts[faint]
    pix = np.repeat(first - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(int(lens.sum()))
    out.reshape(-1, 4)[pix] = 0


class _Keyer:
    """One extraction's state: the key model, the alpha plane and the output, filled band by band."""

    def __init__(self, rgba: np.ndarray, matte: tuple[int, int, int] | None, settings: ChromaSettings) -> None:
        self.h, self.w = rgba.shape[:2]
        self.rgba = rgba
        self.rgb = rgb = rgba[..., :3]
        self.settings = settings
        if matte is None:
            key = robust_key(border_ring(rgb))
            self.source = "auto-sampled"
            self.matte_rgb = tuple(int(math.floor(float(c) + 0.5)) for c in key)
        else:
            key = np.asarray(matte, np.float32)
            self.source = "provided"
            self.matte_rgb = tuple(int(c) for c in matte)
        # A provided colour names the key; the field still follows the real background if it drifts.
        self.field: KeyField = fit_key_field(rgb, key)
        self.key = key

    def model(self) -> None:
        """Key maths, noise floor and matter (solid or soft)."""
        settings, key, field = self.settings, self.key, self.field
        saturated = is_saturated(tuple(float(c) for c in key))
        dom, oth = channel_sets(key) if saturated else ([], [])
        m = KeyMaths(
            saturated,
            dom,
            oth,
            0.0,
            1.0,
            is_solid(settings),
            settings.threshold,
            settings.softness,
            settings.spill_suppression,
        )
        measure_floor(self.rgb, field, key, m, settings.threshold, settings.threshold_given)
        self.m = m
        self.kb = field.coef[0].astype(np.float32)
        self.terms = None if field.constant else field.row_terms()
        self.material_source = "material" if settings.material is not None else "profile"
        if settings.material is None and settings.profile not in SOLID_PROFILES | SOFT_PROFILES:
            m.solid = not looks_soft(self.rgb, field, m)
            self.material_source = "detected"
        self.kbl = [float(v) for v in self.kb]
        if self.terms is not None:
            self.tp0, self.tp1 = (np.ascontiguousarray(t.T) for t in self.terms[:2])
            self.tp2 = [float(v) for v in self.terms[2]]
            lo, hi = band_bounds(field, self.terms, self.kb, 0, self.h)
            self.overshoot = [bool(lo[:, ch].min() < 0.0 or hi[:, ch].max() > 255.0) for ch in range(3)]
        self.alpha8 = np.empty((self.h, self.w), np.uint8)
        self.soft_parts: dict[int, tuple[np.ndarray, ...]] = {}
        self.recon: list[tuple[float, int]] = []

    def b_at(self, ys: np.ndarray, xs: np.ndarray, cols: np.ndarray | list[np.ndarray]) -> list:
        """Key colour at pixel coordinates as three planes (scalars for a constant key), as the
        pixels `cols` ((n, 3) or three planes) see it. Where the field runs past 0..255 (a key lit
        above full scale) a pixel at the limit shows the clipped key (plate, or cover too faint to
        pull it back inside), and a pixel inside the range the real one (cover that did)."""
        if self.terms is None:
            return self.kbl
        yn = self.field.y_norm(ys)
        yn2 = yn * yn
        out = []
        for ch in range(3):
            b = self.tp0[ch][xs] + yn * self.tp1[ch][xs] + yn2 * self.tp2[ch]
            if self.overshoot[ch]:
                c = cols[ch] if isinstance(cols, list) else cols[:, ch]
                b = np.where(c >= 255, np.minimum(b, 255.0), np.where(c <= 0, np.maximum(b, 0.0), b))
            out.append(b)
        return out

    def pass_a(self, y0: int) -> None:
        """Alpha for one band: integer classification of sure background and sure opaque pixels,
        the float alpha prior for the rest."""
        h, w, m = self.h, self.w, self.m
        y1 = min(h, y0 + _BAND_ROWS)
        planes = [np.ascontiguousarray(self.rgba[y0:y1, :, ch]) for ch in range(3)]
        # The plate as the picture shows it (clipped to 8 bits) bounds what surely is background.
        bmin, bmax = (np.clip(v, 0.0, 255.0) for v in band_bounds(self.field, self.terms, self.kb, y0, y1))
        # Surely background: every cube bound and the key-strength bound stay under the floor
        # for every key value the field takes in this band.
        tch = np.array(m.tch)
        lo = np.ceil(bmax * (1.0 - m.a0) - m.a0 * CUBE_MARGIN - tch + _EPS)
        hi = np.floor(bmin * (1.0 - m.a0) + m.a0 * (255.0 + CUBE_MARGIN) + tch - _EPS)
        bad = (lo > 255) | (hi < 0) | (lo > hi)
        lo = np.where(bad, 0, np.clip(lo, 0, 255)).astype(np.uint8)
        # lo <= v <= hi as one wrapping uint8 subtraction and one compare: (v - lo) mod 256 <= hi - lo.
        span = np.where(bad, 0, np.clip(hi, 0, 255) - lo).astype(np.uint8)
        bg = None
        tmp = np.empty_like(planes[0])
        for ch in range(3):
            lc, sc = lo[:, ch], span[:, ch]
            if lc.shape[0] == 1 and int(lc[0]) == 0 and int(sc[0]) == 255:
                continue
            np.subtract(planes[ch], lc, out=tmp)
            if bg is None:
                bg = tmp <= sc
            else:
                bg &= tmp <= sc
        if bg is not None and bad.any():  # a column where no value is background on some channel
            bg &= ~bad.any(axis=1)[None] if bad.shape[0] > 1 else ~bad.any()
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
            kthr = np.ceil((1.0 - m.a0) * np.maximum(kd, 1.0) - m.tk + _EPS)
            kc = k >= (int(kthr[0]) if kthr.shape[0] == 1 else kthr.astype(np.int16))
            bg = kc if bg is None else (bg & kc)
            opq = k <= 0
        if bg is None:
            bg = np.ones((y1 - y0, w), bool)
        band = self.alpha8[y0:y1]
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
            parts = prior_parts(cp, self.b_at(iy + y0, ix, cp), m)
            band[iy, ix] = np.floor(floor_alpha(np.maximum(parts[0], parts[1]), m) * 255.0 + 0.5).astype(np.uint8)
            self.soft_parts[y0] = (iy + y0, ix, *parts)

    def prepare_b(self) -> None:
        h, w = self.h, self.w
        self.palette = subject_palette(self.rgb, self.alpha8)
        self.out = np.empty_like(self.rgba)
        self.out32 = self.out.view(np.uint32).reshape(h, w)
        self.src32 = self.rgba.view(np.uint32).reshape(h, w)
        self.src_opaque = bool((self.src32 >= np.uint32(0xFF000000)).all()) if np.little_endian else False

    def pass_b(self, y0: int) -> None:
        """Neighbourhood work for one band: despeckle, edge band, solid interior, un-mixing."""
        h, w, m, alpha8, b_at = self.h, self.w, self.m, self.alpha8, self.b_at
        y1 = min(h, y0 + _BAND_ROWS)
        ya, yb = max(0, y0 - _HALO), min(h, y1 + _HALO)
        win = alpha8[ya:yb]
        # The columns that hold anything but lone faint specks (which the despeckle below removes):
        # on a grainy plate specks sit everywhere, and would stretch the window to the full width.
        occ = win != 0
        occ &= (neighbour_count(occ) != 0) | (win >= 128)
        cols = np.flatnonzero(occ.any(axis=0))
        self.out32[y0:y1] = 0
        if not len(cols):
            return
        xa, xb = max(0, int(cols[0]) - 3), min(w, int(cols[-1]) + 4)
        a = win[:, xa:xb].copy()
        bg = a == 0
        # Despeckle: lone faint pixels in the background go; a lone key-coloured hole fills when its
        # whole neighbourhood is opaque (a gap between crossing hair strands is no hole).
        nb = neighbour_count(~bg)
        lone = (~bg) & (nb == 0) & (a < 128)
        a[lone] = 0
        hole = bg & (nb == 8)
        if hole.any():
            hole &= _neighbour_min(a) >= _HOLE_RIM
        bg = (bg | lone) & ~hole
        near_bg = shift_or(bg, _EDGE_RADIUS)
        interior = ~near_bg
        src = self.rgb[ya:yb, xa:xb]
        if hole.any():
            a[hole] = 255

        def force(sel: np.ndarray, mixes: float = 0.0) -> None:
            if sel.any():
                iy, ix = np.nonzero(sel)
                c = src[iy, ix].astype(np.float32)
                key_at = b_at(iy + ya, ix + xa, src[iy, ix])
                bb = np.stack([np.broadcast_to(np.float32(v), len(iy)) for v in key_at], axis=1)
                r8 = np.floor(solid_ramp(c, bb, m) * 255.0 + 0.5).astype(np.uint8)
                if mixes:
                    r8[_mixed_with_neighbour(src, iy, ix, c - bb, mixes)] = 0
                a[iy, ix] = np.maximum(a[iy, ix], r8)

        if m.solid:
            # The body (2+ px from the key), then the ring just inside the edge where it touches the
            # body: spill there is a tint, not coverage. Thin strands have no body and keep theirs.
            deep = ~shift_or(bg, _EDGE_RADIUS + 1)
            # Near the edge (within reach of thin structure), a pixel that is a mix of the key and a
            # neighbour's colour is partial cover (a clump of crossing strands), not body.
            thin = deep & (a < 255) & shift_or(bg, _THIN_RADIUS)
            force(thin, mixes=_MIX_FRACTION)
            force(deep & (a < 255) & ~thin)
            force(interior & ~deep & (a < 255) & shift_or(deep & (a == 255), 1), mixes=_RING_MIX_FRACTION)
            interior &= deep | shift_or(deep & (a == 255), 1)
        core = interior & (a == 255)
        # Pixels whose colour needs work: partial alpha, or within the edge band.
        lo, hi = y0 - ya, y1 - ya
        # Colour work reaches further in than the alpha edge: a model tints ~3 px of the subject
        # toward the key (spill), and those pixels are opaque but need their colour un-mixed.
        rim = shift_or(bg[lo:hi], _SPILL_RADIUS) if m.solid else near_bg[lo:hi]
        work_c = (~bg[lo:hi]) & ((a[lo:hi] < 255) | rim)
        a8 = a[lo:hi].copy()
        wy, wx = np.nonzero(work_c)
        f8 = None
        if len(wy):
            key_at = b_at(wy + y0, wx + xa, src[wy + lo, wx])
            f8, a8w, rec = unmix_edges(wy + lo, wx, a, core, src, key_at, self.palette, m)
            self.recon.append((rec, len(wy)))
            a8[wy, wx] = a8w
        if not self.src_opaque:
            np.minimum(a8, self.rgba[y0:y1, xa:xb, 3], out=a8)
        o32 = self.src32[y0:y1, xa:xb] & np.uint32(0x00FFFFFF)
        o32 *= a8 > TRANSPARENT_ALPHA_MAX
        o32 |= a8.astype(np.uint32) << np.uint32(24)
        self.out32[y0:y1, xa:xb] = o32
        if f8 is not None:
            keep = a8[wy, wx] > TRANSPARENT_ALPHA_MAX
            self.out[wy[keep] + y0, wx[keep] + xa, :3] = f8[keep]

    def report(self) -> dict[str, Any]:
        settings, field, m, recon = self.settings, self.field, self.m, self.recon
        return {
            "method": "chroma",
            "matte_color": to_hex(self.matte_rgb),
            "matte_color_source": self.source,
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
                "matter_source": self.material_source,
                # Mean |re-composite over the key - source| on the edge and partial pixels (levels).
                "reconstruction_error": round(sum(r for r, _ in recon) / max(sum(k for _, k in recon), 1), 3),
            },
        }


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
    keyer = _Keyer(np.ascontiguousarray(rgba), matte, settings)
    if progress:
        progress("key", 20, "key model fitted")
    keyer.model()
    bands = list(range(0, keyer.h, _BAND_ROWS))
    list(_executor().map(keyer.pass_a, bands))
    if keyer.m.saturated and keyer.soft_parts:
        refine_by_hue(keyer.alpha8, keyer.soft_parts, keyer.m)
    if progress:
        progress("key", 50, "alpha estimated")
    keyer.prepare_b()
    list(_executor().map(keyer.pass_b, bands))
    if keyer.m.solid:
        _drop_faint_specks(keyer.out)
    if progress:
        progress("key", 70, "colours decontaminated")
    return keyer.out, keyer.report()
