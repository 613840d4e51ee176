"""Checks of the exact two-machine Markov reference against closed forms worked out by hand.

Closed forms used (K = capacity + 2, the largest value of n, so n takes K + 1 values):

* No failures: n is a birth-death chain on {0..K}, birth rate mu1 (n < K), death rate mu2
  (n >= 1). Detailed balance gives pi_n = pi_0 rho^n with rho = mu1 / mu2, so
  pi_0 = (1 - rho) / (1 - rho^(K + 1)) (pi_0 = 1 / (K + 1) when rho = 1) and the throughput is
  mu2 (1 - pi_0). For mu1 = mu2 = mu that is mu K / (K + 1) = mu (capacity + 2) / (capacity + 3).
* Huge store: each machine is isolated from the other, so the throughput tends to
  min(e1 mu1, e2 mu2) with efficiency e_i = 1 / (1 + p_i / r_i) (the fraction of operating time
  a machine with operation-dependent failures spends up: 1/p_i up per 1/r_i down).
* With failures, a direct event simulation of the physical rules (not of the generator) agrees
  within its statistical error.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference.markov_two_machine import (
    exact_throughput,
    exact_throughput_no_failures,
    states,
    stationary_distribution,
)


def geometric_throughput(mu1: float, mu2: float, capacity: int) -> float:
    """Hand-derived birth-death throughput mu2 (1 - pi_0) on n in {0..capacity + 2}."""
    k = capacity + 2
    weights = [(mu1 / mu2) ** n for n in range(k + 1)]
    return mu2 * (1.0 - weights[0] / sum(weights))


@pytest.mark.parametrize("capacity", [1, 2, 3, 7, 20])
@pytest.mark.parametrize("mu", [0.5, 1.0, 3.0])
def test_balanced_no_failures_closed_form(mu: float, capacity: int) -> None:
    k = capacity + 2
    expected = mu * k / (k + 1)
    assert exact_throughput_no_failures(mu, mu, capacity) == pytest.approx(expected, rel=1e-12)
    # the same line through the general entry point with zero failure rates
    assert exact_throughput(mu, mu, 0.0, 1.0, 0.0, 1.0, capacity) == pytest.approx(expected)


def test_balanced_no_failures_smallest_store_by_hand() -> None:
    # capacity 1: n in {0, 1, 2, 3} uniform, so M2 is busy 3/4 of the time
    assert exact_throughput_no_failures(2.0, 2.0, 1) == pytest.approx(1.5)


@pytest.mark.parametrize(("mu1", "mu2"), [(1.0, 2.0), (2.0, 1.0), (0.7, 0.9), (5.0, 0.3)])
@pytest.mark.parametrize("capacity", [1, 4, 15])
def test_unbalanced_no_failures_geometric(mu1: float, mu2: float, capacity: int) -> None:
    expected = geometric_throughput(mu1, mu2, capacity)
    assert exact_throughput_no_failures(mu1, mu2, capacity) == pytest.approx(expected, rel=1e-10)


def test_geometric_formula_by_hand() -> None:
    # mu1 = 1, mu2 = 2, capacity 3: K = 5, rho = 1/2, pi_0 = (1/2) / (1 - 2^-6) = 32/63
    assert geometric_throughput(1.0, 2.0, 3) == pytest.approx(2 * (1 - 32 / 63))
    assert exact_throughput_no_failures(1.0, 2.0, 3) == pytest.approx(2 * 31 / 63)


@pytest.mark.parametrize(
    ("mu1", "p1", "r1", "mu2", "p2", "r2"),
    [
        (1.0, 0.1, 1.0, 1.2, 0.5, 1.0),  # M2 the bottleneck: e2 mu2 = 0.8 < e1 mu1 = 0.909
        (1.5, 0.5, 1.0, 1.0, 0.1, 1.0),  # M1 the bottleneck: e1 mu1 = 1.0 > e2 mu2 = 0.909
        (2.0, 0.02, 0.1, 3.0, 0.3, 0.2),  # slow repairs
    ],
)
def test_huge_store_tends_to_isolated_bottleneck(
    mu1: float, p1: float, r1: float, mu2: float, p2: float, r2: float
) -> None:
    e1 = 1.0 / (1.0 + p1 / r1)
    e2 = 1.0 / (1.0 + p2 / r2)
    limit = min(e1 * mu1, e2 * mu2)
    big = exact_throughput(mu1, mu2, p1, r1, p2, r2, 200)
    assert big == pytest.approx(limit, rel=1e-3)
    assert big <= limit * (1 + 1e-9)
    assert exact_throughput(mu1, mu2, p1, r1, p2, r2, 5) < big


@pytest.mark.parametrize(
    "params",
    [
        (1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1),
        (1.0, 1.2, 0.1, 1.0, 0.5, 1.0, 3),
        (3.0, 0.5, 2.0, 0.1, 0.01, 5.0, 10),
        (0.2, 7.0, 0.0, 1.0, 4.0, 0.3, 2),
    ],
)
def test_probabilities_are_a_distribution(params: tuple[float, ...]) -> None:
    mu1, mu2, p1, r1, p2, r2, capacity = params
    space, pi = stationary_distribution(mu1, mu2, p1, r1, p2, r2, int(capacity))
    assert len(space) == len(pi) == len(set(space))
    assert np.all(pi >= -1e-12)
    assert pi.sum() == pytest.approx(1.0, abs=1e-12)
    # impossible combinations are not in the state space
    top = int(capacity) + 2
    assert all(s.a2 == 1 for s in space if s.n == 0)
    assert all(s.a1 == 1 for s in space if s.n == top)
    # flow balance: what M1 finishes, M2 finishes
    m1_rate = mu1 * sum(p for s, p in zip(space, pi, strict=True) if s.n < top and s.a1 == 1)
    thr = exact_throughput(mu1, mu2, p1, r1, p2, r2, int(capacity))
    assert m1_rate == pytest.approx(thr, rel=1e-9)


def test_state_count() -> None:
    # n = 0: 2 states (M1 up/down), n = 1..C+1: 4 states, n = C+2: 2 states (M2 up/down)
    for capacity in (1, 2, 9):
        assert len(states(capacity)) == 2 + 4 * (capacity + 1) + 2
        assert len(states(capacity, False, False)) == capacity + 3


rate = st.floats(min_value=0.1, max_value=10.0)
fail = st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=3.0))
repair = st.floats(min_value=0.05, max_value=5.0)


@settings(max_examples=60, deadline=None)
@given(mu1=rate, mu2=rate, p1=fail, r1=repair, p2=fail, r2=repair)
def test_throughput_non_decreasing_in_capacity(
    mu1: float, mu2: float, p1: float, r1: float, p2: float, r2: float
) -> None:
    values = [exact_throughput(mu1, mu2, p1, r1, p2, r2, c) for c in range(1, 9)]
    for smaller, larger in itertools.pairwise(values):
        assert larger >= smaller - 1e-9 * max(1.0, smaller)
    bound = min(mu1 / (1 + p1 / r1), mu2 / (1 + p2 / r2))
    assert 0 < values[-1] <= bound * (1 + 1e-9)


def simulate_line(
    mu1: float,
    mu2: float,
    p1: float,
    r1: float,
    p2: float,
    r2: float,
    capacity: int,
    events: int,
    seed: int,
) -> float:
    """Event-by-event simulation of the physical rules (competing exponential clocks)."""
    rng = random.Random(seed)
    store = 0  # rolls waiting for M2
    m1 = "work"  # work | down | blocked
    m2 = "idle"  # work | down | idle
    t = 0.0
    done = 0
    for _ in range(events):
        moves: list[tuple[float, str]] = []
        if m1 == "work":
            moves += [(mu1, "finish1"), (p1, "fail1")]
        elif m1 == "down":
            moves.append((r1, "repair1"))
        if m2 == "work":
            moves += [(mu2, "finish2"), (p2, "fail2")]
        elif m2 == "down":
            moves.append((r2, "repair2"))
        total = sum(rate for rate, _ in moves)
        t += rng.expovariate(total)
        pick = rng.random() * total
        what = moves[-1][1]
        for rate_, name in moves:
            if pick < rate_:
                what = name
                break
            pick -= rate_
        if what == "finish1":
            if m2 == "idle":
                m2 = "work"
            elif store < capacity:
                store += 1
            else:
                m1 = "blocked"
        elif what == "finish2":
            done += 1
            if store > 0:
                store -= 1
                if m1 == "blocked":
                    store += 1
                    m1 = "work"
            else:
                m2 = "idle"
        elif what == "fail1":
            m1 = "down"
        elif what == "repair1":
            m1 = "work"
        elif what == "fail2":
            m2 = "down"
        else:
            m2 = "work"
    return done / t


@pytest.mark.parametrize(
    "params",
    [(1.0, 1.1, 0.2, 1.0, 0.3, 0.8, 2), (2.0, 1.0, 0.5, 0.5, 0.05, 1.0, 1)],
)
def test_agrees_with_direct_simulation(params: tuple[float, ...]) -> None:
    mu1, mu2, p1, r1, p2, r2, capacity = params
    exact = exact_throughput(mu1, mu2, p1, r1, p2, r2, int(capacity))
    simulated = simulate_line(mu1, mu2, p1, r1, p2, r2, int(capacity), events=200_000, seed=7)
    assert simulated == pytest.approx(exact, rel=0.01)
