"""Fitting duration distributions to censored samples by maximum likelihood (scipy.stats).

A sample is a list of durations, each exact, right-censored (it lasted at least ``low``) or
interval-censored (it ended between ``low`` and ``high``), in :class:`scipy.stats.CensoredData`.
Each candidate family (exponential, Weibull, lognormal, gamma, all with location 0) is fitted with
scipy's censored maximum likelihood; families are ranked by AIC, and the simplest family within
2 of the lowest AIC is chosen (Burnham and Anderson: such models are equally supported, and a few
failures should not switch a memoryless mode to a two-parameter family). Parameter intervals are
Wald intervals on the log of each parameter from the observed information (a numerical Hessian of
the log-likelihood), carried to the scenario's parameters (lognormal mean and cv) by the delta
method.
The goodness of fit is the largest distance between the fitted CDF and the Kaplan-Meier estimate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

FAMILIES = ("exponential", "weibull", "lognormal", "gamma")
"""Candidate families for a duration."""
MIN_FAILURES = 3
"""Fewest exact observations to fit anything (the exponential)."""
MIN_FAILURES_TWO_PARAMETERS = 8
"""Fewest exact observations to fit the two-parameter families too."""


@dataclass(frozen=True)
class Sample:
    """Durations in minutes: ``low == high`` exact, ``high = inf`` right-censored, else between."""

    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, low: Sequence[float], high: Sequence[float]) -> Sample:
        """A sample from two sequences."""
        return cls(np.asarray(low, dtype=float), np.asarray(high, dtype=float))

    @property
    def exact(self) -> np.ndarray:
        """The exact observations (uncensored)."""
        return self.low[self.low == self.high]

    @property
    def right(self) -> np.ndarray:
        """The right-censored observations' lower bounds."""
        return self.low[np.isinf(self.high)]

    @property
    def interval(self) -> np.ndarray:
        """The interval-censored observations, one ``[low, high]`` row each."""
        mask = (self.low != self.high) & np.isfinite(self.high)
        return np.column_stack([self.low[mask], self.high[mask]])

    @property
    def size(self) -> int:
        """All observations, exact and censored."""
        return len(self.low)

    def censored_data(self) -> stats.CensoredData:
        """The sample for scipy (durations of zero are moved to a millisecond)."""
        tiny = 1.0 / 60_000
        interval = np.maximum(self.interval, tiny)
        return stats.CensoredData(
            uncensored=np.maximum(self.exact, tiny),
            right=np.maximum(self.right, tiny),
            interval=interval if len(interval) else None,
        )

    def lower_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Times and event flags for Kaplan-Meier (interval-censored ones counted as censored)."""
        exact = self.low == self.high
        return self.low, exact


@dataclass(frozen=True)
class Parameter:
    """A fitted parameter in the scenario's terms, with its confidence interval."""

    name: str
    value: float
    low: float
    high: float
    unit: str = "min"

    def covers(self, true: float) -> bool:
        """True when the interval contains ``true``."""
        return self.low <= true <= self.high


