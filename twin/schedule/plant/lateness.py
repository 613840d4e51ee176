"""Why orders are late: which cannot be on time at all, and what the others wait for.

An order cannot be on time when even on an empty plant its rolls end after its due date: each roll
needs its route's processing times after its release (and its machines' calendars), and all the
order's rolls pass each of its machines one after another (shared among parallel units). That
bound is a proof: no schedule makes the order on time. An order that could be on time alone is
late because other orders take its machines: the sentence names the machine its rolls waited
longest for in the schedule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from twin.display import moment
from twin.schedule.model.windows import operation_spans
from twin.schedule.plant.problem import PlantProblem
from twin.schedule.solution import Solution

MAX_SENTENCES = 10
"""Late orders explained one by one; the rest are counted."""


def _hours(minutes: float) -> str:
    return f"{minutes / 60:.1f} h"


def earliest_completion(plant: PlantProblem, order: str, line: str) -> float:
    """A lower bound on when ``order`` can be complete on ``line``, on an empty plant."""
    problem = plant.problem
    jobs = [problem.job[j] for j, roll in plant.rolls.items() if roll.order == order]
    jobs = [job for job in jobs if plant.rolls[job.id].line == line]
    horizon = problem.time_bound
    bound = 0.0
    work: dict[tuple[str, ...], float] = defaultdict(float)
    tails: dict[tuple[str, ...], float] = {}
    for job in jobs:
        spans = operation_spans(problem, job, horizon)
        bound = max(bound, min(s.earliest + s.duration for s in spans[-1].values()))
        remaining = 0.0
        for k in range(len(job.operations) - 1, -1, -1):
            op = job.operations[k]
            units = tuple(sorted(op.eligible))
            work[units] += op.shortest / len(units)
            tails[units] = min(tails.get(units, remaining), remaining)
            remaining += op.shortest
    release = min((job.release for job in jobs), default=0)
    for units, total in work.items():
        bound = max(bound, release + total + tails[units])
    return bound


def explain_lateness(
    plant: PlantProblem, solution: Solution, origin: dt.datetime | None = None
) -> list[str]:
    """A sentence for each late order of ``solution``, the latest first (at most a few).

    Moments read as calendar dates from ``origin`` (the problem's t = 0), durations in hours.
    """
    if not solution.has_schedule:
        return []
    late: dict[str, int] = {}
    for job_id, outcome in solution.jobs.items():
        name = plant.rolls[job_id].order
        late[name] = max(late.get(name, 0), outcome.tardiness)
    tardy = sorted((o for o, t in late.items() if t > 0), key=lambda o: -late[o])
    waits = _longest_waits(plant, solution)
    sentences = []
    for order_id in tardy[:MAX_SENTENCES]:
        jobs = [plant.problem.job[j] for j, roll in plant.rolls.items() if roll.order == order_id]
        due = min((job.due for job in jobs if job.due is not None), default=0)
        release = min(job.release for job in jobs)
        lines = {roll.line for roll in plant.rolls.values() if roll.order == order_id}
        earliest = min(earliest_completion(plant, order_id, line) for line in lines)
        if earliest > due:
            sentences.append(
                f"order {order_id} cannot be on time: due {moment(origin, due)}, it cannot be "
                f"complete before {moment(origin, earliest)} even on an empty plant (released "
                f"{moment(origin, release)}); it is {_hours(late[order_id])} late"
            )
        else:
            machine, wait = waits.get(order_id, ("its machines", 0))
            sentences.append(
                f"order {order_id} is {_hours(late[order_id])} late because other orders take "
                f"its machines: alone it could be complete by {moment(origin, earliest)} (due "
                f"{moment(origin, due)}); its rolls wait longest for {machine} ({_hours(wait)})"
            )
    if len(tardy) > MAX_SENTENCES:
        sentences.append(f"... and {len(tardy) - MAX_SENTENCES} more late orders")
    return sentences


def _longest_waits(plant: PlantProblem, solution: Solution) -> dict[str, tuple[str, int]]:
    """For each order, the machine its rolls waited longest for in the schedule, and how long.

    A wait counts from the roll's release, or from the end of its step before.
    """
    problem = plant.problem
    place = {
        step.operation: (machine, step.start, step.end)
        for machine, steps in solution.machines.items()
        for step in steps
    }
    longest: dict[str, tuple[str, int]] = {}
    for job_id in solution.jobs:
        job = problem.job[job_id]
        ready = job.release
        order = plant.rolls[job_id].order
        for op in job.operations:
            machine, start, end = place[op.id]
            wait = start - ready
            if wait > longest.get(order, ("", -1))[1]:
                longest[order] = (machine, wait)
            ready = end
    return longest
