"""Sub-problems of a problem: its independent parts, and the neighbourhood of some jobs.

**Components.** Jobs that share no machine, no store and no choice with each other do not
interact: each connected part of the problem can be solved alone and the schedules put side by
side. For a sum of criteria (weighted tardiness, total setup) the parts' values add up; for the
makespan the largest counts.

**Neighbourhoods.** To re-solve a few jobs of a schedule (the *free* jobs) with the rest held where
they are, the sub-problem keeps, on each machine the free jobs may use, the stretch of the
schedule from the first free operation to the last, plus what follows until every usage counter
has been reset by a maintenance (so the counters after the stretch are those of the schedule).
Operations of other jobs inside it are frozen. Before the stretch the machine starts in the state
the schedule leaves it in (free from the end of the last operation before, set up for its family,
its counters at their levels); after it the machine is unavailable, so nothing moves into the
part of the schedule left out. Jobs held outside the sub-problem keep their places in the stores
as occupied windows. The free jobs' choices are open again. The sub-problem is a plain
:class:`~twin.schedule.problem.Problem`, so the one model of the constraints solves it, and its
schedule replaces the stretch (:meth:`Neighbourhood.merge`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from twin.schedule.criteria import Criterion, Objective
from twin.schedule.problem import Frozen, Job, Machine, Problem, Store
from twin.schedule.solution import ScheduledOperation, Solution, build_solution


def components(problem: Problem) -> list[list[str]]:
    """The jobs of each independent part of ``problem``, in problem order, largest part first."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for job in problem.jobs:
        find(f"job:{job.id}")
        for op in job.operations:
            for machine in op.eligible:
                union(f"job:{job.id}", f"machine:{machine}")
    for store in problem.stores:
        for job_id, _ in store.waits:
            union(f"job:{job_id}", f"store:{store.id}")
    for choice in problem.choices:
        jobs = [job for option in choice.options for job in option]
        for job_id in jobs[1:]:
            union(f"job:{jobs[0]}", f"job:{job_id}")
    parts: dict[str, list[str]] = defaultdict(list)
    for job in problem.jobs:
        parts[find(f"job:{job.id}")].append(job.id)
    return sorted(parts.values(), key=len, reverse=True)


def restrict(problem: Problem, jobs: Iterable[str]) -> Problem:
    """The part of ``problem`` made of ``jobs`` (a component): its machines, stores, choices."""
    keep = set(jobs)
    kept_jobs = tuple(job for job in problem.jobs if job.id in keep)
    machines = {m for job in kept_jobs for op in job.operations for m in op.eligible}
    return replace(
        problem,
        machines=tuple(m for m in problem.machines if m.id in machines),
        jobs=kept_jobs,
        setups=replace(
            problem.setups,
            times={k: v for k, v in problem.setups.times.items() if k[0] in machines},
        ),
        stores=tuple(
            replace(store, waits=tuple(w for w in store.waits if w[0] in keep))
            for store in problem.stores
            if any(w[0] in keep for w in store.waits)
        ),
        frozen={op: f for op, f in problem.frozen.items() if problem.operations[op].job in keep},
        choices=tuple(c for c in problem.choices if c.options[0][0] in keep),
    )


@dataclass(frozen=True)
class Neighbourhood:
    """A sub-problem around some free jobs of a schedule, and how to put its schedule back."""

    problem: Problem
    hint: Solution
    """The schedule's part inside the sub-problem: its starting point."""
    cut: dict[str, tuple[int, int]]
    """Per machine of the sub-problem: (first, end) positions of the stretch in its sequence."""
    signature: tuple[object, ...]
    """Identifies the sub-problem: equal signatures, equal sub-problems."""

    def merge(self, schedule: Solution, solved: Solution) -> dict[str, list[ScheduledOperation]]:
        """``schedule``'s sequences with each stretch replaced by ``solved``'s sequence."""
        machines = dict(schedule.machines)
        for machine, (first, end) in self.cut.items():
            steps = schedule.machines.get(machine, [])
            machines[machine] = [*steps[:first], *solved.machines.get(machine, []), *steps[end:]]
        return machines


def neighbourhood(problem: Problem, schedule: Solution, free: Iterable[str]) -> Neighbourhood:
    """The sub-problem that re-solves the ``free`` jobs of ``schedule`` (see the module doc)."""
    free_jobs = _with_their_choices(problem, set(free))
    usable = {m for j in free_jobs for op in problem.job[j].operations for m in op.eligible}
    horizon = max(problem.time_bound, (schedule.makespan or 0) + 1)
    cut = {m: _stretch(problem, schedule, m, free_jobs) for m in usable}
    machines = tuple(
        _machine_at_cut(problem, m, schedule.machines.get(m.id, []), *cut[m.id], horizon)
        for m in problem.machines
        if m.id in usable
    )
    held = {
        step.operation: Frozen(m, step.start, step.maintenance_before)
        for m in usable
        for step in schedule.machines.get(m, [])[cut[m][0] : cut[m][1]]
        if step.job not in free_jobs
    }
    jobs = [job for job in problem.jobs if job.id in free_jobs]
    jobs += _held_jobs(problem, held)
    times = _open_times(machines, horizon)
    sub = Problem(
        machines=machines,
        jobs=tuple(jobs),
        setups=replace(
            problem.setups, times={k: v for k, v in problem.setups.times.items() if k[0] in usable}
        ),
        horizon=horizon,
        stores=_stores(problem, schedule, free_jobs, times),
        frozen=held,
        choices=tuple(c for c in problem.choices if c.options[0][0] in free_jobs),
    )
    hint = _hint(sub, schedule, cut)
    signature = (
        tuple(sorted(free_jobs)),
        tuple((m, tuple((s.operation, s.start) for s in hint.machines[m])) for m in sorted(cut)),
    )
    return Neighbourhood(sub, hint, cut, signature)


