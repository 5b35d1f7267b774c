"""Transparent-PNG verification: the upstream's metrics, nine profile gates, warnings and scores.

Field names, thresholds, reason strings and score arithmetic follow the reference (section 6)
so the upstream acceptance cases hold. Two deliberate improvements:

* the checkerboard (fake transparency) detector finds a two-tone low-chroma checker at any
  phase, any cell size from 3 to 96 px, anywhere in the frame (the upstream only catches
  full-frame, origin-anchored 8/16/32 px checkers);
* component statistics also report small blobs (`small_blob_count`, `small_blob_pixels`), so
  speckle can be told from an intentional multi-part asset;
* three defect detectors the upstream lacks, gated in the profiles where the upstream gates
  stray pixels and matte residue (icon, product, sticker, seal):
  - `matte_halo_detected`: a ring of key colour around the subject;
  - `edge_fringe_detected`: a thin fringe of un-keyed colour (subject mixed with the key);
  - `stray_specks_detected`: small visible blobs left in the transparent area.
  Both ring defects are measured per boundary pixel: walk inward along the alpha gradient to a
  solid reference colour a few pixels deep and ask whether the outer pixels moved from it toward
  the key (projection t on the reference->key segment, nearly collinear). The key is the
  expected matte, or else each common key colour (green, magenta, blue, cyan) in turn. Soft
  matter (glow, smoke, glass, shadows) has no solid reference within reach, or keeps its own
  colour outward, so it is not mistaken for a halo. Specks are small components (relative to
  the frame and the subject) that are clearly visible and either of key colour or away from
  every larger part.

`transparent_rgb_scrubbed` checks that alpha-0 pixels carry no colour; pixels with alpha 1-5
still count as transparent everywhere else (the extractor keeps faint tails, colourless).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gpt_image_engine.transparent.color import is_saturated, to_hex
from gpt_image_engine.transparent.components import Runs, label_runs
from gpt_image_engine.transparent.imageio import ImageInfo

TRANSPARENT_ALPHA_MAX = 5
NONTRANSPARENT_ALPHA_MIN = 20
MIN_OPAQUE_ALPHA = 250
MIN_TRANSPARENT_RATIO = 0.005
STRICT_MIN_TRANSPARENT_RATIO = 0.05
EFFECT_MIN_TRANSPARENT_RATIO = 0.02
SMALL_BLOB_PX = 16
PROFILES = ("generic", "icon", "product", "sticker", "seal", "translucent", "glow", "shadow", "effect")
_SOLID = {
    "icon": (0.92, 0.08, 0.18),
    "product": (0.92, 0.08, 0.18),
    "sticker": (0.75, 0.25, 0.22),
    "seal": (None, 0.60, 0.24),
}
_EFFECT = ("effect", "translucent", "glow", "shadow")
# Edge and speck defects (issue 18): keys tried when no matte is given, and the thresholds.
CANDIDATE_KEYS = ((0, 255, 0), (255, 0, 255), (0, 0, 255), (0, 255, 255))
EDGE_DEPTH = 8  # inward samples per boundary pixel (outer pixels 0-2, references up to 7)
EDGE_REF_MIN_ALPHA = 160
EDGE_MIN_SHIFT = 24.0  # levels: an outer pixel must differ this much from its reference
EDGE_MIN_TOWARD = 0.2  # projection on reference->key: at least a fifth of the way to the key
EDGE_MIN_COS = 0.8  # ... and nearly along that segment
EDGE_MIN_ALPHA = 16
EDGE_MIN_BUMP = 32  # a soft reference counts when the outer pixel is this much more opaque
EDGE_CONTAMINATION_MAX = 0.25  # share of measurable boundary pixels that may look contaminated
HALO_MIN_TOWARD = 0.6  # mean projection of flagged pixels: key-coloured halo vs mixed fringe
SPECK_MIN_ALPHA = 24
_EDGE_SAMPLE_CAP = 250_000
_RESIDUE_SAMPLE_CAP = 120_000


def _dominant_sets(matte: tuple[int, int, int]) -> tuple[list[int], list[int]]:
    hi = max(matte)
    dom = [c for c in range(3) if matte[c] >= hi - 8]
    return dom, [c for c in range(3) if c not in dom]


def _residue_values(px: np.ndarray, matte: tuple[int, int, int]) -> np.ndarray:
    """The upstream's per-pixel residue value v (float64 RGB rows in, one value per row)."""
    dom, oth = _dominant_sets(matte)
    if is_saturated(tuple(float(c) for c in matte)) and oth:
        ref = px[:, oth].max(axis=1)
        return np.maximum(px[:, dom] - ref[:, None], 0.0).mean(axis=1) / 255.0
    diff = px.astype(np.float32) - np.asarray(matte, np.float32)
    dist = np.sqrt((diff * diff).sum(axis=1)).astype(np.float64)
    return np.clip(1.0 - dist / (255.0 * float(np.sqrt(np.float32(3.0)))), 0.0, 1.0)


