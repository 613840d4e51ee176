"""Probability distributions of durations (minutes): process times, time to failure, time to repair.

Each distribution is a small pydantic model tagged by ``dist``. It knows its mean (for static
capacity and availability) and draws samples from a ``numpy.random.Generator`` that the caller owns,
so every random stream stays reproducible (DESIGN.md, randomness). :meth:`remaining` draws what
is left of a duration that has already lasted a while (a tool's time to failure when the plant's
state says how long it has run since its last failure): a draw of ``T - age`` given ``T > age``.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from stations.units import Duration, PositiveDuration


class _Distribution(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def mean(self) -> float:
        """The mean in minutes."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator) -> float:
        """One draw in minutes."""
        raise NotImplementedError

    def remaining(self, rng: np.random.Generator, age: float) -> float:
        """One draw of what is left, ``T - age`` given ``T > age`` (minutes, >= 0).

        By inverting the conditional distribution where it has a closed form; the base class
        draws until a value exceeds ``age`` (at most 1000 draws, then nothing is left).
        """
        if age <= 0:
            return self.sample(rng)
        for _ in range(1000):
            value = self.sample(rng)
            if value > age:
                return value - age
        return 0.0


class Fixed(_Distribution):
    """Always the same value."""

    dist: Literal["fixed"] = "fixed"
    value: Duration = Field(description="The value, minutes (or '8h').")

    def mean(self) -> float:
        """The mean in minutes."""
        return self.value

    def sample(self, rng: np.random.Generator) -> float:
        """One draw in minutes."""
        return self.value

    def remaining(self, rng: np.random.Generator, age: float) -> float:
        """What is left of the value after ``age`` (nothing once it has passed)."""
        return max(self.value - max(age, 0.0), 0.0)


class Exponential(_Distribution):
    """Memoryless: constant hazard rate 1/mean."""

    dist: Literal["exponential"] = "exponential"
    mean_: PositiveDuration = Field(alias="mean", description="The mean, minutes (or '8h').")
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    def mean(self) -> float:
        """The mean in minutes."""
        return self.mean_

    def sample(self, rng: np.random.Generator) -> float:
        """One draw in minutes."""
        return float(rng.exponential(self.mean_))

    def remaining(self, rng: np.random.Generator, age: float) -> float:
        """Memoryless: what is left is a fresh draw."""
        return self.sample(rng)


class Weibull(_Distribution):
    """Weibull with a shape (β > 1: wear-out, β < 1: infant mortality) and a scale η in minutes."""

    dist: Literal["weibull"] = "weibull"
    shape: float = Field(ge=0.1, le=50, description="Shape parameter β, dimensionless.")
    scale: PositiveDuration = Field(description="Scale parameter η, minutes (or '8h').")

    def mean(self) -> float:
        """The mean in minutes: η·Γ(1 + 1/β)."""
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)

    def sample(self, rng: np.random.Generator) -> float:
        """One draw in minutes."""
        return float(self.scale * rng.weibull(self.shape))

    def remaining(self, rng: np.random.Generator, age: float) -> float:
        """By inversion: S(age + r) / S(age) = U with S(t) = exp(-(t/η)^β)."""
        if age <= 0:
            return self.sample(rng)
        u = 1.0 - rng.random()  # in (0, 1]
        total = self.scale * ((age / self.scale) ** self.shape - math.log(u)) ** (1 / self.shape)
        return max(total - age, 0.0)


class Lognormal(_Distribution):
    """Lognormal given by its mean and coefficient of variation (standard deviation / mean)."""

    dist: Literal["lognormal"] = "lognormal"
    mean_: PositiveDuration = Field(alias="mean", description="The mean, minutes (or '8h').")
    cv: float = Field(gt=0, le=10, description="Coefficient of variation, dimensionless.")
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    def mean(self) -> float:
        """The mean in minutes."""
        return self.mean_

    def sample(self, rng: np.random.Generator) -> float:
        """One draw in minutes."""
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean_) - sigma2 / 2
        return float(rng.lognormal(mu, math.sqrt(sigma2)))

    def remaining(self, rng: np.random.Generator, age: float) -> float:
        """By inversion of the normal distribution of log T above log(age)."""
        if age <= 0:
            return self.sample(rng)
        sigma2 = math.log1p(self.cv**2)
        normal = NormalDist(math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2))
        below = normal.cdf(math.log(age))
        p = below + (1.0 - below) * rng.random()
        if p >= 1.0 - 1e-15:  # far in the tail: the hazard has fallen to about nothing
            p = 1.0 - 1e-15
        return max(math.exp(normal.inv_cdf(p)) - age, 0.0)


class Gamma(_Distribution):
    """Gamma with a shape k and a scale θ in minutes (mean kθ; k = 1 is the exponential)."""

    dist: Literal["gamma"] = "gamma"
    shape: float = Field(ge=0.05, le=1000, description="Shape parameter k, dimensionless.")
    scale: PositiveDuration = Field(description="Scale parameter θ, minutes (or '8h').")

    def mean(self) -> float:
        """The mean in minutes: kθ."""
        return self.shape * self.scale

    def sample(self, rng: np.random.Generator) -> float:
        """One draw in minutes."""
        return float(rng.gamma(self.shape, self.scale))

    def remaining(self, rng: np.random.Generator, age: float) -> float:
        """Draws above ``age``, or deep in the tail an exponential with mean θ.

        The gamma's tail has no closed-form inverse; where draws above ``age`` are too rare to
        wait for, its hazard has settled at about 1/θ.
        """
        if age <= 0:
            return self.sample(rng)
        for _ in range(1000):
            value = self.sample(rng)
            if value > age:
                return value - age
        return float(rng.exponential(self.scale))


class Uniform(_Distribution):
    """Uniform between ``low`` and ``high``."""

    dist: Literal["uniform"] = "uniform"
    low: Duration = Field(description="Lower bound, minutes.")
    high: Duration = Field(description="Upper bound, minutes.")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self

    def mean(self) -> float:
        """The mean in minutes."""
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator) -> float:
        """One draw in minutes."""
        return float(rng.uniform(self.low, self.high))

    def remaining(self, rng: np.random.Generator, age: float) -> float:
        """Uniform between ``max(low, age)`` and ``high``, less ``age``."""
        if age >= self.high:
            return 0.0
        return float(rng.uniform(max(self.low, age), self.high)) - max(age, 0.0)


class Triangular(_Distribution):
    """Triangular with a lower bound, a mode and an upper bound."""

    dist: Literal["triangular"] = "triangular"
    low: Duration = Field(description="Lower bound, minutes.")
    mode: Duration = Field(description="Most likely value, minutes.")
    high: Duration = Field(description="Upper bound, minutes.")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("must satisfy low <= mode <= high with low < high")
        return self

    def mean(self) -> float:
        """The mean in minutes."""
        return (self.low + self.mode + self.high) / 3

    def sample(self, rng: np.random.Generator) -> float:
        """One draw in minutes."""
        return float(rng.triangular(self.low, self.mode, self.high))

    def remaining(self, rng: np.random.Generator, age: float) -> float:
        """Draws above ``age`` (nothing is left once ``age`` reaches ``high``)."""
        if age >= self.high:
            return 0.0
        return super().remaining(rng, age)


Distribution = Annotated[
    Fixed | Exponential | Weibull | Lognormal | Gamma | Uniform | Triangular,
    Field(discriminator="dist"),
]
"""A duration distribution, chosen by its ``dist`` tag."""
