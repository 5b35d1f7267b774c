"""Transparent-PNG verification: the upstream's metrics, nine profile gates, warnings and scores.

Field names, thresholds, reason strings and score arithmetic follow the reference (section 6)
so the upstream acceptance cases hold. Two deliberate improvements:

* the checkerboard (fake transparency) detector finds a two-tone low-chroma checker at any
  phase, any cell size from 3 to 96 px, anywhere in the frame (the upstream only catches
  full-frame, origin-anchored 8/16/32 px checkers);
* component statistics also report small blobs (`small_blob_count`, `small_blob_pixels`), so
  speckle can be told from an intentional multi-part asset (extra fields; gates unchanged).

`transparent_rgb_scrubbed` checks that alpha-0 pixels carry no colour; pixels with alpha 1-5
still count as transparent everywhere else (the extractor keeps faint tails, colourless).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpt_image_engine.transparent.color import is_saturated
from gpt_image_engine.transparent.components import component_sizes
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


def _dominant_sets(matte: tuple[int, int, int]) -> tuple[list[int], list[int]]:
    hi = max(matte)
    dom = [c for c in range(3) if matte[c] >= hi - 8]
    return dom, [c for c in range(3) if c not in dom]


def _residue(rgb: np.ndarray, alpha: np.ndarray, matte: tuple[int, int, int]) -> float:
    partial = (alpha > TRANSPARENT_ALPHA_MAX) & (alpha < MIN_OPAQUE_ALPHA)
    if not partial.any():
        return 0.0
    px = rgb[partial].astype(np.float64)
    wgt = 1.0 - alpha[partial].astype(np.float64) / 255.0
    dom, oth = _dominant_sets(matte)
    if is_saturated(tuple(float(c) for c in matte)) and oth:
        ref = px[:, oth].max(axis=1)
        v = np.maximum(px[:, dom] - ref[:, None], 0.0).mean(axis=1) / 255.0
    else:
        diff = px.astype(np.float32) - np.asarray(matte, np.float32)
        dist = np.sqrt((diff * diff).sum(axis=1)).astype(np.float64)
        v = np.clip(1.0 - dist / (255.0 * float(np.sqrt(np.float32(3.0)))), 0.0, 1.0)
    total = float(wgt.sum())
    return float((wgt * v).sum() / total) if total > 0 else 0.0


def _halo(rgb: np.ndarray, alpha: np.ndarray) -> float:
    partial = (alpha > TRANSPARENT_ALPHA_MAX) & (alpha < MIN_OPAQUE_ALPHA)
    n = int(partial.sum())
    if n == 0:
        return 0.0
    px = rgb[partial].astype(np.float64)
    luma = (0.2126 * px[:, 0] + 0.7152 * px[:, 1] + 0.0722 * px[:, 2]) / 255.0
    chroma = (px.max(axis=1) - px.min(axis=1)) / 255.0
    bad = ((luma < 0.04) | (luma > 0.96)) & (chroma < 0.08)
    return float(bad.sum()) / n


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
    alpha = rgba[..., 3]
    rgb = rgba[..., :3]
    transparent = alpha <= TRANSPARENT_ALPHA_MAX
    opaque = alpha >= MIN_OPAQUE_ALPHA
    t_px = int(transparent.sum())
    o_px = int(opaque.sum())
    nt_px = n - t_px
    p_px = nt_px - o_px
    alpha_min = int(alpha.min()) if n else 255
    alpha_max = int(alpha.max()) if n else 0
    ratio = lambda k: k / n if n else 0.0  # noqa: E731
    nontrans = ~transparent
    if w == 1 or h == 1:
        edge_total = n
        edge_nt = int(nontrans.sum())
    else:
        edge_total = 2 * w + 2 * (h - 2)
        edge_nt = int(nontrans[0].sum() + nontrans[-1].sum() + nontrans[1:-1, 0].sum() + nontrans[1:-1, -1].sum())
    bbox = None
    margin = None
    if nt_px:
        rows = np.flatnonzero(nontrans.any(axis=1))
        cols = np.flatnonzero(nontrans.any(axis=0))
        x0, y0 = int(cols[0]), int(rows[0])
        bw, bh = int(cols[-1]) - x0 + 1, int(rows[-1]) - y0 + 1
        bbox = {"x": x0, "y": y0, "width": bw, "height": bh}
        margin = min(x0, y0, w - (x0 + bw), h - (y0 + bh))
    touches = margin == 0
    zero = alpha == 0
    scrubbed = not bool((zero & (rgb.max(axis=2) > 2)).any())
    sizes = component_sizes(nontrans)
    largest = int(sizes.max()) if len(sizes) else 0
    lcr = largest / nt_px if nt_px else 0.0
    stray = nt_px - largest
    noise = stray / nt_px if nt_px else 0.0
    small_blobs = int((sizes < SMALL_BLOB_PX).sum())
    small_blob_px = int(sizes[sizes < SMALL_BLOB_PX].sum()) if len(sizes) else 0
    residue = _residue(rgb, alpha, expected_matte) if expected_matte is not None else None
    halo = _halo(rgb, alpha)
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
