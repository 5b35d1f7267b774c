"""Edge and partial pixels: alpha re-estimated on the key -> foreground segment, colour un-mixed
against the local key (decontamination), faint pixels borrowing the neighbourhood's least-squares
foreground, and despill only by the key excess beyond what the local subject shows."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gpt_image_engine.transparent.keysettings import TRANSPARENT_ALPHA_MAX
from gpt_image_engine.transparent.softalpha import KeyMaths, ks, prior_soa

_OFFSETS = [
    (dy, dx) for r in (2, 3, 5) for dy, dx in ((-r, 0), (r, 0), (0, -r), (0, r), (-r, -r), (-r, r), (r, -r), (r, r))
]
_LS_RADIUS = 3
_LS_ALPHA = 0.85
_DIR_TOL = 0.3


def _window_offsets(r: int) -> tuple[np.ndarray, np.ndarray]:
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    return dy.ravel().astype(np.intp), dx.ravel().astype(np.intp)


_LS_DY, _LS_DX = _window_offsets(_LS_RADIUS)
_OFF_DY = np.array([o[0] for o in _OFFSETS], np.intp)
_OFF_DX = np.array([o[1] for o in _OFFSETS], np.intp)


def _gather(
    shape: tuple[int, ...], ty: np.ndarray, tx: np.ndarray, dy: np.ndarray, dx: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, k) clipped coordinates of each target's k offsets, and which of them lie inside."""
    hh, ww = shape[:2]
    yy = ty[:, None] + dy[None]
    xx = tx[:, None] + dx[None]
    ok = (yy >= 0) & (yy < hh) & (xx >= 0) & (xx < ww)
    return np.clip(yy, 0, hh - 1), np.clip(xx, 0, ww - 1), ok


def ls_colour(aw: np.ndarray, src: np.ndarray, ty: np.ndarray, tx: np.ndarray, bt: list) -> tuple[list, np.ndarray]:
    """Least-squares local foreground at the targets, and how much to trust it (0..1).

    Edge pixels are few next to the window they sit in, so the (2r+1)^2 neighbourhood of every
    target is gathered at once (one (n, k) fancy index per plane) rather than summed over the window."""
    yy, xx, ok = _gather(aw.shape, ty, tx, _LS_DY, _LS_DX)
    u = aw[yy, xx] * np.where(ok, np.float32(1.0 / 255.0), np.float32(0.0))
    u2 = u * u
    s2 = u2.sum(axis=1)
    s1 = u.sum(axis=1) - s2
    cols = src[yy, xx]  # (n, k, 3)
    den = np.maximum(s2, 1e-6)
    fls = [np.clip((np.einsum("nk,nk->n", u, cols[..., ch]) - bt[ch] * s1) / den, 0.0, 255.0) for ch in range(3)]
    return fls, np.clip(s2 * 2.0, 0.0, 1.0)


