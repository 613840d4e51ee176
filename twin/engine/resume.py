"""A segment started part-way, as a plant state has it (:mod:`twin.engine.plant.restore`).

The rolls on its stations are laid along its web, its accumulators hold their levels, and each
station is set up on its roll as far as its phase (loading, maintenance, running, finished,
being taken off); what then comes due runs on the segment's own clock and chain.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from twin.engine.flow import FlowStation, Piece, Placement
from twin.engine.segment import Segment
from twin.engine.states import MAINTENANCE, SETUP, STARVED


def resume(
    segment: Segment,
    placed: list[Placement | None],
    levels: list[float | None],
    fetch_later: bool = False,
) -> None:
    """Start the segment part-way, as a plant state has it.

    ``placed`` gives each station's roll and how far it is with it (None: it holds none),
    ``levels`` each accumulator's level (None: its initial level). The rolls are laid along
    the web from the tail's (the oldest) to the head's; an accumulator's level is what it
    holds whatever the positions of its neighbours on their rolls. A station that holds no
    roll waits for the oldest one upstream of it, or (the head) fetches the next, at once
    or, with ``fetch_later``, when :meth:`Segment.fetch_next` is called (a head that is stopped
    takes no roll until it may run it).
    """
    pieces: dict[str, Piece] = {}
    for placement in reversed(placed):
        if placement is None or placement.roll.id in pieces:
            continue
        start = segment.web_end
        piece = Piece(start, start + placement.roll.length_m, placement.roll)
        segment.web_end = piece.end
        if segment.last_piece is not None:
            segment.last_piece.next = piece
        segment.last_piece = pieces[placement.roll.id] = piece
    for index, station in enumerate(segment.stations):
        placement = placed[index]
        if placement is not None:
            piece = pieces[placement.roll.id]
            station.piece = piece
            station.pending = False
            station.x = piece.start + min(placement.done_m, piece.roll.length_m)
            if placement.phase == "finished" or placement.phase == "unloading":
                station.x = piece.end
            continue
        station.holds[STARVED] = 1
        upstream = [pieces[p.roll.id] for p in placed[:index] if p is not None]
        if station is segment.head:
            station.x = segment.web_end
            station.busy = True
            if not fetch_later:
                segment.env.urgent(segment._boundary, station)
        elif upstream:
            piece = min(upstream, key=lambda p: p.start)
            station.x = piece.start
            station.busy = True
            segment.env.urgent(segment._enter_later, (station, piece))
        else:
            station.x = segment.web_end
            station.pending = True
    for (acc, up, down), level in zip(segment._links, levels, strict=True):
        held = acc.initial_m if level is None else level
        acc.initial_m = held - up.x + down.x
        acc.level_stat.restart(held)
    later: list[Callable[[], None]] = []
    for station, placement in zip(segment.stations, placed, strict=True):
        if placement is not None:
            later += _resume_station(segment, station, placement)
    segment._replan()
    for call in later:
        call()


def _resume_station(
    segment: Segment, station: FlowStation, placement: Placement
) -> list[Callable[[], None]]:
    """Set ``station`` up on its roll as far as its phase; what to start once all are."""
    piece = station.piece
    assert piece is not None
    roll = piece.roll
    unit = station.unit
    plant = segment.plant
    phase = placement.phase
    leg = roll.route.get(unit.station_id)
    station.step_index = leg.step_index if leg is not None else None
    if leg is not None and phase == "maintaining":
        station.changeover = unit.changeover_min(leg.step)
    segment._set_step(station, leg)
    if station is segment.head:
        roll.enter(unit.station_id, 0.0)
    if leg is not None and plant.quality is not None:
        station.entered_at = 0.0
        station.usage_before = dict(unit.usage)
        clock = unit.failure_clocks[unit.break_mode]
        clock[0] = unit.web_break_clock(leg.step, roll, station.cap)
    minutes = max(placement.until - segment.env.now, 0.0)
    stop: tuple[int, str, str, Callable[[Any], None]] | None = None
    if phase == "loading":
        stop = (SETUP, "setup", "roll_change", segment._run)
    elif phase == "maintaining":
        stop = (MAINTENANCE, "maintenance", placement.task, segment._maintained)
    elif phase == "unloading":
        stop = (SETUP, "roll_change", "roll_change", segment._unloaded)
        station.leaving = piece
        if segment.sink is not None:
            segment.sink.reserved += 1  # the place it was taken off for
    if stop is not None:
        station.holds[STARVED] = 1
        station.busy = True
        kind, task, cause, then = stop
        needs_crew = placement.needs_crew
        return [
            partial(
                plant.crew_task,
                station,
                kind,
                minutes,
                task,
                cause,
                then,
                station,
                False,
                needs_crew,
            )
        ]
    station.running = phase == "running"  # restarting mid-roll is not a new start
    return []
