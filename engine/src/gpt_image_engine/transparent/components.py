"""8-connected component labelling of a boolean mask in numpy (no scipy).

Runs of foreground pixels are found per row; runs on neighbouring rows that touch (including
diagonally) are joined with a vectorised union (min-label propagation with pointer jumping).
Returns per-component pixel counts, which is all verification needs.
"""

from __future__ import annotations

import numpy as np


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, w = mask.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    sy, sx = np.nonzero(d == 1)
    ey, ex = np.nonzero(d == -1)  # exclusive end
    return sy, sx, ex - 1


def component_sizes(mask: np.ndarray) -> np.ndarray:
    """Sizes (pixel counts) of the 8-connected components of `mask`, in no particular order."""
    if not mask.any():
        return np.zeros(0, np.int64)
    w = mask.shape[1]
    rows, starts, ends = _runs(mask)
    n = len(rows)
    stride = w + 3
    start_key = rows.astype(np.int64) * stride + starts
    end_key = rows.astype(np.int64) * stride + ends
    # For each run, the runs of the previous row that touch it: end >= start-1 and start <= end+1.
    prev = (rows - 1).astype(np.int64) * stride
    lo = np.searchsorted(end_key, prev + starts - 1, "left")
    hi = np.searchsorted(start_key, prev + ends + 1, "right")
    cnt = np.maximum(hi - lo, 0)
    labels = np.arange(n)
    total = int(cnt.sum())
    if total:
        v = np.repeat(np.arange(n), cnt)
        offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        u = np.repeat(lo, cnt) + offs
        while True:
            m = np.minimum(labels[u], labels[v])
            old = labels.copy()
            np.minimum.at(labels, u, m)
            np.minimum.at(labels, v, m)
            while True:
                jumped = labels[labels]
                if np.array_equal(jumped, labels):
                    break
                labels = jumped
            if np.array_equal(labels, old):
                break
    lengths = (ends - starts + 1).astype(np.int64)
    sizes = np.bincount(labels, weights=lengths, minlength=n)
    return sizes[sizes > 0].astype(np.int64)
