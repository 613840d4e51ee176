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
ones' values. Within a stage CP-SAT's full search and its neighbourhood search alone take turns,
each until it stalls.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import replace

from ortools.sat.python import cp_model

from twin.schedule.criteria import Criterion, Objective
from twin.schedule.model import ScheduleModel, build_model
from twin.schedule.problem import Job, Problem
from twin.schedule.solution import (
    Placement,
    Solution,
    StageResult,
    Status,
    build_solution,
    gap_of,
    needed_maintenance,
    sequences_of_solution,
)

FIRST_SHARE = 0.9
"""Share of the time the first of several lexicographic stages may use."""

PROBE_S = 2.0
"""The short full search before the neighbourhood search (see :func:`_solve_stage`)."""

PROOF_SUBSOLVERS = ("no_lp", "quick_restart_no_lp")
"""CP-SAT's searches for the makespan with one or two workers: tree searches without the LP
relaxation, whose propagation is faster. Measured side by side on this 2-core machine (load
about 3.5): ft10 proven optimal in 9-10.5 s against no proof in 45 s with the default portfolio
(an LP search and a worker of neighbourhood searches), la19 2.7 s against 12.4 s; with more
workers the default portfolio, which has them too, is kept. Not for flexible shops, where the
LP helps: Brandimarte's mk02 is proven optimal (26) in 3.4 s with the default portfolio and not
in 60 s with these."""

STALL_S = 4.0
"""A search stops after this long without improving (and half the time it has run)."""

_WITH_SCHEDULE = ("OPTIMAL", "FEASIBLE")


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


class StagedModel:
    """A problem's CP-SAT model, solved one stage of a lexicographic objective at a time.

    It starts from ``incumbent`` (if any) and always holds the best schedule so far: after each
    stage, that stage's value is kept as a cap for the later ones. A stage in which CP-SAT finds
    nothing keeps the schedule it had, its value that schedule's.
    """

    def __init__(
        self,
        problem: Problem,
        plan: Sequence[Objective],
        incumbent: Solution | None,
        *,
        workers: int,
        log: bool = False,
    ) -> None:
        self.problem = problem
        self.plan = tuple(plan)
        self.workers, self.log = workers, log
        narrowed = with_deadlines(problem, plan[0], incumbent)
        criteria = dict.fromkeys(c for stage in plan for c in stage.weights)
        self.built = build_model(narrowed, criteria)
        self.sequences: dict[str, list[Placement]] | None = None
        self.maintenance: dict[str, tuple[str, ...]] = {}
        self.stages: list[StageResult] = []
        self._reopened: StageResult | None = None
        if incumbent is not None and incumbent.has_schedule:
            self.built.add_hint(incumbent.placements(), incumbent.maintenance())
            self.sequences = sequences_of_solution(incumbent)
            self.maintenance = incumbent.maintenance()

    @property
    def done(self) -> bool:
        """Whether every stage has been solved (or found nothing)."""
        return len(self.stages) == len(self.plan) or (
            bool(self.stages) and self.stages[-1].value is None
        )

    def value(self, index: int) -> float | None:
        """The value of stage ``index`` for the best schedule so far."""
        schedule = self.schedule()
        return None if schedule is None else self.plan[index].value(schedule.measures())

    def adopt(self, schedule: Solution) -> None:
        """Start the next stage from ``schedule`` (a better one found elsewhere)."""
        self.sequences = sequences_of_solution(schedule)
        self.maintenance = schedule.maintenance()
        self.built.model.clear_hints()
        self.built.add_hint(schedule.placements(), self.maintenance)

    def schedule(self) -> Solution | None:
        """The best schedule so far, as a solution of the problem."""
        if self.sequences is None:
            return None
        return build_solution(
            self.problem,
            self.sequences,
            maintenance=self.maintenance,
            status="FEASIBLE",
            method="cp-sat",
            objective=self.plan[0],
        )

    def reopen(self) -> None:
        """Solve the last stage again on the next :meth:`solve` (from its best schedule)."""
        self._reopened = self.stages.pop()

    def solve(self, seconds: float) -> StageResult:
        """Solve the next stage within ``seconds`` (or the reopened one again).

        A stage with weighted tardiness or setups starts with CP-SAT's neighbourhood search
        (their LP bounds are weak, so the full search mostly explores); the makespan alone
        starts with the full search, which proves it.
        """
        index = len(self.stages)
        stage = self.plan[index]
        scaled = self.built.minimise(stage)
        lns_first = set(stage.weights) != {Criterion.MAKESPAN}
        result, solver = _solve_stage(
            self.built, stage.name, scaled.scale, seconds, self.workers, self.log, lns_first
        )
        if result.value is not None:
            self.sequences = self.built.sequences(solver)
            self.maintenance = needed_maintenance(
                self.problem, self.sequences, self.built.maintenance(solver)
            )
        elif self.sequences is not None:
            result = result.model_copy(update={"value": self.value(index)})
        if self._reopened is not None:
            result = _merged(self._reopened, result)
            self._reopened = None
        self._keep(index, result, scaled.expression, scaled.scale, solver)
        return result

    def settle(self, bound: float, proven: bool) -> StageResult:
        """Take the next stage as it stands, without a search.

        ``bound`` is a lower bound found otherwise; ``proven`` says the schedule meets it.
        """
        index = len(self.stages)
        value = self.value(index)
        result = StageResult(
            objective=self.plan[index].name,
            status="OPTIMAL" if proven else "FEASIBLE",
            value=value,
            bound=bound,
            wall_time_s=0.0,
            gap=gap_of(value, bound),
        )
        scaled = self.built.minimise(self.plan[index])
        self._keep(index, result, scaled.expression, scaled.scale, None)
        return result

    def _keep(
        self,
        index: int,
        result: StageResult,
        expression: cp_model.LinearExprT,
        scale: int,
        solver: cp_model.CpSolver | None,
    ) -> None:
        """Record a stage's result; cap it for the later stages."""
        self.stages.append(result)
        if result.value is None or index == len(self.plan) - 1:
            return
        self.built.model.add(expression <= round(result.value * scale))
        if solver is not None and result.status in _WITH_SCHEDULE:
            _hint_solution(self.built, solver)


