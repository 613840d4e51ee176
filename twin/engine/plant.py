"""One replication of a plant: rolls, roll stores, station units, crews, shifts and maintenance.

:class:`Plant` turns a :class:`~twin.scenario.Scenario` into a SimPy world of segments
(:mod:`twin.engine.flow`) joined by roll stores, releases the order book as rolls, runs to the
horizon and returns a :class:`ReplicationResult` of plain numbers.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import simpy

from stations import DefectType, Equipment, RecipeStep
from stations.pecvd import PecvdStep
from twin.engine.calendar import off_shift_intervals
from twin.engine.flow import (
    DOWN,
    HOLD_PRIORITY,
    MAINTENANCE,
    OFF_SHIFT,
    STARVED,
    STATE_NAMES,
    WAITING_CREW,
    WORKING,
    Accumulator,
    FlowStation,
    Segment,
)
from twin.engine.plan import SchedulePlan
from twin.engine.quality import CAUSES, QualityModel, RollQuality
from twin.engine.stats import LevelStat
from twin.engine.streams import stream
from twin.scenario import (
    Accumulator as AccumulatorSpec,
)
from twin.scenario import (
    CalendarMaintenance,
    Line,
    Order,
    RollStore,
    Scenario,
    Station,
    UsageMaintenance,
)


@dataclass(eq=False, slots=True)
class Roll:
    """A roll of web: which order and product it is, its route, and where it has been."""

    id: str
    order: str
    product: str
    length_m: float
    width_m: float
    line: str
    released: float
    route: dict[str, RecipeStep]
    history: list[tuple[str, float, float]] = field(default_factory=list)
    stored_at: float = 0.0
    store_token: int = 0
    reworks: int = 0
    quality: RollQuality = field(default_factory=RollQuality)
    _entered: dict[str, float] = field(default_factory=dict)

    def enter(self, station_id: str, now: float) -> None:
        """The roll starts at a station (segment head)."""
        self._entered[station_id] = now

    def leave(self, station_id: str, now: float) -> None:
        """The roll leaves a segment at ``station_id`` (its tail)."""
        first = next(iter(self._entered.values()), now)
        self.history.append((station_id, first, now))
        self._entered.clear()


class Store:
    """A store of rolls: a roll store between tools, or a line's queue of released rolls."""

    def __init__(
        self,
        plant: Plant,
        store_id: str,
        capacity: float,
        max_wait: dict[str, float] | None = None,
        on_expiry: str = "scrap",
    ) -> None:
        self.plant = plant
        self.env = plant.env
        self.id = store_id
        self.capacity = capacity
        self.max_wait = max_wait or {}
        self.on_expiry = on_expiry
        self.rolls: list[Roll] = []
        self.reserved = 0
        self.getters: deque[tuple[simpy.Event, StationUnit]] = deque()
        self.space_waiters: deque[simpy.Event] = deque()
        self.level = LevelStat(0.0, plant.warmup)
        self.arrivals = 0
        self.departures = 0
        self.wait_total = 0.0
        self.expired = 0

    def reserve(self) -> simpy.Event:
        """An event that succeeds when a place is free; the place is then held for a put."""
        event = self.env.event()
        if len(self.rolls) + self.reserved < self.capacity:
            self.reserved += 1
            event.succeed()
        else:
            self.space_waiters.append(event)
        return event

    def put(self, roll: Roll, reserved: bool = True) -> None:
        """Add ``roll`` (into a place reserved before, unless ``reserved`` is False)."""
        now = self.env.now
        if reserved:
            self.reserved -= 1
        self.rolls.append(roll)
        roll.stored_at = now
        roll.store_token += 1
        if now >= self.plant.warmup:
            self.arrivals += 1
        self.level.step(now, len(self.rolls))
        limit = self.max_wait.get(roll.product)
        if limit is not None:
            token = roll.store_token
            timer = self.env.timeout(limit)
            timer.callbacks.append(lambda _e: self._expire(roll, token))
        self._serve()

    def get(self, unit: StationUnit) -> simpy.Event:
        """An event whose value is the next roll for ``unit`` by the plant's dispatching rule."""
        event = self.env.event()
        self.getters.append((event, unit))
        self._serve()
        return event

    def _take(self, roll: Roll) -> None:
        now = self.env.now
        self.rolls.remove(roll)
        roll.store_token += 1
        if roll.stored_at >= self.plant.warmup:
            self.departures += 1
            self.wait_total += now - roll.stored_at
        self.level.step(now, len(self.rolls))
        while self.space_waiters and len(self.rolls) + self.reserved < self.capacity:
            self.reserved += 1
            self.space_waiters.popleft().succeed()

    def _serve(self) -> None:
        while self.getters and self.rolls:
            event, unit = self.getters[0]
            roll = self.plant.dispatch(self, unit)
            if roll is None:
                return
            self.getters.popleft()
            self._take(roll)
            event.succeed(roll)

    def _expire(self, roll: Roll, token: int) -> None:
        if roll.store_token != token:
            return  # it left in time
        self._take(roll)
        self.expired += 1
        self.plant.expire(roll, self)


