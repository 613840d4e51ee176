"""The scheduling problem of the plant as a plant state has it: what is left, from its moment.

The problem of the whole order book (:func:`~twin.schedule.plant.problem.build_problem`) is
moved to the state's clock (t = 0 at the state's moment) and cut to what is left to do:

- rolls finished before the moment are gone, and so are orders with every roll finished;
- a roll on a machine keeps it until the rest of that roll is done (the remaining share of its
  processing time, after the unit's stop if it is stopped); its later steps follow;
- a roll in a store goes on from the step after the store, a roll waiting at its line's entry
  from the first step; an order with rolls in the plant stays on their line;
- the rolls not yet released are released at their release (or at once, if it has passed);
- each machine starts in the set-up state of what it last ran, with its usage counters as the
  state gives them (plus what the roll on it still adds), free once its stop and its roll end; a
  unit down without a known end is free after its failure's mean repair time; a unit that is off
  stays off;
- operations of an earlier plan that start within a frozen window after the moment keep their
  machine and start (the plan must stay executable while people act on it).

Released rolls that the state places nowhere are taken, as the twin takes them, to be the
finished ones (lowest numbers first) and the rest to wait at their line's entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable

from twin.engine.plan import SchedulePlan
from twin.scenario import Scenario
from twin.schedule.plant.problem import (
    USAGE_SCALE,
    PlantProblem,
    RollJob,
    build_problem,
    plant_machines,
)
from twin.schedule.problem import Choice, Frozen, Job, Machine, Problem, Store
from twin.state.model import PlantState, UnitState

HORIZON_MARGIN_MIN = 60 * 1440.0
"""How far past the state's moment calendars are unrolled, at least (minutes)."""


def _minutes_after(at: dt.datetime, when: dt.datetime) -> float:
    if (when.tzinfo is None) != (at.tzinfo is None):
        when, at = when.replace(tzinfo=None), at.replace(tzinfo=None)
    return (when - at).total_seconds() / 60


def _base_id(roll_id: str) -> str:
    """The roll a replacement stands in for (``SO-1/3r`` for ``SO-1/3``)."""
    return roll_id.rstrip("r") if roll_id.endswith("r") and "/" in roll_id else roll_id


@dataclasses.dataclass
class _Place:
    """Where a roll of the state is: its line, the first stage still to run, from when."""

    roll_id: str
    line: str
    stage: int
    ready: float


