"""From a plant scenario and its order book to a scheduling problem.

The plant's machines are what the engine runs: a roll-coupled tool (each of its parallel units is
one machine), or a whole inline segment (the web passes all its stations at once, so it is one
machine). Orders become roll jobs of the standard length (an order's last roll may be shorter);
each job follows its product's route on its line. An order that may run on several lines (its
product's eligible lines, unless the order names one) gets one set of roll jobs per line, and a
:class:`~twin.schedule.problem.Choice` lets the optimiser choose the line: all of an order's rolls
run on the line chosen. Processing times are the same numbers the twin
and ``r2r describe`` use (:func:`twin.capacity.roll_minutes`), rounded up to whole minutes;
setups come from the stations' changeovers; shifts off and calendar maintenance make machines
unavailable; usage-based maintenance (a PECVD chamber clean after a wall deposit, an ALD canister
change) becomes a usage limit; a store's maximum waiting time for the product bounds the wait
between two steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import twin.problems
from stations import RecipeStep
from twin.capacity import roll_minutes
from twin.engine.calendar import off_shift_intervals
from twin.problems import ScenarioError
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
from twin.schedule.problem import (
    Choice,
    Job,
    Machine,
    Operation,
    Problem,
    SetupTimes,
    Store,
    UsageLimit,
)

MAX_ROLL_JOBS = 4000
"""The most roll jobs (over all lines an order may take) the scheduler takes on: about 30 months
of the baseline's orders. A larger book is refused before anything is built."""

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
    """A roll of an order on one line, scheduled as a job.

    ``id`` is the roll's id as the twin knows it (``ORDER/k``); the job's id is the same, or
    ``ORDER/k@LINE`` when the order may run on several lines.
    """

    id: str
    order: str
    product: str
    line: str
    length_m: float


class ScheduleTooLarge(ScenarioError):
    """The order book makes more roll jobs than the scheduler takes on (:data:`MAX_ROLL_JOBS`).

    Input the user can put right (fewer orders at a time, longer rolls): a scenario error at
    ``orders``, exit code 2 in the CLI.
    """


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


def _lines_of(scenario: Scenario, order: Order) -> list[Line]:
    """The lines an order may run on: the one it names, or every line its product can take."""
    if order.line is not None:
        return [scenario.line(order.line)]
    return scenario.lines_for(scenario.product(order.product))


def _roll_count(scenario: Scenario, order: Order) -> int:
    """How many rolls of the standard length the order takes (the last may be shorter)."""
    return max(1, math.ceil(scenario.order_length_m(order) / scenario.roll_length_m - 1e-9))


def check_size(scenario: Scenario) -> None:
    """Refuse an order book of more than :data:`MAX_ROLL_JOBS` roll jobs, saying why."""
    jobs = sum(_roll_count(scenario, o) * len(_lines_of(scenario, o)) for o in scenario.orders)
    if jobs > MAX_ROLL_JOBS:
        message = (
            f"the order book makes {jobs:,} roll jobs of {scenario.roll_length_m:g} m; the "
            f"scheduler takes at most {MAX_ROLL_JOBS:,} (schedule fewer orders at a time, or use "
            "longer rolls)"
        )
        raise ScheduleTooLarge([twin.problems.Problem("orders", message)])


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
    minutes = max(roll_minutes(line, s, steps.get(s.id), length) for s in machine.stations)
    if not minutes <= MAX_OPERATION_MIN:
        names = "+".join(s.id for s in machine.stations)
        raise ScheduleTooLarge(
            [
                twin.problems.Problem(
                    f"lines ({line.id})",
                    f"a roll takes {minutes:.3g} min on {names}, more than the scheduler's "
                    f"{MAX_OPERATION_MIN:,.0f} min (100 years): check its speed",
                )
            ]
        )
    return _minutes(minutes)


