"""The web as a fluid through a segment of stations joined by accumulators.

A segment is a run of stations the web passes without being wound: an inline group joined by
accumulators, or a single roll-coupled tool (a segment of one). Each station runs at up to its own
web speed for the recipe step of the roll under it; a full accumulator slows its upstream station
to the downstream one's speed, an empty one slows the downstream station (DESIGN.md, flow).

Nothing happens per metre. The segment keeps each station's cumulative position along the web
(metres); an accumulator's level is the difference of its neighbours' positions. Between events
every rate is constant, so the segment computes when the next thing happens (an accumulator fills
or empties, a station reaches the end of a roll, a failure clock or a usage counter runs out),
sets one timer, and is otherwise silent. Anything else that changes a station (a repair ends, a
shift starts) goes through :meth:`Segment.hold`, which brings the fluid up to now first.

Stops are *holds* on a station: while any hold is on, the station does not move web. The
highest-priority hold names the station's state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final, Literal, Protocol

import simpy

from stations import RecipeStep
from twin.engine.clock import Clock
from twin.engine.entities import AccumulatorLevel, Roll, RollQueue, StationUnit, StepPlan
from twin.engine.records import StateChange
from twin.engine.states import (
    DOWN,
    HOLD_PRIORITY,
    MAINTENANCE,
    SETUP,
    STARVED,
    STATE_NAMES,
    WORKING,
)
from twin.scenario import UsageMaintenance

EPS_M: Final = 1e-7
"""Metres below which a distance counts as reached."""
INF: Final = math.inf

Process = Generator[simpy.Event, Any, None]
"""A SimPy process body."""
Then = Callable[[Any], None]
"""What to call once a stop or a wait is over, with its argument."""


class QualityRecorder(Protocol):
    """What the flow tells quality as rolls pass (see :mod:`twin.engine.quality`)."""

    def restart(self, roll: Roll, unit: StationUnit, offset: float) -> None:
        """A station restarted mid-roll at ``offset`` metres."""

    def web_break(self, roll: Roll, unit: StationUnit, offset: float) -> None:
        """The web broke at ``offset`` metres."""

    def processed(
        self,
        roll: Roll,
        unit: StationUnit,
        step: RecipeStep,
        entered: float,
        usage_before: dict[str, float],
        speed_m_min: float,
    ) -> None:
        """``unit`` has processed ``roll`` with ``step``."""

    def rewound(self, roll: Roll, unit: StationUnit) -> None:
        """The roll was wound at a segment's tail."""


class Holds(Protocol):
    """What a station's segment does for whoever stops it: put holds on and take them off."""

    id: str

    def hold(self, station: FlowStation, kind: int, delta: int) -> None:
        """Put on (+1) or take off (-1) a hold of ``kind`` on ``station``, now."""

    def swap(self, station: FlowStation, old: int, new: int) -> None:
        """Replace a hold of kind ``old`` on ``station`` by one of kind ``new``, now."""


class PlantServices(Protocol):
    """What a segment needs from the plant it is part of."""

    env: Clock
    warmup: float
    event_log: list[StateChange] | None

    @property
    def quality(self) -> QualityRecorder | None:
        """The quality model, when quality is on."""
        ...

    def crew_task(
        self,
        flow: FlowStation,
        state: int,
        minutes: float,
        task: str,
        cause: str,
        then: Then | None,
        argument: Any = None,
        preheld: bool = False,
        needs_crew: bool = True,
    ) -> None:
        """Hold ``flow`` in ``state`` for ``minutes``, then call ``then(argument)``."""
        ...

    def repair(self, flow: FlowStation, mode: int) -> None:
        """Start repairing a failure of ``mode`` (its waiting hold is on)."""
        ...

    def maintain(
        self,
        flow: FlowStation,
        task: UsageMaintenance,
        preheld: bool,
        then: Then | None = None,
        argument: Any = None,
    ) -> None:
        """Usage-based maintenance on ``flow``'s unit, then ``then(argument)``."""
        ...

    def start_maintenance(self, flow: FlowStation, task: UsageMaintenance) -> None:
        """Start usage-based maintenance that has come due (its waiting hold is on)."""
        ...

    def planned_maintenance(self, flow: FlowStation, roll: Roll) -> list[UsageMaintenance]:
        """The maintenance a plan puts on ``flow``'s unit right before ``roll``."""
        ...

    def deliver(self, roll: Roll, sink: RollQueue | None) -> None:
        """A roll leaves a segment: into ``sink``, or finished."""


