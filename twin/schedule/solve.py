"""Solve a problem with CP-SAT: one stage per objective, each fixing the ones before."""

from __future__ import annotations

import time
from collections.abc import Mapping

from ortools.sat.python import cp_model

from twin.schedule.check import violations
from twin.schedule.criteria import ObjectiveSpec, stages
from twin.schedule.model import ScheduleModel, build_model
from twin.schedule.problem import Problem
from twin.schedule.solution import (
    Placement,
    Solution,
    StageResult,
    Status,
    build_solution,
    needed_maintenance,
    sequences_of,
)

_WITH_SCHEDULE = ("OPTIMAL", "FEASIBLE")


def solve(
    problem: Problem,
    objective: ObjectiveSpec = "makespan",
    *,
    time_limit_s: float = 60.0,
    workers: int = 2,
    hint: Solution | Mapping[str, Placement] | None = None,
    log: bool = False,
) -> Solution:
    """The best schedule CP-SAT finds for ``problem`` within ``time_limit_s`` seconds.

    ``objective`` is a criterion's name (``"makespan"``, ``"weighted_tardiness"``,
    ``"total_setup"``), an :class:`~twin.schedule.criteria.Objective` (weighted sum) or a
    :class:`~twin.schedule.criteria.Lexicographic` list of them. A lexicographic objective is
    solved stage by stage: each stage gets an equal share of the time left, starts from the
    previous stage's schedule, and may not worsen what earlier stages reached. ``hint`` is a
    schedule to start from (a solution, e.g. the best dispatching rule's, or ``{operation id:
    (machine id, start)}``); should CP-SAT find no schedule in time, a valid hint is returned as
    it is (method ``"hint"``). ``log`` prints CP-SAT's search log.
    """
    began = time.perf_counter()
    plan = stages(objective)
    built = build_model(problem, dict.fromkeys(c for stage in plan for c in stage.weights))
    placements = hint.placements() if isinstance(hint, Solution) else hint
    hinted_maintenance = hint.maintenance() if isinstance(hint, Solution) else {}
    if placements is not None:
        built.add_hint(placements, hinted_maintenance)
    results: list[StageResult] = []
    sequences: dict[str, list[Placement]] | None = None
    maintenance: dict[str, tuple[str, ...]] = {}
    bound: float | None = None
    for index, stage in enumerate(plan):
        scaled = built.minimise(stage)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = workers
        left = time_limit_s - (time.perf_counter() - began)
        solver.parameters.max_time_in_seconds = max(0.0, left) / (len(plan) - index)
        solver.parameters.log_search_progress = log
        status: Status = solver.status_name(solver.solve(built.model))  # type: ignore[assignment]
        found = status in _WITH_SCHEDULE
        bound = solver.best_objective_bound / scaled.scale if found else None
        results.append(
            StageResult(
                objective=stage.name,
                status=status,
                value=solver.objective_value / scaled.scale if found else None,
                bound=bound,
                wall_time_s=solver.wall_time,
            )
        )
        if not found:
            break
        sequences = built.sequences(solver)
        maintenance = needed_maintenance(problem, sequences, built.maintenance(solver))
        if index < len(plan) - 1:
            built.model.add(scaled.expression <= round(solver.objective_value))
            _hint_solution(built, solver)
    wall_time_s = time.perf_counter() - began
    if sequences is None and results[0].status == "UNKNOWN" and placements is not None:
        fallback = build_solution(
            problem,
            sequences_of(problem, placements),
            maintenance=hinted_maintenance,
            status="FEASIBLE",
            method="hint",
            objective=plan[0],
            wall_time_s=wall_time_s,
            stages=results,
            message="CP-SAT found no schedule within the time limit; this is the hint",
        )
        if not violations(problem, fallback):
            return fallback
    if sequences is None:
        return Solution(
            status=results[0].status,
            method="cp-sat",
            wall_time_s=wall_time_s,
            stages=results,
            message=_NO_SCHEDULE[results[0].status],
        )
    finished = len(results) == len(plan) and all(r.status == "OPTIMAL" for r in results)
    return build_solution(
        problem,
        sequences,
        maintenance=maintenance,
        status="OPTIMAL" if finished else "FEASIBLE",
        method="cp-sat",
        objective=plan[len(results) - 1],
        bound=bound,
        wall_time_s=wall_time_s,
        stages=results,
    )


_NO_SCHEDULE: dict[str, str] = {
    "INFEASIBLE": "no schedule satisfies the constraints (proven)",
    "UNKNOWN": "no schedule found within the time limit",
    "MODEL_INVALID": "CP-SAT rejected the model",
}


def _hint_solution(built: ScheduleModel, solver: cp_model.CpSolver) -> None:
    """Replace the model's hint by the solver's current solution, every variable of it."""
    built.model.clear_hints()
    for index, value in enumerate(solver.response_proto.solution):
        built.model.add_hint(built.model.get_int_var_from_proto_index(index), value)
