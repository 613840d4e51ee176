"""A roll-coupled tool: a segment of one station, without the fluid machinery of a line.

A tool has no accumulators, so its web speed is its own (or nothing while held), and the next
thing to happen is the end of its roll, a failure clock or a usage counter running out. The
arithmetic is the general segment's, term for term, so a tool gives the same numbers; it only
skips the loops over neighbours and accumulators that a single station does not have.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from twin.engine.flow import EPS_M, INF, land_on_piece_end, land_on_zero
from twin.engine.segment import Segment
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


class Tool(Segment):
    """A segment of one roll-coupled station."""

    def _advance(self) -> None:
        now = self.env.now
        start = self.updated
        dt = now - start
        if dt <= 0:
            return
        station = self.tail
        rate = station.rate
        if rate > 0:
            metres = rate * dt
            station.x += metres
            if station.step is not None:
                unit = station.unit
                fraction = rate / station.cap
                for clock in unit.failure_clocks:
                    clock[0] -= dt * fraction
                usage = unit.usage
                for name, per_m in station.per_m.items():
                    usage[name] += metres * per_m
                unit.metres += metres
        station.account(start, now, self.warmup)
        self.updated = now

    def _replan(self) -> None:
        station = self.tail
        holds = station.holds
        step = station.step
        rate = station.rate = 0.0 if any(holds) else station.cap
        station.cause = STARVED if step is None else WORKING
        now = self.env.now
        quality = self.plant.quality
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
            active = step is not None and rate >= station.cap * (1 - 1e-9)
        if active:
            if station.active_since < 0:
                station.active_since = now
        elif station.active_since >= 0:
            if now > station.active_since:
                station.unit.active_periods.extend((station.active_since, now))
            station.active_since = -1.0
        if self.plant.event_log is not None:
            self._log_states(self.plant.event_log)
        self._token += 1
        if rate <= 0:
            return
        soonest = INF
        land: Callable[[], None] | None = None
        piece = station.piece
        if piece is not None:
            soonest = (piece.end - station.x) / rate
            land = partial(land_on_piece_end, station, piece)
        if step is not None:
            unit = station.unit
            fraction = rate / station.cap
            for clock in unit.failure_clocks:
                delay = clock[0] / fraction
                if delay < soonest:
                    soonest, land = delay, partial(land_on_zero, clock)
            if unit.usage_tasks:
                usage = unit.usage
                for name, limit, _task in unit.usage_tasks:
                    per_m = station.per_m.get(name, 0.0)
                    if per_m > 0:
                        delay = (limit - usage[name]) / (rate * per_m)
                        if delay < soonest:
                            soonest, land = delay, partial(usage.__setitem__, name, limit)
        if soonest < INF:
            token = self._token
            timer = self.env.timeout(soonest if soonest > 0.0 else 0.0)
            timer.callbacks.append(lambda _event: self._on_timer(token, land))

    def _handle_due(self) -> None:
        station = self.tail
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
            return
        unit = station.unit
        plant = self.plant
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