@dataclass(eq=False, slots=True)
class Piece:
    """One roll's stretch of web in a segment, from ``start`` to ``end`` in web coordinates."""

    start: float
    end: float
    roll: Roll
    next: Piece | None = None
    gone: bool = False
    """The segment's tail has passed the roll on (a snapshot no longer places it here)."""


@dataclass(eq=False, slots=True)
class FlowStation:
    """A station unit's place in a segment: position, speed, holds, clocks, counters."""

    unit: StationUnit
    index: int
    segment: Holds
    holds: list[int] = field(default_factory=lambda: [0] * 8)
    causes: list[str | None] = field(default_factory=lambda: [None] * 8)
    """Why the latest hold of each kind was put on (for the event log)."""
    until: list[float] = field(default_factory=lambda: [0.0] * 8)
    """When the latest timed stop of each kind ends (for a snapshot)."""
    piece: Piece | None = None
    step: RecipeStep | None = None
    step_index: int | None = None
    cap: float = 0.0
    rate: float = 0.0
    cause: int = STARVED
    x: float = 0.0
    pending: bool = True
    """At the end of its last piece (or before the first), waiting for the head to splice more."""
    busy: bool = False
    """A boundary process (roll end, roll load, changeover) is running for it."""
    per_m: dict[str, float] = field(default_factory=dict)
    """Usage counters' growth per metre for the current step."""
    plan: StepPlan | None = None
    """What the unit takes for the current step (a tool's)."""
    last_state: int = -1
    last_cause: str | None = None
    running: bool = False
    entered_at: float = 0.0
    usage_before: dict[str, float] = field(default_factory=dict)
    leaving: Piece | None = None
    """The piece whose end the station's boundary is dealing with."""
    changeover: float = 0.0
    """The changeover the station's boundary has still to do, minutes."""
    planned: list[UsageMaintenance] = field(default_factory=list)
    """Planned maintenance the station's boundary has still to do before its roll."""
    active_since: float = -1.0
    """Start of the current active period, negative while inactive.

    Active (active-period method): working unhindered, down, in setup or maintenance, or waiting
    for crew; inactive: starved, blocked, slowed by a neighbour, off shift.
    """

    def held(self) -> bool:
        """True while any hold is on."""
        # over a generator, which the compiled engine turns into a loop (any() of a list
        # would be a call into Python)
        return any(hold for hold in self.holds)

    def state(self) -> int:
        """The state named by the highest-priority hold, or the running state."""
        holds = self.holds
        for kind in HOLD_PRIORITY:
            if holds[kind]:
                return kind
        if self.rate > 0 and self.step is not None:
            return WORKING
        return self.cause

    def account(self, t0: float, t1: float, warmup: float) -> None:
        """Add [t0, t1] (after the warm-up) to the state the station was in."""
        begin = t0 if t0 > warmup else warmup
        if t1 <= begin:
            return
        dt = t1 - begin
        times = self.unit.state_time
        holds = self.holds
        for kind in HOLD_PRIORITY:
            if holds[kind]:
                times[kind] += dt
                return
        if self.step is None or self.rate <= 0:
            times[self.cause if self.cause != WORKING else STARVED] += dt
            return
        fraction = self.rate / self.cap
        times[WORKING] += dt * fraction
        if fraction < 1.0:
            times[self.cause if self.cause != WORKING else STARVED] += dt * (1.0 - fraction)

    def logged_change(self, now: float) -> StateChange | None:
        """The record to log at ``now``, or None when nothing changed.

        A new state is logged, and so is a new cause of the same state (a changeover straight
        into a roll change, a second maintenance task).
        """
        state = self.state()
        cause = self.causes[state] if state in (DOWN, MAINTENANCE, SETUP) else None
        if state == self.last_state and cause == self.last_cause:
            return None
        self.last_state, self.last_cause = state, cause
        return self.change(now, state)

    def change(self, now: float, state: int) -> StateChange:
        """The event-log record of entering ``state`` at ``now``."""
        unit = self.unit
        piece = self.piece
        cause = self.causes[state] if state in (DOWN, MAINTENANCE, SETUP) else None
        if piece is None:
            return StateChange(now, unit.station_id, unit.name, STATE_NAMES[state], cause)
        roll = piece.roll
        metres = min(max(self.x - piece.start, 0.0), roll.length_m)
        return StateChange(
            now,
            unit.station_id,
            unit.name,
            STATE_NAMES[state],
            cause,
            roll.id,
            roll.order,
            roll.product,
            self.step_index,
            metres,
        )


