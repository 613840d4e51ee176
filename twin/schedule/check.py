"""Check a solution against its problem, independently of how it was made.

:func:`violations` recomputes everything from the problem: it trusts only each machine's sequence
of (operation, start, end), and re-derives setups, completions and criteria to compare with what
the solution reports. Zero-length operations occupy no machine time: they are checked for order
and setups but not for overlap with windows.
"""

from __future__ import annotations

import math

from twin.schedule.problem import Job, Problem
from twin.schedule.solution import Solution, usage_overruns


def violations(problem: Problem, solution: Solution) -> list[str]:
    """Every way ``solution`` breaks a rule of ``problem``; empty if it is a valid schedule."""
    if not solution.has_schedule:
        return [f"status {solution.status} carries no schedule"]
    found: list[str] = []
    where: dict[str, tuple[str, int, int]] = {}
    for machine_id, sequence in solution.machines.items():
        machine = problem.machine.get(machine_id)
        if machine is None:
            found.append(f"unknown machine {machine_id!r}")
            continue
        family = machine.initial_family
        free = 0
        durations = {limit.counter: limit.duration for limit in machine.usage_limits}
        for step in sequence:
            op = problem.operations.get(step.operation)
            if op is None:
                found.append(f"{machine_id}: unknown operation {step.operation!r}")
                continue
            label = f"{machine_id}: {step.operation}"
            if step.operation in where:
                found.append(f"{label}: scheduled more than once")
            where[step.operation] = (machine_id, step.start, step.end)
            if machine_id not in op.eligible:
                found.append(f"{label}: machine is not eligible")
            elif step.end - step.start != op.eligible[machine_id]:
                found.append(
                    f"{label}: lasts {step.end - step.start}, not {op.eligible[machine_id]}"
                )
            if step.job != op.job:
                found.append(f"{label}: reported job {step.job!r}, belongs to {op.job!r}")
            setup = problem.setups.time(machine_id, family, op.setup_family)
            if step.setup_before != setup:
                found.append(f"{label}: setup reported {step.setup_before}, should be {setup}")
            unknown = [c for c in step.maintenance_before if c not in durations]
            if unknown:
                found.append(f"{label}: maintains unknown usage counters {', '.join(unknown)}")
            upkeep = sum(durations.get(c, 0) for c in step.maintenance_before)
            what = f"setup {setup}" + (f" and maintenance {upkeep}" if upkeep else "")
            before = setup + upkeep
            if step.start - before < free:
                found.append(
                    f"{label}: {what} from {step.start - before} overlaps the previous "
                    f"operation, which ends at {free}"
                )
            busy = (step.start - before, step.end)
            if busy[1] > busy[0]:
                for start, end in machine.unavailable:
                    if busy[0] < end and start < busy[1]:
                        found.append(
                            f"{label}: {what} and processing [{busy[0]}, {busy[1]}) overlap "
                            f"unavailable window [{start}, {end})"
                        )
            if problem.horizon is not None and step.end > problem.horizon:
                found.append(f"{label}: ends at {step.end}, after the horizon {problem.horizon}")
            family = op.setup_family
            free = max(free, step.end)
        if machine.usage_limits:
            known = [step.operation for step in sequence if step.operation in problem.operations]
            for op_id, counter, level in usage_overruns(
                problem, machine_id, known, solution.maintenance()
            ):
                found.append(
                    f"{machine_id}: {op_id}: usage counter {counter} reaches {level}, past its "
                    "limit, without maintenance"
                )
    found += _choice_violations(problem, where)
    running = _running_jobs(problem, where)
    missing = [op.id for job in running for op in job.operations if op.id not in where]
    if missing:
        found.append(f"operations not scheduled: {', '.join(missing)}")
        return found
    found += _frozen_violations(problem, solution, where)
    found += _route_violations(problem, running, where)
    found += _store_violations(problem, where)
    if problem.permutation:
        found += _order_violations(problem, solution)
    found += _figure_violations(problem, running, solution, where)
    return found


def _running_jobs(problem: Problem, where: dict[str, tuple[str, int, int]]) -> list[Job]:
    """The jobs that must be scheduled: those in no choice, and those of each chosen option."""
    chosen = {
        job_id
        for choice in problem.choices
        for option in choice.options
        if any(op.id in where for job_id in option for op in problem.job[job_id].operations)
        for job_id in option
    }
    return [job for job in problem.jobs if job.id not in problem.option_of or job.id in chosen]


def _choice_violations(problem: Problem, where: dict[str, tuple[str, int, int]]) -> list[str]:
    """Each choice runs exactly one of its options."""
    found = []
    for choice in problem.choices:
        running = [
            o
            for o, option in enumerate(choice.options)
            if any(op.id in where for job_id in option for op in problem.job[job_id].operations)
        ]
        if len(running) != 1:
            found.append(f"choice {choice.id}: runs {len(running)} of its options, not one")
    return found


