"""A plant put in a plant state at t = 0: rolls on tools, in stores and queues; stops; counters.

The state (:class:`~twin.state.PlantState`, already checked against the scenario) is the plant
at its moment ``at``, which becomes the run's t = 0:

- each unit's usage counters, the product and step it last ran (its next changeover), and, where
  the state gives its operating time since a failure mode last struck, that mode's time to
  failure drawn given that age (:meth:`~stations.distributions.Distribution.remaining`); other
  modes draw a fresh one;
- the roll on each unit, as far as the state has it: about to start (its changeover and loading
  to come), in the setup or maintenance before it, part-way through it, at its end, or being
  taken off a tool (:data:`~twin.engine.flow.Phase`);
- a unit down until a date-time is repaired by then; down without one, its failure's repair is
  drawn afresh and waits for an operator as any repair does; maintenance and setups in progress
  keep their operator to their end; a unit that is off stays off for the run;
- rolls in stores wait from when they entered (their waiting limits count from then), queued
  rolls wait at their line's entry, accumulators hold their levels;
- each order's finished rolls are done, its released ones are not released again; released
  rolls the state does not place are taken to wait at their line's entry, the lowest-numbered
  ones taken to be the finished ones.

Rolls whose release the state does not give count their lead time from the state's moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from twin.engine.entities import Roll
from twin.engine.flow import FlowStation, Phase, Placement
from twin.engine.resume import resume
from twin.engine.states import DOWN, MAINTENANCE, OFF_SHIFT, SETUP, WAITING_CREW
from twin.scenario import Line, Order
from twin.state.model import PlantState, UnitState

if TYPE_CHECKING:
    from twin.engine.plant.core import Plant
    from twin.engine.segment import Segment

EPS_M = 1e-6


def _minutes(state: PlantState, when: dt.datetime) -> float:
    """Minutes from the state's moment to ``when`` (negative: before it)."""
    at = state.at
    if (when.tzinfo is None) != (at.tzinfo is None):
        when, at = when.replace(tzinfo=None), at.replace(tzinfo=None)
    return (when - at).total_seconds() / 60


def _base(roll_id: str) -> str:
    """The roll a replacement stands in for (``SO-1/3r`` for ``SO-1/3``)."""
    return roll_id.rstrip("r") if roll_id.endswith("r") and "/" in roll_id else roll_id


def _needs_crew(flow: FlowStation, given: UnitState) -> bool:
    """Whether the stop in progress on a unit keeps an operator (as the scenario says)."""
    station = flow.unit.spec
    if given.status == "down":
        failure = next((f for f in station.failures if f.name == given.failure), None)
        return failure.needs_crew if failure is not None else True
    if given.status == "maintenance":
        task = next((t for t in station.maintenance if t.name == given.task), None)
        return task.needs_crew if task is not None else True
    return True