def _with_their_choices(problem: Problem, free: set[str]) -> set[str]:
    """``free`` and every job of the choices of its jobs (their options are open again)."""
    result = set(free)
    for job in free:
        if job in problem.option_of:
            choice = problem.choices[problem.option_of[job][0]]
            result.update(j for option in choice.options for j in option)
    return result


def _stretch(problem: Problem, schedule: Solution, machine: str, free: set[str]) -> tuple[int, int]:
    """Positions ``[first, end)`` of ``machine``'s sequence that the sub-problem re-solves.

    From the first free operation on it to the last, and the operations of other jobs that start
    while free operations that could use it run elsewhere; then the next operation (its setup
    depends on what runs before it) and on until each usage counter has been reset.
    """
    steps = schedule.machines.get(machine, [])
    positions = [i for i, step in enumerate(steps) if step.job in free]
    elsewhere = [
        step
        for other, sequence in schedule.machines.items()
        if other != machine
        for step in sequence
        if step.job in free and machine in problem.operations[step.operation].eligible
    ]
    if elsewhere:
        low, high = min(s.start for s in elsewhere), max(s.end for s in elsewhere)
        positions += [i for i, step in enumerate(steps) if low <= step.start < high]
    if not positions:
        return len(steps), len(steps)  # the free jobs may only come after everything here
    first, end = min(positions), max(positions) + 1
    waiting = {limit.counter for limit in problem.machine[machine].usage_limits}
    if end < len(steps):
        end += 1
        waiting -= set(steps[end - 1].maintenance_before)
    while waiting and end < len(steps):
        waiting -= set(steps[end].maintenance_before)
        end += 1
    return first, end


def _machine_at_cut(
    problem: Problem,
    machine: Machine,
    steps: Sequence[ScheduledOperation],
    first: int,
    end: int,
    horizon: int,
) -> Machine:
    """``machine`` as the sub-problem sees it.

    In the state ``steps[:first]`` leave it in, and unavailable after ``steps[end - 1]`` until
    the horizon if more follows.
    """
    family, usage, ready = machine.initial_family, machine.usage_at_start(), 0
    for step in steps[:first]:
        op = problem.operations[step.operation]
        for counter in step.maintenance_before:
            usage[counter] = 0
        for counter in usage:
            usage[counter] += op.usage.get(counter, 0)
        family, ready = op.setup_family, step.end
    windows = [w for w in machine.unavailable if w[0] < horizon]
    if end < len(steps):
        windows.append((steps[end - 1].end, horizon + 1))
    return replace(
        machine,
        unavailable=tuple(windows),
        available_from=max(ready, machine.available_from),
        initial_family=family,
        initial_usage=usage,
    )


def _open_times(machines: Sequence[Machine], horizon: int) -> tuple[int, int]:
    """From when to when the sub-problem's machines may run anything at all."""
    starts = [m.available_from for m in machines]
    ends = [
        m.unavailable[-1][0] if m.unavailable and m.unavailable[-1][1] > horizon else horizon
        for m in machines
    ]
    return min(starts, default=0), max(ends, default=horizon)


def _held_jobs(problem: Problem, held: Mapping[str, Frozen]) -> list[Job]:
    """For each job held in place with operations in the sub-problem: a job of those only.

    Its operations keep only the machine they are frozen on; it has no due date or weight.
    """
    by_job: dict[str, list[str]] = defaultdict(list)
    for op_id in held:
        by_job[problem.operations[op_id].job].append(op_id)
    jobs = []
    for job_id, op_ids in by_job.items():
        ops = []
        for op_id in sorted(op_ids, key=lambda o: problem.route_index[o]):
            op = problem.operations[op_id]
            machine = held[op_id].machine
            ops.append(replace(op, eligible={machine: op.eligible[machine]}))
        jobs.append(Job(job_id, tuple(ops), release=0, weight=0))
    return jobs


def _stores(
    problem: Problem, schedule: Solution, free: set[str], times: tuple[int, int]
) -> tuple[Store, ...]:
    """The stores the free jobs wait in; jobs held in place take their places as windows.

    Only windows inside ``times`` (when the sub-problem's machines may run) matter.
    """
    starts = {
        step.operation: (step.start, step.end)
        for steps in schedule.machines.values()
        for step in steps
    }
    stores = []
    for store in problem.stores:
        waits = tuple(w for w in store.waits if w[0] in free)
        if not waits:
            continue
        occupied = [w for w in store.occupied if w[1] > times[0] and w[0] < times[1]]
        for job_id, k in store.waits:
            ops = problem.job[job_id].operations
            if job_id in free or ops[k].id not in starts:
                continue
            enters, leaves = starts[ops[k].id][1], starts[ops[k + 1].id][0]
            if leaves > enters and leaves > times[0] and enters < times[1]:
                occupied.append((enters, leaves))
        stores.append(Store(store.id, store.capacity, waits, tuple(occupied)))
    return tuple(stores)


def _hint(sub: Problem, schedule: Solution, cut: Mapping[str, tuple[int, int]]) -> Solution:
    """The schedule's stretches as a solution of the sub-problem, with its own figures."""
    sequences = {
        m: [(s.operation, s.start) for s in schedule.machines.get(m, [])[first:end]]
        for m, (first, end) in cut.items()
    }
    maintenance = schedule.maintenance()
    return build_solution(
        sub,
        sequences,
        maintenance={op: maintenance[op] for seq in sequences.values() for op, _ in seq
                     if op in maintenance},
        status="FEASIBLE",
        method=schedule.method,
        objective=Objective({Criterion.WEIGHTED_TARDINESS: 1.0}),
    )  # fmt: skip
