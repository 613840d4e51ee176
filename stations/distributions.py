"""Probability distributions of durations (minutes): process times, time to failure, time to repair.

Each distribution is a small pydantic model tagged by ``dist``. It knows its mean (for static
capacity and availability) and draws samples from a ``numpy.random.Generator`` that the caller owns,
so every random stream stays reproducible (DESIGN.md, randomness).
"""

from __future__ import annotations

import math
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


Distribution = Annotated[
    Fixed | Exponential | Weibull | Lognormal | Uniform | Triangular,
    Field(discriminator="dist"),
]
"""A duration distribution, chosen by its ``dist`` tag."""
