"""Large-neighbourhood search over time windows, for problems too large for one CP-SAT model.

Starting from a schedule, jobs are taken in the order they start, a window of consecutive jobs at
a time (windows overlap by half). Each window's jobs are re-solved by CP-SAT with everything else
held where it is (:func:`twin.schedule.decompose.neighbourhood`), and the result replaces them when
it is no worse. A sweep that improves nothing widens the windows. A window whose sub-problem was
proven optimal is not solved again until something around it changes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from twin.schedule.check import violations
from twin.schedule.cpsat import solve_stages
from twin.schedule.criteria import Criterion, Objective
from twin.schedule.decompose import neighbourhood
from twin.schedule.model.windows import operation_spans
from twin.schedule.problem import Problem
from twin.schedule.solution import Solution, build_solution

WINDOW_JOBS = 12
"""Jobs in the first sweep's windows."""

WIDEST_WINDOW = 96
"""Windows widen (×1.5 after a sweep without improvement) up to this many jobs."""

WINDOW_SECONDS = (1.0, 8.0)
"""Least and most time one window's CP-SAT solve gets."""


@dataclass
class WindowSearch:
    """What the search did: windows solved, improvements kept, widths used."""

    solved: int = 0
    improved: int = 0
    widths: list[int] = field(default_factory=list)
    proven: set[tuple[object, ...]] = field(default_factory=set)
    """Signatures of the sub-problems proven optimal."""
    width: int = WINDOW_JOBS
    """The jobs per window now."""
    offset: int = 0
    """Where the sweep's first window starts in the jobs' order."""
    exhausted: bool = False
    """Whether the widest windows, at both offsets, brought nothing more."""

    def describe(self) -> str:
        """E.g. 'LNS over 40 windows of 24-36 jobs (CP-SAT on each, 12 improved)'."""
        low, high = min(self.widths, default=0), max(self.widths, default=0)
        width = f"{low}" if low == high else f"{low}-{high}"
        return (
            f"LNS over {self.solved} windows of {width} jobs (CP-SAT on each, "
            f"{self.improved} improved)"
        )


def improve(
    problem: Problem,
    plan: Sequence[Objective],
    schedule: Solution,
    search: WindowSearch,
    *,
    stop_at: float,
    workers: int,
    log: bool = False,
    fruitless_sweeps: int | None = None,
) -> Solution:
    """The best schedule the window search reaches from ``schedule`` by ``stop_at``.

    ``search`` keeps what the search did (and which windows are proven) from call to call.
    ``fruitless_sweeps`` (default: no limit) ends the search after that many sweeps in a row
    that improved nothing.
    """
    fruitless = 0
    while time.perf_counter() < stop_at:
        if fruitless_sweeps is not None and fruitless >= fruitless_sweeps:
            return schedule
        order = _by_start(schedule)
        width = min(search.width, len(order))
        step = max(width // 2, 1)
        starts = list(range(search.offset, max(len(order) - width // 2, 1), step))
        better = False
        for number, first in enumerate(starts):
            left = stop_at - time.perf_counter()
            if left <= WINDOW_SECONDS[0] / 2:
                return schedule
            share = left / (len(starts) - number)
            seconds = min(max(share, WINDOW_SECONDS[0]), WINDOW_SECONDS[1], left)
            free = order[first : first + width]
            found = _solve_window(problem, plan, schedule, free, seconds, workers, log, search)
            if found is None:
                continue
            if _values(plan, found) < _values(plan, schedule):
                search.improved += 1
                better = True
            schedule = found
        fruitless = 0 if better else fruitless + 1
        if better:
            search.exhausted = False
        else:
            if width >= min(WIDEST_WINDOW, len(order)) and search.offset:
                search.exhausted = True  # both offsets of the widest windows brought nothing
                return schedule
            search.width = min(math.ceil(width * 1.5), WIDEST_WINDOW, len(order))
        search.offset = (search.width // 4) if search.offset == 0 else 0
    return schedule


def _solve_window(
    problem: Problem,
    plan: Sequence[Objective],
    schedule: Solution,
    free: list[str],
    seconds: float,
    workers: int,
    log: bool,
    search: WindowSearch,
) -> Solution | None:
    """``schedule`` with the ``free`` jobs re-solved, or ``None`` if skipped or not better."""
    sub = neighbourhood(problem, schedule, free)
    if sub.signature in search.proven:
        return None
    result = solve_stages(
        sub.problem, plan, sub.hint, stop_at=time.perf_counter() + seconds, workers=workers, log=log
    )
    search.solved += 1
    search.widths.append(len(free))
    if result.sequences is None:
        return None
    if all(stage.status == "OPTIMAL" for stage in result.stages):
        search.proven.add(sub.signature)
    solved = build_solution(
        sub.problem,
        result.sequences,
        maintenance=result.maintenance,
        status="FEASIBLE",
        method="cp-sat",
        objective=plan[0],
    )
    merged = sub.merge(schedule, solved)
    candidate = build_solution(
        problem,
        {m: [(s.operation, s.start) for s in steps] for m, steps in merged.items()},
        maintenance={s.operation: s.maintenance_before for steps in merged.values() for s in steps
                     if s.maintenance_before},
        status="FEASIBLE",
        method=schedule.method,
        objective=plan[0],
    )  # fmt: skip
    if _values(plan, candidate) > _values(plan, schedule) or violations(problem, candidate):
        return None
    return candidate


def jobs_alone_bound(problem: Problem, stage: Objective) -> float:
    """A lower bound on ``stage``: each job as early as it could end alone on an empty plant.

    Each criterion is bounded by its value if every job ended at its earliest (release, its
    route's shortest times, its machines' calendars); setups are bounded by zero.
    """
    horizon = problem.time_bound
    ends = {}
    for job in problem.jobs:
        last = operation_spans(problem, job, horizon)[-1]
        ends[job.id] = min(span.earliest + span.duration for span in last.values())
    mandatory = [job for job in problem.jobs if job.id not in problem.option_of]
    measures = {
        Criterion.MAKESPAN: float(max((ends[j.id] for j in mandatory), default=0)),
        Criterion.WEIGHTED_TARDINESS: sum(
            job.weight * max(0, ends[job.id] - job.due) for job in mandatory if job.due is not None
        ),
        Criterion.TOTAL_SETUP: 0.0,
    }
    return stage.value(measures)


def _values(plan: Sequence[Objective], solution: Solution) -> list[float]:
    """The solution's value of each stage, to compare lexicographically."""
    measures = solution.measures()
    return [stage.value(measures) for stage in plan]


def _by_start(schedule: Solution) -> list[str]:
    """The scheduled jobs in the order their first operations start."""
    first: dict[str, int] = {}
    for steps in schedule.machines.values():
        for step in steps:
            first[step.job] = min(first.get(step.job, step.start), step.start)
    return sorted(first, key=lambda job: (first[job], job))
