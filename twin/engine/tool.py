"""A roll-coupled tool: a segment of one station, without the fluid machinery of a line.

A tool has no accumulators, so its web speed is its own (or nothing while held), and the next
thing to happen is the end of its roll, a failure clock or a usage counter running out. The
arithmetic is the general segment's, term for term, so a tool gives the same numbers; it only
skips the loops over neighbours and accumulators that a single station does not have, and the
work that a hold changes nothing for: a tool that stood still since its last update has no web,
clock or counter that moved, so nothing new can have come due.
"""

from __future__ import annotations

from typing import Any, Final

from twin.engine.entities import Roll
from twin.engine.flow import EPS_M, INF, FlowStation, Piece
from twin.engine.segment import Segment
from twin.engine.states import (
    BLOCKED,
    DOWN,
    HOLD_PRIORITY,
    MAINTENANCE,
    OFF_SHIFT,
    SETUP,
    STARVED,
    WAITING_CREW,
    WORKING,
)
from twin.scenario import RouteStep

PIECE_END: Final = 0
CLOCK: Final = 1
COUNTER: Final = 2
"""What a tool's timer is set for (and lands on exactly)."""


class Tool(Segment):
    """A segment of one roll-coupled station."""

    _deferred = False
    """A roll's boundary came due at this timer, to run when the timer's call is done."""

    # ------------------------------------------------------------------ roll boundaries
    # The general segment's chain (Segment._boundary and on) for a head that is its tail: the
    # same steps through the clock, with what a single tool does not need left out.
    def _boundary(self, station: FlowStation) -> None:
        piece = station.leaving = station.piece
        if piece is None:
            self.source.get(station, self._fetched)
            return
        quality = self.quality
        if quality is not None:
            step = station.step
            assert step is not None
            unit = station.unit
            entered, before = station.entered_at, station.usage_before
            quality.processed(piece.roll, unit, step, entered, before, station.cap)
        if self.sink is not None:
            self.hold(station, BLOCKED, +1)
            self.sink.reserve(self._room, station, last=True)
        else:
            self._unload(station)

    def _room(self, tail: FlowStation) -> None:
        self.hold(tail, BLOCKED, -1)
        self._unload(tail)

    def _unload(self, tail: FlowStation) -> None:
        plan = tail.plan
        assert plan is not None
        if plan.unload_min > 0:
            self.plant.crew_task(
                tail, SETUP, plan.unload_min, "roll_change", "roll_change", self._unloaded, tail
            )
            return
        self._unloaded(tail)

    def _unloaded(self, tail: FlowStation) -> None:
        piece = tail.leaving
        assert piece is not None
        roll = piece.roll
        plant = self.plant
        if self.quality is not None:
            self.quality.rewound(roll, tail.unit)
        roll.leave(tail.unit.station_id, self.env._now)
        piece.gone = True
        plant.deliver(roll, self.sink)
        self.source.get(tail, self._fetched)

    def _fetched(self, roll: Roll) -> None:
        station = self.tail
        if station.unit.station_id not in roll.route:
            # A tool this roll does not need: it passes straight on.
            if self.sink is not None:
                self.passing.append(roll)
                self.sink.reserve(self._pass_on, roll)
            else:
                self._pass_on(roll)
            return
        start = self.web_end
        end = self.web_end = start + roll.length_m
        piece = Piece(start, end, roll)
        if self.last_piece is not None:
            self.last_piece.next = piece
        self.last_piece = piece
        if self.env._now > self.updated:
            self._advance()
        self._enter(station, piece)

    def _enter(self, station: FlowStation, piece: Piece) -> None:
        station.piece = piece
        station.pending = False
        roll = piece.roll
        unit = station.unit
        leg = roll.route[unit.station_id]
        step = leg.step
        station.step_index = leg.step_index
        plan = unit.plans.get(id(step)) or unit.plan(step)
        station.plan = plan
        change = station.changeover = (
            plan.same_change if unit.last_step is step else unit.changeover_min(step)
        )
        unit.previous_step = unit.last_step
        unit.last_step = step
        station.step = step
        station.cap = plan.speed_m_min if plan.process_time is None else unit.draw_speed_m_min(plan)
        station.per_m = plan.per_m
        plant = self.plant
        planned = plant.planned_maintenance(station, roll) if unit.usage_tasks else None
        if planned or change > 0 or self.quality is not None:
            if planned:
                station.planned = list(reversed(planned))
            self._maintained(station)
            return
        self._ready(station)

    def _set_step(self, station: FlowStation, leg: RouteStep | None) -> None:
        """Take the step ``leg`` gives the tool, with what its equipment takes for it."""
        if leg is None:
            super()._set_step(station, leg)
            return
        unit = station.unit
        plan = unit.plans.get(id(leg.step)) or unit.plan(leg.step)
        station.plan = plan
        unit.last_step = station.step = leg.step
        station.cap = plan.speed_m_min if plan.process_time is None else unit.draw_speed_m_min(plan)
        station.per_m = plan.per_m

    def _run(self, station: FlowStation) -> None:
        """The roll is loaded: take the starved hold off and run (as ``hold(STARVED, -1)``).

        The tool stood still since the roll's end, so only a roll too short to measure can
        have come due.
        """
        station.busy = False
        if self.event_log is not None:
            self.hold(station, STARVED, -1)
            return
        if self.env._now > self.updated:
            self._advance()
        station.holds[STARVED] -= 1
        piece = station.piece
        if piece is not None and piece.end - station.x <= EPS_M:
            self._handle_due()
        self._replan()

    def _ready(self, station: FlowStation) -> None:
        piece = station.piece
        plan = station.plan
        assert piece is not None and plan is not None
        piece.roll.enter(station.unit.station_id, self.env._now)
        if plan.load_min > 0:
            self.plant.crew_task(
                station, SETUP, plan.load_min, "roll_change", "roll_change", self._run, station
            )
            return
        self._run(station)

    def _advance(self) -> None:
        now = self.env._now
        start = self.updated
        if now <= start:
            return
        station = self.tail
        rate = station.rate
        dt = now - start
        if rate > 0:
            metres = rate * dt
            station.x += metres
            if station.step is not None:
                unit = station.unit
                # a tool runs at its own speed or not at all: the clocks run at full rate
                for clock in unit.failure_clocks:
                    clock[0] -= dt
                if station.per_m:
                    usage = unit.usage
                    for name, per_m in station.per_m.items():
                        usage[name] += metres * per_m
                unit.metres += metres
        self.updated = now
        # time in state after the warm-up (FlowStation.account, for one station at full rate)
        warmup = self.warmup
        if start < warmup:
            if now <= warmup:
                return
            dt = now - warmup
        times = station.unit.state_time
        holds = station.holds
        for kind in HOLD_PRIORITY:
            if holds[kind]:
                times[kind] += dt
                return
        if station.step is None or rate <= 0:
            cause = station.cause
            times[cause if cause != WORKING else STARVED] += dt
            return
        times[WORKING] += dt

    def hold(self, station: FlowStation, kind: int, delta: int) -> None:
        """Put on (+1) or take off (-1) a hold of ``kind`` on the tool, now."""
        if station.busy and self.event_log is None:
            # Between rolls the tool is held starved: it stands still, inactive, with no timer
            # set, whatever else is put on or taken off; only the time in state moves on.
            if self.env._now > self.updated:
                self._advance()
            station.holds[kind] += delta
            return
        moved = station.rate > 0 and self.env._now > self.updated
        self._advance()
        station.holds[kind] += delta
        if moved or not station.busy:
            self._handle_due()
        self._replan()

    def swap(self, station: FlowStation, old: int, new: int) -> None:
        """Replace a hold of kind ``old`` on the tool by one of kind ``new``, now."""
        if self.env._now > self.updated:
            self._advance()
        holds = station.holds
        holds[old] -= 1
        holds[new] += 1
        if self.event_log is not None:
            # still held, so still at rest, and active or not as before: only the log hears it
            self._replan()

    def _on_tool_timer(self, timer: tuple[int, int, Any]) -> None:
        token, kind, target = timer
        if token != self._token:
            return  # superseded by a later replan
        self.wakeups += 1
        self._advance()
        # Land exactly on the event the timer was set for: rounding in the clock must not
        # leave it a hair short (a delay below the clock's resolution would never advance).
        station = self.tail
        if kind == PIECE_END:
            if station.piece is target:
                station.x = station.piece.end
        elif kind == CLOCK:
            if target[0] > 0.0:
                target[0] = 0.0
        else:
            station.unit.usage[target[0]] = target[1]
        self._handle_due(defer=True)
        self._replan()
        if self._deferred:
            # the boundary was due first of all: it runs now, as the clock would run it next
            self._deferred = False
            self._boundary(station)

    def _replan(self) -> None:
        station = self.tail
        holds = station.holds
        step = station.step
        cap = station.cap
        rate = station.rate = 0.0 if station.held() else cap
        station.cause = STARVED if step is None else WORKING
        now = self.env._now
        quality = self.quality
        if quality is not None:
            running = rate > 0
            if running and not station.running:
                piece = station.piece
                if (
                    piece is not None
                    and step is not None
                    and piece.start + EPS_M < station.x < piece.end - EPS_M
                ):
                    quality.restart(piece.roll, station.unit, station.x - piece.start)
            station.running = running
        if holds[OFF_SHIFT] or holds[BLOCKED] or holds[STARVED]:
            active = False
        elif holds[DOWN] or holds[MAINTENANCE] or holds[WAITING_CREW] or holds[SETUP]:
            active = True
        else:
            active = step is not None and rate >= cap * (1 - 1e-9)
        since = station.active_since
        if active:
            if since < 0:
                station.active_since = now
        elif since >= 0:
            if now > since:
                station.unit.active_periods.extend((since, now))
            station.active_since = -1.0
        if self.event_log is not None:
            self._log_states(self.event_log)
        self._token += 1
        if rate <= 0:
            return
        soonest = INF
        kind = PIECE_END
        target: Any = None
        piece = station.piece
        if piece is not None:
            soonest = (piece.end - station.x) / rate
            target = piece
        if step is not None:
            unit = station.unit
            for clock in unit.failure_clocks:
                delay = clock[0] / 1.0  # the clock runs at full rate (see _advance)
                if delay < soonest:
                    soonest, kind, target = delay, CLOCK, clock
            if unit.usage_tasks:
                usage = unit.usage
                per_ms = station.per_m
                for name, limit, _task in unit.usage_tasks:
                    per_m = per_ms.get(name, 0.0)
                    if per_m > 0:
                        delay = (limit - usage[name]) / (rate * per_m)
                        if delay < soonest:
                            soonest, kind, target = delay, COUNTER, (name, limit)
        if soonest < INF:
            self.env.at(
                soonest if soonest > 0.0 else 0.0, self._on_tool_timer, (self._token, kind, target)
            )

    def _handle_due(self, defer: bool = False) -> bool:
        """Start what has come due (True if anything).

        With ``defer`` (the timer's own call), a roll's boundary that nothing due now precedes
        is left to :meth:`_on_tool_timer`, to run when the timer's work is done.
        """
        station = self.tail
        piece = station.piece
        started = False
        if self._hold_at_roll_end(station):
            if defer and not self.env.urgent_due():
                self._deferred = True
            else:
                self.env.urgent(self._boundary, station)
            started = True
        if station.step is None:
            return started
        return self._start_stops(station, station.unit, piece) or started
