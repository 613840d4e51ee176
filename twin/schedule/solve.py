"""Solve a problem: its independent parts one by one, by one CP-SAT model or a window search.

A part too large for one model is solved by a window search that calls that model on
sub-problems (:mod:`twin.schedule.lns`).
Whatever the route, the result says how it was obtained (:attr:`Solution.label`): CP-SAT optimal,
CP-SAT feasible with the gap on the first criterion, the window search and its windows, or the
starting schedule when CP-SAT found nothing in time.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from twin.schedule.check import violations
from twin.schedule.cpsat import solve_stages
from twin.schedule.criteria import Criterion, Objective, ObjectiveSpec, stages
from twin.schedule.decompose import components, restrict
from twin.schedule.lns import improve, jobs_alone_bound
from twin.schedule.model.variables import sequenced_machines
from twin.schedule.problem import Problem
from twin.schedule.solution import (
    Placement,
    Solution,
    StageResult,
    Status,
    build_solution,
    gap_of,
    sequences_of,
)

LNS_ARCS = 12_000
"""A part whose machines with setups would need more sequencing arcs than this (pairs of
operations sharing a machine) is solved by the window search rather than one model."""

_NO_SCHEDULE: dict[str, str] = {
    "INFEASIBLE": "no schedule satisfies the constraints (proven)",
    "UNKNOWN": "no schedule found within the time limit",
    "MODEL_INVALID": "CP-SAT rejected the model",
}


@dataclass
class _Part:
    """One part's schedule and how it was found."""

    sequences: dict[str, list[Placement]] | None
    maintenance: dict[str, tuple[str, ...]]
    stages: list[StageResult]
    how: str
    """'cp-sat', 'lns: <description>' or 'start' (the starting schedule, CP-SAT found nothing)."""
    jobs: int
    notes: list[str] = field(default_factory=list)


def solve(
    problem: Problem,
    objective: ObjectiveSpec = "makespan",
    *,
    time_limit_s: float = 60.0,
    workers: int = 2,
    hint: Solution | Mapping[str, Placement] | None = None,
    log: bool = False,
) -> Solution:
    """The best schedule found for ``problem`` within ``time_limit_s`` seconds, model included.

    ``objective`` is a criterion's name (``"makespan"``, ``"weighted_tardiness"``,
    ``"total_setup"``), an :class:`~twin.schedule.criteria.Objective` (weighted sum) or a
    :class:`~twin.schedule.criteria.Lexicographic` list of them, solved stage by stage (the first
    stage gets most of the time). ``hint`` is a schedule to start from (a solution, e.g. the best
    dispatching rule's, or ``{operation id: (machine id, start)}``): CP-SAT takes it as its first
    solution, and should it find nothing better in time a valid hint is returned as it is,
    labelled so. Independent parts of the problem (:func:`~twin.schedule.decompose.components`)
    are solved one after another when the objective adds up over them. ``log`` prints CP-SAT's
    search log.
    """
    began = time.perf_counter()
    stop_at = began + time_limit_s
    plan = stages(objective)
    start = _starting_schedule(problem, plan, hint)
    parts = components(problem) if _separable(plan) and not problem.permutation else []
    if len(parts) <= 1:
        parts = [[job.id for job in problem.jobs]]
    results: list[_Part] = []
    sizes = [sum(len(problem.job[j].operations) for j in part) for part in parts]
    for index in sorted(range(len(parts)), key=lambda i: sizes[i]):
        left = stop_at - time.perf_counter()
        share = left * sizes[index] / sum(sizes[i] for i in _not_done(results, parts, sizes))
        sub = problem if len(parts) == 1 else restrict(problem, parts[index])
        results.append(
            _solve_part(sub, plan, start, time.perf_counter() + share, workers, log, time_limit_s)
        )
    return _assemble(problem, plan, results, start, time.perf_counter() - began, time_limit_s)


def _not_done(results: list[_Part], parts: list[list[str]], sizes: list[int]) -> list[int]:
    """Indices of the parts not solved yet, smallest first (the order they are solved in)."""
    order = sorted(range(len(parts)), key=lambda i: sizes[i])
    return order[len(results) :]


def _separable(plan: Sequence[Objective]) -> bool:
    """Whether each stage adds up over independent parts (or is the makespan alone)."""
    return all(Criterion.MAKESPAN not in stage.weights or len(stage.weights) == 1 for stage in plan)