def _residue(rgba: np.ndarray, box: tuple[int, int, int, int], matte: tuple[int, int, int]) -> float:
    """The upstream's matte residue, measured as *excess* over the subject's own colour.

    A partial pixel whose inward walk reaches an opaque pixel within a few steps is charged only
    for the key excess beyond that opaque neighbour's (a red subject on a magenta key is not
    residue; magenta mixed into its edge is). Pixels with no opaque neighbour in reach (glass,
    glow, or the upstream's all-partial test squares) keep the upstream value."""
    alpha = rgba[box[0] : box[1], box[2] : box[3], 3]
    partial = (alpha > TRANSPARENT_ALPHA_MAX) & (alpha < MIN_OPAQUE_ALPHA)
    if not partial.any():
        return 0.0
    ys, xs = np.nonzero(partial)
    if len(ys) > _RESIDUE_SAMPLE_CAP:
        step = len(ys) // _RESIDUE_SAMPLE_CAP + 1
        ys, xs = ys[::step], xs[::step]
    ys, xs = ys + box[0], xs + box[2]
    px = rgba[ys, xs]
    wgt = 1.0 - px[:, 3].astype(np.float64) / 255.0
    v = _residue_values(px[:, :3].astype(np.float64), matte)
    # Only steep alpha (an anti-aliased solid edge, not a soft shadow or glow) can have an opaque
    # neighbour a few pixels in; a Sobel magnitude of 160 is a slope of about 40 levels per pixel.
    pr = _probe(rgba, ys, xs, EDGE_DEPTH, min_slope=160.0)
    if len(pr.ys):
        opaque = pr.alpha >= MIN_OPAQUE_ALPHA
        has = opaque.any(axis=0)
        first = np.argmax(opaque, axis=0)
        ref = pr.rgb[first, np.arange(len(pr.ys))][has].astype(np.float64)
        # _probe drops pixels with a flat alpha; map its rows back onto (ys, xs).
        stride = rgba.shape[1] + 1
        pos = np.searchsorted(ys.astype(np.int64) * stride + xs, pr.ys[has].astype(np.int64) * stride + pr.xs[has])
        v[pos] = np.maximum(v[pos] - _residue_values(ref, matte), 0.0)
    total = float(wgt.sum())
    return float((wgt * v).sum() / total) if total > 0 else 0.0