Phase = Literal["loading", "maintaining", "running", "finished", "unloading"]
"""Where a station is with the roll it holds when a run starts part-way (a plant state):

- ``loading``: in the setup before it (changeover or loading), running once that ends;
- ``maintaining``: in maintenance before it, changing over and loading after;
- ``running``: loaded, ready or part-way through it (stopped or not: the plant's state says);
- ``finished``: at its end, passing it on (or, at a segment's tail, waiting for room for it);
- ``unloading``: at a segment's tail, taking it off.
"""


@dataclass(frozen=True, slots=True)
class Placement:
    """A roll a station holds when a run starts part-way, and how far it is with it."""

    roll: Roll
    done_m: float
    phase: Phase
    until: float = 0.0
    """When the setup or maintenance in progress ends (``loading``, ``maintaining``,
    ``unloading``), minutes after the start."""
    task: str = "maintenance"
    """The maintenance task in progress (``maintaining``)."""
    needs_crew: bool = True
    """Whether the setup or maintenance in progress keeps an operator to its end."""


def land_on_piece_end(station: FlowStation, piece: Piece) -> None:
    """Put ``station`` exactly at the end of ``piece`` (if it is still on it)."""
    if station.piece is piece:
        station.x = piece.end


def land_on_zero(clock: list[float]) -> None:
    """Let a clock that was due run out exactly."""
    clock[0] = min(clock[0], 0.0)


def land_on_level(up: FlowStation, down: FlowStation, acc: AccumulatorLevel, level: float) -> None:
    """Shift the downstream position by the rounding error so the level is exactly ``level``."""
    down.x = acc.initial_m + up.x - level


def next_event(
    stations: list[FlowStation], links: list[tuple[AccumulatorLevel, FlowStation, FlowStation]]
) -> tuple[float, Callable[[], None] | None]:
    """Minutes until the next thing the rates of a segment's stations make happen.

    With how to land on it exactly; ``links`` are the segment's accumulators, each with the
    stations either side.
    """
    soonest: float = INF
    kind = 0  # what comes soonest: see the landings below
    first: Any = None
    second: Any = None
    for station in stations:
        rate = station.rate
        if rate <= 0:
            continue
        piece = station.piece
        if piece is not None:
            delay = (piece.end - station.x) / rate
            if delay < soonest:
                soonest, kind, first, second = delay, 1, station, piece
        if station.step is not None:
            unit = station.unit
            fraction = rate / station.cap
            for clock in unit.failure_clocks:
                delay = clock[0] / fraction
                if delay < soonest:
                    soonest, kind, first = delay, 2, clock
            if unit.usage_tasks:
                usage = unit.usage
                for name, limit, _task in unit.usage_tasks:
                    per_m = station.per_m.get(name, 0.0)
                    if per_m > 0:
                        delay = (limit - usage[name]) / (rate * per_m)
                        if delay < soonest:
                            soonest, kind, first, second = delay, 3, usage, (name, limit)
    for link in links:
        acc, up, down = link
        net = up.rate - down.rate
        if net > 0:
            delay = (acc.capacity_m - (acc.initial_m + up.x - down.x)) / net
            if delay < soonest:
                soonest, kind, first, second = delay, 4, link, acc.capacity_m
        elif net < 0:
            delay = (acc.initial_m + up.x - down.x) / -net
            if delay < soonest:
                soonest, kind, first, second = delay, 4, link, 0.0
    land: Callable[[], None] | None = None
    if kind == 1:
        land = partial(land_on_piece_end, first, second)
    elif kind == 2:
        land = partial(land_on_zero, first)
    elif kind == 3:
        land = partial(first.__setitem__, *second)
    elif kind == 4:
        up, down, acc = first[1], first[2], first[0]
        land = partial(land_on_level, up, down, acc, second)
    return max(soonest, 0.0), land
