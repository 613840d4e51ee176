"""The constraints every schedule obeys, one function per rule.

Release dates, deadlines, frozen operations and the choice of one machine per operation are in the
variables (:mod:`.variables`); the rest is here: routes and maximum lags, store capacities, one
operation at a time per machine (and none in an unavailable window), sequence-dependent setups and
usage limits, and a common job order for permutation shops.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from twin.schedule.model.sequencing import possible_arcs
from twin.schedule.model.variables import Mode, Variables
from twin.schedule.problem import Problem

Arcs = dict[tuple[str | None, str | None], cp_model.IntVar]
"""A machine's sequencing arcs: (operation before, operation after) -> literal; ``None`` is the
dummy node that starts and ends the machine's sequence."""


def add_routes(model: cp_model.CpModel, problem: Problem, variables: Variables) -> None:
    """Operations of a job run in route order, and within the job's maximum lags."""
    for job in problem.jobs:
        present = variables.present(job.id)
        for k, (before, after) in enumerate(zip(job.operations, job.operations[1:], strict=False)):
            end = variables.operations[before.id].end
            start = variables.operations[after.id].start
            model.add(start >= end).only_enforce_if(present)
            lag = job.lag_after(k)
            if lag is not None:
                model.add(start <= end + lag).only_enforce_if(present)


StoreWaits = dict[tuple[str, int], cp_model.IntVar]
"""(job, k) -> how long the job waits in a store after its operation k (for hints)."""


def add_store_capacity(
    model: cp_model.CpModel, problem: Problem, variables: Variables
) -> StoreWaits:
    """At most a store's capacity of jobs wait in it at once, between two of their steps.

    Its occupied windows take a place each. Returns the wait variables made.
    """
    waits: StoreWaits = {}
    for store in problem.stores:
        if len(store.waits) + len(store.occupied) <= store.capacity:
            continue
        intervals = [
            model.new_fixed_size_interval_var(
                start, end - start, f"{store.id} taken [{start},{end})"
            )
            for start, end in store.occupied
        ]
        for job_id, k in store.waits:
            operations = problem.job[job_id].operations
            end = variables.operations[operations[k].id].end
            start = variables.operations[operations[k + 1].id].start
            size = model.new_int_var(0, variables.horizon, f"wait[{store.id},{job_id},{k}]")
            waits[(job_id, k)] = size
            name = f"in[{store.id},{job_id}]"
            literal = variables.job_present.get(job_id)
            if literal is None:
                intervals.append(model.new_interval_var(end, size, start, name))
            else:
                intervals.append(model.new_optional_interval_var(end, size, start, literal, name))
        model.add_cumulative(intervals, [1] * len(intervals), store.capacity)
    return waits


def add_machine_capacity(model: cp_model.CpModel, problem: Problem, variables: Variables) -> None:
    """A machine runs one operation (with its setup) at a time, and nothing when unavailable."""
    horizon = variables.horizon
    for machine in problem.machines:
        intervals = [mode.occupied for mode in variables.on_machine[machine.id]]
        if not intervals:
            continue
        intervals += [
            model.new_fixed_size_interval_var(
                start, min(end, horizon + 1) - start, f"{machine.id} off [{start},{end})"
            )
            for start, end in machine.unavailable
            if start < horizon
        ]
        if len(intervals) > 1:
            model.add_no_overlap(intervals)


def add_setups(model: cp_model.CpModel, problem: Problem, variables: Variables) -> dict[str, Arcs]:
    """Sequence the operations of each machine with setups by a circuit, and size the setups.

    Each machine with setups or usage limits gets a circuit over a dummy node and its modes: an
    arc ``a -> b`` means ``b`` directly follows ``a``, so ``b`` starts no earlier than ``a``'s end
    plus the setup from ``a``'s family to ``b``'s and any maintenance before ``b``, and ``b``'s
    setup variable equals those together (from the machine's initial family if ``b`` runs
    first). An absent (optional) mode takes its self-loop. Along an arc each usage counter grows
    by ``b``'s usage, unless ``b``'s maintenance resets it (the first operation adds to the
    counter's initial level); its level's domain keeps it within the limit. Arcs that the time
    windows rule out are left out (:mod:`twin.schedule.model.sequencing`). Returns the arcs of
    each such machine.
    """
    arcs_by_machine: dict[str, Arcs] = {}
    for machine in problem.machines:
        modes = variables.on_machine[machine.id]
        if modes and all(mode.setup is not None for mode in modes):
            arcs_by_machine[machine.id] = _sequence(model, problem, variables, machine.id, modes)
    return arcs_by_machine