def _frozen_violations(
    problem: Problem, solution: Solution, where: dict[str, tuple[str, int, int]]
) -> list[str]:
    """Frozen operations where they were frozen, with their maintenance."""
    found = []
    maintenance = solution.maintenance()
    for op_id, frozen in problem.frozen.items():
        if op_id not in where:
            continue
        machine, start, _ = where[op_id]
        if (machine, start) != (frozen.machine, frozen.start):
            found.append(
                f"frozen operation {op_id}: runs on {machine} at {start}, not on "
                f"{frozen.machine} at {frozen.start}"
            )
        if set(maintenance.get(op_id, ())) != set(frozen.maintenance):
            found.append(f"frozen operation {op_id}: its maintenance before it changed")
    return found


def _route_violations(
    problem: Problem, running: list[Job], where: dict[str, tuple[str, int, int]]
) -> list[str]:
    """Release dates, deadlines, route order and maximum lags."""
    found = []
    for job in running:
        first = where[job.operations[0].id]
        if first[1] < job.release:
            found.append(f"job {job.id}: starts at {first[1]}, before its release {job.release}")
        last = where[job.operations[-1].id]
        if job.deadline is not None and last[2] > job.deadline:
            found.append(f"job {job.id}: ends at {last[2]}, after its deadline {job.deadline}")
        for k in range(len(job.operations) - 1):
            before, after = job.operations[k].id, job.operations[k + 1].id
            wait = where[after][1] - where[before][2]
            if wait < 0:
                found.append(f"job {job.id}: {after} starts before {before} ends")
            lag = job.lag_after(k)
            if lag is not None and wait > lag:
                found.append(f"job {job.id}: waits {wait} between {before} and {after} > {lag}")
    return found


def _store_violations(problem: Problem, where: dict[str, tuple[str, int, int]]) -> list[str]:
    """More jobs waiting in a store at once than it holds."""
    found = []
    for store in problem.stores:
        changes: list[tuple[int, int]] = []
        for start, end in store.occupied:
            changes += [(start, 1), (end, -1)]
        for job_id, k in store.waits:
            operations = problem.job[job_id].operations
            if operations[k].id not in where:
                continue  # an option not chosen
            enters, leaves = where[operations[k].id][2], where[operations[k + 1].id][1]
            if leaves > enters:
                changes += [(enters, 1), (leaves, -1)]
        level = 0
        for time, change in sorted(changes, key=lambda c: (c[0], c[1])):
            level += change
            if level > store.capacity:
                found.append(f"store {store.id}: {level} jobs wait at {time} > {store.capacity}")
                break
    return found


def _order_violations(problem: Problem, solution: Solution) -> list[str]:
    """For permutation problems: jobs in the same relative order on every machine."""
    rank: dict[tuple[str, str], tuple[str, int]] = {}
    found = []
    for machine, sequence in solution.machines.items():
        jobs = list(dict.fromkeys(step.job for step in sequence))
        position = {job: i for i, job in enumerate(jobs)}
        for a in jobs:
            for b in jobs:
                if position[a] < position[b]:
                    earlier = rank.get((b, a))
                    if earlier is not None:
                        found.append(
                            f"{machine} runs {a} before {b}, {earlier[0]} the other way round"
                        )
                    rank[(a, b)] = (machine, position[a])
    return found


def _figure_violations(
    problem: Problem,
    running: list[Job],
    solution: Solution,
    where: dict[str, tuple[str, int, int]],
) -> list[str]:
    """Completions, tardiness and criteria as reported against those recomputed."""
    found = []
    weighted = 0.0
    if set(solution.jobs) != {job.id for job in running}:
        found.append("the jobs reported are not the jobs scheduled")
    for job in running:
        completion = where[job.operations[-1].id][2]
        tardiness = 0 if job.due is None else max(0, completion - job.due)
        weighted += job.weight * tardiness
        outcome = solution.jobs.get(job.id)
        if outcome is None or (outcome.completion, outcome.tardiness) != (completion, tardiness):
            found.append(
                f"job {job.id}: reported {outcome}, should end {completion} late {tardiness}"
            )
    makespan = max((end for _, _, end in where.values()), default=0)
    if solution.makespan != makespan:
        found.append(f"makespan reported {solution.makespan}, is {makespan}")
    if solution.weighted_tardiness is None or not math.isclose(
        solution.weighted_tardiness, weighted, rel_tol=1e-9, abs_tol=1e-9
    ):
        found.append(f"weighted tardiness reported {solution.weighted_tardiness}, is {weighted}")
    total_setup = sum(step.setup_before for seq in solution.machines.values() for step in seq)
    if solution.total_setup != total_setup:
        found.append(f"total setup reported {solution.total_setup}, is {total_setup}")
    return found
