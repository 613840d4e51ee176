"""The momentary bottleneck by the active-period method (Roser et al.)."""

from __future__ import annotations

import numpy as np


def bottleneck_shares(
    periods: dict[str, list[tuple[float, float]]], warmup: float, horizon: float
) -> dict[str, float]:
    """Share of [warm-up, horizon] each station is the momentary bottleneck.

    Active-period method (Roser et al.): at each moment the bottleneck is the station whose
    current active period is the longest. Periods are (start, end) per station.
    """
    names = sorted(periods)
    if not names or horizon <= warmup:
        return {}
    cuts = {warmup, horizon}
    for spans in periods.values():
        for start, end in spans:
            cuts.add(min(max(start, warmup), horizon))
            cuts.add(min(max(end, warmup), horizon))
    grid = np.array(sorted(cuts))
    mids = (grid[:-1] + grid[1:]) / 2
    widths = np.diff(grid)
    lengths = np.zeros((len(names), len(mids)))
    for row, name in enumerate(names):
        spans = sorted(periods[name])
        if not spans:
            continue
        starts = np.array([s for s, _ in spans])
        ends = np.array([e for _, e in spans])
        index = np.searchsorted(starts, mids, side="right") - 1
        valid = index >= 0
        covered = np.zeros(len(mids), dtype=bool)
        covered[valid] = ends[index[valid]] > mids[valid]
        lengths[row, covered] = (ends - starts)[index[covered]]
    best = lengths.max(axis=0)
    winners = (lengths == best) & (best > 0)
    counts = winners.sum(axis=0)
    shares = (winners * np.where(counts > 0, widths / np.maximum(counts, 1), 0.0)).sum(axis=1)
    total = horizon - warmup
    return {name: float(share / total) for name, share in zip(names, shares, strict=True)}
