"""Estimates over replications: a mean with its 95 % interval, a probability with Wilson's.

Time-weighted levels while a plant runs are :mod:`twin.engine.levels`.
"""

from __future__ import annotations

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