@dataclass(frozen=True)
class FamilyFit:
    """One family fitted to a sample."""

    family: str
    parameters: list[Parameter]
    log_likelihood: float
    aic: float
    ks_distance: float
    """Largest |F_fit - F_Kaplan-Meier| over the observed failure times."""
    frozen: Any = field(repr=False)
    """The fitted scipy distribution (``cdf``, ``ppf``, ``pdf``)."""

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``."""
        return next(p for p in self.parameters if p.name == name)

    @property
    def mean(self) -> float:
        """The fitted mean, minutes."""
        return float(self.frozen.mean())

    def distribution(self) -> dict[str, Any]:
        """The fit as a scenario distribution document (minutes)."""
        values = {p.name: _significant(p.value) for p in self.parameters}
        if self.family == "exponential":
            return {"dist": "exponential", "mean": values["mean"]}
        if self.family == "weibull":
            return {"dist": "weibull", "shape": values["shape"], "scale": values["scale"]}
        if self.family == "lognormal":
            return {"dist": "lognormal", "mean": values["mean"], "cv": values["cv"]}
        return {"dist": "gamma", "shape": values["shape"], "scale": values["scale"]}

    def summary(self) -> str:
        """Parameters with their intervals, e.g. ``shape 2.03 [1.81, 2.27], scale 3612 min``."""
        return ", ".join(
            f"{p.name} {_significant(p.value):g} [{_significant(p.low):g}, "
            f"{_significant(p.high):g}]"
            for p in self.parameters
        )


@dataclass(frozen=True)
class DurationFit:
    """Every candidate family fitted to one sample, best (lowest AIC) first."""

    sample: Sample
    fits: list[FamilyFit]
    note: str = ""

    @property
    def best(self) -> FamilyFit | None:
        """The chosen family: the simplest within :data:`AIC_SUPPORT` of the lowest AIC."""
        return _choose(self.fits)

    def family(self, name: str) -> FamilyFit | None:
        """The fit of family ``name``, if it was fitted."""
        return next((f for f in self.fits if f.family == name), None)

    def akaike_weight(self, fit: FamilyFit) -> float:
        """Relative support of ``fit`` among the fitted families (Akaike weight)."""
        best = min(f.aic for f in self.fits)
        weights = {f.family: math.exp(-(f.aic - best) / 2) for f in self.fits}
        return weights[fit.family] / sum(weights.values())


AIC_SUPPORT = 2.0
"""Families within this much of the lowest AIC are equally supported; the simplest is chosen."""


def _choose(fits: Sequence[FamilyFit]) -> FamilyFit | None:
    """The simplest fit (fewest parameters) within :data:`AIC_SUPPORT` of the lowest AIC."""
    if not fits:
        return None
    lowest = min(f.aic for f in fits)
    supported = [f for f in fits if f.aic - lowest <= AIC_SUPPORT]
    return min(supported, key=lambda f: (len(f.parameters), f.aic))


def _significant(value: float, digits: int = 4) -> float:
    if not math.isfinite(value) or value == 0:
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


# ------------------------------------------------------------------------------- families
def _frozen(family: str, theta: np.ndarray) -> Any:
    """The scipy distribution for log-parameters ``theta``."""
    if family == "exponential":
        return stats.expon(scale=math.exp(theta[0]))
    if family == "weibull":
        return stats.weibull_min(math.exp(theta[0]), scale=math.exp(theta[1]))
    if family == "lognormal":
        return stats.lognorm(math.exp(theta[1]), scale=math.exp(theta[0]))
    return stats.gamma(math.exp(theta[0]), scale=math.exp(theta[1]))


def _mle(family: str, data: stats.CensoredData) -> np.ndarray:
    """Scipy's censored maximum-likelihood fit, as log-parameters."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if family == "exponential":
            _, scale = stats.expon.fit(data, floc=0)
            return np.log([scale])
        if family == "weibull":
            shape, _, scale = stats.weibull_min.fit(data, floc=0)
            return np.log([shape, scale])
        if family == "lognormal":
            sigma, _, scale = stats.lognorm.fit(data, floc=0)
            return np.array([math.log(scale), math.log(sigma)])
        shape, _, scale = stats.gamma.fit(data, floc=0)
        return np.log([shape, scale])


def log_likelihood(frozen: Any, sample: Sample) -> float:
    """Log-likelihood of a censored sample under a scipy distribution (pdf, sf and cdf)."""
    tiny = 1.0 / 60_000
    total = float(np.sum(frozen.logpdf(np.maximum(sample.exact, tiny))))
    right = sample.right
    if len(right):
        total += float(np.sum(frozen.logsf(np.maximum(right, tiny))))
    interval = sample.interval
    if len(interval):
        low, high = np.maximum(interval, tiny).T
        total += float(np.sum(np.log(frozen.cdf(high) - frozen.cdf(low))))
    return total


