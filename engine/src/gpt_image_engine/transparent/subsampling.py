"""JPEG chroma subsampling: detected from the file header, undone at edges before keying.

A 4:2:0 JPEG stores colour (Cb, Cr) at half resolution; decoded, a subject's colour bleeds one or two
pixels into the key plate and the plate's into the subject, so a keyer reads a fat, key-tinted rim.
Luma (Y) keeps full resolution. Across an edge between the key and the subject, luma and chroma are
both affine in the coverage, so locally chroma = a * Y + b; fitting (a, b) between the observed
chroma and *equally blurred* luma and applying them to the sharp luma restores sharp chroma (a guided
filter whose guide is blurred the way the codec blurred the target). Where luma is flat the observed
chroma is kept.
"""

from __future__ import annotations

import numpy as np

# Start-of-frame markers (baseline, extended, progressive, lossless; Huffman and arithmetic).
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_RADIUS = 3
_EPS = 1.0  # levels^2: regularises the local fit
_FLAT = 50.0  # local luma variance (levels^2) above which the restored chroma fully applies
_TILE = 32
_TILE_PAD = 8  # the restoration reads 8 px around a pixel (codec blur 2, two box passes of 3)
_ACTIVE_RANGE = 20  # luma range (levels) in a tile that marks an edge rather than grain


def jpeg_chroma_subsampled(data: bytes) -> bool:
    """True when `data` is a YCbCr JPEG whose chroma is stored at a lower resolution than luma."""
    if len(data) < 4 or data[0] != 0xFF or data[1] != 0xD8:
        return False
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return False
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in _SOF:
            seg = data[i + 4 : i + 2 + length]
            if len(seg) < 6:
                return False
            ncomp = seg[5]
            if ncomp != 3 or len(seg) < 6 + 3 * ncomp:
                return False
            factors = [(seg[7 + 3 * k] >> 4, seg[7 + 3 * k] & 15) for k in range(ncomp)]
            (hy, vy), others = factors[0], factors[1:]
            return any(h < hy or v < vy for h, v in others)
        if marker == 0xDA or length < 2:  # scan data before any frame header: not a file we understand
            return False
        i += 2 + length
    return False


def _box(p: np.ndarray, r: int) -> np.ndarray:
    """Mean over the (2r+1)^2 window on the last two axes of small tiles (edges replicated)."""
    k = 2 * r + 1
    lead = [(0, 0)] * (p.ndim - 2)
    c = np.cumsum(np.pad(p, [*lead, (r + 1, r), (0, 0)], mode="edge"), axis=-2, dtype=np.float32)
    q = (c[..., k:, :] - c[..., :-k, :]) * np.float32(1.0 / k)
    c = np.cumsum(np.pad(q, [*lead, (0, 0), (r + 1, r)], mode="edge"), axis=-1, dtype=np.float32)
    return (c[..., k:] - c[..., :-k]) * np.float32(1.0 / k)


def _codec_blur(p: np.ndarray) -> np.ndarray:
    """What 4:2:0 does to planes (last two axes, even sizes): 2x2 block means, then linear
    upsampling back with sample centres at 1/4 and 3/4 between the coarse ones."""
    *lead, h, w = p.shape
    d = p.reshape(*lead, h // 2, 2, w // 2, 2).mean(axis=(-3, -1), dtype=np.float32)
    pad = [(0, 0)] * len(lead)
    dp = np.pad(d, [*pad, (1, 1), (1, 1)], mode="edge")
    rows = np.empty((*lead, h, w // 2 + 2), np.float32)
    rows[..., 0::2, :] = 0.25 * dp[..., :-2, :] + 0.75 * dp[..., 1:-1, :]
    rows[..., 1::2, :] = 0.75 * dp[..., 1:-1, :] + 0.25 * dp[..., 2:, :]
    out = np.empty((*lead, h, w), np.float32)
    out[..., 0::2] = 0.25 * rows[..., :-2] + 0.75 * rows[..., 1:-1]
    out[..., 1::2] = 0.75 * rows[..., 1:-1] + 0.25 * rows[..., 2:]
    return out


def _restore_tiles(f: np.ndarray) -> np.ndarray:
    """The restoration on a stack of (n, s, s, 3) float32 tiles (s even); returns RGB floats."""
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b
    yb = _codec_blur(y)
    my = _box(yb, _RADIUS)
    vy = _box(yb * yb, _RADIUS) - my * my
    wgt = np.clip(_box(vy, _RADIUS) * (1.0 / _FLAT), 0.0, 1.0)
    inv = 1.0 / (vy + _EPS)
    planes = []
    for c in (cb, cr):
        mc = _box(c, _RADIUS)
        a = (_box(yb * c, _RADIUS) - my * mc) * inv
        off = mc - a * my
        sharp = _box(a, _RADIUS) * y + _box(off, _RADIUS)
        planes.append(c + wgt * (sharp - c))
    cb2, cr2 = planes
    return np.stack([y + 1.402 * cr2, y - 0.344136 * cb2 - 0.714136 * cr2, y + 1.772 * cb2], axis=-1)


def restore_chroma(rgba: np.ndarray) -> np.ndarray:
    """A copy of `rgba` (HxWx4 uint8) with sharp chroma where luma shows an edge (see the module).

    Only tiles where luma varies (and their neighbours) are worked on, as one batch: a flat plate,
    most of a frame, keeps its pixels and costs one pass."""
    h, w = rgba.shape[:2]
    out = rgba.copy()
    if min(h, w) < 4:
        return out
    t, pad, probe = _TILE, _TILE_PAD, _TILE // 2
    nty, ntx = -(-h // t), -(-w // t)
    # One padded copy of the colour planes: the margin the filters read, and whole tiles.
    src = np.pad(rgba[..., :3], ((pad, pad + nty * t - h), (pad, pad + ntx * t - w), (0, 0)), mode="edge")
    core = src[pad : pad + nty * t, pad : pad + ntx * t]
    c16 = core.astype(np.uint16)
    luma = np.right_shift(c16[..., 0] * 77 + c16[..., 1] * 150 + c16[..., 2] * 29, 8)
    # Edges are found on half tiles (a short range over few samples stays above grain), grown by
    # one half tile (the blur an edge leaves reaches past it), then gathered into whole tiles.
    cells = luma.reshape(2 * nty, probe, 2 * ntx, probe)
    edge = (cells.max(axis=(1, 3)) - cells.min(axis=(1, 3))) >= _ACTIVE_RANGE
    if not edge.any():
        return out
    grown = edge.copy()
    grown[1:] |= edge[:-1]
    grown[:-1] |= edge[1:]
    near = grown.copy()
    near[:, 1:] |= grown[:, :-1]
    near[:, :-1] |= grown[:, 1:]
    ty, tx = np.nonzero(near.reshape(nty, 2, ntx, 2).any(axis=(1, 3)))
    win = np.lib.stride_tricks.sliding_window_view(src, (t + 2 * pad, t + 2 * pad), axis=(0, 1))
    stack = win[ty * t, tx * t].transpose(0, 2, 3, 1).astype(np.float32)  # (n, s, s, 3)
    res = _restore_tiles(stack)[:, pad : pad + t, pad : pad + t]
    res8 = np.clip(np.floor(res + 0.5), 0, 255).astype(np.uint8)
    for k in range(len(ty)):
        y0, x0 = int(ty[k]) * t, int(tx[k]) * t
        y1, x1 = min(y0 + t, h), min(x0 + t, w)
        out[y0:y1, x0:x1, :3] = res8[k, : y1 - y0, : x1 - x0]
    return out
