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
problem's horizon.

Permutation problems are dispatched job by job: the rule picks the next job among those released by
the time the earliest one could start, and places all its operations after everything already
placed, so every machine sees jobs in the same order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from twin.schedule.criteria import ObjectiveSpec, stages
from twin.schedule.problem import Job, Operation, Problem
from twin.schedule.solution import Placement, Solution, build_solution, usage_overruns

Rule = Literal["FIFO", "EDD", "SPT", "ATCS"]
RULES: tuple[Rule, ...] = ("FIFO", "EDD", "SPT", "ATCS")
"""Every dispatching rule, in the order :func:`best_dispatch` tries them."""

_MAX_PASSES = 100
"""Attempts at placing a block of operations joined by maximum lags before giving up."""


@dataclass
class _Floor:
    """The shop floor as the dispatcher sees it: when each machine frees up, in what state."""

    problem: Problem
    free: dict[str, int]
    family: dict[str, str | None]
    sequences: dict[str, list[Placement]]
    usage: dict[str, dict[str, int]]
    maintenance: dict[str, tuple[str, ...]]

    @classmethod
    def empty(cls, problem: Problem) -> _Floor:
        """The floor before anything runs: machines free, set up for nothing, counters at zero."""
        return cls(
            problem,
            free={m.id: 0 for m in problem.machines},
            family={m.id: None for m in problem.machines},
            sequences={m.id: [] for m in problem.machines},
            usage={m.id: {u.counter: 0 for u in m.usage_limits} for m in problem.machines},
            maintenance={},
        )

    def scratch(self) -> _Floor:
        """A floor in the same state with empty sequences, to try a placement on."""
        return _Floor(
            self.problem,
            dict(self.free),
            dict(self.family),
            {machine: [] for machine in self.sequences},
            {machine: dict(levels) for machine, levels in self.usage.items()},
            {},
        )

    def adopt(self, trial: _Floor) -> None:
        """Take over the state of ``trial`` (made by :meth:`scratch`) and append its sequences."""
        self.free, self.family, self.usage = trial.free, trial.family, trial.usage
        self.maintenance.update(trial.maintenance)
        for machine, sequence in trial.sequences.items():
            self.sequences[machine].extend(sequence)

    def due_maintenance(self, machine: str, op: Operation) -> tuple[str, ...]:
        """The usage counters ``op`` would take past their limits: maintain them first."""
        levels = self.usage[machine]
        return tuple(
            limit.counter
            for limit in self.problem.machine[machine].usage_limits
            if levels[limit.counter] + op.usage.get(limit.counter, 0) > limit.limit
        )

    def earliest(self, machine: str, op: Operation, ready: int) -> tuple[int, int]:
        """The earliest start of ``op`` on ``machine`` not before ``ready``, and its setup.

        The setup returned includes any maintenance that must run before it.
        """
        setup = self.problem.setups.time(machine, self.family[machine], op.setup_family)
        due = self.due_maintenance(machine, op)
        if due:
            durations = {u.counter: u.duration for u in self.problem.machine[machine].usage_limits}
            setup += sum(durations[counter] for counter in due)
        duration = op.eligible[machine]
        start = max(ready, self.free[machine] + setup)
        if setup + duration > 0:
            for off_start, off_end in self.problem.machine[machine].unavailable:
                if off_end <= start - setup:
                    continue
                if off_start >= start + duration:
                    break
                start = off_end + setup
        return start, setup

    def best_machine(self, op: Operation, ready: int) -> tuple[int, int, str, int]:
        """(end, start, machine, setup) of ``op`` on the machine where it would end first."""
        return min(
            (start + op.eligible[m], start, m, setup)
            for m in op.eligible
            for start, setup in [self.earliest(m, op, ready)]
        )

    def run(self, machine: str, op: Operation, start: int) -> None:
        """Append ``op`` to ``machine``'s sequence at ``start``."""
        levels = self.usage[machine]
        due = self.due_maintenance(machine, op)
        if due:
            self.maintenance[op.id] = due
            levels.update(dict.fromkeys(due, 0))
        for counter in levels:
            levels[counter] += op.usage.get(counter, 0)
        self.free[machine] = start + op.eligible[machine]
        self.family[machine] = op.setup_family
        self.sequences[machine].append((op.id, start))


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
) -> Solution:
    """The schedule dispatching rule ``rule`` makes for ``problem`` (see the module docstring).

    ``objective`` only sets which value the solution reports as its objective (the last stage's,
    if lexicographic). ``k1`` and ``k2`` scale ATCS's due-date and setup terms.
    """
    if rule not in RULES:
        raise ValueError(f"unknown dispatching rule {rule!r}; choose from {', '.join(RULES)}")
    began = time.perf_counter()
    floor = _Floor.empty(problem)
    order = {job.id: i for i, job in enumerate(problem.jobs)}
    next_op = {job.id: 0 for job in problem.jobs}
    ready = {job.id: job.release for job in problem.jobs}
    pending = list(problem.jobs)
    failure = ""
    while pending:
        if problem.permutation:
            candidates, now, machine = _job_decision(floor, pending, order)
        else:
            candidates, now, machine = _operation_decision(floor, pending, order, next_op, ready)
        job = min(candidates, key=_priority(rule, candidates, now, k1, k2)).job
        first = next_op[job.id]
        count = len(job.operations) if problem.permutation else _block(job, first)
        end = _place(floor, job, first, count, machine, ready[job.id])
        if end is None:
            failure = f"job {job.id!r}: could not meet its maximum lags by pushing operations later"
            break
        ready[job.id] = end
        next_op[job.id] = first + count
        if next_op[job.id] == len(job.operations):
            pending.remove(job)
    if not failure:
        failure = next(
            (
                f"operation {op_id!r} alone takes usage counter {counter} of machine "
                f"{machine!r} to {level}, past its limit"
                for machine, sequence in floor.sequences.items()
                for op_id, counter, level in usage_overruns(
                    problem, machine, [op for op, _ in sequence], floor.maintenance
                )
            ),
            "",
        )
    if not failure and problem.horizon is not None:
        last = max(floor.free.values())
        if last > problem.horizon:
            failure = f"the schedule ends at {last}, after the horizon {problem.horizon}"
    method = f"dispatch:{rule}"
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
        objective=stages(objective)[-1],
        wall_time_s=time.perf_counter() - began,
    )


