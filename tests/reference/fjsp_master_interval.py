"""A reference CP-SAT model of the flexible job shop, as PyJobShop builds it.

Each operation has a master interval whose length ranges over its eligible processing times; each
eligible machine has an optional interval sharing the master's start, length and end, present when
the machine is chosen, and the chosen machine's time fixes the length. Machines run one interval at
a time; operations of a job follow their route; the makespan is the last end. Written here, apart
from the scheduler's own model, to compare lower bounds with.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from twin.schedule import Problem


def master_interval_model(problem: Problem) -> cp_model.CpModel:
    """The makespan model of ``problem`` (jobs of operations with eligible machines only)."""
    model = cp_model.CpModel()
    horizon = sum(max(op.eligible.values()) for op in problem.operations.values())
    on_machine: dict[str, list[cp_model.IntervalVar]] = {m.id: [] for m in problem.machines}
    last_ends = []
    for job in problem.jobs:
        previous_end = None
        for op in job.operations:
            start = model.new_int_var(0, horizon, f"start {op.id}")
            length = model.new_int_var_from_domain(
                cp_model.Domain.from_values(sorted(set(op.eligible.values()))), f"length {op.id}"
            )
            end = model.new_int_var(0, horizon, f"end {op.id}")
            model.new_interval_var(start, length, end, f"master {op.id}")
            chosen = []
            for machine, time in op.eligible.items():
                present = model.new_bool_var(f"{op.id} on {machine}")
                chosen.append(present)
                on_machine[machine].append(
                    model.new_optional_interval_var(
                        start, length, end, present, f"{op.id}@{machine}"
                    )
                )
                model.add(length == time).only_enforce_if(present)
            model.add_exactly_one(chosen)
            if previous_end is not None:
                model.add(start >= previous_end)
            previous_end = end
        last_ends.append(previous_end)
    for intervals in on_machine.values():
        model.add_no_overlap(intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    model.add_max_equality(makespan, last_ends)
    model.minimize(makespan)
    return model