def _local_foreground(
    wy: np.ndarray, wx: np.ndarray, a: np.ndarray, core: np.ndarray, src: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Mean colour of the confident interior pixels 2, 3 and 5 px away in the 8 directions, and
    which targets have any."""
    n = len(wy)
    f_loc = [np.zeros(n, np.float32) for _ in range(3)]
    has_f = np.zeros(n, bool)
    if core.any():
        yy, xx, ok = _gather(a.shape, wy, wx, _OFF_DY, _OFF_DX)
        use = core[yy, xx] & ok  # (n, 24)
        si = np.flatnonzero(use.any(axis=1))
        if len(si):
            use = use[si].astype(np.float32)
            cnt = use.sum(axis=1)
            cols = src[yy[si], xx[si]].astype(np.float32)  # (n, 24, 3)
            inv = 1.0 / np.maximum(cnt, 1.0)
            for ch in range(3):
                f_loc[ch][si] = np.einsum("nk,nk->n", use, cols[..., ch]) * inv
            has_f[si] = True
    return f_loc, has_f


def _best_segment(
    cb: list[np.ndarray], b: list, f_loc: list[np.ndarray], has_f: np.ndarray, palette: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Which key -> foreground segment explains each pixel best: the local foreground (slightly
    preferred) or a palette colour. Returns (residual, inf where none does; alpha along it; the
    foreground)."""
    n = len(cb[0])
    # A candidate must explain the pixel's direction from the key, not just lie within noise of
    # it: a faint shadow pixel is close to every segment's start, but points at only one of them.
    cb2 = cb[0] * cb[0] + cb[1] * cb[1] + cb[2] * cb[2]
    rmax = np.sqrt(cb2) * _DIR_TOL + 1.5
    best_r = np.full(n, np.inf, np.float32)
    best_a = np.zeros(n, np.float32)
    best_f = [f.copy() for f in f_loc]
    if has_f.any():
        fb = [f_loc[ch] - b[ch] for ch in range(3)]
        den = fb[0] * fb[0] + fb[1] * fb[1] + fb[2] * fb[2]
        dot = cb[0] * fb[0] + cb[1] * fb[1] + cb[2] * fb[2]
        proj = np.clip(dot / np.maximum(den, 1.0), 0.0, 1.0)
        r2: Any = 0.0
        for ch in range(3):
            r = cb[ch] - proj * fb[ch]
            r2 = r2 + r * r
        rn = np.sqrt(r2)
        ok = has_f & (den > 1600.0) & (rn <= np.maximum(10.0, 0.12 * np.sqrt(den))) & (rn <= rmax)
        best_r = np.where(ok, rn - 3.0, best_r)
        best_a = np.where(ok, proj, best_a)
    if palette:
        # Every palette segment at once: (n, K) products and an argmin (the first best, as testing
        # them in order would pick).
        pal = np.array(palette, np.float32).reshape(-1, 3)
        fbm = [pal[None, :, ch] - np.reshape(b[ch], (-1, 1)).astype(np.float32) for ch in range(3)]
        den = fbm[0] * fbm[0] + fbm[1] * fbm[1] + fbm[2] * fbm[2]
        dot = cb[0][:, None] * fbm[0] + cb[1][:, None] * fbm[1] + cb[2][:, None] * fbm[2]
        proj = np.clip(dot / np.maximum(den, 1.0), 0.0, 1.0)
        rn = np.sqrt(np.maximum(cb2[:, None] - proj * (2.0 * dot - proj * den), 0.0))
        bad = (den <= 1600.0) | (rn > np.maximum(10.0, 0.12 * np.sqrt(den))) | (rn > rmax[:, None])
        rn = np.where(bad, np.float32(np.inf), rn)
        j = np.argmin(rn, axis=1)
        rj = np.take_along_axis(rn, j[:, None], axis=1)[:, 0]
        take = rj < best_r
        if take.any():
            best_r = np.where(take, rj, best_r)
            best_a = np.where(take, np.take_along_axis(proj, j[:, None], axis=1)[:, 0], best_a)
            best_f = [np.where(take, pal[j, ch], best_f[ch]) for ch in range(3)]
    return best_r, best_a, best_f


def _decontaminate(
    wy: np.ndarray,
    wx: np.ndarray,
    a: np.ndarray,
    src: np.ndarray,
    c: list[np.ndarray],
    cb: list[np.ndarray],
    b: list,
    a8w: np.ndarray,
    f_loc: list[np.ndarray],
    has_f: np.ndarray,
    m: KeyMaths,
) -> np.ndarray:
    """The straight colour of each edge pixel (uint8 (n, 3)) at its final alpha."""
    n = len(wy)
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
        fls, strength = ls_colour(aw, src, wy[ti], wx[ti], bt)
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
        kf = ks(f, m.dom, m.oth)
        kref = np.where(has_f, np.maximum(ks(f_loc, m.dom, m.oth), 0.0), 0.0)
        excess = np.maximum(kf - kref, 0.0) * m.spill
        for ch in m.dom:
            f[ch] = np.clip(f[ch] - excess, 0.0, 255.0)
    f8 = np.empty((n, 3), np.uint8)
    for ch in range(3):
        f8[:, ch] = np.floor(f[ch] + 0.5)
    return f8


def unmix_edges(
    wy: np.ndarray,
    wx: np.ndarray,
    a: np.ndarray,
    core: np.ndarray,
    src: np.ndarray,
    b: list,
    palette: list[np.ndarray],
    m: KeyMaths,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Edge / partial pixels (window coordinates): re-estimated alpha, decontaminated colour, and
    the summed re-composite error (levels) of those pixels over the key.

    Colours are handled as three float32 planes (structure of arrays): reductions over a
    3-wide axis are what made the per-pixel path slow."""
    c = [src[wy, wx, ch].astype(np.float32) for ch in range(3)]
    av = a[wy, wx].astype(np.float32) * np.float32(1.0 / 255.0)
    f_loc, has_f = _local_foreground(wy, wx, a, core, src)
    cb = [c[ch] - b[ch] for ch in range(3)]
    best_r, best_a, best_f = _best_segment(cb, b, f_loc, has_f, palette)
    good = np.isfinite(best_r)
    if good.any():
        gi = np.flatnonzero(good)
        bg_ = [bc[gi] if np.ndim(bc) else bc for bc in b]
        prior = prior_soa([cc[gi] for cc in c], bg_, m)
        av[gi] = np.where(prior <= m.a0, 0.0, np.clip(best_a[gi], 0.0, 1.0))
        has_f = has_f | good
        f_loc = [np.where(good, best_f[ch], f_loc[ch]) for ch in range(3)]
    # Solid interior pixels in the spill rim came here for their colour only: their alpha stays.
    av = np.where(core[wy, wx], np.float32(1.0), av)
    a8w = np.floor(av * 255.0 + 0.5).astype(np.uint8)
    f8 = _decontaminate(wy, wx, a, src, c, cb, b, a8w, f_loc, has_f, m)
    # Self-check (weakness 12): re-composite what will be written over the fitted key and
    # compare with the source pixel.
    aq = a8w.astype(np.float32) * np.float32(1.0 / 255.0)
    shown = np.where(a8w > TRANSPARENT_ALPHA_MAX, aq, 0.0)
    rec: Any = None
    for ch in range(3):
        e = np.abs(shown * f8[:, ch] + (1.0 - shown) * b[ch] - c[ch])
        rec = e if rec is None else rec + e
    return f8, a8w, float(rec.sum()) / 3.0


def subject_palette(rgb: np.ndarray, alpha: np.ndarray, size: int = 12) -> list[np.ndarray]:
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
