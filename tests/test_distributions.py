"""Duration distributions: means against their formulas, seeded sampling, parsing by tag.

Means and variances are computed here from the textbook formulas (math.gamma for the Weibull), not
taken from the code under test. A sample mean of N draws lies within z·σ/√N of the true mean with
99.9 % confidence, z = 3.2905 (two-sided normal quantile).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from stations.distributions import (
    Distribution,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
    Weibull,
)

Z_999 = 3.2905  # two-sided 99.9 % normal quantile
DRAWS = 40_000
PROPERTY = settings(max_examples=60, deadline=None)


def weibull_moments(shape: float, scale: float) -> tuple[float, float]:
    # mean η Γ(1 + 1/β); variance η² (Γ(1 + 2/β) − Γ(1 + 1/β)²)
    g1 = math.gamma(1 + 1 / shape)
    g2 = math.gamma(1 + 2 / shape)
    return scale * g1, scale**2 * (g2 - g1**2)


# (distribution, mean by hand, variance by hand)
CASES = [
    pytest.param(Fixed(value=42), 42.0, 0.0, id="fixed"),
    # exponential: mean m, variance m²
    pytest.param(Exponential(mean=30), 30.0, 30.0**2, id="exponential"),
    # β = 1.5, η = 100: mean 100 Γ(5/3) ≈ 90.27
    pytest.param(Weibull(shape=1.5, scale=100), *weibull_moments(1.5, 100), id="weibull-wearout"),
    # β = 0.7 (infant mortality), η = 60 min
    pytest.param(Weibull(shape=0.7, scale=60), *weibull_moments(0.7, 60), id="weibull-infant"),
    # lognormal by mean and cv: sd = cv × mean = 0.5 × 20 = 10
    pytest.param(Lognormal(mean=20, cv=0.5), 20.0, (0.5 * 20) ** 2, id="lognormal"),
    # gamma k = 3, θ = 15: mean kθ = 45, variance kθ² = 675
    pytest.param(Gamma(shape=3, scale=15), 45.0, 3 * 15.0**2, id="gamma"),
    # uniform 10..40: mean 25, variance 30²/12 = 75
    pytest.param(Uniform(low=10, high=40), 25.0, 30.0**2 / 12, id="uniform"),
    # triangular 10, 15, 35: mean 60/3 = 20;
    # variance (a² + b² + c² − ab − ac − bc)/18 = (100 + 225 + 1225 − 150 − 350 − 525)/18 = 525/18
    pytest.param(Triangular(low=10, mode=15, high=35), 20.0, 525 / 18, id="triangular"),
]


@pytest.mark.parametrize(("dist", "mean", "variance"), CASES)
def test_mean_matches_formula(dist, mean: float, variance: float) -> None:
    assert dist.mean() == pytest.approx(mean)


def test_weibull_mean_by_hand() -> None:
    # β = 2, η = 100: Γ(1.5) = √π / 2 = 0.886227 → mean 88.62 min
    assert Weibull(shape=2, scale=100).mean() == pytest.approx(100 * math.sqrt(math.pi) / 2)
    # β = 1 is the exponential: η Γ(2) = η
    assert Weibull(shape=1, scale=75).mean() == pytest.approx(75)


@pytest.mark.parametrize(("dist", "mean", "variance"), CASES)
def test_sample_mean_within_999_confidence_bound(dist, mean: float, variance: float) -> None:
    rng = np.random.default_rng(20261207)
    draws = np.array([dist.sample(rng) for _ in range(DRAWS)])
    bound = Z_999 * math.sqrt(variance / DRAWS)
    assert abs(draws.mean() - mean) <= bound + 1e-12


@pytest.mark.parametrize(("dist", "mean", "variance"), CASES)
def test_samples_lie_in_the_support(dist, mean: float, variance: float) -> None:
    rng = np.random.default_rng(7)
    draws = [dist.sample(rng) for _ in range(2000)]
    assert all(isinstance(x, float) for x in draws)
    assert min(draws) >= 0  # durations are never negative
    if isinstance(dist, Uniform | Triangular):
        assert dist.low <= min(draws) <= max(draws) <= dist.high


def test_lognormal_sample_spread_matches_cv() -> None:
    # sd of the draws ≈ cv × mean = 0.5 × 20 = 10; the sample sd of 40 000 lognormal draws is
    # well within 5 % of it at this cv
    rng = np.random.default_rng(11)
    dist = Lognormal(mean=20, cv=0.5)
    draws = np.array([dist.sample(rng) for _ in range(DRAWS)])
    assert draws.std() == pytest.approx(10, rel=0.05)


@pytest.mark.parametrize(("dist", "mean", "variance"), CASES)
def test_same_seed_gives_same_draws(dist, mean: float, variance: float) -> None:
    a = np.random.default_rng(123)
    b = np.random.default_rng(123)
    assert [dist.sample(a) for _ in range(50)] == [dist.sample(b) for _ in range(50)]


@pytest.mark.parametrize(("dist", "mean", "variance"), CASES[1:])
def test_different_seeds_give_different_draws(dist, mean: float, variance: float) -> None:
    a = np.random.default_rng(1)
    b = np.random.default_rng(2)
    assert [dist.sample(a) for _ in range(20)] != [dist.sample(b) for _ in range(20)]


@PROPERTY
@given(
    shape=st.floats(min_value=0.2, max_value=50),
    scale=st.floats(min_value=0.01, max_value=1e6),
)
def test_weibull_mean_property(shape: float, scale: float) -> None:
    assert Weibull(shape=shape, scale=scale).mean() == pytest.approx(
        scale * math.gamma(1 + 1 / shape)
    )


@PROPERTY
@given(
    low=st.floats(min_value=0, max_value=1e4),
    width_1=st.floats(min_value=0, max_value=1e4),
    width_2=st.floats(min_value=0.001, max_value=1e4),
)
def test_triangular_and_uniform_means_property(low: float, width_1: float, width_2: float) -> None:
    mode, high = low + width_1, low + width_1 + width_2
    assert Triangular(low=low, mode=mode, high=high).mean() == pytest.approx(
        (low + mode + high) / 3
    )
    assert Uniform(low=low, high=high).mean() == pytest.approx((low + high) / 2)


def test_distributions_parse_by_tag_with_durations() -> None:
    adapter = TypeAdapter(Distribution)
    weibull = adapter.validate_python({"dist": "weibull", "shape": 2, "scale": "8h"})
    assert weibull == Weibull(shape=2, scale=480)
    assert adapter.validate_python({"dist": "exponential", "mean": "90h"}).mean() == 90 * 60
    assert adapter.validate_python({"dist": "fixed", "value": "90s"}).mean() == pytest.approx(1.5)
    # 0.5 h .. 1.5 h: mean 1 h = 60 min
    uniform = adapter.validate_python({"dist": "uniform", "low": "30min", "high": "1.5h"})
    assert uniform.mean() == pytest.approx(60)


@pytest.mark.parametrize(
    "bad",
    [
        {"dist": "beta", "mean": 5},
        {"dist": "gamma", "shape": 2},
        {"dist": "gamma", "shape": 0.01, "scale": 10},
        {"dist": "exponential", "mean": 0},
        {"dist": "exponential", "mean": "soon"},
        {"dist": "weibull", "shape": 0, "scale": 10},
        {"dist": "uniform", "low": 10, "high": 5},
        {"dist": "triangular", "low": 10, "mode": 20, "high": 15},
        {"dist": "triangular", "low": 10, "mode": 10, "high": 10},
        {"dist": "lognormal", "mean": 10, "cv": 0},
        {"dist": "fixed", "value": 5, "spread": 1},
    ],
)
def test_invalid_distributions_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Distribution).validate_python(bad)


# ------------------------------------------------------------------ what is left after an age
def _left_by_rejection(dist, age: float, n: int, seed: int) -> np.ndarray:
    """T - age for draws of T above ``age``: the definition, drawn the slow way."""
    rng = np.random.default_rng(seed)
    kept: list[float] = []
    while len(kept) < n:
        draws = np.array([dist.sample(rng) for _ in range(4 * n)])
        kept += list(draws[draws > age] - age)
    return np.array(kept[:n])


@pytest.mark.parametrize(
    ("dist", "age"),
    [
        (Weibull(shape=2, scale=100), 60.0),
        (Weibull(shape=0.7, scale=60), 30.0),
        (Lognormal(mean=20, cv=0.5), 25.0),
        (Gamma(shape=3, scale=15), 40.0),
        (Uniform(low=10, high=40), 25.0),
        (Triangular(low=10, mode=15, high=35), 20.0),
    ],
    ids=["weibull-wearout", "weibull-infant", "lognormal", "gamma", "uniform", "triangular"],
)
def test_what_is_left_after_an_age_is_drawn_from_the_conditional_law(dist, age: float) -> None:
    rng = np.random.default_rng(7)
    left = np.array([dist.remaining(rng, age) for _ in range(8000)])
    reference = _left_by_rejection(dist, age, 8000, 11)
    assert (left >= 0).all()
    # two samples of one law: their quartiles agree within a few percent of the spread
    spread = np.percentile(reference, 90) - np.percentile(reference, 10)
    for q in (10, 25, 50, 75, 90):
        assert abs(np.percentile(left, q) - np.percentile(reference, q)) < 0.05 * spread, q


def test_a_weibull_residual_life_matches_its_survival_by_hand() -> None:
    # P(left > r | age a) = exp(-((a + r)/η)^β + (a/η)^β); β = 2, η = 100, a = 60
    dist = Weibull(shape=2, scale=100)
    rng = np.random.default_rng(3)
    left = np.array([dist.remaining(rng, 60.0) for _ in range(DRAWS)])
    for r in (10.0, 30.0, 60.0):
        p = math.exp(-(((60 + r) / 100) ** 2) + 0.6**2)
        bound = Z_999 * math.sqrt(p * (1 - p) / DRAWS)
        assert abs((left > r).mean() - p) < bound, r


def test_memoryless_and_fixed_residual_lives() -> None:
    rng = np.random.default_rng(5)
    left = [Exponential(mean=30).remaining(rng, 500.0) for _ in range(DRAWS)]
    assert abs(np.mean(left) - 30) < Z_999 * 30 / math.sqrt(DRAWS)  # the mean is still 30
    assert Fixed(value=120).remaining(rng, 90) == 30
    assert Fixed(value=120).remaining(rng, 200) == 0
    assert Uniform(low=10, high=40).remaining(rng, 50) == 0
