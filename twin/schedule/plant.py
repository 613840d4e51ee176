"""From a plant scenario and its order book to a scheduling problem, and from a schedule to a plan.

The plant's machines are what the engine runs: a roll-coupled tool (each of its parallel units is
one machine), or a whole inline segment (the web passes all its stations at once, so it is one
machine). Orders become roll jobs of the standard length (an order's last roll may be shorter);
each job follows its product's route on its line. Processing times are the same numbers the twin
and ``r2r describe`` use (:func:`twin.capacity.roll_minutes`), rounded up to whole minutes;
setups come from the stations' changeovers; shifts off and calendar maintenance make machines
unavailable; usage-based maintenance (a PECVD chamber clean after a wall deposit, an ALD canister
change) becomes a usage limit; a store's maximum waiting time for the product bounds the wait
between two steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from stations import RecipeStep
from twin.capacity import roll_minutes
from twin.engine.calendar import off_shift_intervals
from twin.engine.plan import SchedulePlan
from twin.scenario import (
    CalendarMaintenance,
    Line,
    Order,
    Product,
    RollStore,
    Scenario,
    Station,
    UsageMaintenance,
)
from twin.schedule.criteria import Lexicographic, Objective
from twin.schedule.dispatch import RULES, dispatch
from twin.schedule.explain import explain
from twin.schedule.problem import (
    Job,
    Machine,
    Operation,
    Problem,
    SetupTimes,
    Store,
    UsageLimit,
)
from twin.schedule.solution import Solution
from twin.schedule.solve import solve

OBJECTIVES: dict[str, tuple[str, ...]] = {
    "tardiness-makespan": ("weighted_tardiness", "makespan"),
    "tardiness-setup": ("weighted_tardiness", "total_setup"),
    "tardiness": ("weighted_tardiness",),
    "makespan": ("makespan",),
}
"""Named objectives: lexicographic stages of criteria."""

USAGE_SCALE = 1000
"""Usage counters are scheduled in thousandths of their unit (whole numbers for CP-SAT); a
roll's usage is rounded up and a limit down, so the schedule never overruns a real limit."""


@dataclass(frozen=True)
class PlantMachine:
    """A machine of the plant: its id (as the engine names it), line and stations."""

    id: str
    line: str
    stations: tuple[Station, ...]
    store_after: RollStore | None


@dataclass(frozen=True)
class RollJob:
    """A roll of an order, scheduled as a job."""

    id: str
    order: str
    product: str
    line: str
    length_m: float


@dataclass(frozen=True)
class PlantProblem:
    """A scheduling problem made from a scenario, with what ties it back to the plant."""

    scenario: Scenario
    problem: Problem
    machines: dict[str, PlantMachine]
    rolls: dict[str, RollJob]


def plant_machines(scenario: Scenario, line: Line) -> list[list[PlantMachine]]:
    """The line's machines, stage by stage (parallel units of a tool share a stage)."""
    stages = []
    for segment in line.segments():
        last = line.stations.index(segment[-1])
        store = line.buffer_after(last)
        store = store if isinstance(store, RollStore) else None
        if len(segment) == 1 and segment[0].units > 1:
            station = segment[0]
            stage = [
                PlantMachine(f"{station.id}#{u + 1}", line.id, (station,), store)
                for u in range(station.units)
            ]
        else:
            name = "+".join(s.id for s in segment)
            stage = [PlantMachine(name, line.id, tuple(segment), store)]
        stages.append(stage)
    return stages


def _line_of(scenario: Scenario, order: Order, load: dict[str, float]) -> Line:
    if order.line is not None:
        return scenario.line(order.line)
    lines = scenario.lines_for(scenario.product(order.product))
    return min(lines, key=lambda line: load[line.id])


def _minutes(value: float) -> int:
    return max(1, math.ceil(value - 1e-9))


def _route_steps(scenario: Scenario, product: Product, line: Line) -> dict[str, RecipeStep]:
    """The product's recipe step at each station of the line it visits."""
    return {leg.station.id: leg.step for leg in scenario.route(product, line) or []}


def _stage_minutes(
    line: Line, machine: PlantMachine, steps: dict[str, RecipeStep], length: float
) -> int | None:
    """Minutes the machine needs for a roll with these ``steps``, or None if it skips it."""
    if not any(s.id in steps for s in machine.stations):
        return None
    return _minutes(max(roll_minutes(line, s, steps.get(s.id), length) for s in machine.stations))


def _counter(station: Station, task: UsageMaintenance) -> str:
    return f"{station.id}.{task.counter}"


def _usage_limits(scenario: Scenario, machine: PlantMachine) -> tuple[UsageLimit, ...]:
    """The usage-based maintenance of the machine's stations as usage limits."""
    return tuple(
        UsageLimit(
            counter=_counter(station, task),
            limit=math.floor(task.limit * USAGE_SCALE + 1e-6),
            duration=math.ceil(task.duration - 1e-9),
            name=f"{station.id} {task.name}",
        )
        for station in machine.stations
        for task in station.maintenance
        if isinstance(task, UsageMaintenance)
    )