def _merged(earlier: StageResult, later: StageResult) -> StageResult:
    """One stage solved twice: the better value, the better bound, the time of both."""
    values = [v for v in (earlier.value, later.value) if v is not None]
    bounds = [b for b in (earlier.bound, later.bound) if b is not None]
    value = min(values) if values else None
    bound = max(bounds) if bounds else None
    proven = "OPTIMAL" in (earlier.status, later.status) or (
        value is not None and bound is not None and bound >= value
    )
    status: Status = (
        "OPTIMAL" if proven else later.status if later.value is not None else earlier.status
    )
    return StageResult(
        objective=later.objective,
        status=status,
        value=value,
        bound=bound,
        wall_time_s=earlier.wall_time_s + later.wall_time_s,
        gap=gap_of(value, bound),
    )


def solve_stages(
    problem: Problem,
    plan: Sequence[Objective],
    incumbent: Solution | None,
    *,
    stop_at: float,
    workers: int,
    log: bool = False,
) -> StagedModel:
    """Minimise ``plan``'s stages in turn with CP-SAT until ``stop_at`` (a perf_counter time).

    The first of several stages gets :data:`FIRST_SHARE` of the time, or less if proven optimal
    earlier; the others share the rest equally.
    """
    staged = StagedModel(problem, plan, incumbent, workers=workers, log=log)
    while not staged.done:
        left = max(0.0, stop_at - time.perf_counter())
        later = len(plan) - len(staged.stages) - 1
        first = not staged.stages
        share = left if not later else left * (FIRST_SHARE if first else 1 / (later + 1))
        staged.solve(share)
    return staged


def _flexible(problem: Problem) -> bool:
    """Whether some operation may run on more than one machine (a flexible shop)."""
    return any(len(op.eligible) > 1 for job in problem.jobs for op in job.operations)


