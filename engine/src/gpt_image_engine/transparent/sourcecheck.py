"""Checks on a chroma source before keying: refuse what cannot be keyed instead of guessing.

* **Fake transparency.** A model asked for a transparent background sometimes *paints* the grey
  and white checkerboard that editors use to show transparency. There is no key colour to remove,
  so the source is refused with `transparent_source_checkerboard`.
* **No key border.** Keying needs background around the subject. The frame's border ring is cut
  into short segments along the perimeter; a segment is *plate-like* when it is smooth (noise,
  JPEG grain, gradients and vignettes stay well inside the spread limit over a short run) and its
  colour lies near the ring's dominant plate colour (gradients of +-30 levels and a ~20 % vignette
  stay well inside the distance limit). When fewer than half of the segments are plate-like,
  the subject fills the frame and the source is refused with `transparent_no_key_border`. A
  subject cropped by one whole edge still leaves about two thirds of the ring plate.

Both checks start from the border ring, so a real key plate costs a few milliseconds even at 4K;
only a ring that looks like a grey square wave pays for the full-frame checker search.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpt_image_engine.errors import AppError
from gpt_image_engine.transparent.verify import detect_checkerboard

SEGMENTS_PER_RING = 64
SEGMENT_SPREAD_MAX = 10.0  # levels: median distance of a segment's samples to its own median
PLATE_DISTANCE_MAX = 90.0  # levels: a plate-like segment's colour vs the ring's dominant colour
PLATE_FIT_MAX = 16.0  # levels: a plate segment vs the quadratic surface fitted to the plate
MIN_KEY_BORDER_RATIO = 0.5
_LOW_CHROMA = 26  # the painted checker is grey/white; a saturated key plate never is


def _perimeter(rgb: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Colours along the frame's perimeter (clockwise), each averaged over `depth` pixels inward,
    and their positions (x, y) scaled to [-1, 1]."""
    h, w = rgb.shape[:2]
    top = rgb[:depth].mean(axis=0, dtype=np.float32)
    right = rgb[depth : h - depth, w - depth :].mean(axis=1, dtype=np.float32)
    bottom = rgb[h - depth :].mean(axis=0, dtype=np.float32)[::-1]
    left = rgb[depth : h - depth, :depth].mean(axis=1, dtype=np.float32)[::-1]
    xs = np.concatenate([np.arange(w), np.full(len(right), w - 1), np.arange(w)[::-1], np.zeros(len(left))]).astype(
        np.float32
    )
    ys = np.concatenate(
        [np.zeros(w), np.arange(depth, h - depth), np.full(w, h - 1), np.arange(depth, h - depth)[::-1]]
    ).astype(np.float32)
    pos = np.stack([xs * 2 / max(w - 1, 1) - 1, ys * 2 / max(h - 1, 1) - 1], axis=1)
    return np.concatenate([top, right, bottom, left]), pos


def _quadratic(pos: np.ndarray) -> np.ndarray:
    x, y = pos[:, 0], pos[:, 1]
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)


def key_border(rgb: np.ndarray) -> dict[str, Any]:
    """{ratio, plate}: the share of plate-like border segments and the plate's mean colour.

    Segments are smooth runs of the ring; the plate is the smooth colour most segments share,
    then a quadratic surface in (x, y) is fitted to the agreeing segments (a few rounds), which is
    how a real generated matte varies (offset, gradient, vignette). Segments within
    PLATE_FIT_MAX of the surface are plate; a subject's ring (textured, or varying faster than a
    quadratic) is not.
    """
    h, w = rgb.shape[:2]
    depth = max(1, min(4, min(h, w) // 32))
    per, pos = _perimeter(rgb, depth)
    seg_len = max(4, len(per) // SEGMENTS_PER_RING)
    n = len(per) // seg_len
    segs = per[: n * seg_len].reshape(n, seg_len, 3)
    centres = pos[: n * seg_len].reshape(n, seg_len, 2).mean(axis=1)
    med = np.median(segs, axis=1)
    spread = np.median(np.sqrt(((segs - med[:, None]) ** 2).sum(axis=2)), axis=1)
    smooth = spread <= SEGMENT_SPREAD_MAX
    if not smooth.any():
        return {"ratio": 0.0, "plate": None}
    # The dominant plate colour: the smooth segment with the most smooth segments near it.
    cand = med[smooth]
    near = np.sqrt(((cand[:, None] - cand[None]) ** 2).sum(axis=2)) <= PLATE_DISTANCE_MAX / 2
    centre = np.median(cand[near[int(np.argmax(near.sum(axis=1)))]], axis=0)
    chosen = smooth & (np.sqrt(((med - centre) ** 2).sum(axis=1)) <= PLATE_DISTANCE_MAX)
    basis = _quadratic(centres)
    for _ in range(3):
        if chosen.sum() < 12:
            break
        coef, *_ = np.linalg.lstsq(basis[chosen], med[chosen], rcond=None)
        resid = np.sqrt(((med - basis @ coef) ** 2).sum(axis=1))
        chosen = smooth & (resid <= PLATE_FIT_MAX)
    return {
        "ratio": float(chosen.mean()),
        "plate": [round(float(c), 1) for c in med[chosen].mean(axis=0)] if chosen.any() else None,
    }


def _ring_may_be_checker(per: np.ndarray) -> bool:
    """Cheap gate on the perimeter colours: a painted checker shows as a low-chroma square wave
    (many strong brightness steps); any real key plate is either saturated or smooth."""
    chroma = per.max(axis=1) - per.min(axis=1)
    if float((chroma <= _LOW_CHROMA).mean()) < 0.3:
        return False
    grey = per @ np.asarray([0.25, 0.625, 0.125], np.float32)
    return int((np.abs(np.diff(grey)) > 10.0).sum()) >= 8


def check_source(rgba: np.ndarray) -> dict[str, Any]:
    """Raise a coded error when `rgba` (HxWx4 uint8) cannot be chroma-keyed; else the ring facts."""
    rgb = rgba[..., :3]
    h, w = rgb.shape[:2]
    if h >= 32 and w >= 32 and _ring_may_be_checker(_perimeter(rgb, 1)[0]) and detect_checkerboard(rgb):
        raise AppError(
            "transparent_source_checkerboard",
            "The source shows a painted checkerboard (fake transparency), not a flat key colour, so there is "
            "nothing to key. Regenerate the source on a flat key colour (for example #00ff00 or #ff00ff) with "
            "a clear margin around the subject.",
            {"width": w, "height": h},
        )
    ring = key_border(rgb)
    if h >= 8 and w >= 8 and ring["ratio"] < MIN_KEY_BORDER_RATIO:
        raise AppError(
            "transparent_no_key_border",
            "The source has no border of key colour: the subject fills the frame, so there is no background "
            "to key. Regenerate it with the whole subject inside a clear margin of a flat key colour.",
            {"key_border_ratio": round(ring["ratio"], 3), "required": MIN_KEY_BORDER_RATIO},
        )
    return ring
