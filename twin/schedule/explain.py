"""Why a scheduling problem has no solution: which job, and which constraint.

CP-SAT's bare INFEASIBLE names nothing. Each job is tried alone: a job that cannot be scheduled
even alone is at fault, and relaxing its constraints one kind at a time says which (its maximum
waits, an operation that fits no gap in its machines' calendars, or one that alone takes a usage
counter past its limit). If every job fits alone, the jobs only conflict together, and the
explanation says so.
"""

from __future__ import annotations

import time
from dataclasses import replace

from twin.schedule.problem import Job, Problem
from twin.schedule.solve import solve

ALONE_LIMIT_S = 2.0
"""Seconds to try each job alone (a single job solves in milliseconds)."""


def _feasible(problem: Problem, job: Job, seconds: float = ALONE_LIMIT_S) -> bool:
    stores = tuple(
        replace(store, waits=tuple(w for w in store.waits if w[0] == job.id))
        for store in problem.stores
    )
    alone = replace(problem, jobs=(job,), permutation=False, choices=(), frozen={}, stores=stores)
    # Only a proof counts against a job: a search cut short by its time limit says nothing.
    return solve(alone, "makespan", time_limit_s=seconds, workers=1).status != "INFEASIBLE"


def _no_gap(problem: Problem, job: Job) -> list[str]:
    """Operations longer than every gap between their machines' unavailable windows."""
    messages = []
    for operation in job.operations:
        fits = False
        for machine_id, minutes in operation.eligible.items():
            windows = problem.machine[machine_id].unavailable
            edges = [0] + [end for _, end in windows]
            starts = [start for start, _ in windows] + [problem.horizon or 2**62]
            if any(b - a >= minutes for a, b in zip(edges, starts, strict=True)):
                fits = True
        if not fits:
            machines = ", ".join(operation.eligible)
            messages.append(
                f"job {job.id!r}: operation {operation.id!r} needs "
                f"{min(operation.eligible.values())} time units, more than any gap between the "
                f"unavailable windows of {machines}"
            )
    return messages


def _over_limit(problem: Problem, job: Job) -> list[str]:
    """Operations that alone take a usage counter past its limit on every eligible machine."""
    messages = []
    for operation in job.operations:
        overruns = [
            (machine_id, f"{amount} to {limit.counter} on {machine_id} (limit {limit.limit})")
            for machine_id in operation.eligible
            for limit in problem.machine[machine_id].usage_limits
            if (amount := operation.usage.get(limit.counter, 0)) > limit.limit
        ]
        if {machine_id for machine_id, _ in overruns} == set(operation.eligible):
            added = "; ".join(text for _, text in overruns)
            messages.append(
                f"job {job.id!r}: operation {operation.id!r} alone adds {added}, "
                "and maintenance resets a counter only between operations"
            )
    return messages


def explain(problem: Problem, *, stop_at: float | None = None) -> list[str]:
    """Plain sentences saying which jobs cannot be scheduled and because of what.

    ``stop_at`` (a :func:`time.perf_counter` time) ends the search for culprits; the last
    sentence then says how far it got.
    """
    messages: list[str] = []
    for number, job in enumerate(problem.jobs):
        left = ALONE_LIMIT_S if stop_at is None else stop_at - time.perf_counter()
        if left <= 0:
            messages.append(
                f"(the explanation stopped at the time limit, after {number} of "
                f"{len(problem.jobs)} jobs)"
            )
            return messages
        if _feasible(problem, job, min(left, ALONE_LIMIT_S)):
            continue
        gaps = _no_gap(problem, job) + _over_limit(problem, job)
        if gaps:
            messages += gaps
        elif job.max_lag is not None and _feasible(problem, replace(job, max_lag=None)):
            limits = [lag for lag in job.max_lag if lag is not None]
            messages.append(
                f"job {job.id!r}: its maximum waits between steps ({', '.join(map(str, limits))} "
                "time units) cannot be met together with its machines' unavailable windows"
            )
        elif problem.horizon is not None:
            messages.append(
                f"job {job.id!r}: cannot finish by the horizon {problem.horizon} even alone "
                f"(released at {job.release})"
            )
        else:
            messages.append(f"job {job.id!r}: cannot be scheduled even alone")
    if not messages:
        messages.append(
            "every job can be scheduled alone; together they conflict (machine calendars, "
            "maximum waits or the horizon leave no room for all of them)"
        )
    return messages