def _halo(rgb: np.ndarray, alpha: np.ndarray) -> float:
    """Share of partial pixels that are near-black or near-white and grey (the upstream's halo).

    Partial pixels are an edge band, few next to the frame: they are gathered first. An integer
    prefilter follows: a grey pixel (max - min <= 20) with luma < 0.04 has max <= 30, one with
    luma > 0.96 has min >= 225; only those candidates get the exact float test."""
    ys, xs = np.nonzero((alpha > TRANSPARENT_ALPHA_MAX) & (alpha < MIN_OPAQUE_ALPHA))
    n = len(ys)
    if n == 0:
        return 0.0
    px = rgb[ys, xs]
    mx = px.max(axis=1)
    mn = px.min(axis=1)
    cand = (mx - mn <= 20) & ((mx <= 30) | (mn >= 225))
    if not cand.any():
        return 0.0
    px = px[cand].astype(np.float64)
    luma = (0.2126 * px[:, 0] + 0.7152 * px[:, 1] + 0.0722 * px[:, 2]) / 255.0
    chroma = (px.max(axis=1) - px.min(axis=1)) / 255.0
    bad = ((luma < 0.04) | (luma > 0.96)) & (chroma < 0.08)
    return float(bad.sum()) / n


def _boundary(nontrans: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of non-transparent pixels with a transparent 4-neighbour (the frame counts as
    transparent), searched inside box = (y0, y1, x0, x1)."""
    y0, y1, x0, x1 = box
    solid = nontrans[y0:y1, x0:x1]
    clear = np.pad(~solid, 1, constant_values=True)
    edge = solid & (clear[:-2, 1:-1] | clear[2:, 1:-1] | clear[1:-1, :-2] | clear[1:-1, 2:])
    ys, xs = np.nonzero(edge)
    return ys + y0, xs + x0


def _key_sets(key: np.ndarray) -> tuple[list[int], list[int]]:
    hi = float(key.max())
    dom = [c for c in range(3) if key[c] >= hi - 8]
    return dom, [c for c in range(3) if c not in dom]


def _keylike(colours: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """Per colour: is it (a shade of) one of `keys`? Saturated keys by key strength, others by distance."""
    out = np.zeros(len(colours), bool)
    for key in keys:
        dom, oth = _key_sets(key)
        if is_saturated(tuple(float(c) for c in key)) and oth:
            strength = colours[:, dom].min(axis=1) - colours[:, oth].max(axis=1)
            out |= strength >= 0.5 * (float(key[dom].min()) - float(key[oth].max()))
        else:
            out |= np.sqrt(((colours - key) ** 2).sum(axis=1)) <= 60.0
    return out


@dataclass
class _Probes:
    """Samples along the inward alpha gradient of some pixels: alpha[k], rgb[k] at depth k."""

    ys: np.ndarray
    xs: np.ndarray
    alpha: np.ndarray  # (depth, n) uint8
    rgb: np.ndarray  # (depth, n, 3) float32


def _probe(rgba: np.ndarray, ys: np.ndarray, xs: np.ndarray, depth: int, min_slope: float = 0.0) -> _Probes:
    """Walk from each (y, x) up the alpha gradient (Sobel), sampling depths 0..depth-1; pixels whose
    Sobel magnitude is at most `min_slope` are left out. `rgba` is C-contiguous HxWx4 uint8:
    every sample is one 32-bit gather."""
    h, w = rgba.shape[:2]
    words = rgba.view(np.uint32).reshape(-1)

    def pixels(idx: np.ndarray) -> np.ndarray:
        return words[idx].view(np.uint8).reshape(-1, 4)

    ym, yp = np.maximum(ys - 1, 0) * w, np.minimum(ys + 1, h - 1) * w
    y0 = ys * w
    xm, xp = np.maximum(xs - 1, 0), np.minimum(xs + 1, w - 1)

    def at(row: np.ndarray, col: np.ndarray) -> np.ndarray:
        return pixels(row + col)[:, 3].astype(np.float32)

    gx = at(ym, xp) + 2 * at(y0, xp) + at(yp, xp) - at(ym, xm) - 2 * at(y0, xm) - at(yp, xm)
    gy = at(yp, xm) + 2 * at(yp, xs) + at(yp, xp) - at(ym, xm) - 2 * at(ym, xs) - at(ym, xp)
    norm = np.hypot(gx, gy)
    ok = norm > min_slope
    ys, xs = ys[ok], xs[ok]
    nx, ny = gx[ok] / norm[ok], gy[ok] / norm[ok]
    a_out = np.empty((depth, len(ys)), np.uint8)
    c_out = np.empty((depth, len(ys), 3), np.float32)
    for k in range(depth):
        qy = np.clip(np.floor(ys + k * ny + 0.5).astype(np.intp), 0, h - 1)
        qx = np.clip(np.floor(xs + k * nx + 0.5).astype(np.intp), 0, w - 1)
        px = pixels(qy * w + qx)
        a_out[k] = px[:, 3]
        c_out[k] = px[:, :3]
    return _Probes(ys, xs, a_out, c_out)


def _toward(e: np.ndarray, ref: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Projection t of e - ref on key - ref where e moved (>= EDGE_MIN_SHIFT) nearly along it; else 0."""
    v = key[None] - ref
    d = e - ref
    vv = (v * v).sum(axis=1)
    dv = (d * v).sum(axis=1)
    dd = (d * d).sum(axis=1)
    good = (vv >= 3600.0) & (dd >= EDGE_MIN_SHIFT**2) & (dv >= EDGE_MIN_COS * np.sqrt(dd * vv))
    return np.where(good, dv / np.maximum(vv, 1.0), 0.0)


def _edge_contamination(rgba: np.ndarray, ys: np.ndarray, xs: np.ndarray, keys: list[np.ndarray]) -> dict[str, Any]:
    """How much of the subject's outline moved toward a key colour (see the module doc).

    For the outer pixels (depth 0-2) of each boundary point, references are the pixels 1-5 steps
    further in that are solid (alpha >= EDGE_REF_MIN_ALPHA), or, for soft subjects, any visible
    pixel the outer one is clearly more opaque than (an outline drawn on a glow's tail)."""
    none = {"ratio": 0.0, "measured": 0, "flagged": 0, "toward": 0.0, "key": None}
    if len(ys) > _EDGE_SAMPLE_CAP:
        step = len(ys) // _EDGE_SAMPLE_CAP + 1
        ys, xs = ys[::step], xs[::step]
    if len(ys) == 0:
        return none
    pr = _probe(rgba, ys, xs, EDGE_DEPTH)
    n = len(pr.ys)
    pairs = []  # (outer depth k, reference depth r, usable mask)
    measurable = np.zeros(n, bool)
    for k in range(3):
        a_k = pr.alpha[k].astype(np.int16)
        for r in range(k + 1, min(k + 6, EDGE_DEPTH)):
            a_r = pr.alpha[r].astype(np.int16)
            solid = a_r >= EDGE_REF_MIN_ALPHA
            bump = (a_r > TRANSPARENT_ALPHA_MAX) & (a_k >= a_r + EDGE_MIN_BUMP)
            usable = (a_k >= EDGE_MIN_ALPHA) & (solid | bump)
            if k == 0:
                measurable |= solid | bump
            pairs.append((k, r, usable))
    n_meas = int(measurable.sum())
    if n_meas == 0:
        return none
    best: dict[str, Any] = dict(none, measured=n_meas)
    # Only pairs whose outer pixel differs enough from the reference can count: index them once.
    moved = []
    for k, r, usable in pairs:
        d = pr.rgb[k] - pr.rgb[r]
        idx = np.flatnonzero(usable & measurable & ((d * d).sum(axis=1) >= EDGE_MIN_SHIFT**2))
        moved.append((pr.rgb[k][idx], pr.rgb[r][idx], idx))
    for key in keys:
        toward = np.zeros(n, np.float32)
        for e, ref, idx in moved:
            t = _toward(e, ref, key)
            np.maximum.at(toward, idx, np.where(t >= EDGE_MIN_TOWARD, t, 0.0).astype(np.float32))
        flagged = measurable & (toward > 0)
        n_flag = int(flagged.sum())
        ratio = n_flag / n_meas
        if ratio > best["ratio"]:
            best = {
                "ratio": ratio,
                "measured": n_meas,
                "flagged": n_flag,
                "toward": float(np.clip(toward[flagged], 0, 1).mean()) if n_flag else 0.0,
                "key": key,
            }
    return best


def _specks(
    runs: Runs,
    rgb: np.ndarray,
    alpha: np.ndarray,
    boundary: tuple[np.ndarray, np.ndarray],
    keys: list[np.ndarray],
) -> dict[str, Any]:
    """Small visible components left in the transparent area (see the module doc)."""
    h, w = alpha.shape
    out = {"count": 0, "pixels": 0, "max_size": 0}
    sizes = runs.sizes
    if len(sizes) < 2 or min(h, w) < 32:
        return out
    largest = int(sizes.max())
    limit = int(max(4, min(max(24.0, h * w * 1.5e-5), 0.02 * largest)))
    small = sizes <= limit
    if not small.any():
        return out
    sel = small[runs.labels]
    rows, starts, lens, labs = runs.rows[sel], runs.starts[sel], runs.ends[sel] - runs.starts[sel] + 1, runs.labels[sel]
    total = int(lens.sum())
    py = np.repeat(rows, lens)
    px = np.repeat(starts, lens) + (np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens))
    comp = np.repeat(labs, lens)
    ids, inv = np.unique(comp, return_inverse=True)
    a = alpha[py, px]
    peak = np.zeros(len(ids), np.int64)
    np.maximum.at(peak, inv, a)
    visible = peak >= SPECK_MIN_ALPHA
    if not visible.any():
        return out
    wgt = a.astype(np.float64) + 1.0
    cnt = np.bincount(inv, weights=wgt)
    colour = np.stack([np.bincount(inv, weights=wgt * rgb[py, px, c]) for c in range(3)], axis=1) / cnt[:, None]
    cy = np.bincount(inv, weights=py.astype(np.float64)) / np.bincount(inv)
    cx = np.bincount(inv, weights=px.astype(np.float64)) / np.bincount(inv)
    stray = visible & _keylike(colour, keys)
    # Away from every larger part: distance from the speck's centre to the nearest boundary
    # pixel of a component bigger than the speck limit.
    by, bx = boundary
    if len(by):
        big = ~small[runs.component_at(by, bx)]
        by, bx = by[big], bx[big]
    far = max(4.0, 0.012 * max(h, w))
    check = np.flatnonzero(visible & ~stray)
    if len(by) and len(check):
        step = max(1, len(by) // 4000)
        by, bx = by[::step].astype(np.float32), bx[::step].astype(np.float32)
        for chunk in np.array_split(check, max(1, len(check) // 256)):
            d2 = (cy[chunk, None] - by[None]) ** 2 + (cx[chunk, None] - bx[None]) ** 2
            stray[chunk] |= np.sqrt(d2.min(axis=1)) >= far
    elif len(check):
        stray[check] = True
    if stray.any():
        px_count = np.bincount(inv)[stray]
        out = {"count": int(stray.sum()), "pixels": int(px_count.sum()), "max_size": int(px_count.max())}
    return out


def detect_checkerboard(rgb: np.ndarray) -> bool:
    """A painted two-tone, low-chroma checker at any phase and cell size (3-96 px), covering a
    meaningful part of the frame (>= 3 % and at least 4x4 cells)."""
    h, w = rgb.shape[:2]
    if h < 16 or w < 16:
        return False
    grey = (rgb[..., 0].astype(np.int16) * 2 + rgb[..., 1].astype(np.int16) * 5 + rgb[..., 2]) // 8
    chroma = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)
    # Candidate cell sizes: spacing between strong horizontal steps on sampled rows and columns.
    step_rows = max(1, h // 192)
    hist = np.zeros(129, np.int64)
    for g in (grey[::step_rows], grey[:, :: max(1, w // 192)].T):
        edges = np.abs(np.diff(g, axis=1)) > 12
        ey, ex = np.nonzero(edges)
        if len(ex) < 2:
            continue
        same = ey[1:] == ey[:-1]
        gaps = np.diff(ex)[same]
        gaps = gaps[(gaps >= 3) & (gaps <= 96)]
        hist[:97] += np.bincount(gaps, minlength=97)[:97]
    if hist.sum() == 0:
        return False
    candidates = [int(c) for c in np.argsort(hist)[::-1][:3] if hist[c] >= 8]
    for c in candidates:
        if 2 * c >= w or c >= h:
            continue
        hh, ww = h - c, w - 2 * c
        g0 = grey[:hh, :ww]
        flip_x = np.abs(g0 - grey[:hh, c : c + ww]) >= 14
        flip_y = np.abs(g0 - grey[c : c + hh, :ww]) >= 14
        diag = np.abs(g0 - grey[c : c + hh, c : c + ww]) <= 8
        period = np.abs(g0 - grey[:hh, 2 * c : 2 * c + ww]) <= 8
        grey_tone = chroma[:hh, :ww] <= 26
        hit = flip_x & flip_y & diag & period & grey_tone
        count = int(hit.sum())
        if count >= max(0.03 * h * w, 16 * c * c * 0.5):
            return True
    return False


def verify_rgba(
    rgba: np.ndarray,
    profile: str = "generic",
    expected_matte: tuple[int, int, int] | None = None,
    info: ImageInfo | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """Every upstream verification field for an HxWx4 uint8 image (`rgba` is not modified)."""
    if profile not in PROFILES:
        from gpt_image_engine.errors import AppError

        raise AppError(
            "invalid_argument",
            f"Unknown verification profile {profile!r}.",
            {"value": profile, "allowed": list(PROFILES)},
        )
    h, w = rgba.shape[:2]
    if info is None:
        info = ImageInfo(True, "Rgba8", True, w, h)
    n = h * w
    rgba = np.ascontiguousarray(rgba)
    alpha = rgba[..., 3]
    rgb = rgba[..., :3]
    nontrans = alpha > TRANSPARENT_ALPHA_MAX
    nt_px = int(np.count_nonzero(nontrans))
    t_px = n - nt_px
    o_px = int(np.count_nonzero(alpha >= MIN_OPAQUE_ALPHA))
    p_px = nt_px - o_px
    alpha_min = int(alpha.min()) if n else 255
    alpha_max = int(alpha.max()) if n else 0
    ratio = lambda k: k / n if n else 0.0  # noqa: E731
    if w == 1 or h == 1:
        edge_total = n
        edge_nt = nt_px
    else:
        edge_total = 2 * w + 2 * (h - 2)
        edge_nt = int(
            np.count_nonzero(nontrans[0])
            + np.count_nonzero(nontrans[-1])
            + np.count_nonzero(nontrans[1:-1, 0])
            + np.count_nonzero(nontrans[1:-1, -1])
        )
    runs = label_runs(nontrans)
    sizes = runs.sizes
    bbox = None
    margin = None
    box = (0, 0, 0, 0)
    if nt_px:
        x0, y0 = int(runs.starts.min()), int(runs.rows[0])
        bw, bh = int(runs.ends.max()) - x0 + 1, int(runs.rows[-1]) - y0 + 1
        bbox = {"x": x0, "y": y0, "width": bw, "height": bh}
        margin = min(x0, y0, w - (x0 + bw), h - (y0 + bh))
        box = (y0, y0 + bh, x0, x0 + bw)
    touches = margin == 0
    # Scrubbed: every alpha-0 pixel has R, G and B <= 2 (checked on 32-bit words, exact on the few left).
    # Fast path: words that are non-zero are exactly the alpha>0 pixels plus coloured alpha-0 ones.
    words = rgba.view(np.uint32).reshape(h, w)
    zero = alpha == 0
    scrubbed = True
    if np.count_nonzero(words) > n - int(np.count_nonzero(zero)):
        coloured = np.flatnonzero(zero.reshape(-1) & (words.reshape(-1) != 0))
        scrubbed = not bool((rgb.reshape(-1, 3)[coloured] > 2).any())
    largest = int(sizes.max()) if len(sizes) else 0
    lcr = largest / nt_px if nt_px else 0.0
    stray = nt_px - largest
    noise = stray / nt_px if nt_px else 0.0
    small_blobs = int((sizes < SMALL_BLOB_PX).sum())
    small_blob_px = int(sizes[sizes < SMALL_BLOB_PX].sum()) if len(sizes) else 0
    keys = (
        [np.asarray(expected_matte, np.float32)]
        if expected_matte is not None
        else [np.asarray(k, np.float32) for k in CANDIDATE_KEYS]
    )
    boundary = _boundary(nontrans, box) if nt_px else (np.zeros(0, np.intp), np.zeros(0, np.intp))
    edge = _edge_contamination(rgba, boundary[0], boundary[1], keys)
    specks = _specks(runs, rgb, alpha, boundary, keys)
    ring_defect = edge["ratio"] > EDGE_CONTAMINATION_MAX and edge["flagged"] >= 8
    halo_ring = ring_defect and edge["toward"] >= HALO_MIN_TOWARD
    # Partial pixels lie inside the bounding box: measure residue and halo there only.
    crop_rgb, crop_alpha = rgb[box[0] : box[1], box[2] : box[3]], alpha[box[0] : box[1], box[2] : box[3]]
    residue = _residue(rgba, box, expected_matte) if expected_matte is not None else None
    halo = _halo(crop_rgb, crop_alpha)
    t_ratio = ratio(t_px)
    check_board = (not info.has_alpha or t_ratio < MIN_TRANSPARENT_RATIO) and w >= 32 and h >= 32
    checker = detect_checkerboard(rgb) if check_board else False

    reasons: list[str] = []
    if not info.is_png:
        reasons.append("not_png")
    if not info.has_alpha:
        reasons.append("missing_alpha_channel")
    if checker:
        reasons.append("checkerboard_detected")
    if nt_px == 0:
        reasons.append("empty_subject")
    if alpha_min > TRANSPARENT_ALPHA_MAX:
        reasons.append("no_fully_transparent_pixels")
    if alpha_max < NONTRANSPARENT_ALPHA_MIN:
        reasons.append("alpha_range_too_low")
    if t_ratio < MIN_TRANSPARENT_RATIO:
        reasons.append("transparent_area_too_small")
    if not scrubbed:
        reasons.append("transparent_rgb_not_scrubbed")
    if profile in _SOLID:
        min_lcr, max_noise, max_residue = _SOLID[profile]
        if alpha_max < MIN_OPAQUE_ALPHA:
            reasons.append("profile_requires_opaque_pixels")
        if t_ratio < STRICT_MIN_TRANSPARENT_RATIO:
            reasons.append("profile_transparent_area_too_small")
        if touches:
            reasons.append("subject_touches_edge")
        if (min_lcr is not None and lcr < min_lcr) or noise > max_noise:
            reasons.append("too_many_stray_pixels")
        if residue is not None and residue > max_residue:
            reasons.append("matte_residue_too_high")
        if halo_ring:
            reasons.append("matte_halo_detected")
        elif ring_defect:
            reasons.append("edge_fringe_detected")
        if specks["count"]:
            reasons.append("stray_specks_detected")
    elif profile in _EFFECT:
        if profile != "effect" and p_px == 0:
            reasons.append("profile_requires_partial_alpha")
        if t_ratio < EFFECT_MIN_TRANSPARENT_RATIO:
            reasons.append("profile_transparent_area_too_small")
        if touches:
            reasons.append("effect_touches_edge")
    passed = not reasons

    warnings: list[str] = []
    edge_ratio = edge_nt / edge_total if edge_total else 0.0
    if touches or edge_ratio > 0.15:
        warnings.append("nontransparent pixels reach the image edge; consider adding margin before extraction")
    if p_px == 0:
        warnings.append("no semi-transparent pixels detected")
    if checker:
        warnings.append("checkerboard-like pattern detected; visual transparency is not enough")
    if not scrubbed:
        warnings.append(
            "fully transparent pixels contain non-zero RGB values; scrub them to avoid compositing artifacts"
        )
    if residue is not None and residue > 0.12:
        warnings.append("possible matte-color residue on semi-transparent edge pixels")
    if residue is None and profile in _SOLID and p_px > 0:
        warnings.append("matte residue was not checked; pass --expected-matte-color when verifying chroma outputs")
    if ring_defect:
        warnings.append(
            f"{'a key-coloured halo' if halo_ring else 'a fringe of un-keyed colour'} runs along "
            f"{100 * edge['ratio']:.0f} % of the subject's edge (toward {to_hex(edge['key'])})"
        )
    if specks["count"]:
        warnings.append(f"{specks['count']} stray speck(s) left in the transparent area")

    health = 1.0
    for cond, pen in (
        (not info.is_png, 0.2),
        (not info.has_alpha, 0.45),
        (nt_px == 0, 0.35),
        (alpha_min > TRANSPARENT_ALPHA_MAX, 0.2),
        (alpha_max < NONTRANSPARENT_ALPHA_MIN, 0.25),
        (t_ratio < MIN_TRANSPARENT_RATIO, 0.2),
        (checker, 0.35),
        (not scrubbed, 0.12),
    ):
        if cond:
            health -= pen
    res_v = residue if residue is not None else 0.0
    residue_score = (
        1.0 - 0.35 * min(noise, 1.0) - 0.35 * min(res_v, 1.0) - 0.15 * min(halo, 1.0) - (0.15 if touches else 0.0)
    )
    quality = 1.0 if passed else 0.65
    if touches:
        quality -= 0.2
    if checker:
        quality -= 0.45
    if not scrubbed:
        quality -= 0.2
    quality -= 0.25 * min(noise, 1.0)
    quality -= 0.25 * min(res_v, 1.0)
    quality -= 0.10 * min(halo, 1.0)
    clamp = lambda v: min(1.0, max(0.0, v))  # noqa: E731

    return {
        "path": path,
        "profile": profile,
        "width": w,
        "height": h,
        "is_png": info.is_png,
        "color_type": info.color_type,
        "has_alpha": info.has_alpha,
        "input_has_alpha": info.has_alpha,
        "alpha_min": alpha_min,
        "alpha_max": alpha_max,
        "transparent_pixels": t_px,
        "partial_pixels": p_px,
        "opaque_pixels": o_px,
        "nontransparent_pixels": nt_px,
        "transparent_ratio": t_ratio,
        "partial_ratio": ratio(p_px),
        "opaque_ratio": ratio(o_px),
        "edge_nontransparent_pixels": edge_nt,
        "edge_nontransparent_ratio": edge_ratio,
        "touches_edge": touches,
        "edge_margin_px": margin,
        "component_count": int(len(sizes)),
        "largest_component_pixels": largest,
        "largest_component_ratio": lcr,
        "stray_pixel_count": stray,
        "alpha_noise_score": noise,
        "small_blob_count": small_blobs,
        "small_blob_pixels": small_blob_px,
        "edge_contamination_ratio": edge["ratio"],
        "edge_contamination_key": to_hex(edge["key"]) if edge["key"] is not None else None,
        "halo_ring_detected": halo_ring,
        "edge_fringe_detected": ring_defect and not halo_ring,
        "stray_speck_count": specks["count"],
        "stray_speck_pixels": specks["pixels"],
        "matte_residue_score": residue,
        "matte_residue_checked": residue is not None,
        "halo_score": halo,
        "transparent_rgb_scrubbed": scrubbed,
        "checkerboard_detected": checker,
        "alpha_health_score": clamp(health),
        "residue_score": clamp(residue_score),
        "quality_score": clamp(quality),
        "bbox": bbox,
        "passed": passed,
        "failure_reasons": reasons,
        "warnings": warnings,
    }
