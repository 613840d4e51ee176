"""Statistics the engine collects: time-weighted levels, and estimates over replications."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

# Two-sided 95 % Student t quantiles t(0.975, df), df = 1..30 (standard tables).
_T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)
_T975_LARGE = ((40, 2.021), (60, 2.000), (120, 1.980))
_Z975 = 1.959964


def t_quantile_975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError("needs at least one degree of freedom")
    if df <= 30:
        return _T975[df - 1]
    points = [(30, _T975[-1]), *_T975_LARGE]
    for (d0, t0), (d1, t1) in itertools.pairwise(points):
        if df <= d1:  # interpolate linearly in 1/df, as tables advise
            w = (1 / df - 1 / d1) / (1 / d0 - 1 / d1)
            return t1 + w * (t0 - t1)
    w = (1 / df) / (1 / 120)
    return _Z975 + w * (_T975_LARGE[-1][1] - _Z975)


class Estimate(BaseModel):
    """A KPI over replications: mean and 95 % confidence interval (Student t)."""

    mean: float
    ci_low: float
    ci_high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float], *, signed: bool = False) -> Estimate:
        """The estimate from one value per replication (a single value has a zero-width CI).

        Where no replication is negative (a count, a rate, an area), the interval stops at zero
        rather than claim that a negative value is plausible; ``signed`` says the quantity may
        be negative (a difference), and keeps the whole interval.
        """
        data = np.asarray(values, dtype=float)
        mean = float(data.mean())
        if len(data) < 2:
            return cls(mean=mean, ci_low=mean, ci_high=mean, n=len(data))
        half = t_quantile_975(len(data) - 1) * float(data.std(ddof=1)) / math.sqrt(len(data))
        low = mean - half
        if not signed and data.min() >= 0:
            low = max(low, 0.0)
        return cls(mean=mean, ci_low=low, ci_high=mean + half, n=len(data))


class Probability(BaseModel):
    """A probability estimated from successes in trials, with its 95 % Wilson score interval."""

    p: float
    low: float
    high: float
    n: int

    @classmethod
    def wilson(cls, successes: int, trials: int) -> Probability:
        """The Wilson score interval, sound even at 0 or ``trials`` successes."""
        if trials == 0:
            return cls(p=math.nan, low=0.0, high=1.0, n=0)
        z = _Z975
        p = successes / trials
        denominator = 1 + z * z / trials
        centre = (p + z * z / (2 * trials)) / denominator
        half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
        return cls(p=p, low=max(0.0, centre - half), high=min(1.0, centre + half), n=trials)


SERIES_POINTS = 200
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
        if t >= warmup:
            # the running maximum, as max(maximum, level, the level before if after warm-up)
            top = self.maximum
            if level > top:
                top = level
            if t > warmup and last > top:
                top = last
            self.maximum = top
        if self.trace is not None:
            self._trace(t, level)
        if level != last and self._next_t < t:
            self._sample_before(t)
        self.last_t = t
        self.last_level = level

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
            self.maximum = max(self.maximum, level, self.last_level if t > self.warmup else level)
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
