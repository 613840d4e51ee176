"""The decision variables: when each operation starts, and on which machine it runs.

Every operation has a start and an end. Each eligible machine gives it a :class:`Mode`: an
interval of that machine's processing time, optional (with a presence literal) when the operation
has more than one eligible machine. On machines with sequence-dependent setups or usage limits
(*sequenced* machines) a mode also carries a setup variable and a *setup interval* that covers
the setup and the processing together, so that setups too keep out of other operations and of
unavailable windows. On machines with usage limits the setup variable includes the maintenance
that may run before the setup, and the mode has, per usage counter, a literal for that
maintenance and the counter's level after the operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from twin.schedule.problem import Operation, Problem


@dataclass(frozen=True)
class SetupVar:
    """The setup (and any maintenance) right before an operation on a sequenced machine."""

    duration: cp_model.IntVar
    start: cp_model.IntVar
    interval: cp_model.IntervalVar
    """``[start, end of the operation)``: maintenance, setup and processing together."""
    maintained: dict[str, cp_model.IntVar] = field(default_factory=dict)
    """Per usage counter of the machine: true when its maintenance runs before this operation."""
    level: dict[str, cp_model.IntVar] = field(default_factory=dict)
    """Per usage counter: its value after this operation."""


@dataclass(frozen=True)
class Mode:
    """Operation ``operation`` on ``machine``: its interval and, if optional, its presence."""

    operation: Operation
    machine: str
    duration: int
    interval: cp_model.IntervalVar
    present: cp_model.IntVar | None
    """``None`` when the machine is the operation's only one (always present)."""
    setup: SetupVar | None = None
    """The setup right before the operation, on machines with setups."""

    @property
    def condition(self) -> list[cp_model.IntVar]:
        """The literals under which this mode is used (none if it always is)."""
        return [] if self.present is None else [self.present]

    @property
    def occupied(self) -> cp_model.IntervalVar:
        """The interval that must not overlap others on the machine: setup included if any."""
        return self.interval if self.setup is None else self.setup.interval


@dataclass(frozen=True)
class OperationVar:
    """An operation's start and end, and one mode per eligible machine."""

    operation: Operation
    start: cp_model.IntVar
    end: cp_model.LinearExprT
    modes: tuple[Mode, ...]


@dataclass
class Variables:
    """All the model's decision variables, by operation and by machine."""

    operations: dict[str, OperationVar] = field(default_factory=dict)
    on_machine: dict[str, list[Mode]] = field(default_factory=dict)
    """The modes each machine may run, in problem order."""


def sequenced_machines(problem: Problem) -> set[str]:
    """The machines whose operations' order matters: for setups, or for usage counters."""
    return {
        machine
        for op in problem.operations.values()
        for machine in op.eligible
        if problem.setups.longest_into(machine, op.setup_family) > 0
        or problem.machine[machine].usage_limits
    }


def make_variables(model: cp_model.CpModel, problem: Problem) -> Variables:
    """Create the start, end, interval, presence and setup variables of every operation."""
    horizon = problem.time_bound
    with_setups = sequenced_machines(problem)
    variables = Variables(on_machine={machine.id: [] for machine in problem.machines})
    for job in problem.jobs:
        for op in job.operations:
            start = model.new_int_var(job.release, horizon - op.shortest, f"start[{op.id}]")
            flexible = len(op.eligible) > 1
            end = (
                model.new_int_var(job.release, horizon, f"end[{op.id}]")
                if flexible
                else start + op.shortest
            )
            modes = []
            for machine, duration in op.eligible.items():
                name = f"{op.id}@{machine}"
                present = model.new_bool_var(f"present[{name}]") if flexible else None
                if present is None:
                    interval = model.new_fixed_size_interval_var(start, duration, name)
                else:
                    interval = model.new_optional_fixed_size_interval_var(
                        start, duration, present, name
                    )
                setup = None
                if machine in with_setups:
                    longest = problem.setups.longest_into(machine, op.setup_family)
                    longest += problem.maintenance_time(machine)
                    setup_time = model.new_int_var(0, longest, f"setup[{name}]")
                    setup_start = model.new_int_var(0, horizon, f"setup_start[{name}]")
                    size, setup_end = setup_time + duration, start + duration
                    if present is None:
                        setup_interval = model.new_interval_var(
                            setup_start, size, setup_end, f"setup+{name}"
                        )
                    else:
                        setup_interval = model.new_optional_interval_var(
                            setup_start, size, setup_end, present, f"setup+{name}"
                        )
                    maintained, level = {}, {}
                    for limit in problem.machine[machine].usage_limits:
                        counter = limit.counter
                        maintained[counter] = model.new_bool_var(f"{counter} before {name}")
                        used = op.usage.get(counter, 0)
                        level[counter] = model.new_int_var(
                            min(used, limit.limit), limit.limit, f"{counter} after {name}"
                        )
                        model.add(level[counter] >= used)  # infeasible if one op overruns
                        if present is not None:
                            model.add_implication(maintained[counter], present)
                    setup = SetupVar(setup_time, setup_start, setup_interval, maintained, level)
                mode = Mode(op, machine, duration, interval, present, setup)
                modes.append(mode)
                variables.on_machine[machine].append(mode)
            variables.operations[op.id] = OperationVar(op, start, end, tuple(modes))
    return variables
