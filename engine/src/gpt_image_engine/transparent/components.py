"""8-connected component labelling of a boolean mask in numpy (no scipy).

Runs of foreground pixels are found per row; runs on neighbouring rows that touch (including
diagonally) are joined with a vectorised union (min-label propagation with pointer jumping).
Returns the runs with their component ids and per-component pixel counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, w = mask.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    flat = np.flatnonzero(d)  # one pass: run starts (+1) and exclusive ends (-1) alternate per row
    sy, sx = np.divmod(flat[0::2], w + 1)
    ex = flat[1::2] % (w + 1)  # exclusive end
    return sy, sx, ex - 1


@dataclass
class Runs:
    """Horizontal runs of a mask and the 8-connected component each belongs to."""

    rows: np.ndarray  # run row
    starts: np.ndarray  # first column
    ends: np.ndarray  # last column (inclusive)
    labels: np.ndarray  # component id per run, 0..count-1
    sizes: np.ndarray  # pixels per component id
    width: int

    def component_at(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """Component ids of mask pixels (ys, xs) (they must be inside the mask)."""
        stride = self.width + 3
        keys = self.rows.astype(np.int64) * stride + self.starts
        idx = np.searchsorted(keys, ys.astype(np.int64) * stride + xs, "right") - 1
        return self.labels[idx]


def label_runs(mask: np.ndarray) -> Runs:
    """Runs of `mask` with their 8-connected component ids (compact, 0-based) and sizes."""
    w = mask.shape[1]
    row_any = mask.any(axis=1)
    if not row_any.any():
        empty = np.zeros(0, np.int64)
        return Runs(empty, empty, empty, empty, empty, w)
    # Label inside the bounding box only (most transparent assets are mostly empty).
    ry = np.flatnonzero(row_any)
    r0, r1 = int(ry[0]), int(ry[-1]) + 1
    cx = np.flatnonzero(mask[r0:r1].any(axis=0))
    c0, c1 = int(cx[0]), int(cx[-1]) + 1
    rows, starts, ends = _runs(mask[r0:r1, c0:c1])
    rows, starts, ends = rows + r0, starts + c0, ends + c0
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
    roots, compact = np.unique(labels, return_inverse=True)
    lengths = (ends - starts + 1).astype(np.int64)
    sizes = np.bincount(compact, weights=lengths, minlength=len(roots)).astype(np.int64)
    return Runs(rows, starts, ends, compact.astype(np.int64), sizes, w)


def component_sizes(mask: np.ndarray) -> np.ndarray:
    """Sizes (pixel counts) of the 8-connected components of `mask`, in no particular order."""
    return label_runs(mask).sizes