def _hessian(function: Any, theta: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Central-difference Hessian of ``function`` at ``theta``."""
    k = len(theta)
    hessian = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            ei = np.eye(k)[i] * step
            ej = np.eye(k)[j] * step
            value = (
                function(theta + ei + ej)
                - function(theta + ei - ej)
                - function(theta - ei + ej)
                + function(theta - ei - ej)
            ) / (4 * step * step)
            hessian[i, j] = hessian[j, i] = value
    return hessian


def _parameters(family: str, theta: np.ndarray, cov: np.ndarray, z: float) -> list[Parameter]:
    """The scenario's parameters with Wald intervals (log scale, delta method)."""

    def interval(log_value: float, variance: float, name: str, unit: str) -> Parameter:
        se = math.sqrt(variance) if variance >= 0 and math.isfinite(variance) else math.nan
        value = math.exp(log_value)
        low = math.exp(log_value - z * se) if math.isfinite(se) else math.nan
        high = math.exp(log_value + z * se) if math.isfinite(se) else math.nan
        return Parameter(name, value, low, high, unit)

    if family == "exponential":
        return [interval(theta[0], cov[0, 0], "mean", "min")]
    if family in ("weibull", "gamma"):
        shape = interval(theta[0], cov[0, 0], "shape", "")
        scale = interval(theta[1], cov[1, 1], "scale", "min")
        return [shape, scale]
    mu, log_sigma = theta
    sigma2 = math.exp(2 * log_sigma)
    gradient = np.array([1.0, sigma2])  # d log(mean) / d (mu, log sigma)
    mean = interval(mu + sigma2 / 2, float(gradient @ cov @ gradient), "mean", "min")
    se = math.sqrt(cov[1, 1]) if cov[1, 1] >= 0 else math.nan

    def cv(log_s: float) -> float:
        return math.sqrt(math.expm1(math.exp(2 * log_s)))

    return [
        mean,
        Parameter("cv", cv(log_sigma), cv(log_sigma - z * se), cv(log_sigma + z * se), ""),
    ]


def _ks_distance(frozen: Any, sample: Sample) -> float:
    """Largest distance between the fitted CDF and the Kaplan-Meier estimate at failure times."""
    times, events = sample.lower_bounds()
    if not events.any():
        return math.nan
    result = stats.ecdf(stats.CensoredData.right_censored(np.maximum(times, 1e-9), ~events))
    at = np.unique(times[events])
    empirical = result.cdf.evaluate(at)
    before = result.cdf.evaluate(np.maximum(at - 1e-9 * np.maximum(at, 1), 0))
    fitted = frozen.cdf(at)
    return float(max(np.max(np.abs(fitted - empirical)), np.max(np.abs(fitted - before))))


def fit_family(family: str, sample: Sample, level: float = 0.95) -> FamilyFit | None:
    """One family fitted to ``sample``; None when scipy's optimiser finds no valid fit."""
    data = sample.censored_data()
    try:
        theta = _mle(family, data)
    except (stats.FitError, ValueError, RuntimeError):
        return None
    if not np.all(np.isfinite(theta)):
        return None

    def negative(t: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = -log_likelihood(_frozen(family, t), sample)
        return value if math.isfinite(value) else 1e300

    frozen = _frozen(family, theta)
    ll = -negative(theta)
    if ll <= -1e299:
        return None
    hessian = _hessian(negative, theta)
    try:
        cov = np.linalg.inv(hessian)
        if np.any(np.diag(cov) < 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        cov = np.full_like(hessian, np.nan)
    z = float(stats.norm.ppf(0.5 + level / 2))
    parameters = _parameters(family, theta, cov, z)
    k = len(theta)
    return FamilyFit(family, parameters, ll, 2 * k - 2 * ll, _ks_distance(frozen, sample), frozen)


def fit_durations(
    sample: Sample, families: Sequence[str] = FAMILIES, level: float = 0.95
) -> DurationFit:
    """Fit every candidate family that the sample supports; best AIC first.

    With fewer than :data:`MIN_FAILURES` exact observations nothing is fitted; with fewer than
    :data:`MIN_FAILURES_TWO_PARAMETERS` only the exponential (the note says so).
    """
    exact = len(sample.exact)
    if exact < MIN_FAILURES:
        return DurationFit(
            sample, [], f"too few to fit: {exact} observed (at least {MIN_FAILURES} needed)"
        )
    note = ""
    if exact < MIN_FAILURES_TWO_PARAMETERS:
        families = [f for f in families if f == "exponential"]
        note = (
            f"only {exact} observed: exponential only (two-parameter families need "
            f"{MIN_FAILURES_TWO_PARAMETERS})"
        )
    fits = [fit for family in families if (fit := fit_family(family, sample, level)) is not None]
    fits.sort(key=lambda f: f.aic)
    return DurationFit(sample, fits, note)
