"""The key model: the plate colour sampled from the border ring, and the key *field* fitted to it (a
quadratic surface per channel, so gradients and vignettes key cleanly; a flat plate collapses to a
constant)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def border_ring(rgb: np.ndarray, max_samples: int = 60_000) -> np.ndarray:
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


def border_ring_xy(rgb: np.ndarray, max_samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Like `border_ring`, with each sample's (y, x)."""
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
    key = robust_key(border_ring(rgba[..., :3]))
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
        c = self.coef
        out = np.empty(np.broadcast_shapes(x.shape, y.shape) + (3,), np.float32)
        for ch in range(3):
            out[..., ch] = c[0, ch] + x * (c[1, ch] + c[3, ch] * x + c[4, ch] * y) + y * (c[2, ch] + c[5, ch] * y)
        # The plate is seen through 8 bits: where the surface runs past 255 (a key lit above full
        # scale), the picture shows 255, and so must the model.
        return np.clip(out, 0.0, 255.0, out=out)

    def row_terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """B(x, y) = p0[x] + y * p1[x] + y^2 * p2 with y normalised: lets a band broadcast exactly."""
        x, _ = self._xy(np.arange(self.width, dtype=np.float64), np.zeros(1))
        c = self.coef
        p0 = c[0][None] + x[:, None] * c[1][None] + (x * x)[:, None] * c[3][None]
        p1 = c[2][None] + x[:, None] * c[4][None]
        return p0.astype(np.float32), p1.astype(np.float32), c[5].astype(np.float32)

    def y_norm(self, ys: np.ndarray) -> np.ndarray:
        return (np.asarray(ys, np.float64) * (2.0 / max(self.height - 1, 1)) - 1.0).astype(np.float32)


def _least_squares(basis: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Normal equations (6x6; the basis is well conditioned on [-1, 1]), SVD when singular."""
    try:
        return np.linalg.solve(basis.T @ basis, basis.T @ values)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(basis, values, rcond=None)[0]


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
            sol = _least_squares(basis, samples[chosen].astype(np.float64))
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


def band_bounds(
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
