"""Dispatching rules: the greedy baselines FIFO, EDD, SPT and ATCS, and the best of them.

A rule simulates the shop as a planner with a priority list would run it (Giffler–Thompson list
scheduling): among every job's next operation, find the one that could *finish* first and its
machine; every operation that could *start* on that machine before then competes, and the rule
picks one. Operations are appended to the end of each machine's sequence, after the setup from the
machine's last family, at the earliest time that keeps setup and processing out of unavailable
windows; earlier idle gaps are not back-filled. Where an operation would take a usage counter past
its limit, the machine's maintenance runs first, right before the setup (cleaning as late as the
counter allows, so as seldom as possible).

- **FIFO**: earliest release first; among equal releases, first to arrive at the machine.
- **EDD**: earliest due date first (jobs without one last).
- **SPT**: shortest processing time on the machine first.
- **ATCS**: apparent tardiness cost with setups (Lee, Bhaskaran & Pinedo 1997), highest index
  ``w/p · exp(−max(d − r − t, 0) / (k1 · p̄)) · exp(−s / (k2 · s̄))`` first, where ``r`` is the job's
  remaining work (the textbook single-machine form has ``r = p``), ``s`` the setup the operation
  needs, and ``p̄``, ``s̄`` the means over the competing operations. Jobs without a due date have no
  urgency (index 0) and go by SPT among themselves.

Maximum lags: operations joined by a maximum lag are dispatched together as a block. The block's
operations are placed one after another at their earliest; where a wait exceeds its lag, the
operation before it is pushed later by the excess and the block is placed again, until every lag
holds. If after 100 attempts it still does not (a setup on the same machine longer than the lag, or
unavailable windows that keep breaking it), the rule gives up and returns status ``UNKNOWN`` with a
message instead of a schedule that breaks a lag. The same happens if the schedule overruns the
problem's horizon or a job's deadline.

Stores: an operation followed by a wait in a store starts late enough that the store has a place
for its job when it ends (:mod:`twin.schedule.floor`), as a tool holds a finished roll until
there is room downstream.

Frozen operations are placed first, where they are frozen; they must be the first operations of
their jobs' routes and, on each machine, come before everything the rule places. Of each choice,
the rule runs the option whose machines would be done first with its work added to what they
already carry (every job's work shared among the units that can run it).

Permutation problems are dispatched job by job: the rule picks the next job among those released by
the time the earliest one could start, and places all its operations after everything already
placed, so every machine sees jobs in the same order.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from twin.schedule.criteria import ObjectiveSpec, stages
from twin.schedule.floor import Floor
from twin.schedule.problem import Job, Problem
from twin.schedule.solution import Solution, build_solution, usage_overruns

Rule = Literal["FIFO", "EDD", "SPT", "ATCS"]
RULES: tuple[Rule, ...] = ("FIFO", "EDD", "SPT", "ATCS")
"""Every dispatching rule, in the order :func:`best_dispatch` tries them."""

_MAX_PASSES = 100
"""Attempts at placing a block of operations joined by maximum lags before giving up."""


class _Stopped(Exception):
    """The rule ran out of time (see ``stop_at``)."""


@dataclass(frozen=True)
class _Candidate:
    """A job competing for the next decision, with what the rules look at."""

    job: Job
    order: int
    arrival: int
    processing: int
    remaining: int
    setup: int


def dispatch(
    problem: Problem,
    rule: Rule = "ATCS",
    *,
    objective: ObjectiveSpec = "makespan",
    k1: float = 2.0,
    k2: float = 0.5,
    stop_at: float | None = None,
    early_maintenance: float | None = None,
) -> Solution:
    """The schedule dispatching rule ``rule`` makes for ``problem`` (see the module docstring).

    ``objective`` only sets which value the solution reports as its objective (the first
    stage's, if lexicographic). ``k1`` and ``k2`` scale ATCS's due-date and setup terms.
    ``stop_at`` (a :func:`time.perf_counter` time) stops a rule that has not finished by then:
    it returns status ``UNKNOWN``, saying so. ``early_maintenance`` (a share of the limit, e.g.
    0.5) makes the rule maintain a counter at least that full in time the machine would stand
    idle anyway, instead of as late as the limit allows; the method is then ``RULE+early``.
    """
    if rule not in RULES:
        raise ValueError(f"unknown dispatching rule {rule!r}; choose from {', '.join(RULES)}")
    began = time.perf_counter()
    name = rule if early_maintenance is None else f"{rule}+early"
    method = f"dispatch:{name}"
    try:
        floor, failure = _run(problem, rule, k1, k2, stop_at, early_maintenance)
    except _Stopped:
        return Solution(
            status="UNKNOWN",
            method=method,
            message=f"the rule {name} did not finish within the time limit",
            wall_time_s=time.perf_counter() - began,
        )
    if failure:
        return Solution(
            status="UNKNOWN",
            method=method,
            message=failure,
            wall_time_s=time.perf_counter() - began,
        )
    return build_solution(
        problem,
        floor.sequences,
        maintenance=floor.maintenance,
        status="FEASIBLE",
        method=method,
        objective=stages(objective)[0],
        wall_time_s=time.perf_counter() - began,
        label=f"dispatching rule {rule}"
        + ("" if early_maintenance is None else " with early maintenance in idle time"),
    )


def _run(
    problem: Problem,
    rule: Rule,
    k1: float,
    k2: float,
    stop_at: float | None,
    early: float | None,
) -> tuple[Floor, str]:
    """Dispatch every job by ``rule``; the floor at the end and a failure message, if any."""
    floor = Floor.empty(problem, early)
    order = {job.id: i for i, job in enumerate(problem.jobs)}
    left_out = _options_left_out(problem)
    pending = [job for job in problem.jobs if job.id not in left_out]
    next_op = {job.id: 0 for job in pending}
    ready = {job.id: job.release for job in pending}
    failure = _place_frozen(floor, pending, next_op, ready)
    pending = [job for job in pending if next_op[job.id] < len(job.operations)]
    blocked: set[str] = set()
    while pending and not failure:
        if stop_at is not None and time.perf_counter() > stop_at:
            raise _Stopped
        waiting = [job for job in pending if job.id not in blocked]
        if problem.permutation:
            candidates, now, machine = _job_decision(floor, waiting, order)
        else:
            candidates, now, machine = _operation_decision(floor, waiting, order, next_op, ready)
        if not candidates:
            return floor, "the stores on the jobs' way are full and nothing can move: stuck"
        job = min(candidates, key=_priority(rule, candidates, now, k1, k2)).job
        first = next_op[job.id]
        count = len(job.operations) if problem.permutation else _block(job, first)
        end = _place(floor, job, first, count, machine, ready[job.id])
        if end is None:
            failure = f"job {job.id!r}: could not meet its maximum lags by pushing operations later"
            break
        if end == math.inf:
            blocked.add(job.id)
            continue
        blocked.clear()
        ready[job.id] = int(end)
        next_op[job.id] = first + count
        if next_op[job.id] == len(job.operations):
            pending.remove(job)
    return floor, failure or _final_failure(problem, floor)


def _final_failure(problem: Problem, floor: Floor) -> str:
    """Why the finished floor is no schedule (usage overruns, horizon, deadlines), or ''."""
    for machine, sequence in floor.sequences.items():
        for op_id, counter, level in usage_overruns(
            problem, machine, [op for op, _ in sequence], floor.maintenance
        ):
            return (
                f"operation {op_id!r} alone takes usage counter {counter} of machine "
                f"{machine!r} to {level}, past its limit"
            )
    if problem.horizon is not None:
        last = max(floor.free.values(), default=0)
        if last > problem.horizon:
            return f"the schedule ends at {last}, after the horizon {problem.horizon}"
    ends = {op: start + problem.operations[op].eligible[m] for m, seq in floor.sequences.items()
            for op, start in seq}  # fmt: skip
    for job in problem.jobs:
        end = ends.get(job.operations[-1].id)
        if job.deadline is not None and end is not None and end > job.deadline:
            return f"job {job.id!r} ends at {end}, after its deadline {job.deadline}"
    return ""


def _options_left_out(problem: Problem) -> set[str]:
    """The jobs of every option the rule does not run (see the module docstring)."""
    load: dict[str, float] = defaultdict(float)

    def work(job: Job) -> dict[str, float]:
        share: dict[str, float] = defaultdict(float)
        for op in job.operations:
            for machine, duration in op.eligible.items():
                share[machine] += duration / len(op.eligible)
        return share

    for job in problem.jobs:
        if job.id not in problem.option_of:
            for machine, amount in work(job).items():
                load[machine] += amount
    left_out: set[str] = set()
    releases = {
        choice.id: min(problem.job[j].release for option in choice.options for j in option)
        for choice in problem.choices
    }
    for choice in sorted(problem.choices, key=lambda c: releases[c.id]):
        shares = []
        for option in choice.options:
            share: dict[str, float] = defaultdict(float)
            for job_id in option:
                for machine, amount in work(problem.job[job_id]).items():
                    share[machine] += amount
            shares.append(share)
        best = min(
            range(len(shares)),
            key=lambda i: max(load[m] + amount for m, amount in shares[i].items()),
        )
        for machine, amount in shares[best].items():
            load[machine] += amount
        left_out.update(j for i, option in enumerate(choice.options) if i != best for j in option)
    return left_out


def _place_frozen(
    floor: Floor, pending: list[Job], next_op: dict[str, int], ready: dict[str, int]
) -> str:
    """Put every frozen operation in place; a failure message if they are not route prefixes."""
    problem = floor.problem
    frozen = sorted(problem.frozen.items(), key=lambda item: item[1].start)
    running = {job.id for job in pending}
    for op_id, place in frozen:
        op = problem.operations[op_id]
        if op.job not in running:
            continue
        if problem.route_index[op_id] != next_op[op.job]:
            return (
                f"frozen operation {op_id!r} is not among the first operations of its job, "
                "which the dispatching rules need"
            )
        floor.run(place.machine, op, place.start, place.maintenance)
        next_op[op.job] += 1
        ready[op.job] = place.start + op.eligible[place.machine]
    return ""


def best_dispatch(
    problem: Problem, objective: ObjectiveSpec = "makespan", *, stop_at: float | None = None
) -> Solution:
    """The best schedule of all :data:`RULES` for ``objective`` (stage by stage if lexicographic).

    A good seed for :func:`~twin.schedule.solve.solve`'s ``hint``. If every rule fails, returns
    the first rule's failure. Rules not finished by ``stop_at`` count as failed.
    """
    results = [dispatch(problem, rule, objective=objective, stop_at=stop_at) for rule in RULES]
    return best_of(results, objective) or results[0]


def best_of(solutions: list[Solution], objective: ObjectiveSpec) -> Solution | None:
    """The best of ``solutions`` with a schedule, stage by stage, or ``None`` if none has one."""
    plan = stages(objective)
    feasible = [solution for solution in solutions if solution.has_schedule]
    if not feasible:
        return None
    return min(feasible, key=lambda s: [stage.value(s.measures()) for stage in plan])


def _block(job: Job, first: int) -> int:
    """How many operations from ``first`` on are joined by maximum lags (at least one)."""
    count = 1
    while first + count < len(job.operations) and job.lag_after(first + count - 1) is not None:
        count += 1
    return count


def _remaining(job: Job, first: int) -> int:
    """The job's work left from operation ``first`` on, each on its fastest machine."""
    return sum(op.shortest for op in job.operations[first:])


def _operation_decision(
    floor: Floor,
    pending: list[Job],
    order: dict[str, int],
    next_op: dict[str, int],
    ready: dict[str, int],
) -> tuple[list[_Candidate], int, str]:
    """Giffler–Thompson: the competing jobs, the decision time and the machine they compete for.

    The machine is where some next operation would finish first (at ``c``); the competitors are
    the jobs whose next operation could start there before ``c``. Jobs are looked at in the order
    they are ready; one ready after the earliest finish so far can neither finish first nor
    compete.
    """
    options = []
    finish = math.inf
    for job in sorted(pending, key=lambda j: ready[j.id]):
        if ready[job.id] > finish:
            break
        op = job.operations[next_op[job.id]]
        for machine in op.eligible:
            start, setup = floor.earliest(machine, op, ready[job.id])
            if start < math.inf:
                options.append((start + op.eligible[machine], start, order[job.id], machine, setup))
                finish = min(finish, start + op.eligible[machine])
    if not options:
        return [], 0, ""
    finish, _, winner, machine, _ = min(options)
    competing = [o for o in options if o[3] == machine and (o[1] < finish or o[2] == winner)]
    jobs = floor.problem.jobs
    candidates = []
    for _, _, index, _, setup in competing:
        job = jobs[index]
        first = next_op[job.id]
        processing = job.operations[first].eligible[machine]
        remaining = _remaining(job, first)
        candidates.append(_Candidate(job, index, ready[job.id], processing, remaining, setup))
    return candidates, int(min(o[1] for o in competing)), machine


def _job_decision(
    floor: Floor, pending: list[Job], order: dict[str, int]
) -> tuple[list[_Candidate], int, None]:
    """Permutation shops: the jobs released by the time the earliest one could start, and then."""
    first_start = {}
    first_setup = {}
    for job in pending:
        _, first_start[job.id], _, first_setup[job.id] = floor.best_machine(
            job.operations[0], job.release
        )
    if min(first_start.values()) == math.inf:
        return [], 0, None
    now = int(min(first_start.values()))
    candidates = [
        _Candidate(
            job,
            order[job.id],
            job.release,
            _remaining(job, 0),
            _remaining(job, 0),
            first_setup[job.id],
        )
        for job in pending
        if job.release <= now
    ]
    return candidates, now, None


def _priority(
    rule: Rule, candidates: list[_Candidate], now: int, k1: float, k2: float
) -> Callable[[_Candidate], tuple[float, ...]]:
    """The sort key of ``rule``: the candidate with the smallest key goes first."""
    if rule == "FIFO":
        return lambda c: (c.job.release, c.arrival, c.order)
    if rule == "EDD":
        return lambda c: (math.inf if c.job.due is None else c.job.due, c.job.release, c.order)
    if rule == "SPT":
        return lambda c: (c.processing, c.order)
    mean_processing = max(1.0, sum(c.processing for c in candidates) / len(candidates))
    mean_setup = sum(c.setup for c in candidates) / len(candidates)

    def atcs(c: _Candidate) -> tuple[float, ...]:
        if c.job.due is None:
            return (0.0, c.processing, c.order)
        slack = max(c.job.due - c.remaining - now, 0)
        index = c.job.weight / max(c.processing, 1) * math.exp(-slack / (k1 * mean_processing))
        if mean_setup > 0:
            index *= math.exp(-c.setup / (k2 * mean_setup))
        return (-index, c.processing, c.order)

    return atcs


def _place(
    floor: Floor, job: Job, first: int, count: int, machine: str | None, ready: int
) -> float | None:
    """Place operations ``first .. first + count − 1`` of ``job``; return when the last ends.

    The first goes on ``machine`` if given, the others on the machine where each ends first.
    Waits longer than a maximum lag push the operation before them later (see the module
    docstring); ``None`` if the lags still fail after the allowed attempts, ``inf`` (nothing
    placed) if a store on the way has no place now.
    """
    operations = job.operations[first : first + count]
    lower = [ready] * count
    for _ in range(_MAX_PASSES):
        trial = floor.scratch()
        placed: list[tuple[int, int]] = []
        previous_end = ready
        for i, op in enumerate(operations):
            earliest = max(previous_end, lower[i])
            if i == 0 and machine is not None:
                start = trial.earliest(machine, op, earliest)[0]
                chosen = machine
            else:
                _, start, chosen, _ = trial.best_machine(op, earliest)
            if start == math.inf:
                return math.inf
            trial.run(chosen, op, int(start))
            previous_end = int(start) + op.eligible[chosen]
            placed.append((int(start), previous_end))
        pushed = False
        for i in range(count - 1):
            lag = job.lag_after(first + i)
            excess = placed[i + 1][0] - placed[i][1] - (lag if lag is not None else math.inf)
            if excess > 0:
                lower[i] = placed[i][0] + int(excess)
                pushed = True
        if not pushed:
            floor.adopt(trial)
            return previous_end
    return None
