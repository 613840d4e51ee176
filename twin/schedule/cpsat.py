"""One CP-SAT model of a whole problem, solved stage by stage from a starting schedule.

The model is built once from the problem, with each job's latest completion taken from the
starting schedule (the incumbent): a schedule no worse than it on the first criterion cannot end a
job later than that (weighted tardiness ``V`` bounds each job's ``w·(C − d)`` by ``V``; a makespan
``V`` bounds every completion), so these deadlines lose no schedule worth having while they narrow
every domain and leave out the sequencing arcs that could never be used. The bound CP-SAT proves
is thus a bound on the criterion itself.

The incumbent is hinted completely, so CP-SAT takes it as its first solution as soon as presolve
ends. A lexicographic objective is solved stage by stage; the first stage gets most of the time
(:data:`FIRST_SHARE`), unless it is proven optimal earlier, and each later stage keeps the earlier
ones' values.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from twin.schedule.criteria import Criterion, Objective
from twin.schedule.model import ScheduleModel, build_model
from twin.schedule.problem import Job, Problem
from twin.schedule.solution import (
    Placement,
    Solution,
    StageResult,
    Status,
    gap_of,
    needed_maintenance,
)

FIRST_SHARE = 0.8
"""Share of the time the first of several lexicographic stages may use."""

_WITH_SCHEDULE = ("OPTIMAL", "FEASIBLE")


@dataclass
class StagedResult:
    """What a staged CP-SAT solve found: per-machine sequences and maintenance, and the stages."""

    sequences: dict[str, list[Placement]] | None
    maintenance: dict[str, tuple[str, ...]]
    stages: list[StageResult]


def with_deadlines(problem: Problem, first: Objective, incumbent: Solution | None) -> Problem:
    """``problem`` with each job's latest completion no worse a schedule can pass.

    ``incumbent``'s value ``V`` of the objective ``first`` bounds each criterion ``c`` with a
    weight ``a_c`` by ``V / a_c``: a job's weighted tardiness ``w·(C − d)`` and the makespan ``C``.
    """
    if incumbent is None or not incumbent.has_schedule:
        return problem
    value = first.value(incumbent.measures())
    weights = first.weights
    jobs = []
    for job in problem.jobs:
        latest = [] if job.deadline is None else [job.deadline]
        if weights.get(Criterion.MAKESPAN, 0) > 0:
            latest.append(math.floor(value / weights[Criterion.MAKESPAN] + 1e-9))
        tardiness = weights.get(Criterion.WEIGHTED_TARDINESS, 0) * job.weight
        if tardiness > 0 and job.due is not None:
            latest.append(job.due + math.floor(value / tardiness + 1e-9))
        jobs.append(_with_deadline(job, min(latest)) if latest else job)
    return replace(problem, jobs=tuple(jobs))


def _with_deadline(job: Job, deadline: int) -> Job:
    return replace(job, deadline=max(deadline, job.release))


def solve_stages(
    problem: Problem,
    plan: Sequence[Objective],
    incumbent: Solution | None,
    *,
    stop_at: float,
    workers: int,
    log: bool = False,
) -> StagedResult:
    """Minimise ``plan``'s stages in turn with CP-SAT until ``stop_at`` (a perf_counter time)."""
    narrowed = with_deadlines(problem, plan[0], incumbent)
    built = build_model(narrowed, dict.fromkeys(c for stage in plan for c in stage.weights))
    if incumbent is not None and incumbent.has_schedule:
        built.add_hint(incumbent.placements(), incumbent.maintenance())
    results: list[StageResult] = []
    sequences: dict[str, list[Placement]] | None = None
    maintenance: dict[str, tuple[str, ...]] = {}
    for index, stage in enumerate(plan):
        scaled = built.minimise(stage)
        left = max(0.0, stop_at - time.perf_counter())
        later = len(plan) - index - 1
        share = left if not later else left * (FIRST_SHARE if index == 0 else 1 / (later + 1))
        solver = _solver(share, workers, log)
        status: Status = solver.status_name(solver.solve(built.model))  # type: ignore[assignment]
        found = status in _WITH_SCHEDULE
        value = solver.objective_value / scaled.scale if found else None
        bound = solver.best_objective_bound / scaled.scale if found else None
        results.append(
            StageResult(
                objective=stage.name,
                status=status,
                value=value,
                bound=bound,
                wall_time_s=solver.wall_time,
                gap=gap_of(value, bound),
            )
        )
        if not found:
            break
        sequences = built.sequences(solver)
        maintenance = needed_maintenance(problem, sequences, built.maintenance(solver))
        if later:
            built.model.add(scaled.expression <= round(solver.objective_value))
            _hint_solution(built, solver)
    return StagedResult(sequences, maintenance, results)


def _solver(seconds: float, workers: int, log: bool) -> cp_model.CpSolver:
    """A CP-SAT solver with our parameters."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.log_search_progress = log
    return solver


def _hint_solution(built: ScheduleModel, solver: cp_model.CpSolver) -> None:
    """Replace the model's hint by the solver's current solution, every variable of it."""
    built.model.clear_hints()
    for index, value in enumerate(solver.response_proto.solution):
        built.model.add_hint(built.model.get_int_var_from_proto_index(index), value)