def best_dispatch(problem: Problem, objective: ObjectiveSpec = "makespan") -> Solution:
    """The best schedule of all :data:`RULES` for ``objective`` (stage by stage if lexicographic).

    A good seed for :func:`~twin.schedule.solve.solve`'s ``hint``. If every rule fails, returns
    the first rule's failure.
    """
    plan = stages(objective)
    results = [dispatch(problem, rule, objective=objective) for rule in RULES]
    feasible = [solution for solution in results if solution.has_schedule]
    if not feasible:
        return results[0]
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
    floor: _Floor,
    pending: list[Job],
    order: dict[str, int],
    next_op: dict[str, int],
    ready: dict[str, int],
) -> tuple[list[_Candidate], int, str]:
    """Giffler–Thompson: the competing jobs, the decision time and the machine they compete for.

    The machine is where some next operation would finish first (at ``c``); the competitors are
    the jobs whose next operation could start there before ``c``.
    """
    options = []
    for job in pending:
        op = job.operations[next_op[job.id]]
        for machine in op.eligible:
            start, setup = floor.earliest(machine, op, ready[job.id])
            options.append((start + op.eligible[machine], start, order[job.id], machine, setup))
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
    return candidates, min(o[1] for o in competing), machine


def _job_decision(
    floor: _Floor, pending: list[Job], order: dict[str, int]
) -> tuple[list[_Candidate], int, None]:
    """Permutation shops: the jobs released by the time the earliest one could start, and then."""
    first_start = {}
    first_setup = {}
    for job in pending:
        _, first_start[job.id], _, first_setup[job.id] = floor.best_machine(
            job.operations[0], job.release
        )
    now = min(first_start.values())
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
    floor: _Floor, job: Job, first: int, count: int, machine: str | None, ready: int
) -> int | None:
    """Place operations ``first .. first + count − 1`` of ``job``; return when the last ends.

    The first goes on ``machine`` if given, the others on the machine where each ends first.
    Waits longer than a maximum lag push the operation before them later (see the module
    docstring); ``None`` if the lags still fail after the allowed attempts.
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
            trial.run(chosen, op, start)
            previous_end = start + op.eligible[chosen]
            placed.append((start, previous_end))
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
