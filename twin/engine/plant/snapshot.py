"""The plant's state at a moment of a run, in the plant-state format a run can start from.

Taken between two moments of the clock (after everything before it, before anything at it), the
state holds what :mod:`.restore` needs for a run from it to go on as this one does: each unit's
stop and when it ends, the roll on it and how far it is, what it ran before, its counters and the
age of each failure clock; the rolls in stores and queues with when they entered and were
released; accumulator levels; each order's finished and released rolls.

Where the format cannot say a thing exactly, it says the nearest: a stop waiting for an operator
is given as if the operator came now; a setup before a roll ends when the roll's loading would
(the changeover and the loading after it as one setup); a unit off shift is up (its calendar
holds it off).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from stations import RecipeStep
from twin.engine.entities import Roll
from twin.engine.flow import EPS_M, FlowStation
from twin.engine.states import DOWN, MAINTENANCE, SETUP, WAITING_CREW
from twin.state.model import (
    AccumulatorState,
    LastRun,
    LineQueue,
    OrderProgress,
    PlantState,
    QueuedRoll,
    RollOnTool,
    StoredRoll,
    StoreState,
    UnitState,
)

if TYPE_CHECKING:
    from twin.engine.plant.core import Plant


class _Snapshot:
    def __init__(self, plant: Plant) -> None:
        if plant.origin is None:
            raise ValueError("a snapshot is dated: give the scenario a start")
        self.plant = plant
        self.origin = plant.origin
        self.now = plant.env.now
        self.steps: dict[int, tuple[str, int]] = {
            id(step): (product.id, index)
            for product in plant.scenario.products
            for index, step in enumerate(product.recipe)
        }
        self.standard_m = plant.scenario.roll_length_m
        self.waiting = self._waiting_for_crew()

    def when(self, minute: float) -> dt.datetime:
        return self.origin + dt.timedelta(minutes=minute)

    def _waiting_for_crew(self) -> dict[int, tuple[int, float]]:
        """Each station waiting for an operator: the state it waits to be in, for how long."""
        waiting: dict[int, tuple[int, float]] = {}
        for crew in self.plant.crews.resources.values():
            for _, job in crew.waiting:
                flow, state, minutes = job[0], job[1], job[2]
                waiting[id(flow)] = (state, minutes)
        return waiting

    def _length(self, roll: Roll) -> float | None:
        return None if abs(roll.length_m - self.standard_m) < 1e-9 else roll.length_m

    def _last(self, step: RecipeStep | None) -> LastRun | None:
        if step is None or id(step) not in self.steps:
            return None
        product, index = self.steps[id(step)]
        return LastRun(product=product, step=index)

    # ------------------------------------------------------------------ units
    def unit(self, flow: FlowStation) -> UnitState:
        unit = flow.unit
        status: Literal["up", "down", "maintenance", "setup"] = "up"
        until: dt.datetime | None = None
        failure: str | None = None
        task: str | None = None
        holds = flow.holds
        waiting = self.waiting.get(id(flow))
        if holds[DOWN] or (holds[WAITING_CREW] and waiting and waiting[0] == DOWN):
            status, failure = "down", flow.causes[DOWN]
            end = flow.until[DOWN] if holds[DOWN] else self.now + waiting[1]  # type: ignore[index]
            until = self.when(end)
        elif holds[MAINTENANCE] or (holds[WAITING_CREW] and waiting and waiting[0] == MAINTENANCE):
            status, task = "maintenance", flow.causes[MAINTENANCE]
            end = flow.until[MAINTENANCE] if holds[MAINTENANCE] else self.now + waiting[1]  # type: ignore[index]
            until = self.when(end)
        elif holds[SETUP] or (holds[WAITING_CREW] and waiting and waiting[0] == SETUP):
            status = "setup"
            end = flow.until[SETUP] if holds[SETUP] else self.now + waiting[1]  # type: ignore[index]
            until = self.when(end + self._load_after(flow))
        roll = self._roll(flow)
        before_roll = roll is not None and roll.done_m <= EPS_M and flow.busy  # setting up
        last = self._last(unit.previous_step if before_roll else unit.last_step)
        modes = unit.spec.failures
        operating = {
            mode.name: max(unit.ttf_drawn[k] - unit.failure_clocks[k][0], 0.0)
            for k, mode in enumerate(modes)
        }
        counters = {name: value for name, value in unit.usage.items() if value > 0}
        return UnitState(
            unit=unit.name,
            status=status,
            until=until,
            failure=failure if failure in {m.name for m in modes} else None,
            task=task,
            roll=roll,
            last=last,
            counters=counters,
            operating_min={name: age for name, age in operating.items() if age > 0},
        )

    def _load_after(self, flow: FlowStation) -> float:
        """The loading still to come after a changeover before a roll (minutes)."""
        piece = flow.piece
        if flow.causes[SETUP] != "changeover" or piece is None or flow.x > piece.start + EPS_M:
            return 0.0
        segment: Any = flow.segment
        if flow is not segment.head:
            return 0.0
        return flow.unit.start_of_roll_min(flow.step, segment.inline)

    def _roll(self, flow: FlowStation) -> RollOnTool | None:
        piece = flow.piece
        segment: Any = flow.segment
        if piece is None or piece.gone or flow.pending:
            return None
        if flow is not segment.tail and flow.x >= piece.end - EPS_M:
            return None  # done with it: the stations downstream have it
        roll = piece.roll
        return RollOnTool(
            id=roll.id,
            order=roll.order,
            product=roll.product,
            step=flow.step_index if flow.step_index is not None else 0,
            length_m=self._length(roll),
            done_m=min(max(flow.x - piece.start, 0.0), roll.length_m),
            released=self.when(roll.released),
        )

    # ------------------------------------------------------------------ stores and queues
    def stores(self) -> list[StoreState]:
        plant = self.plant
        passing: dict[str, list[Roll]] = {}
        for segment in plant.segments:
            if segment.sink is not None and segment.passing:
                passing.setdefault(segment.sink.id, []).extend(segment.passing)
        stores = []
        for store_id, store in plant.stores.items():
            rolls = [self._stored(roll, store_id, roll.stored_at) for roll in store.rolls]
            rolls += [self._stored(roll, store_id, self.now) for roll in passing.get(store_id, [])]
            if rolls:
                stores.append(StoreState(store=store_id, rolls=rolls))
        return stores

    def _stored(self, roll: Roll, store_id: str, entered: float) -> StoredRoll:
        line = self.plant.scenario.line(roll.line)
        upstream = [s.id for s in line.stations[: self._store_position(line.id, store_id) + 1]]
        done = max(leg.step_index for station, leg in roll.route.items() if station in upstream)
        return StoredRoll(
            id=roll.id,
            order=roll.order,
            product=roll.product,
            length_m=self._length(roll),
            done_step=done,
            entered=self.when(entered),
            released=self.when(roll.released),
        )

    def _store_position(self, line_id: str, store_id: str) -> int:
        """The index of the station just before the store."""
        line = self.plant.scenario.line(line_id)
        return next(
            index
            for index in range(len(line.stations) - 1)
            if line.buffer_after(index) is not None and line.buffer_after(index).id == store_id  # type: ignore[union-attr]
        )

    def queues(self) -> list[LineQueue]:
        queues = []
        for line_id, queue in self.plant.orders.queues.items():
            rolls = [
                QueuedRoll(
                    id=roll.id,
                    order=roll.order,
                    product=roll.product,
                    length_m=self._length(roll),
                    released=self.when(roll.released),
                )
                for roll in queue.rolls
            ]
            if rolls:
                queues.append(LineQueue(line=line_id, rolls=rolls))
        return queues

    def accumulators(self) -> list[AccumulatorState]:
        levels: dict[str, AccumulatorState] = {}
        for segment in self.plant.segments:
            for j, acc in enumerate(segment.accumulators):
                level = max(segment.level(j), 0.0)
                levels.setdefault(acc.id, AccumulatorState(accumulator=acc.id, level_m=level))
        return list(levels.values())

    def orders(self) -> list[OrderProgress]:
        orders = self.plant.orders
        progress = []
        for order in self.plant.scenario.orders:
            total = self.plant.scenario.order_rolls(order)
            if order.id in orders.closed:  # finished before this run began
                progress.append(
                    OrderProgress(order=order.id, finished_rolls=total, released_rolls=total)
                )
                continue
            released = orders.released.get(order.id, [])
            if not released:
                continue
            finished = total - orders.order_rolls[order.id]
            progress.append(
                OrderProgress(
                    order=order.id,
                    finished_rolls=finished,
                    released_rolls=len(released),
                    released_ids=list(released),
                )
            )
        return progress


def take_snapshot(plant: Plant) -> PlantState:
    """The state of ``plant`` now (its segments brought up to date first)."""
    snap = _Snapshot(plant)
    return PlantState(
        at=snap.when(snap.now),
        scenario=plant.scenario.name,
        units=[snap.unit(flow) for flow in plant.flows],
        stores=snap.stores(),
        queues=snap.queues(),
        accumulators=snap.accumulators(),
        orders=snap.orders(),
    )
