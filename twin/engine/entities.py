"""The things a plant is made of while it runs: rolls, roll queues, station units, accumulators.

These know nothing of how the web flows (:mod:`twin.engine.flow`) or of quality
(:mod:`twin.engine.quality`); both work on them. Each can be built in any state, so a run can
start from a plant part-way through its work.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import simpy

from stations import DefectType, Equipment, RecipeStep, RollOverhead
from twin.engine.states import STATE_NAMES
from twin.engine.stats import LevelStat
from twin.engine.streams import stream
from twin.scenario import RouteStep, Station, UsageMaintenance


@dataclass(eq=False, slots=True)
class Roll:
    """A roll of web: which order and product it is, its route, and where it has been.

    ``route`` maps each station the roll is processed at to its step; ``quality`` is whatever
    the quality model records on the roll (nothing when quality is off).
    """

    id: str
    order: str
    product: str
    length_m: float
    width_m: float
    line: str
    released: float
    route: dict[str, RouteStep]
    history: list[tuple[str, float, float]] = field(default_factory=list)
    stored_at: float = 0.0
    store_token: int = 0
    reworks: int = 0
    quality: Any = None
    _entered: dict[str, float] = field(default_factory=dict)

    def enter(self, station_id: str, now: float) -> None:
        """The roll starts at a station (segment head)."""
        self._entered[station_id] = now

    def leave(self, station_id: str, now: float) -> None:
        """The roll leaves a segment at ``station_id`` (its tail)."""
        first = next(iter(self._entered.values()), now)
        self.history.append((station_id, first, now))
        self._entered.clear()

    @property
    def finished_at(self) -> float:
        """When the roll last left a segment (its finish, once finished)."""
        return self.history[-1][1]


Dispatch = Callable[["RollQueue", Any], Roll | None]
"""Which roll a taker gets next from a queue (None: none of those waiting suits it)."""
Expire = Callable[[Roll, "RollQueue"], None]
"""What happens to a roll that waited past its product's limit."""


class RollQueue:
    """Rolls waiting: a roll store between tools, or a line's queue of released rolls.

    Takers wait in turn; :data:`Dispatch` picks the roll each gets. A place can be reserved
    before its roll arrives (a finished roll is only taken off its tool once there is room).
    """

    def __init__(
        self,
        env: simpy.Environment,
        queue_id: str,
        capacity: float,
        warmup: float,
        horizon: float | None,
        dispatch: Dispatch,
        expire: Expire,
        max_wait: dict[str, float] | None = None,
        on_expiry: str = "scrap",
    ) -> None:
        self.env = env
        self.id = queue_id
        self.capacity = capacity
        self.warmup = warmup
        self.dispatch = dispatch
        self.expire = expire
        self.max_wait = max_wait or {}
        self.on_expiry = on_expiry
        self.rolls: list[Roll] = []
        self.reserved = 0
        self.getters: deque[tuple[simpy.Event, Any]] = deque()
        self.space_waiters: deque[simpy.Event] = deque()
        self.level = LevelStat(0.0, warmup, horizon)
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
        if now >= self.warmup:
            self.arrivals += 1
        self.level.step(now, len(self.rolls))
        limit = self.max_wait.get(roll.product)
        if limit is not None:
            token = roll.store_token
            timer = self.env.timeout(limit)
            timer.callbacks.append(lambda _e: self._expire(roll, token))
        self._serve()

    def get(self, taker: Any) -> simpy.Event:
        """An event whose value is the next roll for ``taker`` by the dispatching rule."""
        event = self.env.event()
        self.getters.append((event, taker))
        self._serve()
        return event

    def _take(self, roll: Roll) -> None:
        now = self.env.now
        self.rolls.remove(roll)
        roll.store_token += 1
        if roll.stored_at >= self.warmup:
            self.departures += 1
            self.wait_total += now - roll.stored_at
        self.level.step(now, len(self.rolls))
        while self.space_waiters and len(self.rolls) + self.reserved < self.capacity:
            self.reserved += 1
            self.space_waiters.popleft().succeed()

    def _serve(self) -> None:
        while self.getters and self.rolls:
            event, taker = self.getters[0]
            roll = self.dispatch(self, taker)
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
        self.expire(roll, self)