class _Cut:
    """Moves the whole problem to the state's clock and cuts it to what is left."""

    def __init__(self, scenario: Scenario, state: PlantState, whole: PlantProblem) -> None:
        self.scenario = scenario
        self.state = state
        self.whole = whole
        self.offset = scenario.minutes(state.at) if scenario.start is not None else 0.0
        self.stage_of: dict[str, tuple[str, int]] = {}
        """Each machine's line and stage index."""
        for line in scenario.lines:
            for index, stage in enumerate(plant_machines(scenario, line)):
                for machine in stage:
                    self.stage_of[machine.id] = (line.id, index)
        self.machine_of_station: dict[str, list[str]] = {}
        for machine in whole.machines.values():
            for station in machine.stations:
                self.machine_of_station.setdefault(station.id, []).append(machine.id)

    # ------------------------------------------------------------------ times
    def shift(self, minutes: float, *, up: bool) -> int:
        value = minutes - self.offset
        return math.ceil(value - 1e-9) if up else math.floor(value + 1e-9)

    def windows(self, windows: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
        moved = []
        for start, end in windows:
            a, b = self.shift(start, up=False), self.shift(end, up=True)
            if b > 0:
                moved.append((max(a, 0), b))
        return tuple((a, b) for a, b in moved if b > a)

    # ------------------------------------------------------------------ where rolls are
    def unit_machine(self, unit: UnitState) -> str:
        """The problem's machine of a station unit (a parallel unit, or an inline segment)."""
        if unit.unit in self.whole.machines:
            return unit.unit
        station = unit.unit.partition("#")[0]
        return self.machine_of_station[station][0]

    def places(self, free_at: dict[str, float]) -> dict[str, _Place]:
        """Every roll of the state with what is left of it, by roll id.

        ``free_at`` (when each machine's stop ends) becomes when each machine is free of its
        stop and of the rolls on it.
        """
        state = self.state
        places: dict[str, _Place] = {}
        stop_end = dict(free_at)
        for unit in state.units:
            if unit.roll is None:
                continue
            machine = self.unit_machine(unit)
            line, stage = self.stage_of[machine]
            roll = unit.roll
            length = roll.length_m or self.scenario.roll_length_m
            job = self._job_of(roll.id, line)
            minutes = self._op_minutes(job, stage, machine) if job is not None else 0
            done = stop_end.get(machine, 0.0) + minutes * max(0.0, 1.0 - roll.done_m / length)
            free_at[machine] = max(free_at.get(machine, 0.0), done)
            known = places.get(roll.id)
            if known is None or known.ready < done:  # an inline segment: its last station
                places[roll.id] = _Place(roll.id, line, stage + 1, done)
        for held in state.stores:
            line, after = self._store_stage(held.store)
            for stored in held.rolls:
                places[stored.id] = _Place(stored.id, line, after, 0.0)
        for queue in state.queues:
            for queued in queue.rolls:
                places[queued.id] = _Place(queued.id, queue.line, 0, 0.0)
        return places

    def _store_stage(self, store_id: str) -> tuple[str, int]:
        """The line of a store and the stage after it."""
        for machine in self.whole.machines.values():
            if machine.store_after is not None and machine.store_after.id == store_id:
                line, stage = self.stage_of[machine.id]
                return line, stage + 1
        raise ValueError(f"store {store_id!r} is not between two machines")

    def _job_of(self, roll_id: str, line: str) -> Job | None:
        base = _base_id(roll_id)
        for job_id in (base, f"{base}@{line}"):
            if job_id in self.whole.rolls:
                return self.whole.problem.job[job_id]
        return None

    @staticmethod
    def _op_minutes(job: Job, stage: int, machine: str) -> int:
        for op in job.operations:
            if op.id.endswith(f"@{stage}"):
                return op.eligible.get(machine, op.shortest)
        return 0


def _stops(scenario: Scenario, state: PlantState, cut: _Cut) -> tuple[dict[str, float], set[str]]:
    """When each machine is free of its stop, and the machines that are off."""
    free_at: dict[str, float] = {}
    off: set[str] = set()
    for unit in state.units:
        machine = cut.unit_machine(unit)
        if unit.status == "off":
            off.add(machine)
            continue
        if unit.status == "up":
            continue
        if unit.until is not None:
            end = _minutes_after(state.at, unit.until)
        else:  # down, its repair to come: the failure's mean repair time
            station = next(
                s
                for line in scenario.lines
                for s in line.stations
                if s.id == unit.unit.partition("#")[0]
            )
            failure = next((f for f in station.failures if f.name == unit.failure), None)
            failure = failure or (station.failures[0] if station.failures else None)
            end = failure.ttr.mean() if failure is not None else 0.0
        free_at[machine] = max(free_at.get(machine, 0.0), end)
    return free_at, off


def _done_and_waiting(state: PlantState, placed: set[str]) -> tuple[set[str], dict[str, list[str]]]:
    """Roll ids finished, and released rolls placed nowhere (waiting at the entry), by order."""
    finished: set[str] = set()
    waiting: dict[str, list[str]] = {}
    placed_bases = {_base_id(r) for r in placed}
    for progress in state.orders:
        ids = list(progress.released_ids) or [
            f"{progress.order}/{k + 1}" for k in range(progress.released_rolls)
        ]
        nowhere = [r for r in ids if r not in placed_bases]
        finished |= set(nowhere[: progress.finished_rolls])
        waiting[progress.order] = nowhere[progress.finished_rolls :]
    return finished, waiting


def problem_from_state(
    scenario: Scenario,
    state: PlantState,
    horizon_min: float | None = None,
    *,
    previous: SchedulePlan | None = None,
    frozen_min: float = 0.0,
) -> PlantProblem:
    """The problem of what is left to do from ``state``, times from its moment.

    ``previous`` is the plan being replaced, its times from the same moment: its operations
    that start within ``frozen_min`` keep their machine and start.
    """
    span = max(horizon_min or scenario.run.horizon, HORIZON_MARGIN_MIN)
    offset = scenario.minutes(state.at) if scenario.start is not None else 0.0
    whole = build_problem(scenario, offset + span)
    cut = _Cut(scenario, state, whole)
    free_at, off = _stops(scenario, state, cut)
    places = cut.places(free_at)
    finished, waiting = _done_and_waiting(state, set(places))
    line_of = {_order_of(p.roll_id): p.line for p in places.values()}
    for order, roll_ids in waiting.items():
        for roll_id in roll_ids:
            line = line_of.get(order) or next(
                (r.line for r in whole.rolls.values() if r.id == roll_id), None
            )
            if line is not None:
                places[roll_id] = _Place(roll_id, line, 0, 0.0)
                line_of.setdefault(order, line)
    by_base = {_base_id(roll_id): place for roll_id, place in places.items()}
    totals = {o.id: scenario.order_rolls(o) for o in scenario.orders}
    closed = {p.order for p in state.orders if p.finished_rolls >= totals.get(p.order, 0)}
    problem = whole.problem
    jobs: list[Job] = []
    rolls: dict[str, RollJob] = {}
    renamed: dict[str, str] = {}  # the whole problem's job id -> the cut one's
    first: dict[str, int] = {}  # the cut job -> index of its first operation in the whole job
    for job in problem.jobs:
        roll = whole.rolls[job.id]
        if roll.order in closed or roll.id in finished:
            continue
        if roll.order in line_of and roll.line != line_of[roll.order]:
            continue  # the order runs on the line its rolls are already on
        place = by_base.get(roll.id)
        if place is None:
            new_id, start_at, release = job.id, 0, cut.shift(job.release, up=True)
        else:
            new_id = job.id.replace(roll.id, place.roll_id, 1)
            start_at = next(
                (k for k, op in enumerate(job.operations) if _stage(op.id) >= place.stage),
                len(job.operations),
            )
            release = math.ceil(place.ready - 1e-9)
        if start_at == len(job.operations):
            continue  # its last step is under way: nothing of it is left to schedule
        operations = tuple(
            dataclasses.replace(op, id=op.id.replace(job.id, new_id, 1), job=new_id)
            for op in job.operations[start_at:]
        )
        jobs.append(
            Job(
                id=new_id,
                operations=operations,
                release=max(release, 0),
                due=cut.shift(job.due, up=False) if job.due is not None else None,
                weight=job.weight,
                max_lag=job.max_lag[start_at:] if job.max_lag is not None else None,
            )
        )
        rolls[new_id] = dataclasses.replace(roll, id=place.roll_id if place else roll.id)
        renamed[job.id] = new_id
        first[new_id] = start_at
    machines = _machines(state, cut, problem, free_at, off, span)
    stores = []
    for store in problem.stores:
        waits = tuple(
            (renamed[job_id], k - first[renamed[job_id]])
            for job_id, k in store.waits
            if job_id in renamed and k >= first[renamed[job_id]]
        )
        if waits:
            stores.append(Store(store.id, store.capacity, waits))
    choices = []
    for choice in problem.choices:
        options = tuple(
            option
            for option in (tuple(renamed[j] for j in o if j in renamed) for o in choice.options)
            if option
        )
        if len(options) > 1:
            choices.append(Choice(choice.id, options))
    frozen = _frozen(previous, frozen_min, jobs, machines) if previous is not None else {}
    cut_problem = Problem(
        machines=tuple(machines),
        jobs=tuple(jobs),
        setups=problem.setups,
        stores=tuple(stores),
        frozen=frozen,
        choices=tuple(choices),
    )
    return PlantProblem(scenario, cut_problem, whole.machines, rolls)


def _order_of(roll_id: str) -> str:
    return _base_id(roll_id).rpartition("/")[0]


def _stage(operation_id: str) -> int:
    return int(operation_id.rpartition("@")[2])


def _machines(
    state: PlantState,
    cut: _Cut,
    problem: Problem,
    free_at: dict[str, float],
    off: set[str],
    span: float,
) -> list[Machine]:
    """Each machine on the state's clock: its windows, when it is free, set-up and counters."""
    family: dict[str, str] = {}
    usage: dict[str, dict[str, int]] = {}
    for unit in state.units:
        name = cut.unit_machine(unit)
        product = (
            unit.roll.product
            if unit.roll is not None
            else (unit.last.product if unit.last is not None else None)
        )
        if product is not None:
            family.setdefault(name, product)
        station = unit.unit.partition("#")[0]
        for counter, value in unit.counters.items():
            usage.setdefault(name, {})[f"{station}.{counter}"] = math.ceil(value * USAGE_SCALE)
    machines = []
    for machine in problem.machines:
        limits = {u.counter: u.limit for u in machine.usage_limits}
        levels = {
            counter: min(level, limits[counter])
            for counter, level in usage.get(machine.id, {}).items()
            if counter in limits
        }
        windows = cut.windows(machine.unavailable)
        if machine.id in off:
            windows = ((0, math.ceil(span)),)
        machines.append(
            Machine(
                machine.id,
                windows,
                machine.usage_limits,
                available_from=math.ceil(free_at.get(machine.id, 0.0) - 1e-9),
                initial_family=family.get(machine.id),
                initial_usage=levels,
            )
        )
    return machines


def _frozen(
    previous: SchedulePlan, frozen_min: float, jobs: list[Job], machines: list[Machine]
) -> dict[str, Frozen]:
    """The previous plan's operations starting within the frozen window, where they were."""
    by_roll: dict[str, list[tuple[float, str]]] = {}
    for planned in previous.operations:
        if 0 <= planned.start_min < frozen_min:
            by_roll.setdefault(planned.roll, []).append((planned.start_min, planned.machine))
    known = {m.id: m for m in machines}
    frozen: dict[str, Frozen] = {}
    taken: dict[str, list[tuple[int, int]]] = {}  # frozen spans on each machine
    usage = {m.id: m.usage_at_start() for m in machines}  # with what the kept ones add
    for job in jobs:
        roll = job.id.partition("@")[0] if "@" in job.id else job.id
        ready = job.release  # the earliest the next operation can start
        for start, machine in sorted(by_roll.get(roll, [])):
            index = next((k for k, o in enumerate(job.operations) if machine in o.eligible), None)
            if index is None or machine not in known:
                continue
            op = job.operations[index]
            begin = math.ceil(start - 1e-9)
            end = begin + op.eligible[machine]
            # kept only where it still fits: after its machine is free, after the job's steps
            # before it (at their shortest), clear of windows and of the other kept ones
            earliest = ready + sum(o.shortest for o in job.operations[:index])
            # and without maintenance: kept work must not take a counter past its limit
            spans = [*known[machine].unavailable, *taken.get(machine, [])]
            levels = usage[machine]
            if (
                op.id in frozen
                or begin < max(earliest, known[machine].available_from)
                or any(a < end and begin < b for a, b in spans)
                or any(
                    levels[u.counter] + op.usage.get(u.counter, 0) > u.limit
                    for u in known[machine].usage_limits
                )
            ):
                continue
            frozen[op.id] = Frozen(machine, begin)
            taken.setdefault(machine, []).append((begin, end))
            for counter in levels:
                levels[counter] += op.usage.get(counter, 0)
            ready = end - sum(o.shortest for o in job.operations[: index + 1])
    return frozen


__all__ = ["problem_from_state"]