def _starting_schedule(
    problem: Problem, plan: Sequence[Objective], hint: Solution | Mapping[str, Placement] | None
) -> Solution | None:
    """The hint as a solution of ``problem``, if it is a valid schedule of it."""
    if hint is None:
        return None
    if isinstance(hint, Solution):
        if not hint.has_schedule:
            return None
        placements, maintenance, method = hint.placements(), hint.maintenance(), hint.method
    else:
        placements, maintenance, method = dict(hint), {}, "hint"
    for op_id, (machine, _) in placements.items():
        operation = problem.operations.get(op_id)
        if operation is None or machine not in operation.eligible:
            raise ValueError(
                f"hint places operation {op_id!r} on machine {machine!r}, which "
                "is not one of its eligible machines in this problem"
            )
    try:
        start = build_solution(
            problem,
            sequences_of(problem, placements),
            maintenance=maintenance,
            status="FEASIBLE",
            method=method,
            objective=plan[0],
            label=hint.label if isinstance(hint, Solution) else "the hint",
        )
    except KeyError:
        return None  # a partial hint: a suggestion, not a schedule
    return None if violations(problem, start) else start


def _solve_part(
    problem: Problem,
    plan: Sequence[Objective],
    start: Solution | None,
    stop_at: float,
    workers: int,
    log: bool,
    time_limit_s: float,
) -> _Part:
    """One part: one CP-SAT model, or the window search if the model would be too large."""
    jobs = len(problem.jobs)
    own = _restricted(problem, start)
    if own is not None and _arcs(problem) > LNS_ARCS:
        schedule, search = improve(problem, plan, own, stop_at=stop_at, workers=workers, log=log)
        measures = schedule.measures()
        stage_results = [
            StageResult(
                objective=stage.name,
                status="FEASIBLE",
                value=stage.value(measures),
                bound=jobs_alone_bound(problem, stage) if index == 0 else None,
                wall_time_s=0.0,
                gap=gap_of(stage.value(measures), jobs_alone_bound(problem, stage))
                if index == 0
                else None,
            )
            for index, stage in enumerate(plan)
        ]
        sequences = {m: [(s.operation, s.start) for s in st] for m, st in schedule.machines.items()}
        return _Part(sequences, schedule.maintenance(), stage_results, search.describe(), jobs)
    result = solve_stages(problem, plan, own, stop_at=stop_at, workers=workers, log=log)
    if result.sequences is None and own is not None and result.stages[0].status == "UNKNOWN":
        sequences = {m: [(s.operation, s.start) for s in st] for m, st in own.machines.items()}
        measures = own.measures()
        kept = [
            StageResult(
                objective=stage.name,
                status="UNKNOWN",
                value=stage.value(measures),
                bound=None,
                wall_time_s=result.stages[0].wall_time_s if index == 0 else 0.0,
            )
            for index, stage in enumerate(plan)
        ]
        return _Part(sequences, own.maintenance(), kept, "start", jobs)
    return _Part(result.sequences, result.maintenance, result.stages, "cp-sat", jobs)


def _restricted(problem: Problem, start: Solution | None) -> Solution | None:
    """The starting schedule's part that belongs to ``problem`` (a part of the whole)."""
    if start is None:
        return None
    ops = problem.operations
    sequences = {
        m: [(s.operation, s.start) for s in steps if s.operation in ops]
        for m, steps in start.machines.items()
        if m in problem.machine
    }
    maintenance = {op: c for op, c in start.maintenance().items() if op in ops}
    return build_solution(
        problem,
        sequences,
        maintenance=maintenance,
        status="FEASIBLE",
        method=start.method,
        objective=Objective({Criterion.MAKESPAN: 1.0}),
        label=start.label,
    )


def _arcs(problem: Problem) -> int:
    """How many sequencing arcs one model of ``problem`` would have at most."""
    sequenced = sequenced_machines(problem)
    counts = {m: 0 for m in sequenced}
    for op in problem.operations.values():
        for machine in op.eligible:
            if machine in counts:
                counts[machine] += 1
    return sum(n * n for n in counts.values())


