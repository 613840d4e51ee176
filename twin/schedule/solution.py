"""A schedule and its figures: per-machine sequences, job completions, criteria and solver status.

Every solution, from CP-SAT or from a dispatching rule, is made by :func:`build_solution` from the
sequence of operations on each machine, so setups, completions and criteria are computed in one
place. A :class:`Solution` is a pydantic model and serialises to JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from twin.schedule.criteria import Criterion, Objective
from twin.schedule.problem import Problem

Status = Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN", "MODEL_INVALID"]
"""CP-SAT's statuses; a dispatching rule's schedule is ``FEASIBLE``, its failure ``UNKNOWN``."""

Placement = tuple[str, int]
"""Where and when an operation runs: (machine id, start)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScheduledOperation(_Frozen):
    """An operation in a machine's sequence; its setup runs right before ``start``.

    ``maintenance_before`` names the usage counters whose maintenance (see
    :class:`~twin.schedule.problem.UsageLimit`) runs right before the setup, in that order.
    """

    operation: str
    job: str
    start: int
    end: int
    setup_before: int
    maintenance_before: tuple[str, ...] = ()


class JobOutcome(_Frozen):
    """When a job's last operation ends and how late that is (0 if on time or without due)."""

    completion: int
    tardiness: int


class StageResult(_Frozen):
    """One stage of a (lexicographic) solve: its objective, value, bound, gap and status.

    ``gap`` is ``|value − bound| / max(1, |value|)``, or ``None`` without both.
    """

    objective: str
    status: Status
    value: float | None
    bound: float | None
    wall_time_s: float
    gap: float | None = None


class Solution(_Frozen):
    """A schedule with its figures, or the reason there is none.

    ``objective``, ``bound`` and ``gap`` belong to the objective's first criterion (the first
    stage of a lexicographic objective, the whole sum of a weighted one), the one that matters
    most; ``stages`` lists every stage solved with its own figures. ``gap`` is ``|objective −
    bound| / max(1, |objective|)``. ``label`` says in words which method made the schedule and how
    far it got ("CP-SAT optimal", "CP-SAT feasible, gap 3.1 % on weighted tardiness", "dispatching
    rule EDD: CP-SAT found nothing in 10 s"); ``cut_short`` is true when the time limit stopped
    the search before it proved every stage optimal. The schedule fields are ``None`` or empty
    when ``status`` has no schedule.
    """

    status: Status
    method: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    makespan: int | None = None
    weighted_tardiness: float | None = None
    total_setup: int | None = None
    wall_time_s: float = 0.0
    machines: dict[str, list[ScheduledOperation]] = {}
    jobs: dict[str, JobOutcome] = {}
    stages: list[StageResult] = []
    message: str = ""
    label: str = ""
    cut_short: bool = False

    @property
    def has_schedule(self) -> bool:
        """Whether the solution carries a schedule (status OPTIMAL or FEASIBLE)."""
        return self.status in ("OPTIMAL", "FEASIBLE")

    def measures(self) -> dict[Criterion, float]:
        """The criteria of the schedule, by name."""
        if not self.has_schedule:
            raise ValueError(f"a solution with status {self.status} has no schedule to measure")
        return {
            Criterion.MAKESPAN: float(self.makespan or 0),
            Criterion.WEIGHTED_TARDINESS: float(self.weighted_tardiness or 0.0),
            Criterion.TOTAL_SETUP: float(self.total_setup or 0),
        }

    def maintenance(self) -> dict[str, tuple[str, ...]]:
        """The usage maintenance before each operation that has some: the counters it resets."""
        return {
            step.operation: step.maintenance_before
            for sequence in self.machines.values()
            for step in sequence
            if step.maintenance_before
        }

    def placements(self) -> dict[str, Placement]:
        """Each operation's (machine, start): the form a hint takes."""
        return {
            step.operation: (machine, step.start)
            for machine, sequence in self.machines.items()
            for step in sequence
        }


def sequences_of(
    problem: Problem, placements: Mapping[str, Placement]
) -> dict[str, list[Placement]]:
    """Each machine's placed operations in order of start (then of route position)."""
    by_machine: dict[str, list[tuple[int, int, str]]] = {}
    for op_id, (machine, start) in placements.items():
        by_machine.setdefault(machine, []).append((start, problem.route_index[op_id], op_id))
    return {
        machine: [(op_id, start) for start, _, op_id in sorted(steps)]
        for machine, steps in by_machine.items()
    }


def sequences_of_solution(solution: Solution) -> dict[str, list[Placement]]:
    """Each machine's (operation, start) in ``solution``'s order."""
    return {m: [(s.operation, s.start) for s in steps] for m, steps in solution.machines.items()}