def _sequence(
    model: cp_model.CpModel,
    problem: Problem,
    variables: Variables,
    machine: str,
    modes: list[Mode],
) -> Arcs:
    """The circuit of one machine with setups (see :func:`add_setups`)."""
    arcs: Arcs = {}
    circuit: list[tuple[int, int, cp_model.LiteralT]] = []
    incoming: dict[str, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    state = problem.machine[machine]
    initial = state.usage_at_start()

    def arc(tail: int, head: int, before: Mode | None, after: Mode | None) -> None:
        tail_id = None if before is None else before.operation.id
        head_id = None if after is None else after.operation.id
        literal = model.new_bool_var(f"{machine}: {tail_id} -> {head_id}")
        arcs[(tail_id, head_id)] = literal
        circuit.append((tail, head, literal))
        if after is None:
            return
        family = state.initial_family if before is None else before.operation.setup_family
        setup = problem.setups.time(machine, family, after.operation.setup_family)
        incoming[after.operation.id].append((setup, literal))
        assert after.setup is not None
        if before is not None:
            end = variables.operations[before.operation.id].end
            start = variables.operations[after.operation.id].start
            model.add(start >= end + setup + upkeep(after)).only_enforce_if(literal)
            assert before.setup is not None
        for counter, level in after.setup.level.items():
            base = initial[counter] if before is None else before.setup.level[counter]  # type: ignore[union-attr]
            grown = base + after.operation.usage.get(counter, 0)
            if before is None and initial[counter] == 0:
                continue  # the level's domain already holds its own usage
            model.add(level >= grown).only_enforce_if([literal, ~after.setup.maintained[counter]])

    def upkeep(mode: Mode) -> cp_model.LinearExpr | int:
        assert mode.setup is not None
        return sum(
            duration * mode.setup.maintained[limit.counter]
            for limit in state.usage_limits
            if (duration := limit.duration)
        )

    def setup_between(before: Mode | None, after: Mode) -> int:
        family = state.initial_family if before is None else before.operation.setup_family
        return problem.setups.time(machine, family, after.operation.setup_family)

    feasible = possible_arcs(problem, modes, setup_between)
    if all(mode.present is not None for mode in modes):
        arc(0, 0, None, None)
    for i, before in enumerate(modes, 1):
        if (None, i - 1) in feasible:
            arc(0, i, None, before)
        if (i - 1, None) in feasible:
            arc(i, 0, before, None)
        if before.present is not None:
            circuit.append((i, i, ~before.present))
        for j, after in enumerate(modes, 1):
            if i != j and (i - 1, j - 1) in feasible:
                arc(i, j, before, after)
    model.add_circuit(circuit)
    for mode in modes:
        terms = incoming[mode.operation.id]
        total = sum(setup * literal for setup, literal in terms if setup)
        model.add(mode.setup.duration == total + upkeep(mode))  # type: ignore[union-attr]
    return arcs


def add_permutation(
    model: cp_model.CpModel, problem: Problem, variables: Variables
) -> dict[tuple[str, str], cp_model.IntVar]:
    """Give jobs one common order on all machines (permutation shop).

    One literal per pair of jobs that share a machine says which goes first; on every shared
    machine each operation of the first ends before any operation of the second starts. Returns
    the literal of each pair ``(a, b)`` (true when ``a`` goes first), ``a`` before ``b`` in
    problem order.
    """
    by_job: dict[str, dict[str, list[Mode]]] = defaultdict(lambda: defaultdict(list))
    for machine, modes in variables.on_machine.items():
        for mode in modes:
            by_job[mode.operation.job][machine].append(mode)
    order: dict[tuple[str, str], cp_model.IntVar] = {}
    jobs = [job.id for job in problem.jobs]
    for index, a in enumerate(jobs):
        for b in jobs[index + 1 :]:
            shared = by_job[a].keys() & by_job[b].keys()
            if not shared:
                continue
            first = model.new_bool_var(f"{a} before {b}")
            order[(a, b)] = first
            for machine in shared:
                for mode_a in by_job[a][machine]:
                    for mode_b in by_job[b][machine]:
                        var_a = variables.operations[mode_a.operation.id]
                        var_b = variables.operations[mode_b.operation.id]
                        both = mode_a.condition + mode_b.condition
                        model.add(var_b.start >= var_a.end).only_enforce_if([first, *both])
                        model.add(var_a.start >= var_b.end).only_enforce_if([~first, *both])
    return order
