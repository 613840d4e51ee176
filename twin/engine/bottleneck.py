"""The momentary bottleneck by the active-period method (Roser et al.).

At each moment the bottleneck is the station whose current active period is the longest (a whole
period's length, from its start to its end). A station's periods are kept flat, as ``start₀,
end₀, start₁, end₁, ...`` in time order (an ``array('d')``: 16 bytes a period).
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Mapping, Sequence

import numpy as np

CHUNK = 8192
"""Moments of the time grid handled together (bounds the arrays for a long horizon)."""


def bottleneck_shares(
    periods: Mapping[str, array[float]],
    warmup: float,
    horizon: float,
    groups: Sequence[Collection[str]],
) -> list[dict[str, float]]:
    """Per group of stations, the share of [warm-up, horizon] each is the group's bottleneck.

    One time grid serves every group: it cuts at every station's period ends, a group's own
    among them, and each station's current period at each moment is found once.
    """
    names = sorted(periods)
    if not names or horizon <= warmup:
        return [{} for _ in groups]
    position = {name: i for i, name in enumerate(names)}
    rows = [np.array(sorted(position[name] for name in group), dtype=np.int64) for group in groups]
    flat = [np.frombuffer(periods[name], dtype=float) for name in names]
    spans = [(f[0::2], f[1::2]) for f in flat]
    cuts = np.concatenate([[warmup, horizon], *flat])
    grid = np.unique(np.clip(cuts, warmup, horizon))
    shares = np.zeros((len(groups), len(names)))
    for first in range(0, len(grid) - 1, CHUNK):
        part = grid[first : first + CHUNK + 1]
        lengths = _period_lengths(spans, (part[:-1] + part[1:]) / 2)
        widths = np.diff(part)
        for k, group in enumerate(rows):
            if len(group):
                shares[k, group] += _bottleneck_time(lengths[group], widths)
    total = horizon - warmup
    return [{names[i]: float(shares[k, i] / total) for i in group} for k, group in enumerate(rows)]


def _period_lengths(spans: list[tuple[np.ndarray, np.ndarray]], mids: np.ndarray) -> np.ndarray:
    """Stations × moments: the length of each station's active period at ``mids`` (or 0)."""
    lengths = np.zeros((len(spans), len(mids)))
    for row, (starts, ends) in enumerate(spans):
        if not len(starts):
            continue
        index = np.searchsorted(starts, mids, side="right") - 1
        valid = index >= 0
        covered = np.zeros(len(mids), dtype=bool)
        covered[valid] = ends[index[valid]] > mids[valid]
        lengths[row, covered] = (ends - starts)[index[covered]]
    return lengths


def _bottleneck_time(lengths: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Time each station (row of ``lengths``) is the bottleneck over intervals of ``widths``.

    The bottleneck of an interval has the longest period at its moment; a tie shares it equally.
    """
    best = lengths.max(axis=0)
    winners = (lengths == best) & (best > 0)
    counts = winners.sum(axis=0)
    return (winners * np.where(counts > 0, widths / np.maximum(counts, 1), 0.0)).sum(axis=1)
