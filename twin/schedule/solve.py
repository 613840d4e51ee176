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

from twin.schedule.check import violations
from twin.schedule.cpsat import FIRST_SHARE, StagedModel
from twin.schedule.criteria import Criterion, Objective, ObjectiveSpec, stages
from twin.schedule.decompose import components, restrict
from twin.schedule.lns import WINDOW_JOBS, WindowSearch, improve, jobs_alone_bound
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
    sequences_of_solution,
)

WINDOW_SHARE = 0.4
"""At most this share of the time left goes to each turn of the window search in a part."""

LNS_ARCS = 12_000
"""A part whose machines with setups would need more sequencing arcs than this (pairs of
operations sharing a machine) is solved by the window search rather than one model."""

_NO_SCHEDULE: dict[str, str] = {
    "INFEASIBLE": "no schedule satisfies the constraints (proven)",
    "UNKNOWN": "no schedule found within the time limit",
    "MODEL_INVALID": "CP-SAT rejected the model",
}


class _Part:
    """One independent part of the problem, as it is being solved.

    A part is solved by one CP-SAT model (:class:`~twin.schedule.cpsat.StagedModel`) in turns
    with the window search over it (small windows solved exactly often repair a schedule fast,
    where the model's searches take long); a part too large for one model is solved by the
    window search alone. ``how`` says what the model did: 'cp-sat', or 'start'
    if CP-SAT found nothing and the starting schedule stands.
    """

    def __init__(
        self,
        problem: Problem,
        plan: Sequence[Objective],
        start: Solution | None,
        workers: int,
        log: bool,
    ) -> None:
        self.problem, self.plan, self.workers, self.log = problem, tuple(plan), workers, log
        self.start = start
        self.search = WindowSearch() if start is not None else None
        self.staged: StagedModel | None = None
        self.lns_stages: list[StageResult] = []
        if start is not None:
            self.schedule = start
        if start is None or _arcs(problem) <= LNS_ARCS:
            self.staged = StagedModel(problem, plan, start, workers=workers, log=log)

    @property
    def stages(self) -> list[StageResult]:
        """The stages solved so far."""
        return self.lns_stages if self.staged is None else self.staged.stages

    def value(self, index: int) -> float | None:
        """Stage ``index``'s value for the part's best schedule so far."""
        if self.staged is not None:
            return self.staged.value(index)
        return self.plan[index].value(self.schedule.measures())

    def bound(self, index: int) -> float:
        """A lower bound on stage ``index`` without a search (each job alone)."""
        return jobs_alone_bound(self.problem, self.plan[index])

    def solve(self, index: int, seconds: float) -> None:
        """Search stage ``index`` (the next one) for up to ``seconds``.

        A part with one model cycles between a window search (a sweep, at most
        :data:`WINDOW_SHARE` of the time left) and the model's own searches, each from the best
        schedule so far, while a cycle improves something and time is left.
        """
        stop_at = time.perf_counter() + seconds
        if self.staged is None:
            assert self.search is not None
            self.schedule = self._windows(stop_at)
            self._lns_stage(index, "FEASIBLE")
            return
        windows = self.search is not None and len(self.problem.jobs) > WINDOW_JOBS
        solved = len(self.staged.stages) > index
        while True:
            before = self.value(index)
            if windows and not self.search.exhausted:  # type: ignore[union-attr]
                own = self.staged.schedule()
                assert own is not None
                left = stop_at - time.perf_counter()
                found = self._windows(time.perf_counter() + WINDOW_SHARE * left, own, sweeps=2)
                if _stage_values(self.plan, found) < _stage_values(self.plan, own):
                    self.staged.adopt(found)
            if solved:
                self.staged.reopen()
            self.staged.solve(max(0.0, stop_at - time.perf_counter()))
            solved = True
            after = self.value(index)
            better = after is not None and (before is None or after < before)
            done = self.staged.stages[index].status in ("OPTIMAL", "INFEASIBLE", "MODEL_INVALID")
            if done or not better or stop_at - time.perf_counter() < 1.0:
                return

    def _windows(
        self, stop_at: float, schedule: Solution | None = None, sweeps: int | None = None
    ) -> Solution:
        """The window search from ``schedule`` (default: the part's) until ``stop_at``.

        With ``sweeps``, it also ends after that many sweeps in a row without improvement.
        """
        assert self.search is not None
        return improve(
            self.problem, self.plan, schedule or self.schedule, self.search,
            stop_at=stop_at, workers=self.workers, log=self.log, fruitless_sweeps=sweeps,
        )  # fmt: skip

    def open(self, index: int) -> bool:
        """Whether searching stage ``index`` again might still bring something."""
        if self.stages[index].status in ("OPTIMAL", "INFEASIBLE", "MODEL_INVALID"):
            return False
        return self.staged is not None or not (self.search is not None and self.search.exhausted)

    def reopen(self, index: int) -> None:
        """Let stage ``index`` (the last solved) be searched again."""
        if self.staged is not None:
            self.staged.reopen()

    def leave(self, index: int, proven: bool) -> None:
        """Take stage ``index`` as it stands, without a search (``proven``: at its bound)."""
        if self.staged is not None:
            self.staged.settle(self.bound(index), proven)
        else:
            self._lns_stage(index, "OPTIMAL" if proven else "FEASIBLE")

    def _lns_stage(self, index: int, status: Status) -> None:
        value, bound = self.value(index), self.bound(index)
        result = StageResult(
            objective=self.plan[index].name,
            status=status,
            value=value,
            bound=bound,
            wall_time_s=0.0,
            gap=gap_of(value, bound),
        )
        if index < len(self.lns_stages):
            self.lns_stages[index] = result
        else:
            self.lns_stages.append(result)

    @property
    def how(self) -> str:
        """How the part was solved (see the class docstring)."""
        if self.staged is None:
            return "lns"
        unchanged = self.search is None or not self.search.improved
        stuck = all(s.status == "UNKNOWN" for s in self.staged.stages)
        return "start" if self.start is not None and unchanged and stuck else "cp-sat"

    @property
    def sequences(self) -> dict[str, list[Placement]] | None:
        """The part's best schedule so far, machine by machine."""
        if self.staged is None:
            return sequences_of_solution(self.schedule)
        return self.staged.sequences

    @property
    def maintenance(self) -> dict[str, tuple[str, ...]]:
        """The maintenance in the part's best schedule so far."""
        return self.schedule.maintenance() if self.staged is None else self.staged.maintenance


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
    :class:`~twin.schedule.criteria.Lexicographic` list of them, solved stage by stage: the first
    stage gets most of the time (:data:`~twin.schedule.cpsat.FIRST_SHARE`) unless it is proven
    optimal earlier. ``hint`` is a schedule to start from (a solution, e.g. the best dispatching
    rule's, or ``{operation id: (machine id, start)}``): CP-SAT takes it as its first solution,
    and should it find nothing better in time a valid hint is returned as it is, labelled so.
    Independent parts of the problem (:func:`~twin.schedule.decompose.components`) are solved
    side by side when the objective adds up over them: each stage's time goes to the parts that
    are not at their bound yet. ``log`` prints CP-SAT's search log.
    """
    began = time.perf_counter()
    stop_at = began + time_limit_s
    plan = stages(objective)
    start = _starting_schedule(problem, plan, hint)
    jobs = components(problem) if _separable(plan) and not problem.permutation else []
    if len(jobs) <= 1:
        parts = [_Part(problem, plan, start, workers, log)]
    else:
        parts = [
            _Part(sub, plan, _restricted(sub, start), workers, log)
            for sub in (restrict(problem, part) for part in jobs)
        ]
    for index in range(len(plan)):
        if any(part.sequences is None and part.stages for part in parts):
            break  # a part has no schedule at all
        later = len(plan) - index - 1
        left = max(0.0, stop_at - time.perf_counter())
        share = left if not later else left * (FIRST_SHARE if index == 0 else 1 / (later + 1))
        _solve_stage(parts, index, time.perf_counter() + share, plan[index])
    return _assemble(problem, plan, parts, start, time.perf_counter() - began, time_limit_s)


def _solve_stage(parts: list[_Part], index: int, stop_at: float, stage: Objective) -> None:
    """Stage ``index`` of every part, the time going where the stage is not at its bound.

    A part already at its bound is left as it is. For the makespan alone only the parts that
    end last matter; otherwise the time is shared by the gap between value and bound, the
    smaller first, so that what a part does not use (it stops early when its searches stall)
    passes on to the next; time still left goes round again, until the stage's time is spent
    or every part is proven.
    """
    values = [part.value(index) for part in parts]
    bounds = [part.bound(index) for part in parts]
    open_parts = []
    for i, part in enumerate(parts):
        value = values[i]
        if value is not None and value <= bounds[i] + 1e-9:
            part.leave(index, proven=True)
        else:
            open_parts.append(i)
    makespan = set(stage.weights) == {Criterion.MAKESPAN}
    known = [values[i] for i in open_parts]
    if makespan and open_parts and all(v is not None for v in known):
        latest = max(v for v in known if v is not None)
        ends = {i: values[i] or 0.0 for i in open_parts}
        for i in [i for i in open_parts if ends[i] < latest]:
            parts[i].leave(index, proven=False)  # ends before the last part: no matter
        open_parts = [i for i in open_parts if ends[i] >= latest]
    first_round = True
    while open_parts and (first_round or stop_at - time.perf_counter() > 0.5):
        first_round = False
        gaps = {i: (parts[i].value(index) or 0.0) - bounds[i] + 1.0 for i in open_parts}
        order = sorted(open_parts, key=lambda i: gaps[i])
        for number, i in enumerate(order):
            left = max(0.0, stop_at - time.perf_counter())
            share = left * gaps[i] / sum(gaps[j] for j in order[number:])
            if len(parts[i].stages) > index:
                parts[i].reopen(index)  # a further round: search the stage again
            parts[i].solve(index, share)
        open_parts = [i for i in open_parts if parts[i].open(index)]


def _stage_values(plan: Sequence[Objective], solution: Solution) -> list[float]:
    """The solution's value of each stage, to compare lexicographically."""
    measures = solution.measures()
    return [stage.value(measures) for stage in plan]


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
        value = pick(v for v in values if v is not None) if complete else None
        bounded = complete and all(b is not None for b in bounds)
        bound = pick(b for b in bounds if b is not None) if bounded else None
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
    fallen = [part for part in parts if part.how == "start"]
    if fallen and len(fallen) == len(parts) and start is not None:
        what = start.label or start.method
        return f"{what}: CP-SAT found nothing in {time_limit_s:g} s", start.method
    if all(r.status == "OPTIMAL" for r in stage_results) and len(stage_results) == len(plan):
        text = "CP-SAT optimal"
    else:
        gap = stage_results[0].gap if stage_results else None
        shown = "unknown" if gap is None else f"{gap:.1%}".replace("%", " %")
        text = f"CP-SAT feasible, gap {shown} on {criterion_name(plan[0])}"
    large = [part.search for part in parts if part.staged is None and part.search is not None]
    passes = [part.search for part in parts if part.staged is not None and part.search is not None]
    method = "cp-sat"
    if large:
        text += f"; {_windows(large).describe()}"
        if len(parts) > 1:
            text += f" in {len(large)} of {len(parts)} independent parts"
        text += " (bound from each job alone)"
        method = "cp-sat+lns"
    if any(search.improved for search in passes):
        text += f"; started by {_windows(passes).describe()}"
    if len(parts) > 1 and not large:
        text += f"; {len(parts)} independent parts"
    if fallen and start is not None:
        text += (
            f"; CP-SAT found nothing in time for {len(fallen)} of the parts, which keep "
            f"{start.label or start.method}"
        )
    return text, method


def _windows(searches: list[WindowSearch]) -> WindowSearch:
    """Several window searches counted as one."""
    return WindowSearch(
        solved=sum(s.solved for s in searches),
        improved=sum(s.improved for s in searches),
        widths=[w for s in searches for w in s.widths],
    )