def _stage_usage(
    machine: PlantMachine, steps: dict[str, RecipeStep], length: float
) -> dict[str, int]:
    """What a roll with these ``steps`` adds to the usage counters of the machine's maintenance."""
    usage = {}
    for station in machine.stations:
        step = steps.get(station.id)
        if step is None:
            continue
        per_m = station.equipment.consumption_per_m(step)  # type: ignore[arg-type]
        for task in station.maintenance:
            if isinstance(task, UsageMaintenance) and per_m.get(task.counter, 0.0) > 0:
                amount = per_m[task.counter] * length * USAGE_SCALE
                usage[_counter(station, task)] = math.ceil(amount - 1e-6)
    return usage


def _setups(scenario: Scenario, machines: list[PlantMachine]) -> SetupTimes:
    """Changeover between products on each machine: the longest over its stations."""
    times: dict[tuple[str, str | None, str], int] = {}
    for machine in machines:
        line = scenario.line(machine.line)
        products = [p for p in scenario.products if line in scenario.lines_for(p)]
        steps = {p.id: _route_steps(scenario, p, line) for p in products}
        for a in products:
            for b in products:
                if a.id == b.id:
                    continue
                change = 0.0
                for station in machine.stations:
                    before, after = steps[a.id].get(station.id), steps[b.id].get(station.id)
                    if before is not None and after is not None:
                        change = max(change, station.equipment.changeover_min(before, after))  # type: ignore[arg-type]
                if change > 0:
                    times[(machine.id, a.id, b.id)] = math.ceil(change - 1e-9)
    return SetupTimes(times)


def _unavailable(
    scenario: Scenario, machine: PlantMachine, horizon_min: float
) -> tuple[tuple[int, int], ...]:
    """Shifts off and calendar maintenance of the machine's stations, in whole minutes."""
    line = scenario.line(machine.line)
    windows = [
        (math.floor(a), math.ceil(b))
        for a, b in off_shift_intervals(
            scenario.calendar(line.calendar), scenario.start, horizon_min
        )
    ]
    for station in machine.stations:
        for task in station.maintenance:
            if isinstance(task, CalendarMaintenance):
                start = task.every if task.first is None else task.first
                while start < horizon_min:
                    windows.append((math.floor(start), math.ceil(start + task.duration)))
                    start += task.every
    return tuple(w for w in windows if w[1] > w[0])


def build_problem(scenario: Scenario, horizon_min: float | None = None) -> PlantProblem:
    """The scheduling problem of the scenario's order book.

    ``horizon_min`` (default: the scenario's run horizon, and at least the last due date plus a
    margin) only bounds how far calendars are unrolled; it is not a deadline.
    """
    last_due = max((scenario.minutes(o.due) for o in scenario.orders), default=0.0)
    calendar_span = max(horizon_min or scenario.run.horizon, 2 * last_due + 14 * 1440)
    machines: dict[str, PlantMachine] = {}
    stages_by_line = {}
    for line in scenario.lines:
        stages_by_line[line.id] = plant_machines(scenario, line)
        for stage in stages_by_line[line.id]:
            for machine in stage:
                machines[machine.id] = machine
    load = {line.id: 0.0 for line in scenario.lines}
    jobs: list[Job] = []
    waits: dict[str, list[tuple[str, int]]] = {}
    rolls: dict[str, RollJob] = {}
    for order in sorted(scenario.orders, key=lambda o: (scenario.minutes(o.release), o.id)):
        product = scenario.product(order.product)
        line = _line_of(scenario, order, load)
        steps = _route_steps(scenario, product, line)
        total = scenario.order_length_m(order)
        count = max(1, math.ceil(total / scenario.roll_length_m - 1e-9))
        for k in range(count):
            roll_id = f"{order.id}/{k + 1}"
            length = min(scenario.roll_length_m, total - k * scenario.roll_length_m)
            operations: list[Operation] = []
            lags: list[int | None] = []
            previous_store: RollStore | None = None
            for index, stage in enumerate(stages_by_line[line.id]):
                minutes = _stage_minutes(line, stage[0], steps, length)
                if minutes is None:
                    continue
                if operations:
                    wait = previous_store.max_wait.get(product.id) if previous_store else None
                    lags.append(math.floor(wait) if wait is not None else None)
                    if previous_store is not None:
                        waits.setdefault(previous_store.id, []).append(
                            (roll_id, len(operations) - 1)
                        )
                operations.append(
                    Operation(
                        id=f"{roll_id}@{index}",
                        job=roll_id,
                        eligible={m.id: minutes for m in stage},
                        setup_family=product.id,
                        usage=_stage_usage(stage[0], steps, length),
                    )
                )
                previous_store = stage[0].store_after
                load[line.id] += minutes / len(stage)
            jobs.append(
                Job(
                    id=roll_id,
                    operations=tuple(operations),
                    release=math.ceil(scenario.minutes(order.release)),
                    due=math.floor(scenario.minutes(order.due)),
                    weight=order.weight,
                    max_lag=tuple(lags) if any(lag is not None for lag in lags) else None,
                )
            )
            rolls[roll_id] = RollJob(roll_id, order.id, product.id, line.id, length)
    problem = Problem(
        machines=tuple(
            Machine(
                m.id,
                _unavailable(scenario, m, calendar_span),
                _usage_limits(scenario, m),
            )
            for m in machines.values()
        ),
        jobs=tuple(jobs),
        setups=_setups(scenario, list(machines.values())),
        stores=tuple(
            Store(store.id, store.capacity_rolls, tuple(waits[store.id]))
            for line in scenario.lines
            for store in line.buffers
            if isinstance(store, RollStore) and store.id in waits
        ),
    )
    return PlantProblem(scenario, problem, machines, rolls)