def usage_overruns(
    problem: Problem,
    machine: str,
    operations: Sequence[str],
    maintenance: Mapping[str, Sequence[str]],
) -> list[tuple[str, str, int]]:
    """Where usage counters pass their limits: (operation, counter, level) for each time.

    ``operations`` run in order on ``machine``, with the maintenance before each in
    ``maintenance``.
    """
    limits = {limit.counter: limit.limit for limit in problem.machine[machine].usage_limits}
    level = problem.machine[machine].usage_at_start()
    overruns = []
    for op_id in operations:
        for counter in maintenance.get(op_id, ()):
            level[counter] = 0
        for counter, amount in problem.operations[op_id].usage.items():
            if counter in level:
                level[counter] += amount
                if level[counter] > limits[counter]:
                    overruns.append((op_id, counter, level[counter]))
    return overruns


def needed_maintenance(
    problem: Problem,
    sequences: Mapping[str, Sequence[Placement]],
    maintenance: Mapping[str, Sequence[str]],
) -> dict[str, tuple[str, ...]]:
    """``maintenance`` less what no usage limit calls for.

    Going along each machine's sequence, a maintenance is dropped when every counter stays within
    its limit without it. Dropping one only frees machine time, so the schedule stays valid. The
    maintenance of a frozen operation stays as it was frozen.
    """
    kept = {op_id: list(counters) for op_id, counters in maintenance.items()}
    for machine, sequence in sequences.items():
        operations = [op_id for op_id, _ in sequence]
        for op_id in operations:
            if op_id in problem.frozen:
                continue
            for counter in list(kept.get(op_id, ())):
                kept[op_id].remove(counter)
                if usage_overruns(problem, machine, operations, kept):
                    kept[op_id].append(counter)
    return {op_id: tuple(counters) for op_id, counters in kept.items() if counters}


def build_solution(
    problem: Problem,
    sequences: Mapping[str, Sequence[Placement]],
    *,
    maintenance: Mapping[str, Sequence[str]] | None = None,
    status: Status,
    method: str,
    objective: Objective,
    bound: float | None = None,
    wall_time_s: float = 0.0,
    stages: Sequence[StageResult] = (),
    message: str = "",
    label: str = "",
    cut_short: bool = False,
) -> Solution:
    """The solution whose machines run ``sequences[machine]`` = [(operation, start), ...] in order.

    ``maintenance`` gives the usage counters maintained right before an operation. Setups follow
    from each machine's order, ends from the processing times, and the criteria and the value of
    ``objective`` from those. Jobs of options not chosen (no operation scheduled) are left out.
    """
    maintenance = maintenance or {}
    machines: dict[str, list[ScheduledOperation]] = {}
    ends: dict[str, int] = {}
    total_setup = 0
    for machine in problem.machines:
        family = machine.initial_family
        steps = []
        for op_id, start in sequences.get(machine.id, ()):
            operation = problem.operations[op_id]
            setup = problem.setups.time(machine.id, family, operation.setup_family)
            end = start + operation.eligible[machine.id]
            steps.append(
                ScheduledOperation(
                    operation=op_id,
                    job=operation.job,
                    start=start,
                    end=end,
                    setup_before=setup,
                    maintenance_before=tuple(maintenance.get(op_id, ())),
                )
            )
            ends[op_id] = end
            total_setup += setup
            family = operation.setup_family
        machines[machine.id] = steps
    jobs: dict[str, JobOutcome] = {}
    weighted_tardiness = 0.0
    for job in problem.jobs:
        if job.id in problem.option_of and job.operations[-1].id not in ends:
            continue
        completion = ends[job.operations[-1].id]
        tardiness = 0 if job.due is None else max(0, completion - job.due)
        jobs[job.id] = JobOutcome(completion=completion, tardiness=tardiness)
        weighted_tardiness += job.weight * tardiness
    makespan = max(ends.values(), default=0)
    value = objective.value(
        {
            Criterion.MAKESPAN: makespan,
            Criterion.WEIGHTED_TARDINESS: weighted_tardiness,
            Criterion.TOTAL_SETUP: total_setup,
        }
    )
    return Solution(
        status=status,
        method=method,
        objective=value,
        bound=bound,
        gap=gap_of(value, bound),
        makespan=makespan,
        weighted_tardiness=weighted_tardiness,
        total_setup=total_setup,
        wall_time_s=wall_time_s,
        machines=machines,
        jobs=jobs,
        stages=list(stages),
        message=message,
        label=label,
        cut_short=cut_short,
    )


def gap_of(value: float | None, bound: float | None) -> float | None:
    """``|value − bound| / max(1, |value|)``, or ``None`` without both."""
    if value is None or bound is None:
        return None
    return abs(value - bound) / max(1.0, abs(value))