MAX_OPERATION_MIN = 100 * 525_600.0
"""The longest operation the scheduler takes on, minutes (a hundred years)."""


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
        per_m = station.equipment.consumption_per_m(step)
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
                        change = max(change, station.equipment.changeover_min(before, after))
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
    margin) only bounds how far calendars are unrolled; it is not a deadline. Raises
    :class:`ScheduleTooLarge` for a book of more than :data:`MAX_ROLL_JOBS` roll jobs.
    """
    check_size(scenario)
    last_due = max((scenario.minutes(o.due) for o in scenario.orders), default=0.0)
    calendar_span = max(horizon_min or scenario.run.horizon, 2 * last_due + 14 * 1440)
    machines: dict[str, PlantMachine] = {}
    stages_by_line = {}
    for line in scenario.lines:
        stages_by_line[line.id] = plant_machines(scenario, line)
        for stage in stages_by_line[line.id]:
            for machine in stage:
                machines[machine.id] = machine
    book = _Book(scenario, stages_by_line)
    for order in sorted(scenario.orders, key=lambda o: (scenario.minutes(o.release), o.id)):
        lines = _lines_of(scenario, order)
        options = [book.add_rolls(order, line, several=len(lines) > 1) for line in lines]
        if len(options) > 1:
            book.choices.append(Choice(order.id, tuple(tuple(o) for o in options)))
    problem = Problem(
        machines=tuple(
            Machine(
                m.id,
                _unavailable(scenario, m, calendar_span),
                _usage_limits(scenario, m),
            )
            for m in machines.values()
        ),
        jobs=tuple(book.jobs),
        setups=_setups(scenario, list(machines.values())),
        stores=tuple(
            Store(store.id, store.capacity_rolls, tuple(book.waits[store.id]))
            for line in scenario.lines
            for store in line.buffers
            if isinstance(store, RollStore) and store.id in book.waits
        ),
        choices=tuple(book.choices),
    )
    return PlantProblem(scenario, problem, machines, book.rolls)


@dataclass
class _Book:
    """The roll jobs of an order book as they are made, with their store waits and choices."""

    scenario: Scenario
    stages_by_line: dict[str, list[list[PlantMachine]]]
    jobs: list[Job] = field(default_factory=list)
    waits: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    rolls: dict[str, RollJob] = field(default_factory=dict)
    choices: list[Choice] = field(default_factory=list)

    def add_rolls(self, order: Order, line: Line, *, several: bool) -> list[str]:
        """The order's roll jobs on ``line`` (ids ``ORDER/k``, or ``ORDER/k@LINE`` if several)."""
        scenario = self.scenario
        product = scenario.product(order.product)
        steps = _route_steps(scenario, product, line)
        total = scenario.order_length_m(order)
        made = []
        for k in range(_roll_count(scenario, order)):
            roll_id = f"{order.id}/{k + 1}"
            job_id = f"{roll_id}@{line.id}" if several else roll_id
            length = min(scenario.roll_length_m, total - k * scenario.roll_length_m)
            operations, lags = self._route(job_id, product, line, steps, length)
            self.jobs.append(
                Job(
                    id=job_id,
                    operations=tuple(operations),
                    release=math.ceil(scenario.minutes(order.release)),
                    due=math.floor(scenario.minutes(order.due)),
                    weight=order.weight,
                    max_lag=tuple(lags) if any(lag is not None for lag in lags) else None,
                )
            )
            self.rolls[job_id] = RollJob(roll_id, order.id, product.id, line.id, length)
            made.append(job_id)
        return made

    def _route(
        self,
        job_id: str,
        product: Product,
        line: Line,
        steps: dict[str, RecipeStep],
        length: float,
    ) -> tuple[list[Operation], list[int | None]]:
        """A roll's operations on ``line`` and the longest waits between them."""
        operations: list[Operation] = []
        lags: list[int | None] = []
        previous_store: RollStore | None = None
        for index, stage in enumerate(self.stages_by_line[line.id]):
            minutes = _stage_minutes(line, stage[0], steps, length)
            if minutes is None:
                continue
            if operations:
                wait = previous_store.max_wait.get(product.id) if previous_store else None
                lags.append(math.floor(wait) if wait is not None else None)
                if previous_store is not None:
                    self.waits.setdefault(previous_store.id, []).append(
                        (job_id, len(operations) - 1)
                    )
            operations.append(
                Operation(
                    id=f"{job_id}@{index}",
                    job=job_id,
                    eligible={m.id: minutes for m in stage},
                    setup_family=product.id,
                    usage=_stage_usage(stage[0], steps, length),
                )
            )
            previous_store = stage[0].store_after
        return operations, lags
