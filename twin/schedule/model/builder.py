"""Assemble a CP-SAT model from a problem, hint it, and read machine sequences back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from twin.schedule.criteria import Criterion, Objective
from twin.schedule.model.constraints import (
    Arcs,
    StoreWaits,
    add_machine_capacity,
    add_permutation,
    add_routes,
    add_setups,
    add_store_capacity,
)
from twin.schedule.model.objective import CriterionTerms, ScaledObjective, scaled_objective
from twin.schedule.model.variables import OperationVar, Variables, make_variables
from twin.schedule.problem import Problem
from twin.schedule.solution import Placement, sequences_of


@dataclass
class ScheduleModel:
    """A CP-SAT model of a problem, with the variables needed to steer it and read it back."""

    problem: Problem
    model: cp_model.CpModel
    variables: Variables
    arcs: dict[str, Arcs]
    """Sequencing arcs of each machine with setups."""
    job_order: dict[tuple[str, str], cp_model.IntVar]
    """For permutation problems: true when the pair's first job goes first."""
    criteria: CriterionTerms
    store_waits: StoreWaits

    def minimise(self, objective: Objective) -> ScaledObjective:
        """Make ``objective`` the model's objective (replacing any earlier one)."""
        scaled = scaled_objective(objective, self.criteria)
        self.model.clear_objective()
        self.model.minimize(scaled.expression)
        return scaled

    def add_hint(
        self,
        placements: Mapping[str, Placement],
        maintenance: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Suggest a schedule, ``{operation id: (machine id, start)}``, possibly partial.

        ``maintenance`` gives the usage counters maintained right before an operation. Besides
        starts and machines, the hint sets the setups, the maintenance and the counters' levels,
        the sequencing arcs of every machine whose eligible operations are all placed, the job
        order of a permutation problem, the options of choices, the waits in stores, and the
        makespan and tardiness variables of the criteria made so far. A complete schedule thus
        hints every variable, and CP-SAT can take it as its first solution.
        """
        maintenance = maintenance or {}
        for op_id, (machine, _) in placements.items():
            operation = self.variables.operations.get(op_id)
            if operation is None or machine not in {m.machine for m in operation.modes}:
                raise ValueError(
                    f"hint places operation {op_id!r} on machine {machine!r}, which "
                    "is not one of its eligible machines in this problem"
                )
        sequences = {
            machine: [op_id for op_id, _ in steps]
            for machine, steps in sequences_of(self.problem, placements).items()
        }
        setup_before, levels = self._setups_and_levels(sequences, maintenance)
        running = self._hint_options(placements)
        completions: dict[str, int] = {}
        for op_id, operation in self.variables.operations.items():
            place = placements.get(op_id)
            self._hint_operation(operation, place, setup_before, levels, maintenance)
            job = self.problem.job[operation.operation.job]
            if place is not None and op_id == job.operations[-1].id:
                completions[job.id] = place[1] + operation.operation.eligible[place[0]]
        for machine, arcs in self.arcs.items():
            modes = self.variables.on_machine[machine]
            if any(m.operation.id not in placements and m.operation.job in running for m in modes):
                continue
            sequence = sequences.get(machine, [])
            chosen_arcs = set(zip([None, *sequence], [*sequence, None], strict=True))
            for key, literal in arcs.items():
                self.model.add_hint(literal, key in chosen_arcs)
        self._hint_job_order(sequences, placements)
        self._hint_store_waits(placements)
        complete = all(
            op.id in placements for job_id in running for op in self.problem.job[job_id].operations
        )
        self.criteria.add_hint(completions, complete)

    def _hint_options(self, placements: Mapping[str, Placement]) -> set[str]:
        """Hint each choice's options by which jobs are placed; the jobs that run."""
        placed_jobs = {self.problem.operations[op_id].job for op_id in placements}
        for (c, o), literal in self.variables.options.items():
            option = self.problem.choices[c].options[o]
            self.model.add_hint(literal, any(job in placed_jobs for job in option))
        return {
            job.id
            for job in self.problem.jobs
            if job.id not in self.problem.option_of or job.id in placed_jobs
        }

    def _setups_and_levels(
        self, sequences: Mapping[str, list[str]], maintenance: Mapping[str, Sequence[str]]
    ) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
        """Each placed operation's setup (with maintenance) and its counters' levels after it."""
        setup_before: dict[str, int] = {}
        levels: dict[str, dict[str, int]] = {}
        for machine, sequence in sequences.items():
            state = self.problem.machine[machine]
            family = state.initial_family
            level = state.usage_at_start()
            for op_id in sequence:
                op = self.problem.operations[op_id]
                setup = self.problem.setups.time(machine, family, op.setup_family)
                for limit in state.usage_limits:
                    if limit.counter in maintenance.get(op_id, ()):
                        setup += limit.duration
                        level[limit.counter] = 0
                    level[limit.counter] += op.usage.get(limit.counter, 0)
                setup_before[op_id] = setup
                levels[op_id] = dict(level)
                family = op.setup_family
        return setup_before, levels

    def _hint_operation(
        self,
        operation: OperationVar,
        place: Placement | None,
        setup_before: Mapping[str, int],
        levels: Mapping[str, Mapping[str, int]],
        maintenance: Mapping[str, Sequence[str]],
    ) -> None:
        """Hint one operation's start, duration and modes (placed, or its job left out)."""
        op_id = operation.operation.id
        if place is None:
            if operation.present is None:
                return  # a partial hint says nothing of it
            start = self.model.proto.variables[operation.start.index].domain[0]
        else:
            start = place[1]
        self.model.add_hint(operation.start, start)
        if isinstance(operation.duration, cp_model.IntVar):
            chosen_time = 0 if place is None else operation.operation.eligible[place[0]]
            self.model.add_hint(operation.duration, chosen_time)
            assert isinstance(operation.end, cp_model.IntVar)  # its own variable when flexible
            self.model.add_hint(operation.end, start + chosen_time)
        for mode in operation.modes:
            chosen = place is not None and mode.machine == place[0]
            if mode.present is not None and mode.present is not operation.present:
                self.model.add_hint(mode.present, chosen)  # (the job's own is its option's)
            if mode.setup is None:
                continue
            setup = setup_before[op_id] if chosen else 0
            self.model.add_hint(mode.setup.duration, setup)
            self.model.add_hint(mode.setup.start, max(0, start - setup))
            done = maintenance.get(op_id, ()) if chosen else ()
            for counter, literal in mode.setup.maintained.items():
                self.model.add_hint(literal, counter in done)
                used = mode.operation.usage.get(counter, 0)
                level = levels[op_id][counter] if chosen else used
                self.model.add_hint(mode.setup.level[counter], level)

    def _hint_store_waits(self, placements: Mapping[str, Placement]) -> None:
        """Hint each wait in a store from the placed operations around it."""
        for (job_id, k), size in self.store_waits.items():
            operations = self.problem.job[job_id].operations
            before, after = placements.get(operations[k].id), placements.get(operations[k + 1].id)
            if before is not None and after is not None:
                end = before[1] + operations[k].eligible[before[0]]
                self.model.add_hint(size, after[1] - end)
            elif job_id in self.variables.job_present and before is None and after is None:
                self.model.add_hint(size, 0)

    def _hint_job_order(
        self, sequences: Mapping[str, list[str]], placements: Mapping[str, Placement]
    ) -> None:
        """Hint each pair's order literal by which job starts first on a machine they share."""
        first_start: dict[tuple[str, str], int] = {}
        for machine, sequence in sequences.items():
            for op_id in sequence:
                job = self.problem.operations[op_id].job
                first_start.setdefault((job, machine), placements[op_id][1])
        for (a, b), literal in self.job_order.items():
            shared = [m for m in sequences if (a, m) in first_start and (b, m) in first_start]
            if shared:
                m = shared[0]
                self.model.add_hint(literal, first_start[(a, m)] < first_start[(b, m)])

    def maintenance(self, solver: cp_model.CpSolver) -> dict[str, tuple[str, ...]]:
        """The usage counters maintained right before each operation that has maintenance."""
        result: dict[str, tuple[str, ...]] = {}
        for modes in self.variables.on_machine.values():
            for mode in modes:
                if mode.setup is None:
                    continue
                done = tuple(c for c, lit in mode.setup.maintained.items() if solver.value(lit))
                if done:
                    result[mode.operation.id] = done
        return result

    def sequences(self, solver: cp_model.CpSolver) -> dict[str, list[Placement]]:
        """Each machine's operations in processing order, as (operation id, start)."""
        result: dict[str, list[Placement]] = {}
        for machine, modes in self.variables.on_machine.items():
            present = [m for m in modes if m.present is None or solver.boolean_value(m.present)]
            start = {
                m.operation.id: solver.value(self.variables.operations[m.operation.id].start)
                for m in present
            }
            if machine in self.arcs:
                following = {
                    before: after
                    for (before, after), literal in self.arcs[machine].items()
                    if solver.boolean_value(literal)
                }
                order = []
                node = following.get(None)
                while node is not None:
                    order.append(node)
                    node = following.get(node)
            else:
                order = sorted(start, key=lambda op: (start[op], self.problem.route_index[op]))
            result[machine] = [(op, start[op]) for op in order]
        return result


def build_model(problem: Problem, criteria: Iterable[Criterion] = ()) -> ScheduleModel:
    """The CP-SAT model of ``problem``, with no objective yet (:meth:`ScheduleModel.minimise`).

    The variables of ``criteria`` are made at once, so that a hint given before the objective
    covers them.
    """
    model = cp_model.CpModel()
    variables = make_variables(model, problem)
    add_routes(model, problem, variables)
    store_waits = add_store_capacity(model, problem, variables)
    add_machine_capacity(model, problem, variables)
    arcs = add_setups(model, problem, variables)
    job_order = add_permutation(model, problem, variables) if problem.permutation else {}
    terms = CriterionTerms(model, problem, variables)
    for criterion in criteria:
        terms.terms(criterion)
    return ScheduleModel(problem, model, variables, arcs, job_order, terms, store_waits)
