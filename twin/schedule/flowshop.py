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

Rows = list[list[int]]
"""The same as plain lists."""

DESTROYED = 4
"""Jobs removed and re-inserted in each iteration (Ruiz & Stützle's d), at least."""

DESTROYED_SPREAD = 4
"""Up to this many more jobs are removed, drawn anew each iteration (a wider shake now and then
gets out of the local optima that a fixed d keeps returning to)."""

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
    return _makespan(times.tolist(), order)


def _makespan(rows: Rows, order: Sequence[int]) -> int:
    finish = [0] * len(rows[0])
    for job in order:
        previous = 0
        for k, p in enumerate(rows[job]):
            previous = finish[k] = max(finish[k], previous) + p
    return finish[-1]


def best_insertion(times: Times, order: list[int], job: int) -> tuple[int, int]:
    """(position, makespan) of inserting ``job`` into ``order`` where the makespan is lowest.

    Taillard's acceleration: with ``e`` the completion of each prefix on each machine (heads)
    and ``q`` the time from each suffix's start to the end (tails), inserting ``job`` before
    position ``i`` ends at ``max_k (f[i][k] + q[i][k])`` where ``f[i][k] = max(f[i][k−1],
    e[i][k]) + p[k]``.
    """
    return _insert(times.tolist(), order, job)


def _insert(rows: Rows, order: list[int], job: int) -> tuple[int, int]:
    """:func:`best_insertion` on plain lists (for these sizes faster than numpy's calls)."""
    return _best_position(rows[job], _heads(rows, order), _tails(rows, order))


def _head_after(previous: list[int], times: list[int]) -> list[int]:
    """A job's completions on each machine after a prefix that completes at ``previous``."""
    finish, row = 0, []
    for before, p in zip(previous, times, strict=True):
        finish = (before if before > finish else finish) + p
        row.append(finish)
    return row


def _tail_before(following: list[int], times: list[int]) -> list[int]:
    """The time from a job's start on each machine to the end, before a suffix's ``following``."""
    machines = len(times)
    row, rest = [0] * machines, 0
    for k in range(machines - 1, -1, -1):
        after = following[k]
        rest = (after if after > rest else rest) + times[k]
        row[k] = rest
    return row


def _heads(rows: Rows, order: Sequence[int]) -> Rows:
    """``e[i]``: the completions of the first ``i`` jobs on each machine (``e[0]``: zeros)."""
    heads = [[0] * len(rows[0])]
    for job in order:
        heads.append(_head_after(heads[-1], rows[job]))
    return heads


def _tails(rows: Rows, order: Sequence[int]) -> Rows:
    """``q[i]``: from the start of the jobs from ``i`` on to the end (``q[n]``: zeros)."""
    tails = [[0] * len(rows[0])]
    for job in reversed(order):
        tails.append(_tail_before(tails[-1], rows[job]))
    tails.reverse()
    return tails


def _best_position(times: list[int], heads: Rows, tails: Rows) -> tuple[int, int]:
    """Where a job of ``times`` goes between ``heads[i]`` and ``tails[i]``, and the makespan."""
    best_position, best_value = 0, -1
    for i, (head, tail) in enumerate(zip(heads, tails, strict=True)):
        finish, value = 0, 0
        for before, after, p in zip(head, tail, times, strict=True):
            finish = (before if before > finish else finish) + p
            if finish + after > value:
                value = finish + after
        if best_value < 0 or value < best_value:
            best_position, best_value = i, value
    return best_position, best_value


def neh(times: Times) -> list[int]:
    """The NEH permutation: jobs by decreasing total time, each at its best position."""
    return _neh(times.tolist())


def _neh(rows: Rows) -> list[int]:
    jobs = sorted(range(len(rows)), key=lambda j: (-sum(rows[j]), j))
    order: list[int] = []
    for job in jobs:
        position, _ = _insert(rows, order, job)
        order.insert(position, job)
    return order


def _local_search(rows: Rows, order: list[int], value: int, rng: random.Random) -> int:
    """Move single jobs to their best positions until no move improves; the makespan after.

    Taking the job at position ``r`` out leaves the heads before ``r`` and the tails after it
    as they were: only the rest is computed again.
    """
    improved = True
    while improved:
        improved = False
        heads, tails = _heads(rows, order), _tails(rows, order)
        for job in rng.sample(order, len(order)):
            r = order.index(job)
            rest = order[:r] + order[r + 1 :]
            rest_heads = heads[: r + 1]
            for other in rest[r:]:
                rest_heads.append(_head_after(rest_heads[-1], rows[other]))
            rest_tails = tails[r + 1 :]
            for other in reversed(rest[:r]):
                rest_tails.insert(0, _tail_before(rest_tails[0], rows[other]))
            position, found = _best_position(rows[job], rest_heads, rest_tails)
            if found < value:
                rest.insert(position, job)
                order[:] = rest
                value = found
                improved = True
                heads, tails = _heads(rows, order), _tails(rows, order)
    return value


def iterated_greedy(
    times: Times, *, stop_at: float, seed: int = 0, start: list[int] | None = None
) -> tuple[list[int], int]:
    """The best permutation and makespan iterated greedy finds by ``stop_at`` (perf_counter)."""
    rng = random.Random(seed)
    rows = times.tolist()
    current = list(start) if start is not None else _neh(rows)
    value = _local_search(rows, current, _makespan(rows, current), rng)
    best, best_value = list(current), value
    temperature = TEMPERATURE * float(times.sum()) / (times.size * 10)
    while time.perf_counter() < stop_at:
        destroyed = DESTROYED + rng.randrange(DESTROYED_SPREAD + 1)
        removed = rng.sample(current, min(destroyed, len(current) - 1))
        candidate = [j for j in current if j not in removed]
        for job in removed:
            position, _ = _insert(rows, candidate, job)
            candidate.insert(position, job)
        found = _local_search(rows, candidate, _makespan(rows, candidate), rng)
        if found < value or rng.random() <= math.exp(-(found - value) / temperature):
            current, value = candidate, found
            if value < best_value:
                best, best_value = list(current), value
    return best, best_value
