"""The momentary bottleneck by the active-period method (Roser et al.).

At each moment the bottleneck is the station whose current active period is the longest (a whole
period's length, from its start to its end). A station's periods are kept flat, as ``start₀,
end₀, start₁, end₁, ...`` in time order (an ``array('d')``: 16 bytes a period).
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping

import numpy as np

CHUNK = 8192
"""Moments of the time grid handled together (bounds the arrays for a long horizon)."""


def bottleneck_shares(
    periods: Mapping[str, array[float]], warmup: float, horizon: float
) -> dict[str, float]:
    """Share of [warm-up, horizon] each station is the momentary bottleneck."""
    names = sorted(periods)
    if not names or horizon <= warmup:
        return {}
    flat = [np.frombuffer(periods[name], dtype=float) for name in names]
    spans = [(f[0::2], f[1::2]) for f in flat]
    cuts = np.concatenate([[warmup, horizon], *flat])
    grid = np.unique(np.clip(cuts, warmup, horizon))
    shares = np.zeros(len(names))
    for first in range(0, len(grid) - 1, CHUNK):
        part = grid[first : first + CHUNK + 1]
        shares += _chunk_shares(spans, (part[:-1] + part[1:]) / 2, np.diff(part))
    total = horizon - warmup
    return {name: float(share / total) for name, share in zip(names, shares, strict=True)}


def _chunk_shares(
    spans: list[tuple[np.ndarray, np.ndarray]], mids: np.ndarray, widths: np.ndarray
) -> np.ndarray:
    """Time each station is the bottleneck over grid intervals with midpoints ``mids``."""
    lengths = np.zeros((len(spans), len(mids)))
    for row, (starts, ends) in enumerate(spans):
        if not len(starts):
            continue
        index = np.searchsorted(starts, mids, side="right") - 1
        valid = index >= 0
        covered = np.zeros(len(mids), dtype=bool)
        covered[valid] = ends[index[valid]] > mids[valid]
        lengths[row, covered] = (ends - starts)[index[covered]]
    best = lengths.max(axis=0)
    winners = (lengths == best) & (best > 0)
    counts = winners.sum(axis=0)
    return (winners * np.where(counts > 0, widths / np.maximum(counts, 1), 0.0)).sum(axis=1)