class _Restorer:
    """Builds the rolls of a state and places them (one use)."""

    def __init__(self, plant: Plant, state: PlantState) -> None:
        self.plant = plant
        self.state = state
        scenario = plant.scenario
        self.orders = {order.id: order for order in scenario.orders}
        self.lines = {line.id: line for line in scenario.lines}
        self.placed: dict[str, set[str]] = {}
        """Each order's roll ids in the plant (replacements by the roll they replace)."""

    def roll(
        self,
        order_id: str,
        line: Line,
        roll_id: str,
        length_m: float | None,
        released: dt.datetime | None,
    ) -> Roll:
        order: Order = self.orders[order_id]
        self.placed.setdefault(order_id, set()).add(_base(roll_id))
        when = _minutes(self.state, released) if released is not None else 0.0
        return self.plant.orders.restored(order, line, roll_id, length_m, when)

    # ------------------------------------------------------------------ units
    def units(self) -> tuple[list[Segment], list[tuple[FlowStation, UnitState]]]:
        """Resume the segments the state places rolls on or gives accumulator levels of.

        Returns them, and the units whose stops are still to put on (once every segment has
        started).
        """
        plant = self.plant
        given = {unit.unit: unit for unit in self.state.units}
        levels = {level.accumulator: level.level_m for level in self.state.accumulators}
        resumed: list[Segment] = []
        stops: list[tuple[FlowStation, UnitState]] = []
        self.fetch_after: dict[int, Segment] = {}
        """Heads stopped without a roll: they fetch one when their stop ends (by flow id)."""
        for segment in plant.segments:
            placed: list[Placement | None] = []
            for flow in segment.stations:
                unit_state = given.get(flow.unit.name)
                if unit_state is None:
                    placed.append(None)
                    continue
                self._unit(flow, unit_state)
                placement = self._placement(segment, flow, unit_state)
                placed.append(placement)
                if placement is None or placement.phase in ("running", "finished"):
                    stops.append((flow, unit_state))
            accumulator_levels = [levels.get(acc.id) for acc in segment.accumulators]
            head = given.get(segment.head.unit.name)
            stopped = head is not None and head.roll is None and head.status != "up"
            if stopped:
                self.fetch_after[id(segment.head)] = segment
            if (
                stopped
                or any(p is not None for p in placed)
                or any(v is not None for v in accumulator_levels)
            ):
                resume(segment, placed, accumulator_levels, fetch_later=stopped)
                resumed.append(segment)
        return resumed, stops

    def _unit(self, flow: FlowStation, given: UnitState) -> None:
        """Counters, last run and failure clocks."""
        unit = flow.unit
        for name, value in given.counters.items():
            unit.usage[name] = value
        if given.last is not None:
            line = self.lines[unit.line_id]
            route = self.plant.scenario.route(self.plant.scenario.product(given.last.product), line)
            leg = next((leg for leg in route or [] if leg.step_index == given.last.step), None)
            if leg is not None:
                unit.last_step = leg.step
        modes = [failure.name for failure in unit.spec.failures]
        for name, age in given.operating_min.items():
            mode = modes.index(name)
            left = unit.spec.failures[mode].ttf.remaining(unit.ttf_streams[mode], age)
            unit.failure_clocks[mode][0] = left
            unit.ttf_drawn[mode] = age + left

    def _placement(self, segment: Segment, flow: FlowStation, given: UnitState) -> Placement | None:
        on = given.roll
        if on is None:
            return None
        line = self.lines[flow.unit.line_id]
        roll = self.roll(on.order, line, on.id, on.length_m, on.released)
        self.plant.orders.took(segment.id, roll.id)
        length = roll.length_m
        until = _minutes(self.state, given.until) if given.until is not None else 0.0
        phase: Phase
        if on.done_m <= EPS_M and given.status == "setup":
            phase = "loading"
        elif on.done_m <= EPS_M and given.status == "maintenance":
            phase = "maintaining"
        elif on.done_m >= length - EPS_M:
            tail = flow is segment.tail
            phase = "unloading" if tail and given.status == "setup" else "finished"
        else:
            phase = "running"
        task = given.task or "maintenance"
        needs = _needs_crew(flow, given) if given.status in ("setup", "maintenance") else True
        return Placement(roll, on.done_m, phase, until, task, needs)

    def stops(self, stops: list[tuple[FlowStation, UnitState]]) -> None:
        """Put on what stops each unit: a repair, maintenance, a setup, being off.

        Stops in progress keep their operators, so they are put on first; repairs still to be
        drawn wait for an operator after them.
        """
        plant = self.plant
        waiting: list[tuple[FlowStation, int]] = []
        for flow, given in stops:
            minutes = _minutes(self.state, given.until) if given.until is not None else None
            crew = _needs_crew(flow, given)
            later = self.fetch_after.get(id(flow))
            then = later.fetch_next if later is not None else None
            if given.status == "down" and minutes is None:
                modes = [failure.name for failure in flow.unit.spec.failures]
                waiting.append((flow, modes.index(given.failure) if given.failure in modes else 0))
            elif given.status == "down" and minutes is not None:
                cause = given.failure or "repair"
                plant.crew_task(flow, DOWN, minutes, "repair", cause, then, None, False, crew)
            elif given.status == "maintenance" and minutes is not None:
                task = given.task or "maintenance"
                plant.crew_task(
                    flow, MAINTENANCE, minutes, "maintenance", task, then, None, False, crew
                )
            elif given.status == "setup" and minutes is not None:
                plant.crew_task(flow, SETUP, minutes, "setup", "setup", then, None, False, crew)
            elif given.status == "off":
                flow.segment.hold(flow, OFF_SHIFT, +1)  # and fetches nothing
        for flow, mode in waiting:  # a repair drawn now, waiting for an operator as any does
            later = self.fetch_after.get(id(flow))
            unit = flow.unit
            failure = unit.spec.failures[mode]
            flow.segment.hold(flow, WAITING_CREW, +1)
            plant.crew_task(
                flow,
                DOWN,
                unit.draw_ttr(mode),
                "repair",
                failure.name,
                later.fetch_next if later is not None else None,
                None,
                True,
                failure.needs_crew,
            )

    # ------------------------------------------------------------------ stores and queues
    def stores(self) -> None:
        plant = self.plant
        for held in self.state.stores:
            store = plant.stores[held.store]
            line = self.lines[self._store_line(held.store)]
            for stored in sorted(held.rolls, key=lambda r: r.entered):
                roll = self.roll(stored.order, line, stored.id, stored.length_m, stored.released)
                store.put(roll, reserved=False, since=_minutes(self.state, stored.entered))
        for queue in self.state.queues:
            line = self.lines[queue.line]
            for queued in sorted(queue.rolls, key=lambda r: r.released):
                roll = self.roll(queued.order, line, queued.id, queued.length_m, queued.released)
                plant.orders.queues[line.id].put(roll, reserved=False, since=roll.released)

    def _store_line(self, store_id: str) -> str:
        return next(
            line.id
            for line in self.plant.scenario.lines
            if any(buffer.id == store_id for buffer in line.buffers)
        )

    def orders_progress(self) -> None:
        """Finished and released rolls by order; released rolls placed nowhere are queued."""
        plant = self.plant
        finished: dict[str, int] = {}
        released: set[str] = set()
        waiting: list[tuple[Order, str]] = []
        progress = {p.order: p for p in self.state.orders}
        for order_id in set(progress) | set(self.placed):
            order = self.orders[order_id]
            given = progress.get(order_id)
            placed = self.placed.get(order_id, set())
            ids = list(given.released_ids) if given is not None else []
            if given is not None and not ids:
                ids = [f"{order_id}/{k + 1}" for k in range(given.released_rolls)]
            ids += sorted(placed - set(ids))
            released |= set(ids)
            done = given.finished_rolls if given is not None else 0
            finished[order_id] = done
            nowhere = [roll_id for roll_id in ids if roll_id not in placed]
            waiting += [(order, roll_id) for roll_id in nowhere[done:]]
        plant.orders.resume(finished, released)
        for order, roll_id in waiting:
            line = plant.orders.line_for(order)
            roll = self.roll(order.id, line, roll_id, None, None)
            plant.orders.queues[line.id].put(roll, reserved=False)


@dataclass
class Restored:
    """What :func:`restore` did, and the stops still to put on."""

    resumed: list[Segment]
    """The segments started part-way; the caller starts the others afresh."""
    stops: Callable[[], None]
    """Put on the units' stops, once every segment has started."""


def restore(plant: Plant, state: PlantState) -> Restored:
    """Put ``plant`` in ``state`` as its t = 0, before the run starts."""
    restorer = _Restorer(plant, state)
    resumed, stops = restorer.units()
    restorer.stores()
    restorer.orders_progress()
    return Restored(resumed, partial(restorer.stops, stops))
