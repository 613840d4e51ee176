"""A segment: stations joined by accumulators (or one tool), the web through it as a fluid.

Each station runs at up to its own web speed for the recipe step of the roll under it; a full
accumulator slows its upstream station to the downstream one's speed, an empty one slows the
downstream station (DESIGN.md, flow). Between events every rate is constant, so the segment works
out when the next thing happens, sets one timer, and is otherwise silent; see :mod:`.flow`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import simpy

from twin.engine.entities import AccumulatorLevel, Roll, RollQueue, StationUnit
from twin.engine.flow import (
    EPS_M,
    INF,
    FlowStation,
    Piece,
    PlantServices,
    Process,
    land_on_level,
    land_on_piece_end,
    land_on_zero,
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
        self.env: simpy.Environment = plant.env
        self.warmup = plant.warmup
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

    # ------------------------------------------------------------------ fluid bookkeeping
    def start(self) -> None:
        """Start the segment: the head fetches its first roll; the others wait for its web."""
        for station in self.stations:
            station.holds[STARVED] = 1  # taken off when the station enters its first piece
        self.head.busy = True
        self.env.process(self._boundary(self.head))
        self._replan()

    def level(self, j: int) -> float:
        """Metres in accumulator ``j`` (between stations j and j + 1)."""
        acc = self.accumulators[j]
        return acc.initial_m + self.stations[j].x - self.stations[j + 1].x

    def _advance(self) -> None:
        """Move the web at the current rates up to now, and account the time in each state."""
        now = self.env.now
        dt = now - self.updated
        if dt <= 0:
            return
        start = self.updated
        warmup = self.warmup
        for station in self.stations:
            rate = station.rate
            if rate > 0:
                metres = rate * dt
                station.x += metres
                unit = station.unit
                if station.step is not None:
                    fraction = rate / station.cap
                    for clock in unit.failure_clocks:
                        clock[0] -= dt * fraction
                    for name, per_m in station.per_m.items():
                        unit.usage[name] += metres * per_m
                    unit.metres += metres
            station.account(start, now, warmup)
        for j, acc in enumerate(self.accumulators):
            acc.level_stat.ramp(now, self.level(j))
        self.updated = now

    def _rates(self) -> None:
        """Rates for the current holds and accumulator levels, with each slowdown's cause."""
        stations = self.stations
        for station in stations:
            station.rate = 0.0 if station.held() else station.cap
            station.cause = STARVED if station.step is None else WORKING
        accumulators = self.accumulators
        if not accumulators:
            return
        for _ in range(len(stations)):
            changed = False
            for j, acc in enumerate(accumulators):
                up, down = stations[j], stations[j + 1]
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

    def _next_event(self) -> tuple[float, Callable[[], None] | None]:
        """Minutes until the next thing the rates make happen, and how to land on it exactly."""
        soonest: float = INF
        land: Callable[[], None] | None = None
        for station in self.stations:
            rate = station.rate
            if rate <= 0:
                continue
            piece = station.piece
            if piece is not None:
                delay = (piece.end - station.x) / rate
                if delay < soonest:
                    soonest, land = delay, partial(land_on_piece_end, station, piece)
            if station.step is not None:
                fraction = rate / station.cap
                for clock in station.unit.failure_clocks:
                    delay = clock[0] / fraction
                    if delay < soonest:
                        soonest, land = delay, partial(land_on_zero, clock)
                usage = station.unit.usage
                for name, limit, _task in station.unit.usage_tasks:
                    per_m = station.per_m.get(name, 0.0)
                    if per_m > 0:
                        delay = (limit - usage[name]) / (rate * per_m)
                        if delay < soonest:
                            soonest, land = delay, partial(usage.__setitem__, name, limit)
        for j, acc in enumerate(self.accumulators):
            up, down = self.stations[j], self.stations[j + 1]
            net = up.rate - down.rate
            if net > 0:
                delay = (acc.capacity_m - self.level(j)) / net
                if delay < soonest:
                    soonest, land = delay, partial(land_on_level, up, down, acc, acc.capacity_m)
            elif net < 0:
                delay = self.level(j) / -net
                if delay < soonest:
                    soonest, land = delay, partial(land_on_level, up, down, acc, 0.0)
        return max(soonest, 0.0), land

    def _track_activity(self) -> None:
        """Open and close active periods (active-period method); note restarts mid-roll."""
        now = self.env.now
        quality = self.plant.quality
        for station in self.stations:
            if quality is not None:
                running = station.rate > 0
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
                active = station.step is not None and station.rate >= station.cap * (1 - 1e-9)
            if active and station.active_since < 0:
                station.active_since = now
            elif not active and station.active_since >= 0:
                if now > station.active_since:
                    station.unit.active_periods.extend((station.active_since, now))
                station.active_since = -1.0

    def _replan(self) -> None:
        """Recompute rates and set the one timer for the next event."""
        self._rates()
        self._track_activity()
        if self.plant.event_log is not None:
            self._log_states(self.plant.event_log)
        self._token += 1
        delay, land = self._next_event()
        if delay < INF:
            token = self._token
            timer = self.env.timeout(delay)
            timer.callbacks.append(lambda _event: self._on_timer(token, land))

    def _on_timer(self, token: int, land: Callable[[], None] | None) -> None:
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
        self._advance()
        station.holds[kind] += delta
        self._handle_due()
        self._replan()

    def swap(self, station: FlowStation, old: int, new: int) -> None:
        """Replace a hold of kind ``old`` on ``station`` by one of kind ``new``, now."""
        self._advance()
        station.holds[old] -= 1
        station.holds[new] += 1
        self._replan()

    # ------------------------------------------------------------------ things that come due
    def _handle_due(self) -> None:
        """Start what the fluid has reached: roll ends, failures, usage-based maintenance."""
        plant = self.plant
        for station in self.stations:
            unit = station.unit
            piece = station.piece
            if (
                piece is not None
                and not station.busy
                and not station.pending
                and piece.end - station.x <= EPS_M
            ):
                station.x = piece.end
                station.busy = True
                station.holds[STARVED] += 1  # stands still until the boundary is dealt with
                self.env.process(self._boundary(station))
            if station.step is None:
                continue
            for mode, clock in enumerate(unit.failure_clocks):
                if clock[0] <= 1e-9:
                    station.holds[WAITING_CREW] += 1
                    if mode == unit.break_mode:
                        assert piece is not None and plant.quality is not None
                        clock[0] = unit.web_break_clock(station.step, piece.roll, station.cap)
                        plant.quality.web_break(piece.roll, unit, station.x - piece.start)
                    else:
                        clock[0] = unit.draw_ttf(mode)
                    self.env.process(plant.repair(station, mode))
            for name, limit, task in unit.usage_tasks:
                if unit.usage[name] >= limit - 1e-9:
                    unit.usage[name] = 0.0
                    station.holds[WAITING_CREW] += 1
                    self.env.process(plant.maintain(station, task, preheld=True))

    # ------------------------------------------------------------------ roll boundaries
    def _boundary(self, station: FlowStation) -> Process:
        """At the end of a piece: finish the roll at the tail, fetch the next at the head."""
        piece = station.piece
        quality = self.plant.quality
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
            yield from self._finish(station, piece)
        if station is self.head:
            yield from self._fetch(station)
        nxt = piece.next if piece is not None else self.last_piece
        if nxt is None:
            station.pending = True  # keeps its starved hold until the head splices more web
            station.busy = False
            return
        yield from self._enter(station, nxt)

    def _enter(self, station: FlowStation, piece: Piece) -> Process:
        """Take ``station`` into ``piece``: set its step and speed, change over if needed."""
        station.piece = piece
        station.pending = False
        leg = piece.roll.route.get(station.unit.station_id)
        step = leg.step if leg is not None else None
        unit = station.unit
        station.step_index = leg.step_index if leg is not None else None
        if step is not None:
            change = unit.changeover_min(step)
            unit.last_step = step
            station.step = step
            station.cap = unit.speed_m_min(step)
            station.per_m = unit.consumption_per_m(step)
            for task in self.plant.planned_maintenance(station, piece.roll):
                unit.usage[task.counter] = 0.0
                yield from self.plant.maintain(station, task, preheld=False)
            if change > 0:
                yield from self.plant.crew_task(station, SETUP, change, "setup", "changeover")
            if self.plant.quality is not None:
                station.entered_at = self.env.now
                station.usage_before = dict(unit.usage)
                clock = unit.failure_clocks[unit.break_mode]
                clock[0] = unit.web_break_clock(step, piece.roll, station.cap)
        else:
            station.step = None
            station.cap = unit.equipment.max_speed_m_min
            station.per_m = {}
        if station is self.head:
            piece.roll.enter(unit.station_id, self.env.now)
            overhead = unit.start_of_roll_min(step, self.inline)
            if overhead > 0:
                yield from self.plant.crew_task(
                    station, SETUP, overhead, "roll_change", "roll_change"
                )
        station.busy = False
        self.hold(station, STARVED, -1)

    def _fetch(self, head: FlowStation) -> Process:
        """Wait for the next roll from the source store and splice it onto the web."""
        unit = head.unit
        while True:
            roll: Roll = yield self.source.get(head)
            if self.inline or unit.station_id in roll.route:
                break
            # A single tool this roll does not need: it passes straight on.
            yield from self._deliver(roll)
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
                self.env.process(self._enter(station, piece))

    def _finish(self, tail: FlowStation, piece: Piece) -> Process:
        """A roll has passed the tail: wait for room downstream, take it off, pass it on."""
        unit = tail.unit
        roll = piece.roll
        if self.sink is not None:
            self.hold(tail, BLOCKED, +1)
            yield self.sink.reserve()
            self.hold(tail, BLOCKED, -1)
        overhead = unit.end_of_roll_min(tail.step, self.inline)
        if overhead > 0:
            yield from self.plant.crew_task(tail, SETUP, overhead, "roll_change", "roll_change")
        if self.plant.quality is not None:
            self.plant.quality.rewound(roll, unit)
        roll.leave(unit.station_id, self.env.now)
        self.plant.deliver(roll, self.sink)

    def _deliver(self, roll: Roll) -> Process:
        if self.sink is not None:
            yield self.sink.reserve()
        self.plant.deliver(roll, self.sink)

    def _log_states(self, log: list[StateChange]) -> None:
        """Record the stations' state changes in the event log."""
        now = self.env.now
        for station in self.stations:
            record = station.logged_change(now)
            if record is not None:
                log.append(record)

    # ------------------------------------------------------------------ end of run
    def flush(self) -> None:
        """Account everything up to now (the horizon) and close open active periods."""
        self._advance()
        now = self.env.now
        for station in self.stations:
            if station.active_since >= 0 and now > station.active_since:
                station.unit.active_periods.extend((station.active_since, now))
            station.active_since = -1.0
