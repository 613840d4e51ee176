"""Permutation flow shops: the NEH heuristic and iterated greedy, as starts for CP-SAT.

In a permutation flow shop every job visits machines ``0 .. m−1`` in order and every machine
takes the jobs in one common order, so a schedule is a permutation. NEH (Nawaz, Enscore & Ham
1983) inserts the jobs, longest total time first, each at the position that keeps the partial
makespan lowest. Iterated greedy (Ruiz & Stützle 2007) then repeats: remove a few jobs at random,
put each back at its best position, improve by moving single jobs, and accept the result if it is
better (or, with a probability that falls with how much worse it is, even if not). Insertions
use Taillard's (1990) acceleration: the makespans of inserting a job at every position come from
the heads and tails of the partial sequence in ``O(n·m)``.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from twin.schedule.problem import Problem

Times = NDArray[np.int64]
"""Processing times, one row per job, one column per machine."""

DESTROYED = 4
"""Jobs removed and re-inserted in each iteration (Ruiz & Stützle's d)."""

TEMPERATURE = 0.4
"""Acceptance temperature factor (their T): T = TEMPERATURE × mean processing time / 10."""


def flow_shop_times(problem: Problem) -> Times | None:
    """The processing times of a plain permutation flow shop, or ``None`` if it is not one.

    Plain: each job visits the same machines in the same order, one machine per operation, with
    no setups, releases, due-date limits, windows, stores, lags or usage limits.
    """
    if not problem.permutation or problem.setups.times or problem.stores or problem.choices:
        return None
    if problem.frozen or any(m.unavailable or m.usage_limits for m in problem.machines):
        return None
    routes = set()
    rows = []
    for job in problem.jobs:
        if job.release or job.deadline is not None or job.max_lag is not None:
            return None
        if any(len(op.eligible) != 1 for op in job.operations):
            return None
        routes.add(tuple(next(iter(op.eligible)) for op in job.operations))
        rows.append([op.shortest for op in job.operations])
    if len(routes) != 1:
        return None
    return np.array(rows, dtype=np.int64)


def makespan(times: Times, order: Sequence[int]) -> int:
    """The makespan of the jobs in ``order``."""
    finish = np.zeros(times.shape[1], dtype=np.int64)
    for job in order:
        finish = _row_after(finish, times[job])
    return int(finish[-1])


def _row_after(previous: NDArray[np.int64], times: NDArray[np.int64]) -> NDArray[np.int64]:
    """Completion times on every machine of a job after one that completes at ``previous``.

    ``c[k] = max(c[k−1], previous[k]) + p[k]``, as a running maximum over cumulative sums.
    """
    total = np.cumsum(times)
    shifted = previous - np.concatenate(([0], total[:-1]))
    return np.maximum.accumulate(shifted) + total


def _heads(times: Times, order: Sequence[int]) -> NDArray[np.int64]:
    """``e[i]``: completion of the first ``i`` jobs on each machine (row 0: zeros)."""
    heads = np.zeros((len(order) + 1, times.shape[1]), dtype=np.int64)
    for i, job in enumerate(order, 1):
        heads[i] = _row_after(heads[i - 1], times[job])
    return heads


def _tails(times: Times, order: Sequence[int]) -> NDArray[np.int64]:
    """``q[i]``: time from the start of job ``i`` on each machine to the end (row n: zeros)."""
    reversed_times = times[:, ::-1]
    tails = np.zeros((len(order) + 1, times.shape[1]), dtype=np.int64)
    for i in range(len(order) - 1, -1, -1):
        tails[i] = _row_after(tails[i + 1][::-1], reversed_times[order[i]])[::-1]
    return tails


def best_insertion(times: Times, order: list[int], job: int) -> tuple[int, int]:
    """(position, makespan) of inserting ``job`` into ``order`` where the makespan is lowest."""
    heads, tails = _heads(times, order), _tails(times, order)
    p = times[job]
    inserted = np.empty_like(heads)
    inserted[:, 0] = heads[:, 0] + p[0]
    for k in range(1, times.shape[1]):
        inserted[:, k] = np.maximum(inserted[:, k - 1], heads[:, k]) + p[k]
    spans = (inserted + tails).max(axis=1)
    position = int(np.argmin(spans))
    return position, int(spans[position])


def neh(times: Times) -> list[int]:
    """The NEH permutation: jobs by decreasing total time, each at its best position."""
    jobs = sorted(range(len(times)), key=lambda j: (-int(times[j].sum()), j))
    order: list[int] = []
    for job in jobs:
        position, _ = best_insertion(times, order, job)
        order.insert(position, job)
    return order


def _local_search(times: Times, order: list[int], value: int, rng: random.Random) -> int:
    """Move single jobs to their best positions until no move improves; the makespan after."""
    improved = True
    while improved:
        improved = False
        for job in rng.sample(order, len(order)):
            rest = [j for j in order if j != job]
            position, found = best_insertion(times, rest, job)
            if found < value:
                rest.insert(position, job)
                order[:] = rest
                value = found
                improved = True
    return value


def iterated_greedy(
    times: Times, *, stop_at: float, seed: int = 0, start: list[int] | None = None
) -> tuple[list[int], int]:
    """The best permutation and makespan iterated greedy finds by ``stop_at`` (perf_counter)."""
    rng = random.Random(seed)
    current = list(start) if start is not None else neh(times)
    value = _local_search(times, current, makespan(times, current), rng)
    best, best_value = list(current), value
    temperature = TEMPERATURE * float(times.sum()) / (times.size * 10)
    while time.perf_counter() < stop_at:
        removed = rng.sample(current, min(DESTROYED, len(current) - 1))
        candidate = [j for j in current if j not in removed]
        for job in removed:
            position, _ = best_insertion(times, candidate, job)
            candidate.insert(position, job)
        found = _local_search(times, candidate, makespan(times, candidate), rng)
        if found < value or rng.random() <= math.exp(-(found - value) / temperature):
            current, value = candidate, found
            if value < best_value:
                best, best_value = list(current), value
    return best, best_value
