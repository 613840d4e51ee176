"""Exact throughput of a two-machine, one-store line with unreliable exponential machines.

An independent reference model for validating the simulation engine: it imports nothing from
``twin`` or ``stations``. The line is solved as a continuous-time Markov chain (CTMC) by building
the generator ``Q`` with numpy and solving ``pi Q = 0``, ``sum(pi) = 1``.

The line
--------
* M1 is never starved (unlimited supply of rolls); M2 is never blocked (unlimited output).
* Processing times are Exponential(``mu1``) on M1 and Exponential(``mu2``) on M2.
* A store between them holds up to ``capacity`` rolls waiting for M2. The roll on M2 is not in
  the store.
* Blocking after service: when M1 finishes a roll and the store is full, M1 holds the finished
  roll and is blocked (it neither starts a new roll nor fails) until M2 takes a roll from the
  store; at that instant the held roll enters the store and M1 starts a new roll.
* M2 takes a roll as soon as it is idle and the store is non-empty.
* Operation-dependent failures: machine ``i`` fails at rate ``p_i`` only while processing, is
  repaired at rate ``r_i`` and then resumes the interrupted roll (memoryless, so the remaining
  time is again Exponential(``mu_i``)).

State space
-----------
``n`` counts rolls M1 has finished and M2 has not: the rolls in the store, plus the roll on M2,
plus a finished roll held by a blocked M1, so ``n`` ranges over ``0 .. capacity + 2``:

* ``n = 0``: M2 idle (starved), M1 processing.
* ``1 <= n <= capacity + 1``: both machines processing (``n - 1`` rolls in the store).
* ``n = capacity + 2``: store full, M2 processing, M1 blocked holding a finished roll.

Each machine is up (1) or down (0), but it can only be down where it could have been
processing: M2 is up when ``n = 0`` and M1 is up when ``n = capacity + 2``. A machine with
``p_i = 0`` is always up and its down states are left out (they would be unreachable).

Transitions (``a1``, ``a2`` are the up/down flags):

* M1 finishes a roll, rate ``mu1`` if ``a1 = 1`` and ``n <= capacity + 1``: ``n -> n + 1``.
* M1 fails, rate ``p1`` if ``a1 = 1`` and ``n <= capacity + 1``; is repaired at rate ``r1``.
* M2 finishes a roll, rate ``mu2`` if ``a2 = 1`` and ``n >= 1``: ``n -> n - 1``.
* M2 fails, rate ``p2`` if ``a2 = 1`` and ``n >= 1``; is repaired at rate ``r2``.

Throughput is ``mu2 * P(n >= 1, a2 = 1)``; by flow balance it equals
``mu1 * P(n <= capacity + 1, a1 = 1)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "State",
    "exact_throughput",
    "exact_throughput_no_failures",
    "generator_matrix",
    "states",
    "stationary_distribution",
]


class State(NamedTuple):
    """One CTMC state: ``n`` rolls between the machines, and each machine up (1) or down (0)."""

    n: int
    a1: int
    a2: int


def _check(mu1: float, mu2: float, p1: float, r1: float, p2: float, r2: float, capacity: int):
    if not (mu1 > 0 and mu2 > 0):
        raise ValueError("processing rates mu1 and mu2 must be positive")
    if p1 < 0 or p2 < 0:
        raise ValueError("failure rates p1 and p2 must be non-negative")
    if (p1 > 0 and not r1 > 0) or (p2 > 0 and not r2 > 0):
        raise ValueError("a machine that can fail needs a positive repair rate")
    if int(capacity) != capacity or capacity < 1:
        raise ValueError("capacity must be an integer >= 1")


def states(capacity: int, m1_can_fail: bool = True, m2_can_fail: bool = True) -> list[State]:
    """All reachable states of the chain for a store of ``capacity`` rolls."""
    top = capacity + 2
    up1 = (1, 0) if m1_can_fail else (1,)
    up2 = (1, 0) if m2_can_fail else (1,)
    result: list[State] = []
    for n in range(top + 1):
        for a1 in up1 if n < top else (1,):  # a blocked M1 cannot be down
            for a2 in up2 if n > 0 else (1,):  # a starved M2 cannot be down
                result.append(State(n, a1, a2))
    return result


def generator_matrix(
    mu1: float, mu2: float, p1: float, r1: float, p2: float, r2: float, capacity: int
) -> tuple[list[State], np.ndarray]:
    """The states and the generator ``Q`` (rows sum to zero) of the two-machine line."""
    _check(mu1, mu2, p1, r1, p2, r2, capacity)
    space = states(capacity, p1 > 0, p2 > 0)
    index = {s: i for i, s in enumerate(space)}
    top = capacity + 2
    q = np.zeros((len(space), len(space)))

    def add(src: State, dst: State, rate: float) -> None:
        if rate > 0:
            q[index[src], index[dst]] += rate

    for s in space:
        n, a1, a2 = s
        m1_working = n < top  # M1 processing (or down in the middle of a roll)
        m2_working = n > 0  # M2 processing (or down in the middle of a roll)
        if m1_working and a1 == 1:
            add(s, State(n + 1, 1, a2), mu1)
            add(s, State(n, 0, a2), p1)
        if m1_working and a1 == 0:
            add(s, State(n, 1, a2), r1)
        if m2_working and a2 == 1:
            add(s, State(n - 1, a1, 1), mu2)
            add(s, State(n, a1, 0), p2)
        if m2_working and a2 == 0:
            add(s, State(n, a1, 1), r2)
    q[np.diag_indices_from(q)] = -q.sum(axis=1)
    return space, q


def stationary_distribution(
    mu1: float, mu2: float, p1: float, r1: float, p2: float, r2: float, capacity: int
) -> tuple[list[State], np.ndarray]:
    """The states and the stationary probabilities ``pi`` with ``pi Q = 0`` and ``sum(pi) = 1``.

    The chain is irreducible on :func:`states`, so one balance equation is redundant; it is
    replaced by the normalisation and the square system is solved directly.
    """
    space, q = generator_matrix(mu1, mu2, p1, r1, p2, r2, capacity)
    a = q.T.copy()
    a[-1, :] = 1.0
    b = np.zeros(len(space))
    b[-1] = 1.0
    pi = np.linalg.solve(a, b)
    return space, pi


def exact_throughput(
    mu1: float, mu2: float, p1: float, r1: float, p2: float, r2: float, capacity: int
) -> float:
    """Exact long-run throughput (rolls per unit time): ``mu2 * P(M2 processing and up)``.

    Args:
        mu1: M1 processing rate (1 / mean processing time).
        mu2: M2 processing rate.
        p1: M1 failure rate while processing (0 for a reliable machine).
        r1: M1 repair rate.
        p2: M2 failure rate while processing.
        r2: M2 repair rate.
        capacity: rolls the store holds, excluding the roll on M2 (>= 1).
    """
    space, pi = stationary_distribution(mu1, mu2, p1, r1, p2, r2, capacity)
    busy2 = sum(p for s, p in zip(space, pi, strict=True) if s.n >= 1 and s.a2 == 1)
    return float(mu2 * busy2)


def exact_throughput_no_failures(mu1: float, mu2: float, capacity: int) -> float:
    """Exact throughput of the same line with two perfectly reliable machines."""
    return exact_throughput(mu1, mu2, 0.0, 0.0, 0.0, 0.0, capacity)