@dataclass(eq=False, slots=True)
class AccumulatorLevel:
    """A web accumulator while the plant runs: its capacity, its start level, its statistics."""

    id: str
    capacity_m: float
    initial_m: float
    level_stat: LevelStat


class StationUnit:
    """One physical tool of a station (a station has ``units`` identical ones).

    It owns its random streams, failure clocks and usage counters, and answers what its
    equipment takes for a step (speed, changeover, overheads), memoised per step.
    """

    def __init__(
        self,
        line_id: str,
        station: Station,
        unit: int,
        seed: int,
        replication: int,
        roll_length_m: float,
    ) -> None:
        self.line_id = line_id
        self.spec = station
        self.station_id = station.id
        self.name = station.id if station.units == 1 else f"{station.id}#{unit + 1}"
        self.equipment: Equipment[Any] = station.equipment
        self.roll_length_m = roll_length_m
        self.state_time = [0.0] * len(STATE_NAMES)
        self.metres = 0.0
        self.active_periods = array("d")
        """Active periods (active-period method), flat: start, end, start, end, ..."""
        self.last_step: RecipeStep | None = None
        rep = replication
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
        self.usage_tasks: list[tuple[str, float, UsageMaintenance]] = [
            (task.counter, task.limit, task) for task in station.usage_maintenance()
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
        self._consumption: dict[int, dict[str, float]] = {}
        self._overheads: dict[int, RollOverhead] = {}

    def failure_name(self, mode: int) -> str:
        """The name of failure ``mode`` (the last mode is the web break)."""
        return "web_break" if mode == self.break_mode else self.spec.failures[mode].name

    def draw_ttf(self, mode: int) -> float:
        """Operating minutes to the next failure of ``mode``."""
        return self.spec.failures[mode].ttf.sample(self.ttf_streams[mode])

    def draw_ttr(self, mode: int) -> float:
        """Minutes to repair a failure of ``mode``."""
        return self.spec.failures[mode].ttr.sample(self.ttr_streams[mode])

    def speed_m_min(self, step: RecipeStep) -> float:
        """Web speed for ``step``; a per-roll process time becomes this roll's speed."""
        key = id(step)
        speed = self._speeds.get(key)
        if speed is None:
            length = self.roll_length_m
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
        """Growth per metre of the unit's usage counters for ``step`` (not to be changed)."""
        per_m = self._consumption.get(id(step))
        if per_m is None:
            per_m = self._consumption[id(step)] = self.equipment.consumption_per_m(step)
        return per_m

    def _overhead(self, step: RecipeStep) -> RollOverhead:
        overhead = self._overheads.get(id(step))
        if overhead is None:
            overhead = self._overheads[id(step)] = self.equipment.roll_overhead(step)
        return overhead

    def web_break_clock(self, step: RecipeStep, roll: Roll, speed_m_min: float) -> float:
        """Full-speed minutes to the next web break on ``roll`` (infinite if breaks are off)."""
        key = id(step)
        rate = self._break_rates.get(key)
        if rate is None:
            rate = float(self.equipment.defect_rates(step).get(DefectType.WEB_BREAK, 0.0))
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
        overhead = self._overhead(step)
        return overhead.unwind_change if inline else overhead.load_thread + overhead.pump_down

    def end_of_roll_min(self, step: RecipeStep | None, inline: bool) -> float:
        """Stop after a roll: vent and unload (a tool); unload (an inline tail)."""
        if step is None:
            return self.equipment.unload
        overhead = self._overhead(step)
        return overhead.rewind_change if inline else overhead.vent + overhead.unload
