"""Boolean mask helpers for the keyer (numpy only): dilation by shifts and 8-neighbour counts."""

from __future__ import annotations

import numpy as np


def shift_or(mask: np.ndarray, radius: int) -> np.ndarray:
    out = mask.copy()
    for r in range(1, radius + 1):
        out[r:] |= mask[:-r]
        out[:-r] |= mask[r:]
    tmp = out.copy()
    for r in range(1, radius + 1):
        out[:, r:] |= tmp[:, :-r]
        out[:, :-r] |= tmp[:, r:]
    return out


def neighbour_count(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    rows = m.copy()
    rows[1:] += m[:-1]
    rows[:-1] += m[1:]
    out = rows.copy()
    out[:, 1:] += rows[:, :-1]
    out[:, :-1] += rows[:, 1:]
    return out - m  # 8-neighbour count