def to_plan(plant: PlantProblem, solution: Solution) -> SchedulePlan:
    """The twin's plan for a solved schedule: sequences, planned releases, completions."""
    if not solution.has_schedule:
        raise ValueError(f"a solution with status {solution.status} has no schedule")
    machines = {
        machine: [step.job for step in sorted(steps, key=lambda s: s.start)]
        for machine, steps in solution.machines.items()
    }
    first_start: dict[str, int] = {}
    for steps in solution.machines.values():
        for step in steps:
            first_start[step.job] = min(first_start.get(step.job, step.start), step.start)
    maintenance = {
        machine: {
            step.job: list(step.maintenance_before) for step in steps if step.maintenance_before
        }
        for machine, steps in solution.machines.items()
    }
    completion: dict[str, float] = {}
    for roll_id, outcome in solution.jobs.items():
        order = plant.rolls[roll_id].order
        completion[order] = max(completion.get(order, 0.0), float(outcome.completion))
    return SchedulePlan(
        source=solution.method,
        machines=machines,
        release_min={roll: float(start) for roll, start in first_start.items()},
        line={roll_id: roll.line for roll_id, roll in plant.rolls.items()},
        maintenance={machine: planned for machine, planned in maintenance.items() if planned},
        planned_completion_min=completion,
    )


def parse_objective(text: str) -> Lexicographic | Objective:
    """A named objective (:data:`OBJECTIVES`) or a weighted sum ``'weighted_tardiness=1,...'``.

    Raises ValueError with a readable message for anything else.
    """
    if text in OBJECTIVES:
        return Lexicographic(tuple(Objective({name: 1.0}) for name in OBJECTIVES[text]))
    try:
        pairs = [part.split("=") for part in text.split(",")]
        return Objective({name.strip(): float(value) for name, value in pairs})  # type: ignore[misc]
    except ValueError as error:
        names = ", ".join(OBJECTIVES)
        raise ValueError(
            f"{text!r} is not an objective ({names}, or weights like "
            f"'weighted_tardiness=1,total_setup=0.1'): {error}"
        ) from None


@dataclass
class PlantSchedule:
    """A plant's schedule from CP-SAT, the dispatching rules it was compared with, its plan."""

    plant: PlantProblem
    solution: Solution
    baselines: dict[str, Solution]
    plan: SchedulePlan | None
    explanation: list[str] = field(default_factory=list)

    def document(self, objective: str) -> dict[str, Any]:
        """The JSON form: what ``r2r schedule --out`` writes and ``simulate --schedule`` reads."""
        return {
            "scenario": self.plant.scenario.name,
            "objective": objective,
            "solution": self.solution.model_dump(mode="json"),
            "baselines": {
                rule: {
                    "status": s.status,
                    "weighted_tardiness_min": s.weighted_tardiness,
                    "makespan_min": s.makespan,
                    "total_setup_min": s.total_setup,
                }
                for rule, s in self.baselines.items()
            },
            "plan": self.plan.model_dump(mode="json") if self.plan else None,
            "explanation": self.explanation,
        }


def schedule_plant(
    scenario: Scenario,
    objective: str = "tardiness-makespan",
    *,
    time_limit_s: float = 30.0,
    workers: int = 2,
) -> PlantSchedule:
    """Schedule the order book: every dispatching rule, then CP-SAT from the best of them."""
    spec = parse_objective(objective)
    plant = build_problem(scenario)
    baselines = {rule: dispatch(plant.problem, rule, objective=spec) for rule in RULES}
    feasible = [s for s in baselines.values() if s.has_schedule]
    hint = min(feasible, key=lambda s: s.objective or 0.0) if feasible else None
    solution = solve(plant.problem, spec, time_limit_s=time_limit_s, workers=workers, hint=hint)
    return PlantSchedule(
        plant=plant,
        solution=solution,
        baselines=baselines,
        plan=to_plan(plant, solution) if solution.has_schedule else None,
        explanation=explain(plant.problem) if solution.status == "INFEASIBLE" else [],
    )


def plan_mismatches(scenario: Scenario, plan: SchedulePlan) -> list[tuple[str, str]]:
    """(path, message) for each part of ``plan`` that does not fit ``scenario``."""
    expected = build_problem(scenario)
    found = [
        (f"plan.machines.{m}", "is not a machine of this scenario")
        for m in plan.machines
        if m not in expected.machines
    ]
    unknown = sorted(set(plan.release_min) - set(expected.rolls))
    if unknown:
        found.append(
            ("plan.release_min", f"rolls not in this order book: {', '.join(unknown[:5])}")
        )
    return found
