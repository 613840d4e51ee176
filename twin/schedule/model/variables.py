"""The decision variables: when each operation starts, on which machine it runs, which options run.

Every operation has a start, a duration and an end = start + duration. Each machine it may use
gives it a :class:`Mode`: an interval of that machine's processing time, optional (with a presence
literal) when the operation has more than one machine or its job runs only if its option of a
choice is chosen. An operation with several machines has a duration variable equal to the chosen
mode's processing time, stated linearly (the sum of each mode's time times its presence), so
that the LP relaxation sees it: this is the master interval of the operation, whose length ranges
over its eligible durations. Starts keep to the operations' time windows
(:mod:`twin.schedule.model.windows`); a frozen operation has its start and machine fixed.

On machines with sequence-dependent setups or usage limits (*sequenced* machines) a mode also
carries a setup variable and a *setup interval* that covers the setup and the processing
together, so that setups too keep out of other operations and of unavailable windows. On machines
with usage limits the setup variable includes the maintenance that may run before the setup, and
the mode has, per usage counter, a literal for that maintenance and the counter's level after the
operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from twin.schedule.model.windows import Span, operation_spans
from twin.schedule.problem import Job, Operation, Problem


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
    """Operation ``operation`` on ``machine``: its interval, window and, if optional, presence."""

    operation: Operation
    machine: str
    duration: int
    interval: cp_model.IntervalVar
    present: cp_model.IntVar | None
    """``None`` when the operation always runs on this machine."""
    span: Span
    """The operation's time window on this machine."""
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
    """An operation's start, duration and end, and one mode per machine it may use."""

    operation: Operation
    start: cp_model.IntVar
    duration: int | cp_model.IntVar
    end: cp_model.LinearExpr
    """``start + duration``: an affine expression, or a variable if the duration is one."""
    modes: tuple[Mode, ...]
    present: cp_model.IntVar | None
    """Its job's presence literal, ``None`` if the job always runs."""


@dataclass
class Variables:
    """All the model's decision variables, by operation, by machine, by job and by option."""

    horizon: int
    operations: dict[str, OperationVar] = field(default_factory=dict)
    on_machine: dict[str, list[Mode]] = field(default_factory=dict)
    """The modes each machine may run, in problem order."""
    job_present: dict[str, cp_model.IntVar] = field(default_factory=dict)
    """The presence literal of each job in a choice (true when its option runs)."""
    options: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    """(choice index, option index) -> true when that option runs."""

    def present(self, job: str) -> list[cp_model.IntVar]:
        """The literals under which ``job`` runs (none if it always does)."""
        literal = self.job_present.get(job)
        return [] if literal is None else [literal]


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
    """Create the start, duration, interval, presence and setup variables of every operation."""
    variables = Variables(
        horizon=problem.time_bound, on_machine={machine.id: [] for machine in problem.machines}
    )
    for c, choice in enumerate(problem.choices):
        for o, option in enumerate(choice.options):
            literal = model.new_bool_var(f"option[{choice.id},{o}]")
            variables.options[(c, o)] = literal
            for job_id in option:
                variables.job_present[job_id] = literal
        model.add_exactly_one(variables.options[(c, o)] for o in range(len(choice.options)))
    with_setups = sequenced_machines(problem)
    for job in problem.jobs:
        _job_variables(model, problem, variables, job, with_setups)
    return variables


def _job_variables(
    model: cp_model.CpModel,
    problem: Problem,
    variables: Variables,
    job: Job,
    with_setups: set[str],
) -> None:
    """The variables of one job's operations."""
    spans = operation_spans(problem, job, variables.horizon)
    present = variables.job_present.get(job.id)
    if any(all(span.empty for span in by_machine.values()) for by_machine in spans):
        if present is None:
            model.add_bool_or([])  # a job that must run has no time to: infeasible
        else:
            model.add(present == 0)
    for op, by_machine in zip(job.operations, spans, strict=True):
        usable = {m: s for m, s in by_machine.items() if not s.empty} or by_machine
        low = min(s.earliest for s in usable.values())
        high = max(max(s.latest for s in usable.values()), low)
        start = model.new_int_var(low, high, f"start[{op.id}]")
        flexible = len(usable) > 1
        modes = []
        for machine, span in usable.items():
            name = f"{op.id}@{machine}"
            chosen = model.new_bool_var(f"present[{name}]") if flexible else present
            if chosen is None:
                interval = model.new_fixed_size_interval_var(start, span.duration, name)
            else:
                interval = model.new_optional_fixed_size_interval_var(
                    start, span.duration, chosen, name
                )
                if flexible:
                    model.add(start >= span.earliest).only_enforce_if(chosen)
                    model.add(start <= span.latest).only_enforce_if(chosen)
            setup = None
            if machine in with_setups:
                setup = _setup_variables(model, problem, variables, op, machine, start, chosen)
            mode = Mode(op, machine, span.duration, interval, chosen, span, setup)
            modes.append(mode)
            variables.on_machine[machine].append(mode)
        duration: int | cp_model.IntVar = modes[0].duration
        end: cp_model.LinearExpr = start + duration
        if flexible:
            duration = _master_duration(model, op, modes, present)
            end = model.new_int_var(low, variables.horizon, f"end[{op.id}]")
            model.add(end == start + duration)
        variables.operations[op.id] = OperationVar(op, start, duration, end, tuple(modes), present)


def _master_duration(
    model: cp_model.CpModel,
    op: Operation,
    modes: list[Mode],
    present: cp_model.IntVar | None,
) -> cp_model.IntVar:
    """The duration of an operation with several modes: the chosen mode's processing time.

    It is the sum of each mode's time times its presence, 0 if the operation's job does not run.
    """
    times = {mode.duration for mode in modes} | ({0} if present is not None else set())
    duration = model.new_int_var_from_domain(
        cp_model.Domain.from_values(sorted(times)), f"duration[{op.id}]"
    )
    literals = [mode.present for mode in modes if mode.present is not None]
    if present is None:
        model.add_exactly_one(literals)
    else:
        model.add(sum(literals) == present)
    model.add(
        duration
        == sum(mode.duration * literal for mode, literal in zip(modes, literals, strict=True))
    )
    return duration


def _setup_variables(
    model: cp_model.CpModel,
    problem: Problem,
    variables: Variables,
    op: Operation,
    machine: str,
    start: cp_model.IntVar,
    present: cp_model.IntVar | None,
) -> SetupVar:
    """The setup, maintenance and usage-level variables of ``op`` on sequenced ``machine``."""
    name = f"{op.id}@{machine}"
    duration = op.eligible[machine]
    longest = problem.setups.longest_into(machine, op.setup_family)
    longest += problem.maintenance_time(machine)
    setup_time = model.new_int_var(0, longest, f"setup[{name}]")
    setup_start = model.new_int_var(0, variables.horizon, f"setup_start[{name}]")
    size, setup_end = setup_time + duration, start + duration
    if present is None:
        interval = model.new_interval_var(setup_start, size, setup_end, f"setup+{name}")
    else:
        interval = model.new_optional_interval_var(
            setup_start, size, setup_end, present, f"setup+{name}"
        )
    frozen = problem.frozen.get(op.id)
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
        if frozen is not None:
            model.add(maintained[counter] == (counter in frozen.maintenance))
    return SetupVar(setup_time, setup_start, interval, maintained, level)