class StationUnit:
    """One physical tool of a station (a station has ``units`` identical ones)."""

    def __init__(self, plant: Plant, line: Line, station: Station, unit: int) -> None:
        self.plant = plant
        self.line_id = line.id
        self.spec = station
        self.station_id = station.id
        self.name = station.id if station.units == 1 else f"{station.id}#{unit + 1}"
        self.equipment: Equipment[Any] = station.equipment
        self.state_time = [0.0] * len(STATE_NAMES)
        self.metres = 0.0
        self.active_periods: list[tuple[float, float]] = []
        self.last_step: RecipeStep | None = None
        self.flow: FlowStation
        self.segment: Segment
        rep, seed = plant.replication, plant.seed
        self.ttf_streams = [
            stream(seed, rep, f"ttf:{self.name}:{k}") for k in range(len(station.failures))
        ]
        self.ttr_streams = [
            stream(seed, rep, f"ttr:{self.name}:{k}") for k in range(len(station.failures))
        ]
        self.process_stream = stream(seed, rep, f"process:{self.name}")
        self.failure_clocks = [
            [f.ttf.sample(s)] for f, s in zip(station.failures, self.ttf_streams, strict=True)
        ]
        self.usage_tasks = [
            (task.counter, task.limit, task)
            for task in station.maintenance
            if isinstance(task, UsageMaintenance)
        ]
        # every counter of the type is kept (the PECVD wall deposit drives particles even when
        # no clean is planned); the maintained ones reset at their task
        self.usage = dict.fromkeys(type(self.equipment).usage_counters, 0.0)
        # A web break is one more failure clock, in full-speed minutes: at each roll a fresh
        # exponential area (m²) to the next break, which is memoryless, becomes minutes at the
        # roll's width and the station's speed.
        self.break_stream = stream(seed, rep, f"breaks:{self.name}")
        self.break_mode = len(self.failure_clocks)
        self.failure_clocks.append([math.inf])
        self._break_rates: dict[int, float] = {}
        self._break_draws: list[float] = []
        # Recipe steps live as long as the scenario, so their ids key these memos.
        self._speeds: dict[int, float] = {}
        self._changeovers: dict[tuple[int, int], float] = {}

    def speed_m_min(self, step: RecipeStep) -> float:
        """Web speed for ``step``; a per-roll process time becomes this roll's speed."""
        key = id(step)
        speed = self._speeds.get(key)
        if speed is None:
            length = self.plant.roll_length_m
            distribution = self.equipment.roll_process_time(step, length)
            if distribution.dist != "fixed":
                # A process-time station: this roll's time, drawn now, sets its speed.
                return length / max(distribution.sample(self.process_stream), 1e-9)
            speed = self._speeds[key] = length / max(distribution.mean(), 1e-9)
        return speed

    def changeover_min(self, step: RecipeStep) -> float:
        """Changeover from the last step this unit ran to ``step``."""
        key = (id(self.last_step), id(step))
        minutes = self._changeovers.get(key)
        if minutes is None:
            minutes = self.equipment.changeover_min(self.last_step, step)
            self._changeovers[key] = minutes
        return minutes

    def consumption_per_m(self, step: RecipeStep) -> dict[str, float]:
        """Growth per metre of the unit's usage counters for ``step``."""
        return self.equipment.consumption_per_m(step)

    def web_break_clock(self, step: RecipeStep, roll: Roll, speed_m_min: float) -> float:
        """Full-speed minutes to the next web break on ``roll`` (infinite if breaks are off)."""
        key = id(step)
        rate = self._break_rates.get(key)
        if rate is None:
            rate = self.equipment.defect_rates(step).get(DefectType.WEB_BREAK, 0.0)
            self._break_rates[key] = rate
        if rate <= 0:
            return math.inf
        if not self._break_draws:
            # standard exponentials drawn in blocks, consumed in order: the same stream
            self._break_draws = self.break_stream.standard_exponential(256).tolist()[::-1]
        area = self._break_draws.pop() / rate
        return area / (roll.width_m * speed_m_min)

    def start_of_roll_min(self, step: RecipeStep | None, inline: bool) -> float:
        """Stop before a roll: load and pump (a tool); vent, load and pump (an inline head)."""
        if step is None:
            return 0.0 if inline else self.equipment.load_thread
        overhead = self.equipment.roll_overhead(step)
        return overhead.unwind_change if inline else overhead.load_thread + overhead.pump_down

    def end_of_roll_min(self, step: RecipeStep | None, inline: bool) -> float:
        """Stop after a roll: vent and unload (a tool); unload (an inline tail)."""
        if step is None:
            return self.equipment.unload
        overhead = self.equipment.roll_overhead(step)
        return overhead.rewind_change if inline else overhead.vent + overhead.unload