def _solve_stage(
    built: ScheduleModel,
    name: str,
    scale: int,
    seconds: float,
    workers: int,
    log: bool,
    lns_first: bool,
) -> tuple[StageResult, cp_model.CpSolver]:
    """One stage: CP-SAT's full search, or (``lns_first``) turns of it and its neighbourhood search.

    Without ``lns_first`` (the makespan, whose bounds CP-SAT proves well) the full search has
    the whole time (with :data:`PROOF_SUBSOLVERS`). With it, CP-SAT's neighbourhood search
    alone (every worker on it), which improves schedules faster where the bound is weak, takes
    turns with the full search, which gives the bound: a short full search first
    (:data:`PROBE_S`, for stages it proves at once), then each turn runs until it stalls
    (:func:`_solve_until_stalled`; the neighbourhood search gets more patience) and the other
    takes over from the best schedule, with another random seed, while time is left and one of
    the last two turns brought something. The bound is the best the full searches proved.
    """
    began = time.perf_counter()
    best: cp_model.CpSolver | None = None
    value: float | None = None
    bound: float | None = None
    status: Status = "UNKNOWN"
    neighbourhoods_only = False
    fruitless = 0
    turn = 0
    while True:
        left = seconds - (time.perf_counter() - began)
        if left <= 0.5 and best is not None:
            break
        probe = lns_first and turn == 0
        solver = _solver(max(0.0, min(left, PROBE_S) if probe else left), workers, log)
        if lns_first:
            solver.parameters.cp_model_probing_level = 0  # presolve in a fraction of the time
        solver.parameters.use_lns_only = neighbourhoods_only
        solver.parameters.random_seed = turn
        turn += 1
        if lns_first:
            patience = (2.0, 1.0) if neighbourhoods_only else (1.0, 0.5)
            outcome = solver.status_name(_solve_until_stalled(solver, built.model, patience))
        else:
            if workers <= len(PROOF_SUBSOLVERS) and not _flexible(built.problem):
                solver.parameters.subsolvers.extend(PROOF_SUBSOLVERS[:workers])
            outcome = solver.status_name(solver.solve(built.model))
        if outcome == "INFEASIBLE" or outcome == "MODEL_INVALID":
            return _stage(name, outcome, None, None, began), solver  # type: ignore[arg-type]
        if outcome in _WITH_SCHEDULE:
            found = solver.objective_value / scale
            improved = value is None or found < value
            if improved:
                value, best = found, solver
                _hint_solution(built, solver)
            fruitless = 0 if improved else fruitless + 1
            if not neighbourhoods_only:
                bound = max(bound or -math.inf, solver.best_objective_bound / scale)
            status = "FEASIBLE"
        if outcome == "OPTIMAL" or (bound is not None and value is not None and bound >= value):
            status = "OPTIMAL"
            break
        if best is None and time.perf_counter() - began >= seconds:
            break
        if not lns_first or (fruitless >= 2 and not probe):
            break  # the full search had its time, or neither search improves any more
        neighbourhoods_only = not neighbourhoods_only
    return _stage(name, status, value, bound, began), best or solver


def _stage(
    name: str, status: Status, value: float | None, bound: float | None, began: float
) -> StageResult:
    return StageResult(
        objective=name,
        status=status,
        value=value,
        bound=bound,
        wall_time_s=time.perf_counter() - began,
        gap=gap_of(value, bound),
    )


class _Progress(cp_model.CpSolverSolutionCallback):
    """Notes when the search last improved its schedule."""

    def __init__(self) -> None:
        super().__init__()
        self.last: float | None = None

    def on_solution_callback(self) -> None:
        self.last = time.perf_counter()


def _solve_until_stalled(
    solver: cp_model.CpSolver, model: cp_model.CpModel, patience: tuple[float, float]
) -> cp_model.CpSolverStatus:
    """``solver.solve(model)``, stopped early once it stops improving.

    With ``patience = (a, b)`` it stops when, since its first schedule, nothing better has come
    for ``a`` × :data:`STALL_S` seconds and for ``b`` × the time it has run, so that the time
    left goes where it still helps.
    """
    progress = _Progress()
    began = time.perf_counter()
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(0.25):
            now = time.perf_counter()
            last = progress.last
            if last is not None and now - last > max(
                patience[0] * STALL_S, patience[1] * (now - began)
            ):
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        return solver.solve(model, progress)
    finally:
        finished.set()
        watcher.join()


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
