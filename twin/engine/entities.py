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

import numpy as np

from stations import DefectType, Distribution, Equipment, RecipeStep, RollOverhead
from stations.distributions import Exponential
from twin.engine.clock import Clock
from twin.engine.levels import LevelStat
from twin.engine.records import BufferChange, BufferEvent
from twin.engine.states import STATE_NAMES
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
Then = Callable[[Any], None]
"""What to call, once a place or a roll is had, with its argument (the roll, for a taker)."""


class RollQueue:
    """Rolls waiting: a roll store between tools, or a line's queue of released rolls.

    Takers wait in turn; :data:`Dispatch` picks the roll each gets. A place can be reserved
    before its roll arrives (a finished roll is only taken off its tool once there is room).
    Whoever waits is called back through the clock, after what is already due at that moment.
    """

    def __init__(
        self,
        env: Clock,
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
        self.rolls: deque[Roll] = deque()
        self.reserved = 0
        self.getters: deque[tuple[Then, Any]] = deque()
        self.space_waiters: deque[tuple[Then, Any]] = deque()
        self.level = LevelStat(0.0, warmup, horizon)
        self.arrivals = 0
        self.departures = 0
        self.wait_total = 0.0
        self.expired = 0
        self.log: list[BufferChange] | None = None
        """Where each roll's entry and exit is written, when the event log is kept."""

    def reserve(self, then: Then, argument: Any = None, last: bool = False) -> None:
        """Hold a place for a put; ``then(argument)`` once it is held.

        With ``last`` the caller, called by the clock, does nothing after this (see
        :meth:`Clock.last`).
        """
        if len(self.rolls) + self.reserved < self.capacity:
            self.reserved += 1
            if last:
                self.env.last(then, argument)
            else:
                self.env.soon(then, argument)
        else:
            self.space_waiters.append((then, argument))

    def put(self, roll: Roll, reserved: bool = True, since: float | None = None) -> None:
        """Add ``roll`` (into a place reserved before, unless ``reserved`` is False).

        ``since`` is when it entered, for a roll that was already waiting when the run began
        (a plant state's): its waiting limit counts from then.
        """
        now = self.env._now
        if reserved:
            self.reserved -= 1
        rolls = self.rolls
        rolls.append(roll)
        roll.stored_at = now if since is None else since
        roll.store_token += 1
        if now >= self.warmup:
            self.arrivals += 1
        self.level.step(now, len(rolls))
        if self.log is not None:
            self.log.append(BufferChange(now, self.id, len(rolls), "in", roll.id))
        if self.max_wait:
            limit = self.max_wait.get(roll.product)
            if limit is not None:
                left = limit - (now - roll.stored_at)
                self.env.at(left if left > 0 else 0.0, self._expire, (roll, roll.store_token))
        if self.getters:
            self._serve()

    def get(self, taker: Any, then: Then) -> None:
        """``then(roll)`` with the next roll for ``taker`` by the dispatching rule."""
        self.getters.append((then, taker))
        if self.rolls:
            self._serve()

    def _take(self, roll: Roll, change: BufferEvent = "out") -> None:
        now = self.env._now
        rolls = self.rolls
        if rolls[0] is roll:
            rolls.popleft()
        else:
            rolls.remove(roll)
        roll.store_token += 1
        if roll.stored_at >= self.warmup:
            self.departures += 1
            self.wait_total += now - roll.stored_at
        self.level.step(now, len(rolls))
        if self.log is not None:
            self.log.append(BufferChange(now, self.id, len(rolls), change, roll.id))
        waiters = self.space_waiters
        while waiters and len(rolls) + self.reserved < self.capacity:
            self.reserved += 1
            self.env.soon(*waiters.popleft())

    def serve(self) -> None:
        """Hand waiting takers the rolls the dispatching rule now gives them (a new plan)."""
        if self.getters and self.rolls:
            self._serve()

    def _serve(self) -> None:
        getters = self.getters
        while getters and self.rolls:
            then, taker = getters[0]
            roll = self.dispatch(self, taker)
            if roll is None:
                return
            getters.popleft()
            self._take(roll)
            self.env.soon(then, roll)

    def _expire(self, stored: tuple[Roll, int]) -> None:
        roll, token = stored
        if roll.store_token != token:
            return  # it left in time
        self._take(roll, "expired")
        self.expired += 1
        self.expire(roll, self)


@dataclass(eq=False, slots=True)
class AccumulatorLevel:
    """A web accumulator while the plant runs: its capacity, its start level, its statistics."""

    id: str
    capacity_m: float
    initial_m: float
    level_stat: LevelStat


@dataclass(eq=False, slots=True)
class StepPlan:
    """What a unit's equipment takes for one recipe step, worked out once.

    ``speed_m_min`` is the web speed, unless ``process_time`` is drawn for each roll (a
    process-time station); the overheads are the stops before and after a roll on a tool
    (``load_min``, ``unload_min``) and at the head and tail of an inline segment.
    """

    step: RecipeStep
    speed_m_min: float
    process_time: Distribution | None
    per_m: dict[str, float]
    load_min: float
    unload_min: float
    head_min: float
    tail_min: float
    same_change: float
    """The changeover from this step to itself (a roll of the same step after another)."""


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
        memo: dict[str, Any] | None = None,
    ) -> None:
        """A unit; ``memo`` is shared by the station's units in every run of the scenario.

        It keeps what the equipment takes for each step (see :mod:`twin.engine.memo`).
        """
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
        self.previous_step: RecipeStep | None = None
        """The step before ``last_step`` (a roll's changeover came from it)."""
        rep = replication
        self.ttf_streams = [
            stream(seed, rep, f"ttf:{self.name}:{k}") for k in range(len(station.failures))
        ]
        self._seeds = (seed, rep)
        # Streams a replication may never draw from are made when first drawn (seeded the
        # same, so with the same numbers): repairs, per-roll process times, web breaks.
        self._ttr_streams: list[np.random.Generator | None] = [None] * len(station.failures)
        self._process_stream: np.random.Generator | None = None
        self._break_stream: np.random.Generator | None = None
        self.exponential_times = False
        """Every per-roll process time the station can draw is exponential (the plant knows)."""
        self._time_draws: list[float] = []
        self.failure_clocks = [
            [f.ttf.sample(s)] for f, s in zip(station.failures, self.ttf_streams, strict=True)
        ]
        self.ttf_drawn = [clock[0] for clock in self.failure_clocks]
        """Each failure mode's last drawn time to failure (its age is this less its clock)."""
        self.usage_tasks: list[tuple[str, float, UsageMaintenance]] = [
            (task.counter, task.limit, task) for task in station.usage_maintenance()
        ]
        # every counter of the type is kept (the PECVD wall deposit drives particles even when
        # no clean is planned); the maintained ones reset at their task
        self.usage = dict.fromkeys(type(self.equipment).usage_counters, 0.0)
        # A web break is one more failure clock, in full-speed minutes: at each roll a fresh
        # exponential area (m²) to the next break, which is memoryless, becomes minutes at the
        # roll's width and the station's speed.
        self.break_mode = len(self.failure_clocks)
        self.failure_clocks.append([math.inf])
        self._break_draws: list[float] = []
        # Recipe steps live as long as the scenario, so their ids key these memos; they depend
        # on the station and the step only, so the units of a station share them.
        shared: dict[str, Any] = memo if memo is not None else {}
        self._break_rates: dict[int, float] = shared.setdefault("break_rates", {})
        self._speeds: dict[int, float] = shared.setdefault("speeds", {})
        self._changeovers: dict[tuple[int, int], float] = shared.setdefault("changeovers", {})
        self._consumption: dict[int, dict[str, float]] = shared.setdefault("consumption", {})
        self._overheads: dict[int, RollOverhead] = shared.setdefault("overheads", {})
        self.plans: dict[int, StepPlan] = shared.setdefault("plans", {})
        """Each recipe step's :class:`StepPlan`, by the step's id (see :meth:`plan`)."""

    def plan(self, step: RecipeStep) -> StepPlan:
        """What the unit's equipment takes for ``step`` (memoised in :attr:`plans`)."""
        plan = self.plans.get(id(step))
        if plan is None:
            distribution = self.equipment.roll_process_time(step, self.roll_length_m)
            drawn = distribution.dist != "fixed"
            overhead = self._overhead(step)
            plan = self.plans[id(step)] = StepPlan(
                step,
                0.0 if drawn else self.speed_m_min(step),
                distribution if drawn else None,
                self.consumption_per_m(step),
                self.start_of_roll_min(step, False),
                self.end_of_roll_min(step, False),
                overhead.unwind_change,
                overhead.rewind_change,
                self.equipment.changeover_min(step, step),
            )
        return plan

    @property
    def process_stream(self) -> np.random.Generator:
        """The stream of the unit's per-roll process times."""
        if self._process_stream is None:
            self._process_stream = stream(*self._seeds, f"process:{self.name}")
        return self._process_stream

    @property
    def break_stream(self) -> np.random.Generator:
        """The stream of the unit's web breaks."""
        if self._break_stream is None:
            self._break_stream = stream(*self._seeds, f"breaks:{self.name}")
        return self._break_stream

    def draw_speed_m_min(self, plan: StepPlan) -> float:
        """The speed of the next roll, for a step timed per roll (as :meth:`speed_m_min`)."""
        assert plan.process_time is not None
        return self.roll_length_m / max(self._process_time(plan.process_time), 1e-9)

    def _process_time(self, distribution: Distribution) -> float:
        """A roll's process time, minutes.

        Where every per-roll time of the station is exponential (:attr:`exponential_times`),
        standard exponentials are drawn in blocks and scaled by the mean: numpy's exponential
        is the mean times a standard one, so the stream gives the same times in the same order.
        """
        if self.exponential_times and isinstance(distribution, Exponential):
            draws = self._time_draws
            if not draws:
                draws.extend(self.process_stream.standard_exponential(256).tolist()[::-1])
            return distribution.mean_ * draws.pop()
        return distribution.sample(self.process_stream)

    def failure_name(self, mode: int) -> str:
        """The name of failure ``mode`` (the last mode is the web break)."""
        return "web_break" if mode == self.break_mode else self.spec.failures[mode].name

    def draw_ttf(self, mode: int) -> float:
        """Operating minutes to the next failure of ``mode``."""
        drawn = self.ttf_drawn[mode] = self.spec.failures[mode].ttf.sample(self.ttf_streams[mode])
        return drawn

    def draw_ttr(self, mode: int) -> float:
        """Minutes to repair a failure of ``mode``."""
        generator = self._ttr_streams[mode]
        if generator is None:
            generator = self._ttr_streams[mode] = stream(*self._seeds, f"ttr:{self.name}:{mode}")
        return self.spec.failures[mode].ttr.sample(generator)

    def speed_m_min(self, step: RecipeStep) -> float:
        """Web speed for ``step``; a per-roll process time becomes this roll's speed."""
        key = id(step)
        speed = self._speeds.get(key)
        if speed is None:
            length = self.roll_length_m
            distribution = self.equipment.roll_process_time(step, length)
            if distribution.dist != "fixed":
                # A process-time station: this roll's time, drawn now, sets its speed.
                return length / max(self._process_time(distribution), 1e-9)
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