@dataclass
class ReplicationResult:
    """Plain numbers from one replication, keyed for aggregation."""

    replication: int
    metrics: dict[str, float]
    orders: dict[str, dict[str, float | None]]
    series: dict[str, list[tuple[float, float]]]
    events: list[tuple[float, str, str]] | None
    wakeups: int
    rolls: list[dict[str, Any]]


class Plant:
    """The SimPy world of one replication of a scenario."""

    def __init__(
        self,
        scenario: Scenario,
        replication: int = 0,
        seed: int | None = None,
        horizon_min: float | None = None,
        warmup_min: float | None = None,
        event_log: bool = False,
        genealogy: bool = False,
        plan: SchedulePlan | None = None,
    ) -> None:
        self.scenario = scenario
        self.plan = plan
        self._plan_position: dict[str, int] = {}
        self._planned_rolls = {r for seq in plan.machines.values() for r in seq} if plan else set()
        self._gone: set[str] = set()
        self.keep_genealogy = genealogy
        self.env = simpy.Environment()
        self.replication = replication
        self.seed = scenario.run.seed if seed is None else seed
        self.horizon = scenario.run.horizon if horizon_min is None else horizon_min
        self.warmup = scenario.run.warmup if warmup_min is None else warmup_min
        self.roll_length_m = scenario.roll_length_m
        self.event_log: list[tuple[float, str, str]] | None = [] if event_log else None
        self.group_by_product = scenario.run.dispatching == "group_by_product"
        self.units: list[StationUnit] = []
        self.segments: list[Segment] = []
        self.stores: dict[str, Store] = {}
        self.queues: dict[str, Store] = {}
        self.accumulators: list[Accumulator] = []
        self.crews: dict[str, simpy.Resource] = {
            crew.id: simpy.Resource(self.env, capacity=crew.size) for crew in scenario.crews
        }
        self.finished: list[Roll] = []
        self.wip: dict[str, LevelStat] = {}
        self.wip_count: dict[str, int] = {}
        self.order_rolls: dict[str, int] = {}
        self.order_done: dict[str, float] = {}
        self.scrapped_m: dict[str, float] = {}
        self.quality = QualityModel(self) if scenario.run.quality else None
        self.scrapped: list[tuple[Roll, float]] = []
        self._build()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        scenario = self.scenario
        for line in scenario.lines:
            queue = Store(self, f"{line.id}:queue", math.inf)
            self.queues[line.id] = queue
            self.wip[line.id] = LevelStat(0.0, self.warmup)
            self.wip_count[line.id] = 0
            self.scrapped_m[line.id] = 0.0
            segments = line.segments()
            stores: list[Store | None] = []
            for segment in segments[:-1]:
                index = line.stations.index(segment[-1])
                spec = line.buffer_after(index)
                assert isinstance(spec, RollStore)
                store = Store(self, spec.id, spec.capacity_rolls, spec.max_wait, spec.on_expiry)
                self.stores[spec.id] = store
                stores.append(store)
            stores.append(None)
            source: Store = queue
            for segment, sink in zip(segments, stores, strict=True):
                accumulators = []
                for station in segment[:-1]:
                    spec = line.buffer_after(line.stations.index(station))
                    assert isinstance(spec, AccumulatorSpec)
                    acc = Accumulator(
                        spec.id,
                        spec.capacity_m,
                        spec.initial_m,
                        LevelStat(spec.initial_m, self.warmup),
                    )
                    accumulators.append(acc)
                self.accumulators += accumulators
                for unit_index in range(segment[0].units):
                    units = [StationUnit(self, line, s, unit_index) for s in segment]
                    self.units += units
                    name = "+".join(u.name for u in units)
                    self.segments.append(Segment(self, name, units, accumulators, source, sink))
                if sink is not None:
                    source = sink
            for begin, end in off_shift_intervals(
                scenario.calendar(line.calendar), scenario.start, self.horizon
            ):
                self.env.process(self._off_shift(line.id, begin, end))
        for unit in self.units:
            for task in unit.spec.maintenance:
                if isinstance(task, CalendarMaintenance):
                    self.env.process(self._calendar_maintenance(unit, task))
        self.env.process(self._release())

    # ------------------------------------------------------------------ orders and rolls
    def _release(self) -> Generator[simpy.Event, Any, None]:
        """Release each order's rolls at the order's release (or at their planned starts)."""
        scenario = self.scenario
        releases: list[tuple[float, str, int, Order]] = []
        for order in scenario.orders:
            release = scenario.minutes(order.release)
            count = max(1, math.ceil(scenario.order_length_m(order) / self.roll_length_m - 1e-9))
            self.order_rolls[order.id] = count
            for k in range(count):
                roll_id = f"{order.id}/{k + 1}"
                planned = self.plan.release_min.get(roll_id, release) if self.plan else release
                releases.append((max(release, planned), order.id, k, order))
        releases.sort(key=lambda item: item[:3])
        lines: dict[str, Line] = {}
        for when, _, k, order in releases:
            if when > self.env.now:
                yield self.env.timeout(when - self.env.now)
            if order.id not in lines:
                lines[order.id] = self._line_for(order)
            self._release_roll(order, k, lines[order.id])

    def _line_for(self, order: Order) -> Line:
        """The order's line: as ordered, as planned, or the eligible one with the least WIP."""
        scenario = self.scenario
        planned = self.plan.line.get(f"{order.id}/1") if self.plan else None
        if order.line is not None or planned is not None:
            return scenario.line(order.line or planned or "")
        product = scenario.product(order.product)
        return min(scenario.lines_for(product), key=lambda ln: self._queued_m(ln.id))

    def _release_roll(self, order: Order, k: int, line: Line) -> None:
        scenario = self.scenario
        product = scenario.product(order.product)
        route = scenario.route(product, line)
        assert route is not None
        total = scenario.order_length_m(order)
        roll = Roll(
            id=f"{order.id}/{k + 1}",
            order=order.id,
            product=product.id,
            length_m=min(self.roll_length_m, total - k * self.roll_length_m),
            width_m=product.web_width_m,
            line=line.id,
            released=self.env.now,
            route={leg.station.id: leg.step for leg in route},
        )
        self._wip(line.id, +1)
        self.queues[line.id].put(roll, reserved=False)

    def _queued_m(self, line_id: str) -> float:
        return self.wip_count[line_id] * self.roll_length_m

    def _wip(self, line_id: str, delta: int) -> None:
        self.wip_count[line_id] += delta
        self.wip[line_id].step(self.env.now, self.wip_count[line_id])

    def dispatch(self, store: Store, unit: StationUnit) -> Roll | None:
        """The roll ``unit`` takes next from ``store``: planned, FIFO, or same product first.

        With a plan the machine waits for its next planned roll; rolls the plan does not know
        (replacements for scrapped ones) may go while it waits, and after its last planned roll
        it works FIFO.
        """
        if not store.rolls:
            return None
        sequence = self.plan.machines.get(unit.segment.id) if self.plan else None
        if sequence is not None:
            return self._planned(store, unit.segment.id, sequence)
        if self.group_by_product and unit.last_step is not None:
            last = unit.flow.piece.roll.product if unit.flow.piece is not None else None
            for roll in store.rolls:
                if roll.product == last:
                    return roll
        return store.rolls[0]

    def planned_maintenance(self, unit: StationUnit, roll: Roll) -> list[UsageMaintenance]:
        """The usage-based maintenance the plan puts on ``unit`` right before ``roll``."""
        if self.plan is None or not unit.usage_tasks:
            return []
        planned = self.plan.maintenance.get(unit.segment.id, {}).get(roll.id, [])
        return [
            task
            for _, _, task in unit.usage_tasks
            if f"{unit.station_id}.{task.counter}" in planned
        ]

    def _planned(self, store: Store, machine: str, sequence: list[str]) -> Roll | None:
        position = self._plan_position.get(machine, 0)
        while position < len(sequence) and sequence[position] in self._gone:
            position += 1  # scrapped on the way: its replacement runs unplanned
        self._plan_position[machine] = position
        if position == len(sequence):
            return store.rolls[0]
        wanted = sequence[position]
        for roll in store.rolls:
            if roll.id == wanted:
                self._plan_position[machine] = position + 1
                return roll
        return next((r for r in store.rolls if r.id not in self._planned_rolls), None)

    def deliver(self, roll: Roll, sink: Store | None) -> None:
        """A roll leaves a segment: into the next store, or finished at the end of its line."""
        if sink is not None:
            sink.put(roll)
            return
        now = self.env.now
        roll.history.append(("finished", now, now))
        self.finished.append(roll)
        self._wip(roll.line, -1)
        remaining = self.order_rolls[roll.order] - 1
        self.order_rolls[roll.order] = remaining
        if remaining == 0:
            self.order_done[roll.order] = now

    def expire(self, roll: Roll, store: Store) -> None:
        """A roll waited too long in ``store``: scrap it (and release a replacement) or rework.

        Either way it was air-exposed; a reworked roll starts its quality record afresh.
        """
        self.scrapped_m[roll.line] += roll.length_m if store.on_expiry == "scrap" else 0.0
        roll.reworks += store.on_expiry == "rework"
        if self.quality is not None:
            if store.on_expiry == "scrap":
                self.scrapped.append((roll, self.env.now))
            else:  # reworked from the start of the line: its earlier pass counts for nothing
                roll.quality = RollQuality()
                self.quality.expose(roll)
        if store.on_expiry == "scrap":
            self._gone.add(roll.id)
            roll = Roll(
                id=f"{roll.id}r",
                order=roll.order,
                product=roll.product,
                length_m=roll.length_m,
                width_m=roll.width_m,
                line=roll.line,
                released=self.env.now,
                route=roll.route,
            )
        else:
            roll.history.append((f"rework from {store.id}", self.env.now, self.env.now))
        self.queues[roll.line].put(roll, reserved=False)

    # ------------------------------------------------------------------ stops
    def crew_for(self, unit: StationUnit, task: str) -> simpy.Resource | None:
        """The crew that does ``task`` on ``unit``'s line, if any crew does."""
        for crew in self.scenario.crews:
            if task in crew.tasks and (crew.lines is None or unit.line_id in crew.lines):
                return self.crews[crew.id]
        return None

    def crew_task(
        self,
        unit: StationUnit,
        state: int,
        minutes: float,
        task: str,
        preheld: bool = False,
        needs_crew: bool = True,
    ) -> Generator[simpy.Event, Any, None]:
        """Hold ``unit`` in ``state`` for ``minutes``, first waiting for an operator if needed.

        With ``preheld`` the caller has already put a waiting-for-crew hold on the unit.
        """
        segment, flow = unit.segment, unit.flow
        crew = self.crew_for(unit, task) if needs_crew else None
        if crew is None:
            if preheld:
                segment.swap(flow, WAITING_CREW, state)
            else:
                segment.hold(flow, state, +1)
            yield self.env.timeout(minutes)
            segment.hold(flow, state, -1)
            return
        if not preheld:
            segment.hold(flow, WAITING_CREW, +1)
        with crew.request() as request:
            yield request
            segment.swap(flow, WAITING_CREW, state)
            yield self.env.timeout(minutes)
            segment.hold(flow, state, -1)

    def rethread(self, unit: StationUnit) -> Generator[simpy.Event, Any, None]:
        """A web break (its waiting hold is on): an operator re-threads the web."""
        yield from self.crew_task(unit, DOWN, unit.equipment.load_thread, "repair", True)

    def draw_ttf(self, unit: StationUnit, mode: int) -> float:
        """Operating minutes to the next failure of ``mode``."""
        return unit.spec.failures[mode].ttf.sample(unit.ttf_streams[mode])

    def repair(self, unit: StationUnit, mode: int) -> Generator[simpy.Event, Any, None]:
        """A failure of ``mode`` (its waiting hold is on): an operator if needed, then repair."""
        failure = unit.spec.failures[mode]
        minutes = failure.ttr.sample(unit.ttr_streams[mode])
        yield from self.crew_task(unit, DOWN, minutes, "repair", True, failure.needs_crew)

    def maintain(
        self, unit: StationUnit, task: CalendarMaintenance | UsageMaintenance, preheld: bool
    ) -> Generator[simpy.Event, Any, None]:
        """Planned maintenance on ``unit``."""
        yield from self.crew_task(
            unit, MAINTENANCE, task.duration, "maintenance", preheld, task.needs_crew
        )

    def _calendar_maintenance(
        self, unit: StationUnit, task: CalendarMaintenance
    ) -> Generator[simpy.Event, Any, None]:
        next_start = task.every if task.first is None else task.first
        while next_start < self.horizon:
            yield self.env.timeout(next_start - self.env.now)
            self.env.process(self.maintain(unit, task, preheld=False))
            next_start += task.every

    def _off_shift(
        self, line_id: str, begin: float, end: float
    ) -> Generator[simpy.Event, Any, None]:
        units = [u for u in self.units if u.line_id == line_id]
        yield self.env.timeout(begin)
        for unit in units:
            unit.segment.hold(unit.flow, OFF_SHIFT, +1)
        yield self.env.timeout(end - begin)
        for unit in units:
            unit.segment.hold(unit.flow, OFF_SHIFT, -1)

    # ------------------------------------------------------------------ accounting
    def account(self, flow: FlowStation, t0: float, t1: float) -> None:
        """Add [t0, t1] (after the warm-up) to the state ``flow`` was in."""
        begin = t0 if t0 > self.warmup else self.warmup
        if t1 <= begin:
            return
        dt = t1 - begin
        times = flow.unit.state_time
        holds = flow.holds
        for kind in HOLD_PRIORITY:
            if holds[kind]:
                times[kind] += dt
                return
        if flow.step is None or flow.rate <= 0:
            times[flow.cause if flow.cause != WORKING else STARVED] += dt
            return
        fraction = flow.rate / flow.cap
        times[WORKING] += dt * fraction
        if fraction < 1.0:
            times[flow.cause if flow.cause != WORKING else STARVED] += dt * (1.0 - fraction)

    def _quality_metrics(self, metrics: dict[str, float], span_h: float) -> dict[str, float]:
        """Good area, yields, scrap by cause, escapes and Ah/h.

        Returns each line's quality factor (good m² / m² finished), the Q of its stations' OEE.
        """
        assert self.quality is not None
        scenario = self.scenario
        rolls = self.finished
        evaluation = self.quality.evaluate(rolls)
        done = np.array([r.history[-1][1] >= self.warmup for r in rolls], dtype=bool)
        first = np.array([r.reworks == 0 for r in rolls], dtype=bool)
        ah = np.array([self._ah_per_m2(r.product) for r in rolls])
        lines = np.array([r.line for r in rolls])
        products = np.array([r.product for r in rolls])
        lost = [(r, t) for r, t in self.scrapped if t >= self.warmup]
        factors: dict[str, float] = {}
        groups: list[tuple[str, str | None, str | None]] = [("kpis", None, None)]
        for line in scenario.lines:
            groups.append((f"lines.{line.id}", line.id, None))
            groups += [
                (f"lines.{line.id}.products.{p.id}", line.id, p.id)
                for p in scenario.products
                if line in scenario.lines_for(p)
            ]
        for prefix, line_id, product_id in groups:
            mask = done.copy()
            if line_id is not None:
                mask &= lines == line_id
            if product_id is not None:
                mask &= products == product_id
            exposed = sum(
                r.length_m * r.width_m
                for r, _ in lost
                if line_id in (None, r.line) and product_id in (None, r.product)
            )
            finished = float(evaluation.started_m2[mask].sum())
            started = finished + exposed
            good = float(evaluation.good_m2[mask].sum())
            metrics[f"{prefix}.good_m2_per_h"] = good / span_h
            metrics[f"{prefix}.ah_per_h"] = float((evaluation.good_m2 * ah)[mask].sum()) / span_h
            if started > 0:
                metrics[f"{prefix}.yield"] = good / started
                metrics[f"{prefix}.first_pass_yield"] = (
                    float(evaluation.good_m2[mask & first].sum()) / started
                )
            if good > 0:
                metrics[f"{prefix}.escapes_ppm"] = (
                    float(evaluation.escape_area_mm2[mask].sum()) / good
                )
                metrics[f"{prefix}.escapes_per_1000_m2"] = (
                    float(evaluation.escapes[mask].sum()) / good * 1000
                )
            if line_id is not None and product_id is None:
                factors[line_id] = good / finished if finished > 0 else 1.0
            if prefix == "kpis":
                scrap = {
                    "edge_trim": float(evaluation.edge_trim_m2[mask].sum()),
                    "downgraded": float(evaluation.downgraded_m2[mask].sum()),
                    "air_exposure": exposed,
                }
                by_cause = evaluation.cut_by_cause_m2[mask].sum(axis=0)
                for cause, value in zip(CAUSES, by_cause, strict=True):
                    scrap[cause] = scrap.get(cause, 0.0) + float(value)
                for cause, value in scrap.items():
                    if value > 0:
                        metrics[f"scrap.{cause}"] = value
        return factors

    def _ah_per_m2(self, product_id: str) -> float:
        """Rated Ah per m² of good area: Si loading (mg/cm² × 10 = g/m²) × rated mAh/g / 1000."""
        product = self.scenario.product(product_id)
        loading = sum(s.si_loading_mg_cm2 for s in product.recipe if isinstance(s, PecvdStep))
        return loading * 10 * product.rated_capacity_mah_g / 1000

    def trace(self, roll: Roll) -> dict[str, Any]:
        """A roll's genealogy: stations, times, steps, conditions, defects and lane rolls."""
        record: dict[str, Any] = {
            "id": roll.id,
            "order": roll.order,
            "product": roll.product,
            "line": roll.line,
            "length_m": roll.length_m,
            "width_m": roll.width_m,
            "released_min": roll.released,
            "reworks": roll.reworks,
            "segments": [
                {"exit": station, "start_min": start, "end_min": end}
                for station, start, end in roll.history
            ],
        }
        if self.quality is not None:
            record["stations"] = self.quality.genealogy(roll)
            record["lanes"] = [asdict(lane) for lane in roll.quality.lanes()]
            record["defects"] = self.quality.defects_table(roll)
        return record

    def log_states(self, flows: list[FlowStation]) -> None:
        """Record state changes for the event log (Gantt charts)."""
        assert self.event_log is not None
        now = self.env.now
        for flow in flows:
            state = flow.state()
            if state != flow.last_state:
                flow.last_state = state
                self.event_log.append((now, flow.unit.name, STATE_NAMES[state]))

    # ------------------------------------------------------------------ running
    def run(self) -> ReplicationResult:
        """Run to the horizon and collect the replication's numbers."""
        for segment in self.segments:
            segment.start()
        self.env.run(until=self.horizon)
        for segment in self.segments:
            segment.flush()
        return self._results()

    def _results(self) -> ReplicationResult:
        scenario, horizon, warmup = self.scenario, self.horizon, self.warmup
        span_h = (horizon - warmup) / 60.0
        metrics: dict[str, float] = {}
        series: dict[str, list[tuple[float, float]]] = {}
        total_m = total_m2 = total_rolls = 0.0
        for line in scenario.lines:
            done = [r for r in self.finished if r.line == line.id and r.history[-1][1] >= warmup]
            metres = sum(r.length_m for r in done)
            area = sum(r.length_m * r.width_m for r in done)
            total_m, total_m2, total_rolls = (
                total_m + metres,
                total_m2 + area,
                total_rolls + len(done),
            )
            prefix = f"lines.{line.id}"
            metrics[f"{prefix}.output_m_per_h"] = metres / span_h
            metrics[f"{prefix}.output_m2_per_h"] = area / span_h
            metrics[f"{prefix}.output_rolls_per_h"] = len(done) / span_h
            metrics[f"{prefix}.wip_rolls"] = self.wip[line.id].mean(horizon)
            leads = [r.history[-1][1] - r.released for r in done]
            metrics[f"{prefix}.lead_time_h"] = float(np.mean(leads)) / 60 if leads else math.nan
            metrics[f"{prefix}.scrapped_m"] = self.scrapped_m[line.id]
            for product in scenario.products:
                mine = [r for r in done if r.product == product.id]
                if mine or line in scenario.lines_for(product):
                    key = f"{prefix}.products.{product.id}"
                    metrics[f"{key}.output_m_per_h"] = sum(r.length_m for r in mine) / span_h
                    metrics[f"{key}.output_m2_per_h"] = (
                        sum(r.length_m * r.width_m for r in mine) / span_h
                    )
                    metrics[f"{key}.output_rolls_per_h"] = len(mine) / span_h
        metrics["kpis.output_m_per_h"] = total_m / span_h
        metrics["kpis.output_m2_per_h"] = total_m2 / span_h
        metrics["kpis.output_rolls_per_h"] = total_rolls / span_h
        quality_factor = self._quality_metrics(metrics, span_h) if self.quality else {}
        span = horizon - warmup
        by_station: dict[str, list[StationUnit]] = {}
        for unit in self.units:
            by_station.setdefault(unit.station_id, []).append(unit)
        for station_id, units in by_station.items():
            prefix = f"stations.{station_id}"
            for k, name in enumerate(STATE_NAMES):
                metrics[f"{prefix}.states.{name}"] = sum(u.state_time[k] for u in units) / (
                    span * len(units)
                )
            working = metrics[f"{prefix}.states.working"]
            planned = 1.0 - metrics[f"{prefix}.states.off_shift"]
            factor = quality_factor.get(units[0].line_id, 1.0)
            metrics[f"{prefix}.oee"] = working / planned * factor if planned > 0 else 0.0
            metrics[f"{prefix}.metres"] = sum(u.metres for u in units)
        for store in self.stores.values():
            prefix = f"buffers.{store.id}"
            metrics[f"{prefix}.mean_level"] = store.level.mean(horizon)
            metrics[f"{prefix}.max_level"] = store.level.maximum
            metrics[f"{prefix}.arrivals_per_h"] = store.arrivals / span_h
            metrics[f"{prefix}.mean_wait_h"] = (
                store.wait_total / store.departures / 60 if store.departures else 0.0
            )
            metrics[f"{prefix}.expired"] = store.expired
            series[store.id] = store.level.series
        for acc in self.accumulators:
            if f"buffers.{acc.id}.mean_level" in metrics:
                continue
            metrics[f"buffers.{acc.id}.mean_level"] = acc.level_stat.mean(horizon)
            metrics[f"buffers.{acc.id}.max_level"] = acc.level_stat.maximum
            series[acc.id] = acc.level_stat.series
        orders: dict[str, dict[str, float | None]] = {}
        weighted = on_time = 0.0
        for order in scenario.orders:
            due = scenario.minutes(order.due)
            done_at = self.order_done.get(order.id)
            lateness_from = done_at if done_at is not None else horizon
            tardiness = max(0.0, lateness_from - due)
            weighted += order.weight * tardiness
            on_time += done_at is not None and tardiness == 0
            orders[order.id] = {
                "due_min": due,
                "completion_min": done_at,
                "tardiness_min": tardiness,
            }
        if scenario.orders:
            metrics["kpis.weighted_tardiness_h"] = weighted / 60
            metrics["kpis.on_time_fraction"] = on_time / len(scenario.orders)
        rolls = [self.trace(r) for r in self.finished] if self.keep_genealogy else []
        return ReplicationResult(
            replication=self.replication,
            metrics=metrics,
            orders=orders,
            series=series,
            events=self.event_log,
            wakeups=sum(s.wakeups for s in self.segments),
            rolls=rolls,
        )


__all__ = ["Plant", "ReplicationResult", "Roll", "StationUnit", "Store"]
