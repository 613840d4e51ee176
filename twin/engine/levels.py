"""A level while the plant runs (rolls in a store, metres in an accumulator, rolls in process).

Its time-weighted mean and maximum after the warm-up, and its value at evenly spaced times of
the run, kept as it goes so that its memory does not grow with the horizon.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Final

import numpy as np

SERIES_POINTS: Final = 200
"""Evenly spaced times at which a level's series is kept."""


@functools.lru_cache(maxsize=32)
def _series_times(horizon: float) -> tuple[float, ...]:
    """The :data:`SERIES_POINTS` evenly spaced times of a run of ``horizon`` minutes."""
    return tuple(np.linspace(0.0, horizon, SERIES_POINTS).tolist())


class LevelStat:
    """Time-weighted statistics of a level (rolls in a store, metres in an accumulator).

    Only time after the warm-up counts. Levels may change linearly between updates (accumulators)
    or in steps (stores). Given the horizon, it also keeps the level in force at
    :data:`SERIES_POINTS` evenly spaced times over the run (:attr:`series`), as it goes, so that
    its memory does not grow with the horizon.
    """

    __slots__ = (
        "_grid",
        "_next",
        "_next_t",
        "_samples",
        "area",
        "last_level",
        "last_t",
        "maximum",
        "trace",
        "warmup",
    )

    def __init__(self, level: float, warmup: float, horizon: float | None = None) -> None:
        self.last_t = 0.0
        self.last_level = level
        self.area = 0.0
        self.maximum = level if warmup <= 0 else 0.0
        self.warmup = warmup
        grid = _series_times(horizon) if horizon is not None else ()
        self._grid: Sequence[float] = grid
        self._next = 0
        self._next_t = grid[0] if grid else math.inf
        """The next time of the series to keep."""
        self._samples: list[tuple[float, float]] = []
        self.trace: list[tuple[float, float]] | None = None
        """Every (minute, level) update, when kept (None: not kept); runs of one level are
        kept as their first and last entries, so the level is linear between entries."""

    def step(self, t: float, level: float) -> None:
        """The level jumps to ``level`` at ``t`` (it was constant since the last update)."""
        warmup = self.warmup
        last = self.last_level
        t0 = self.last_t
        if t0 < warmup:
            t0 = warmup
        if t > t0:
            self.area += last * (t - t0)
        self._record(t, level)

    def ramp(self, t: float, level: float) -> None:
        """The level moved linearly from the last update to ``level`` at ``t``."""
        t0, l0 = self.last_t, self.last_level
        if t > t0:
            if t0 < self.warmup:
                if t <= self.warmup:
                    self._record(t, level)
                    return
                l0 = l0 + (level - l0) * (self.warmup - t0) / (t - t0)
                t0 = self.warmup
                self.maximum = max(self.maximum, l0)
            self.area += (l0 + level) / 2 * (t - t0)
        self._record(t, level)

    def restart(self, level: float) -> None:
        """Start again at ``level`` at time 0 (a run from a plant state)."""
        self.last_t = 0.0
        self.last_level = level
        self.maximum = level if self.warmup <= 0 else 0.0
        if self.trace is not None:
            self.trace = [(0.0, float(level))]

    def keep_trace(self) -> None:
        """Keep every update from now on in :attr:`trace`."""
        self.trace = [(self.last_t, float(self.last_level))]

    def _trace(self, t: float, level: float) -> None:
        trace = self.trace
        assert trace is not None
        if len(trace) > 1 and trace[-1][1] == level == trace[-2][1]:
            trace[-1] = (t, level)
        else:
            trace.append((t, float(level)))

    def _record(self, t: float, level: float) -> None:
        if self.trace is not None:
            self._trace(t, level)
        if t >= self.warmup:
            # the running maximum: max(maximum, level, the level before if after warm-up),
            # written out (compiled, a three-way max() is a call into Python)
            top = self.maximum
            if level > top:
                top = level
            if t > self.warmup and self.last_level > top:
                top = self.last_level
            self.maximum = top
        if level != self.last_level and self._next_t < t:
            self._sample_before(t)
        self.last_t, self.last_level = t, level

    def _sample_before(self, t: float) -> None:
        """Keep the level in force at the series' times before ``t``."""
        grid, k = self._grid, self._next
        while k < len(grid) and grid[k] < t:
            self._samples.append((grid[k], float(self.last_level)))
            k += 1
        self._next = k
        self._next_t = grid[k] if k < len(grid) else math.inf

    @property
    def series(self) -> list[tuple[float, float]]:
        """(minute, level) at evenly spaced times over the run (empty without a horizon)."""
        self._sample_before(math.inf)
        return list(self._samples)

    def mean(self, horizon: float) -> float:
        """Time-weighted mean over [warm-up, horizon] (the level is held to the horizon)."""
        self.step(horizon, self.last_level)
        span = horizon - self.warmup
        return self.area / span if span > 0 else self.last_level
