"""A segment: stations joined by accumulators (or one tool), the web through it as a fluid.

Each station runs at up to its own web speed for the recipe step of the roll under it; a full
accumulator slows its upstream station to the downstream one's speed, an empty one slows the
downstream station (DESIGN.md, flow). Between events every rate is constant, so the segment works
out when the next thing happens, sets one timer, and is otherwise silent; see :mod:`.flow`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twin.engine.clock import Clock
from twin.engine.entities import AccumulatorLevel, Roll, RollQueue, StationUnit
from twin.engine.flow import (
    EPS_M,
    INF,
    FlowStation,
    Piece,
    PlantServices,
    QualityRecorder,
    next_event,
)
from twin.engine.records import StateChange
from twin.engine.states import (
    BLOCKED,
    DOWN,
    MAINTENANCE,
    OFF_SHIFT,
    SETUP,
    STARVED,
    WAITING_CREW,
    WORKING,
)
from twin.scenario import RouteStep


class Segment:
    """Stations joined by accumulators (or one tool), driven by events, never per metre."""

    def __init__(
        self,
        plant: PlantServices,
        segment_id: str,
        units: list[StationUnit],
        accumulators: list[AccumulatorLevel],
        source: RollQueue,
        sink: RollQueue | None,
    ) -> None:
        self.plant = plant
        self.env: Clock = plant.env
        self.warmup = plant.warmup
        # the plant's, read here at every step (an attribute of the plant's protocol is a
        # look-up by name in the compiled engine; a segment's own is not)
        self.event_log: list[StateChange] | None = plant.event_log
        self.quality: QualityRecorder | None = plant.quality
        self.id = segment_id
        self.stations = [FlowStation(unit, i, self) for i, unit in enumerate(units)]
        self.accumulators = accumulators
        self.source = source
        self.sink = sink
        self.inline = len(units) > 1
        self.head = self.stations[0]
        self.tail = self.stations[-1]
        self.last_piece: Piece | None = None
        self.web_end = 0.0
        self.updated = 0.0
        self._token = 0
        self.wakeups = 0
        self.passing: list[Roll] = []
        """Rolls this segment does not process, waiting for room downstream to pass on."""
        self._links = [
            (acc, self.stations[j], self.stations[j + 1]) for j, acc in enumerate(accumulators)
        ]
        """Each accumulator with the stations up and down of it."""

    # ------------------------------------------------------------------ starting
    def fetch_next(self, _: Any = None) -> None:
        """Let the head, held back by :meth:`resume`, fetch its next roll."""
        self._boundary(self.head)

    def _set_step(self, station: FlowStation, leg: RouteStep | None) -> None:
        """Take the step ``leg`` gives the station (None: it passes the roll by)."""
        unit = station.unit
        if leg is None:
            station.step = None
            station.cap = unit.equipment.max_speed_m_min
            station.per_m = {}
            return
        unit.last_step = station.step = leg.step
        station.cap = unit.speed_m_min(leg.step)
        station.per_m = unit.consumption_per_m(leg.step)

    def advance(self) -> None:
        """Bring the web, the clocks and the time in state up to now (for a snapshot)."""
        self._advance()

    def start(self) -> None:
        """Start the segment: the head fetches its first roll; the others wait for its web."""
        for station in self.stations:
            station.holds[STARVED] = 1  # taken off when the station enters its first piece
        self.head.busy = True
        self.env.urgent(self._boundary, self.head)
        self._replan()

    def level(self, j: int) -> float:
        """Metres in accumulator ``j`` (between stations j and j + 1)."""
        acc = self.accumulators[j]
        return acc.initial_m + self.stations[j].x - self.stations[j + 1].x

    def _advance(self) -> None:
        """Move the web at the current rates up to now, and account the time in each state."""
        now = self.env._now
        start = self.updated
        dt = now - start
        if dt <= 0:
            return
        warmup = self.warmup
        for station in self.stations:
            rate = station.rate
            if rate > 0:
                metres = rate * dt
                station.x += metres
                if station.step is not None:
                    unit = station.unit
                    fraction = rate / station.cap
                    for clock in unit.failure_clocks:
                        clock[0] -= dt * fraction
                    if station.per_m:
                        usage = unit.usage
                        for name, per_m in station.per_m.items():
                            usage[name] += metres * per_m
                    unit.metres += metres
            station.account(start, now, warmup)
        for acc, up, down in self._links:
            acc.level_stat.ramp(now, acc.initial_m + up.x - down.x)
        self.updated = now

    def _rates(self) -> None:
        """Rates for the current holds and accumulator levels, with each slowdown's cause."""
        stations = self.stations
        for station in stations:
            station.rate = 0.0 if station.held() else station.cap
            station.cause = STARVED if station.step is None else WORKING
        links = self._links
        if not links:
            return
        for _ in range(len(stations)):
            changed = False
            for acc, up, down in links:
                level = acc.initial_m + up.x - down.x
                if level <= EPS_M and down.rate > up.rate:
                    down.rate = up.rate
                    down.cause = STARVED
                    changed = True
                if level >= acc.capacity_m - EPS_M and up.rate > down.rate:
                    up.rate = down.rate
                    up.cause = BLOCKED
                    changed = True
            if not changed:
                break

    def _track_activity(self) -> None:
        """Open and close active periods (active-period method); note restarts mid-roll."""
        now = self.env._now
        quality = self.quality
        for station in self.stations:
            rate = station.rate
            if quality is not None:
                running = rate > 0
                if running and not station.running:
                    piece = station.piece
                    if (
                        piece is not None
                        and station.step is not None
                        and piece.start + EPS_M < station.x < piece.end - EPS_M
                    ):
                        quality.restart(piece.roll, station.unit, station.x - piece.start)
                station.running = running
            holds = station.holds
            if holds[OFF_SHIFT] or holds[BLOCKED] or holds[STARVED]:
                active = False
            elif holds[DOWN] or holds[MAINTENANCE] or holds[WAITING_CREW] or holds[SETUP]:
                active = True
            else:
                active = station.step is not None and rate >= station.cap * (1 - 1e-9)
            since = station.active_since
            if active:
                if since < 0:
                    station.active_since = now
            elif since >= 0:
                if now > since:
                    station.unit.active_periods.extend((since, now))
                station.active_since = -1.0

    def _replan(self) -> None:
        """Recompute rates and set the one timer for the next event."""
        self._rates()
        self._track_activity()
        if self.event_log is not None:
            self._log_states(self.event_log)
        self._token += 1
        delay, land = next_event(self.stations, self._links)
        if delay < INF:
            token = self._token
            self.env.at(delay, self._on_timer, (token, land))

    def _on_timer(self, timer: tuple[int, Callable[[], None] | None]) -> None:
        token, land = timer
        if token != self._token:
            return  # superseded by a later replan
        self.wakeups += 1
        self._advance()
        if land is not None:
            # Land exactly on the event the timer was set for: rounding in the clock must not
            # leave it a hair short (a delay below the clock's resolution would never advance).
            land()
        self._handle_due()
        self._replan()

    def hold(self, station: FlowStation, kind: int, delta: int) -> None:
        """Put on (+1) or take off (-1) a hold of ``kind`` on ``station``, at the current time."""
        if self._unchanged(station):
            station.holds[kind] += delta
            return
        self._advance()
        station.holds[kind] += delta
        if self._handle_due() or not self._resting(station):
            self._replan()

    def _resting(self, station: FlowStation) -> bool:
        """Whether ``station`` stands between pieces with nothing logged.

        Then the rates it leaves to the others, and the timer set for the segment, stay as they
        are whatever holds it gets.
        """
        return station.busy and station.holds[STARVED] > 0 and self.event_log is None

    def swap(self, station: FlowStation, old: int, new: int) -> None:
        """Replace a hold of kind ``old`` on ``station`` by one of kind ``new``, now."""
        if self._unchanged(station):
            station.holds[old] -= 1
            station.holds[new] += 1
            return
        self._advance()
        station.holds[old] -= 1
        station.holds[new] += 1
        self._replan()

    def _unchanged(self, station: FlowStation) -> bool:
        """Whether a hold put on or taken off ``station`` now changes nothing but its holds.

        So it is for a station between pieces (held starved, at rest, inactive) when the segment
        was brought up to date at this very moment: no web moved, so nothing came due, no rate
        changes, and the timer already set stays right. The event log hears every change.
        """
        return (
            station.busy
            and station.holds[STARVED] > 0
            and self.env._now == self.updated
            and self.event_log is None
        )

    # ------------------------------------------------------------------ things that come due
    def _handle_due(self) -> bool:
        """Start what the fluid has reached: roll ends, failures, usage-based maintenance.

        True when anything was started.
        """
        started = False
        for station in self.stations:
            unit = station.unit
            piece = station.piece
            if self._hold_at_roll_end(station):
                self.env.urgent(self._boundary, station)
                started = True
            if station.step is None:
                continue
            if self._start_stops(station, unit, piece):
                started = True
        return started

    def _hold_at_roll_end(self, station: FlowStation) -> bool:
        """Whether the fluid has brought ``station`` to the end of its roll's piece.

        If so, the station stands there (held starved) until the roll's boundary is dealt with.
        """
        piece = station.piece
        if piece is None or station.busy or station.pending or piece.end - station.x > EPS_M:
            return False
        station.x = piece.end
        station.busy = True
        station.holds[STARVED] += 1
        return True

    def _start_stops(self, station: FlowStation, unit: StationUnit, piece: Piece | None) -> bool:
        """Start the failures and usage-based maintenance that have come due on ``station``.

        Called only while the station runs a step.
        """
        plant = self.plant
        step = station.step
        assert step is not None
        started = False
        for mode, clock in enumerate(unit.failure_clocks):
            if clock[0] <= 1e-9:
                station.holds[WAITING_CREW] += 1
                if mode == unit.break_mode:
                    assert piece is not None and self.quality is not None
                    clock[0] = unit.web_break_clock(step, piece.roll, station.cap)
                    self.quality.web_break(piece.roll, unit, station.x - piece.start)
                else:
                    clock[0] = unit.draw_ttf(mode)
                plant.repair(station, mode)
                started = True
        for name, limit, task in unit.usage_tasks:
            if unit.usage[name] >= limit - 1e-9:
                unit.usage[name] = 0.0
                station.holds[WAITING_CREW] += 1
                plant.start_maintenance(station, task)
                started = True
        return started

    # ------------------------------------------------------------------ roll boundaries
    # A boundary is a chain of calls through the clock, each step where the SimPy process it
    # replaces waited: for a place downstream, an operator, a stop's end, the next roll.
    def _boundary(self, station: FlowStation) -> None:
        """At the end of a piece: finish the roll at the tail, fetch the next at the head."""
        piece = station.leaving = station.piece
        quality = self.quality
        if quality is not None and piece is not None and station.step is not None:
            quality.processed(
                piece.roll,
                station.unit,
                station.step,
                station.entered_at,
                station.usage_before,
                station.cap,
            )
        if station is self.tail and piece is not None:
            self._finish(station)
        else:
            self._finished(station)

    def _finished(self, station: FlowStation) -> None:
        if station is self.head:
            self.source.get(station, self._fetched)
        else:
            self._fetched_for(station)

    def _fetched_for(self, station: FlowStation) -> None:
        piece = station.leaving
        nxt = piece.next if piece is not None else self.last_piece
        if nxt is None:
            station.pending = True  # keeps its starved hold until the head splices more web
            station.busy = False
            return
        self._enter(station, nxt)

    def _enter_later(self, entry: tuple[FlowStation, Piece]) -> None:
        self._enter(*entry)

    def _enter(self, station: FlowStation, piece: Piece) -> None:
        """Take ``station`` into ``piece``: set its step and speed, change over if needed."""
        station.piece = piece
        station.pending = False
        leg = piece.roll.route.get(station.unit.station_id)
        step = leg.step if leg is not None else None
        unit = station.unit
        station.step_index = leg.step_index if leg is not None else None
        if step is not None:
            station.changeover = unit.changeover_min(step)
            unit.previous_step = unit.last_step
            unit.last_step = step
            station.step = step
            station.cap = unit.speed_m_min(step)
            station.per_m = unit.consumption_per_m(step)
            planned = self.plant.planned_maintenance(station, piece.roll)
            if planned:
                station.planned = list(reversed(planned))
            self._maintained(station)
            return
        station.step = None
        station.cap = unit.equipment.max_speed_m_min
        station.per_m = {}
        self._ready(station)

    def _maintained(self, station: FlowStation) -> None:
        """The planned maintenance before the roll, one task after another; then changeover."""
        if station.planned:
            task = station.planned.pop()
            station.unit.usage[task.counter] = 0.0
            self.plant.maintain(station, task, False, self._maintained, station)
            return
        if station.changeover > 0:
            change = station.changeover
            self.plant.crew_task(
                station, SETUP, change, "setup", "changeover", self._changed, station
            )
            return
        self._changed(station)

    def _changed(self, station: FlowStation) -> None:
        if self.quality is not None:
            unit = station.unit
            piece = station.piece
            assert piece is not None and station.step is not None
            station.entered_at = self.env._now
            station.usage_before = dict(unit.usage)
            clock = unit.failure_clocks[unit.break_mode]
            clock[0] = unit.web_break_clock(station.step, piece.roll, station.cap)
        self._ready(station)

    def _ready(self, station: FlowStation) -> None:
        """Load the roll at the head (a stop for the operators), then run."""
        if station is self.head:
            unit = station.unit
            piece = station.piece
            assert piece is not None
            piece.roll.enter(unit.station_id, self.env._now)
            overhead = unit.start_of_roll_min(station.step, self.inline)
            if overhead > 0:
                self.plant.crew_task(
                    station, SETUP, overhead, "roll_change", "roll_change", self._run, station
                )
                return
        self._run(station)

    def _run(self, station: FlowStation) -> None:
        station.busy = False
        self.hold(station, STARVED, -1)

    def _fetched(self, roll: Roll) -> None:
        """The next roll from the source store: splice it onto the web (or pass it on)."""
        head = self.head
        if not self.inline and head.unit.station_id not in roll.route:
            # A single tool this roll does not need: it passes straight on.
            if self.sink is not None:
                self.passing.append(roll)
                self.sink.reserve(self._pass_on, roll)
            else:
                self._pass_on(roll)
            return
        start = self.web_end
        self.web_end = start + roll.length_m
        piece = Piece(start, self.web_end, roll)
        if self.last_piece is not None:
            self.last_piece.next = piece
        self.last_piece = piece
        self._advance()
        for station in self.stations:
            if station is not head and station.pending and not station.busy:
                station.busy = True
                self.env.urgent(self._enter_later, (station, piece))
        self._fetched_for(head)

    def _pass_on(self, roll: Roll) -> None:
        if self.passing:
            self.passing.remove(roll)
        self.plant.deliver(roll, self.sink)
        self.source.get(self.head, self._fetched)

    def _finish(self, tail: FlowStation) -> None:
        """A roll has passed the tail: wait for room downstream, take it off, pass it on."""
        if self.sink is not None:
            self.hold(tail, BLOCKED, +1)
            self.sink.reserve(self._room, tail)
        else:
            self._unload(tail)

    def _room(self, tail: FlowStation) -> None:
        self.hold(tail, BLOCKED, -1)
        self._unload(tail)

    def _unload(self, tail: FlowStation) -> None:
        overhead = tail.unit.end_of_roll_min(tail.step, self.inline)
        if overhead > 0:
            self.plant.crew_task(
                tail, SETUP, overhead, "roll_change", "roll_change", self._unloaded, tail
            )
            return
        self._unloaded(tail)

    def _unloaded(self, tail: FlowStation) -> None:
        piece = tail.leaving
        assert piece is not None
        roll = piece.roll
        unit = tail.unit
        if self.quality is not None:
            self.quality.rewound(roll, unit)
        roll.leave(unit.station_id, self.env._now)
        piece.gone = True
        self.plant.deliver(roll, self.sink)
        self._finished(tail)

    def _log_states(self, log: list[StateChange]) -> None:
        """Record the stations' state changes in the event log."""
        now = self.env._now
        for station in self.stations:
            record = station.logged_change(now)
            if record is not None:
                log.append(record)

    # ------------------------------------------------------------------ end of run
    def flush(self) -> None:
        """Account everything up to now (the horizon) and close open active periods."""
        self._advance()
        now = self.env._now
        for station in self.stations:
            if station.active_since >= 0 and now > station.active_since:
                station.unit.active_periods.extend((station.active_since, now))
            station.active_since = -1.0
