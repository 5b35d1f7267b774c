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
    """Mean over the (2r+1)^2 window (edges replicated), float32 out, float64 running sums."""
    k = 2 * r + 1
    c = np.cumsum(np.pad(p, ((r + 1, r), (0, 0)), mode="edge"), axis=0, dtype=np.float64)
    q = ((c[k:] - c[:-k]) * (1.0 / k)).astype(np.float32)
    c = np.cumsum(np.pad(q, ((0, 0), (r + 1, r)), mode="edge"), axis=1, dtype=np.float64)
    return ((c[:, k:] - c[:, :-k]) * (1.0 / k)).astype(np.float32)


def _codec_blur(p: np.ndarray) -> np.ndarray:
    """What 4:2:0 does to a plane: 2x2 block means, then (bi)linear upsampling back."""
    h, w = p.shape
    hh, ww = h + (h & 1), w + (w & 1)
    q = np.pad(p, ((0, hh - h), (0, ww - w)), mode="edge")
    d = q.reshape(hh // 2, 2, ww // 2, 2).mean(axis=(1, 3), dtype=np.float32)
    # Linear upsampling by 2 with sample centres at 1/4 and 3/4 between the coarse ones.
    dp = np.pad(d, 1, mode="edge")
    rows = np.empty((hh, ww // 2 + 2), np.float32)
    rows[0::2] = 0.25 * dp[:-2] + 0.75 * dp[1:-1]
    rows[1::2] = 0.75 * dp[1:-1] + 0.25 * dp[2:]
    out = np.empty((hh, ww), np.float32)
    out[:, 0::2] = 0.25 * rows[:, :-2] + 0.75 * rows[:, 1:-1]
    out[:, 1::2] = 0.75 * rows[:, 1:-1] + 0.25 * rows[:, 2:]
    return out[:h, :w]


def restore_chroma(rgba: np.ndarray) -> np.ndarray:
    """A copy of `rgba` (HxWx4 uint8) with sharp chroma where luma shows an edge (see the module)."""
    if min(rgba.shape[:2]) < 4:
        return rgba.copy()
    f = rgba[..., :3].astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b
    del f, r, g, b
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
    out = rgba.copy()
    for ch, val in enumerate((y + 1.402 * cr2, y - 0.344136 * cb2 - 0.714136 * cr2, y + 1.772 * cb2)):
        out[..., ch] = np.clip(np.floor(val + 0.5), 0, 255).astype(np.uint8)
    return out