def _assemble(
    problem: Problem,
    plan: Sequence[Objective],
    parts: list[_Part],
    start: Solution | None,
    wall_time_s: float,
    time_limit_s: float,
) -> Solution:
    """The whole problem's solution from its parts' schedules, with its label."""
    missing = [part for part in parts if part.sequences is None]
    if missing:
        status = missing[0].stages[0].status
        return Solution(
            status=status,
            method="cp-sat",
            wall_time_s=wall_time_s,
            stages=missing[0].stages,
            message=_NO_SCHEDULE[status],
            label=f"no schedule: {_NO_SCHEDULE[status]}",
            cut_short=status == "UNKNOWN",
        )
    sequences: dict[str, list[Placement]] = {}
    maintenance: dict[str, tuple[str, ...]] = {}
    for part in parts:
        assert part.sequences is not None
        for machine, steps in part.sequences.items():
            sequences.setdefault(machine, []).extend(steps)
        maintenance.update(part.maintenance)
    stage_results = _combined_stages(plan, parts, len(parts) > 1)
    finished = all(r.status == "OPTIMAL" for r in stage_results) and len(stage_results) == len(plan)
    label, method = _label(plan, parts, stage_results, start, time_limit_s)
    return build_solution(
        problem,
        sequences,
        maintenance=maintenance,
        status="OPTIMAL" if finished else "FEASIBLE",
        method=method,
        objective=plan[0],
        bound=stage_results[0].bound,
        wall_time_s=wall_time_s,
        stages=stage_results,
        label=label,
        cut_short=not finished,
    )


def _combined_stages(
    plan: Sequence[Objective], parts: list[_Part], several: bool
) -> list[StageResult]:
    """Each stage over all parts: values and bounds add up (the makespan's: the largest)."""
    if not several:
        return parts[0].stages
    combined = []
    for index, stage in enumerate(plan):
        results = [part.stages[index] if index < len(part.stages) else None for part in parts]
        pick = max if Criterion.MAKESPAN in stage.weights else sum
        values = [r.value for r in results if r is not None]
        bounds = [r.bound for r in results if r is not None]
        complete = len(values) == len(parts) and all(v is not None for v in values)
        value = pick(v for v in values if v is not None) if complete else None  # type: ignore[operator]
        bounded = complete and all(b is not None for b in bounds)
        bound = pick(b for b in bounds if b is not None) if bounded else None  # type: ignore[operator]
        statuses = [r.status if r is not None else "UNKNOWN" for r in results]
        proven = all(s == "OPTIMAL" for s in statuses) or (bound is not None and bound == value)
        status: Status = "OPTIMAL" if proven else "FEASIBLE"
        combined.append(
            StageResult(
                objective=stage.name,
                status=status if complete else "UNKNOWN",
                value=value,
                bound=bound,
                wall_time_s=sum(r.wall_time_s for r in results if r is not None),
                gap=gap_of(value, bound),
            )
        )
    return combined


def criterion_name(objective: Objective) -> str:
    """A stage's name as people read it: 'weighted tardiness', '2*makespan + 1*total setup'."""
    return objective.name.replace("_", " ")


def _label(
    plan: Sequence[Objective],
    parts: list[_Part],
    stage_results: list[StageResult],
    start: Solution | None,
    time_limit_s: float,
) -> tuple[str, str]:
    """The solution's label and method (see :attr:`Solution.label`)."""
    first = criterion_name(plan[0])
    fallen = [part for part in parts if part.how == "start"]
    searched = [part.how for part in parts if part.how.startswith("LNS")]
    if fallen and len(fallen) == len(parts) and start is not None:
        what = start.label or start.method
        return f"{what}: CP-SAT found nothing in {time_limit_s:g} s", start.method
    if all(r.status == "OPTIMAL" for r in stage_results) and len(stage_results) == len(plan):
        text = "CP-SAT optimal"
    else:
        gap = stage_results[0].gap if stage_results else None
        shown = "unknown" if gap is None else f"{gap:.1%}".replace("%", " %")
        text = f"CP-SAT feasible, gap {shown} on {first}"
    method = "cp-sat"
    if searched:
        text += f"; {'; '.join(searched)}, bound from each job alone"
        method = "cp-sat+lns"
    if len(parts) > 1:
        text += f"; {len(parts)} independent parts solved one by one"
    if fallen and start is not None:
        text += (
            f"; CP-SAT found nothing in time for {len(fallen)} of them, which keep "
            f"{start.label or start.method}"
        )
    return text, method
