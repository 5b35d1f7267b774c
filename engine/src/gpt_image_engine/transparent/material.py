"""Which matter is keyed: solid (the interior is forced opaque) or soft (glow, smoke, glass, shadow:
the interior is un-mixed). From ``--material``, else the profile, else detection on the frame."""

from __future__ import annotations

import math

import numpy as np

from gpt_image_engine.transparent.keyfield import KeyField
from gpt_image_engine.transparent.softalpha import KeyMaths, floor_alpha, prior_parts


def looks_soft(rgb: np.ndarray, field: KeyField, m: KeyMaths) -> bool:
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
    cube, vl, _, _ = prior_parts(c, b, m)
    est = floor_alpha(np.maximum(cube, np.minimum(vl, 1.0)), m).reshape(sub.shape[:2])
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
