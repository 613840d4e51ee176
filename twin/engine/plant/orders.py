"""The order book in the plant: releasing rolls, dispatching them, finishing and scrapping them.

Each order becomes rolls of the standard length (the last one shorter), released to a line's queue
at the order's release or at their planned starts. A tool takes its next roll by the dispatching
rule, or in the order a schedule plans; a roll that waited too long is scrapped (and replaced) or
reworked from the start of its line.
"""

from __future__ import annotations

import itertools
import math
from array import array
from dataclasses import dataclass, field

from twin.engine.clock import Clock
from twin.engine.entities import Roll, RollQueue
from twin.engine.flow import FlowStation, Process
from twin.engine.levels import LevelStat
from twin.engine.options import RunOptions
from twin.engine.plan import SchedulePlan
from twin.engine.plant.supply import Campaigns, SupplyQueue
from twin.engine.quality import QualityModel, RollQuality
from twin.scenario import Line, Order, Product, RouteStep, Scenario, UsageMaintenance


@dataclass(slots=True)
class LineOutput:
    """What a line finished after the warm-up, by product: rolls, metres, m² and lead times."""

    rolls: int = 0
    metres: float = 0.0
    area_m2: float = 0.0
    lead_min: array[float] = field(default_factory=lambda: array("d"))


class Orders:
    """Releases the order book as rolls, dispatches them to tools and sees them finish."""

    def __init__(
        self,
        env: Clock,
        scenario: Scenario,
        options: RunOptions,
        quality: QualityModel | None,
        offset_min: float = 0.0,
    ) -> None:
        """The order book of ``scenario``, ``offset_min`` after the scenario's start.

        A run from a plant state starts at the state's moment, so an order released or due at
        scenario time ``t`` is released or due at ``t - offset_min`` in the run.
        """
        self.env = env
        self.offset = offset_min
        self.closed: set[str] = set()
        """Orders finished before the run began (a plant state's): not in this run's book."""
        self._finished_before: dict[str, int] = {}
        self.released: dict[str, list[str]] = {}
        """Each order's released roll ids, in the order they were released."""
        self._released_before: set[str] = set()
        self.scenario = scenario
        self.warmup = options.warmup_min
        self.horizon = options.horizon_min
        self.plan = options.plan
        self.group_by_product = options.dispatching == "group_by_product"
        self.quality = quality
        self.roll_length_m = scenario.roll_length_m
        plan = self.plan
        self._plan_position: dict[str, int] = {}
        self.taken: dict[str, set[str]] = {}
        """The rolls each machine has taken (a new plan leaves them out): those still in the
        plant, and those of the plan it follows (see :meth:`deliver`)."""
        self._sequences: dict[str, list[str]] = dict(plan.machines) if plan else {}
        self._planned_rolls = {r for seq in self._sequences.values() for r in seq}
        self._releases: list[tuple[float, str, int, Order]] = []
        self._gone: set[str] = set()
        self._kinds: dict[tuple[str, str], tuple[Product, dict[str, RouteStep], float]] = {}
        self.queues: dict[str, RollQueue] = {}
        self.wip: dict[str, LevelStat] = {}
        self.wip_count: dict[str, int] = {}
        self.order_rolls: dict[str, int] = {}
        self.order_done: dict[str, float] = {}
        self.order_line: dict[str, str] = {}
        """The line each released order runs on."""
        self.scrapped_m: dict[str, float] = {}
        self.output: dict[tuple[str, str | None], LineOutput] = {}
        """What each line, and each product on it, finished after the warm-up."""
        self.finished: list[Roll] | None = [] if options.genealogy else None
        """Every finished roll, kept only for genealogy."""
        self.capacity_run = options.demand == "capacity"
        self._mixes: dict[str, dict[str, float]] = {}
        mix = dict(options.mix) if options.mix is not None else None
        for line in scenario.lines:
            if self.capacity_run:
                campaigns = Campaigns(scenario, line, mix)
                self._mixes[line.id] = campaigns.shares
                self.queues[line.id] = self._supply(line, campaigns)
            else:
                self.queues[line.id] = self.queue(f"{line.id}:queue", math.inf)
            self.wip[line.id] = LevelStat(0.0, self.warmup)
            self.wip_count[line.id] = 0
            self.scrapped_m[line.id] = 0.0

    def queue(
        self,
        queue_id: str,
        capacity: float,
        max_wait: dict[str, float] | None = None,
        on_expiry: str = "scrap",
    ) -> RollQueue:
        """A roll queue that dispatches by this order book's rule."""
        return RollQueue(
            self.env,
            queue_id,
            capacity,
            self.warmup,
            self.horizon if capacity < math.inf else None,
            self.dispatch,
            self.expire,
            max_wait,
            on_expiry,
        )

    def mixes(self) -> dict[str, dict[str, float]]:
        """Each line's product mix, shares by metres (a capacity run; empty otherwise)."""
        return dict(self._mixes)

    def _supply(self, line: Line, campaigns: Campaigns) -> SupplyQueue:
        """A capacity run's line input: a roll of the line's mix whenever a head asks."""
        queue = SupplyQueue(
            self.env,
            f"{line.id}:supply",
            math.inf,
            self.warmup,
            None,
            self.dispatch,
            self.expire,
        )
        kinds: dict[str, tuple[float, dict[str, RouteStep]]] = {}
        for product_id in campaigns.shares:
            product = self.scenario.product(product_id)
            route = self.scenario.route(product, line)
            assert route is not None
            # each product's width and its route by station, read only: shared by its rolls
            kinds[product_id] = (product.web_width_m, {leg.station.id: leg for leg in route})
        numbers = itertools.count(1)

        def make() -> Roll:
            product_id, campaign = campaigns.next(self.roll_length_m)
            width_m, legs = kinds[product_id]
            roll = Roll(
                id=f"{line.id}-supply/{next(numbers)}",
                order=f"{line.id}-campaign-{campaign}",
                product=product_id,
                length_m=self.roll_length_m,
                width_m=width_m,
                line=line.id,
                released=self.env._now,
                route=legs,
                quality=RollQuality() if self.quality is not None else None,
            )
            self._wip(line.id, +1)
            return roll

        queue.make = make
        return queue

    # ------------------------------------------------------------------ release
    def release(self) -> Process:
        """Release each order's rolls at the order's release (or at their planned starts).

        A capacity run has no order book: its lines' supply queues make rolls as they are asked.
        """
        if self.capacity_run:
            return
            yield  # a process that ends at once
        self._releases = self._pending()
        yield from self._releasing(self._releases)

    def _pending(self) -> list[tuple[float, str, int, Order]]:
        """The rolls still to release, when (by the plan, if any), in order."""
        scenario = self.scenario
        releases: list[tuple[float, str, int, Order]] = []
        before = self._released_before
        for order in scenario.orders:
            release = scenario.minutes(order.release) - self.offset
            count = scenario.order_rolls(order)
            finished = self._finished_before.get(order.id, 0)
            if finished >= count:
                self.closed.add(order.id)
                continue
            # rolls still to finish: counted once (a new plan must not reset what is done)
            self.order_rolls.setdefault(order.id, count - finished)
            for k in range(count):
                roll_id = f"{order.id}/{k + 1}"
                if roll_id in before:
                    continue
                planned = self.plan.release_min.get(roll_id, release) if self.plan else release
                releases.append((max(release, planned), order.id, k, order))
        releases.sort(key=lambda item: item[:3])
        return releases

    def _releasing(self, releases: list[tuple[float, str, int, Order]]) -> Process:
        """Release ``releases`` at their times, until a new plan replaces them."""
        for when, _, k, order in releases:
            if when > self.env._now:
                yield self.env.timeout(when - self.env._now)
            if releases is not self._releases:
                return  # a new plan releases the rest
            line_id = self.order_line.get(order.id)
            if line_id is None:
                line_id = self.order_line[order.id] = self.line_for(order).id
            self._release_roll(order, k, self.scenario.line(line_id))

    def replace_plan(self, plan: SchedulePlan | None) -> None:
        """Execute ``plan`` from now on: a new schedule made as the plant runs.

        The plan's times count from now. Each machine takes its planned rolls in the new order
        (what it has already taken is done); the rolls not yet released are released at their
        new planned starts; machines waiting for a roll look again.
        """
        self.plan = plan.shifted(self.env._now) if plan is not None else None
        self._sequences = self._planned_sequences()
        self._plan_position = {}
        self._planned_rolls = {r for seq in self._sequences.values() for r in seq}
        self._released_before = {r for ids in self.released.values() for r in ids}
        self._releases = self._pending()
        self.env.process(self._releasing(self._releases))

    def _planned_sequences(self) -> dict[str, list[str]]:
        """Each machine's planned rolls, less those it has already taken."""
        if self.plan is None:
            return {}
        taken = self.taken
        return {
            machine: [r for r in rolls if r not in taken.get(machine, ())]
            for machine, rolls in self.plan.machines.items()
        }

    def resume(self, finished: dict[str, int], released: set[str]) -> None:
        """Start part-way: rolls of each order ``finished`` before, the ``released`` roll ids.

        Called before the run starts; the rolls in the plant are added with :meth:`restored`.
        """
        self._finished_before = dict(finished)
        self._released_before = set(released)
        for roll_id in sorted(released):
            order, _, _ = roll_id.rpartition("/")
            self.released.setdefault(order, []).append(roll_id)

    def restored(
        self, order: Order, line: Line, roll_id: str, length_m: float | None, released: float
    ) -> Roll:
        """A roll already in the plant when the run starts (on a tool, in a store or queued)."""
        product, route, _ = self._roll_kind(order, line)
        self.order_line.setdefault(order.id, line.id)
        self._wip(line.id, +1)
        return Roll(
            id=roll_id,
            order=order.id,
            product=product.id,
            length_m=length_m or self.roll_length_m,
            width_m=product.web_width_m,
            line=line.id,
            released=released,
            route=route,
            quality=RollQuality() if self.quality is not None else None,
        )

    def line_for(self, order: Order) -> Line:
        """The order's line: as ordered, planned or placed, else the eligible one least loaded.

        Placed: rolls of it were in the plant when the run began.
        """
        scenario = self.scenario
        if order.id in self.order_line:  # rolls of it were in the plant at the start
            return scenario.line(self.order_line[order.id])
        planned = self.plan.line.get(f"{order.id}/1") if self.plan else None
        if order.line is not None or planned is not None:
            return scenario.line(order.line or planned or "")
        product = scenario.product(order.product)
        return min(scenario.lines_for(product), key=lambda ln: self._queued_m(ln.id))

    def _release_roll(self, order: Order, k: int, line: Line) -> None:
        product, route, total = self._roll_kind(order, line)
        roll = Roll(
            id=f"{order.id}/{k + 1}",
            order=order.id,
            product=product.id,
            length_m=min(self.roll_length_m, total - k * self.roll_length_m),
            width_m=product.web_width_m,
            line=line.id,
            released=self.env._now,
            route=route,
            quality=RollQuality() if self.quality is not None else None,
        )
        self._wip(line.id, +1)
        self.released.setdefault(order.id, []).append(roll.id)
        self.queues[line.id].put(roll, reserved=False)

    def _roll_kind(self, order: Order, line: Line) -> tuple[Product, dict[str, RouteStep], float]:
        """An order's product, its route on ``line`` by station, and its length (m), once."""
        key = (order.id, line.id)
        kind = self._kinds.get(key)
        if kind is None:
            scenario = self.scenario
            product = scenario.product(order.product)
            route = scenario.route(product, line)
            assert route is not None
            legs = {leg.station.id: leg for leg in route}  # read only: shared by the rolls
            kind = self._kinds[key] = (product, legs, scenario.order_length_m(order))
        return kind

    def _queued_m(self, line_id: str) -> float:
        return self.wip_count[line_id] * self.roll_length_m

    def _wip(self, line_id: str, delta: int) -> None:
        self.wip_count[line_id] += delta
        self.wip[line_id].step(self.env._now, self.wip_count[line_id])

    # ------------------------------------------------------------------ dispatch
    def dispatch(self, queue: RollQueue, head: FlowStation) -> Roll | None:
        """The roll ``head`` takes next from ``queue``: planned, FIFO, or same product first.

        With a plan the machine waits for its next planned roll; rolls the plan does not know
        (replacements for scrapped ones) may go while it waits, and after its last planned roll
        it works FIFO.
        """
        if not queue.rolls:
            return None
        machine = head.segment.id
        sequence = self._sequences.get(machine)
        roll = (
            self._planned(queue, machine, sequence)
            if sequence is not None
            else self._by_rule(queue, head)
        )
        if roll is not None:
            self.took(machine, roll.id)
        return roll

    def took(self, machine: str, roll_id: str) -> None:
        """``machine`` has taken roll ``roll_id``."""
        taken = self.taken.get(machine)
        if taken is None:
            taken = self.taken[machine] = set()
        taken.add(roll_id)

    def _by_rule(self, queue: RollQueue, head: FlowStation) -> Roll:
        if self.group_by_product and head.unit.last_step is not None:
            last = head.piece.roll.product if head.piece is not None else None
            for roll in queue.rolls:
                if roll.product == last:
                    return roll
        return queue.rolls[0]

    def planned_maintenance(self, flow: FlowStation, roll: Roll) -> list[UsageMaintenance]:
        """The usage-based maintenance the plan puts on ``flow``'s unit right before ``roll``."""
        unit = flow.unit
        if self.plan is None or not unit.usage_tasks:
            return []
        planned = self.plan.maintenance.get(flow.segment.id, {}).get(roll.id, [])
        return [
            task
            for _, _, task in unit.usage_tasks
            if f"{unit.station_id}.{task.counter}" in planned
        ]

    def _planned(self, queue: RollQueue, machine: str, sequence: list[str]) -> Roll | None:
        position = self._plan_position.get(machine, 0)
        while position < len(sequence) and sequence[position] in self._gone:
            position += 1  # scrapped on the way: its replacement runs unplanned
        self._plan_position[machine] = position
        if position == len(sequence):
            return queue.rolls[0]
        wanted = sequence[position]
        for roll in queue.rolls:
            if roll.id == wanted:
                self._plan_position[machine] = position + 1
                return roll
        return next((r for r in queue.rolls if r.id not in self._planned_rolls), None)

    # ------------------------------------------------------------------ leaving the line
    def deliver(self, roll: Roll, sink: RollQueue | None) -> None:
        """A roll leaves a segment: into the next store, or finished at the end of its line."""
        if sink is not None:
            sink.put(roll)
            return
        now = self.env._now
        roll.history.append(("finished", now, now))
        if self.finished is not None:
            self.finished.append(roll)
        if now >= self.warmup:
            for key in ((roll.line, None), (roll.line, roll.product)):
                output = self.output.setdefault(key, LineOutput())
                output.rolls += 1
                output.metres += roll.length_m
                output.area_m2 += roll.length_m * roll.width_m
                output.lead_min.append(now - roll.released)
        if self.quality is not None:
            self.quality.finished(roll)
        if roll.id not in self._planned_rolls:
            # only a plan asks which machines took a roll (a new plan, made from the plant as
            # it is, holds no finished roll): a long run need not keep them all
            for taken in self.taken.values():
                taken.discard(roll.id)
        self._wip(roll.line, -1)
        if roll.order not in self.order_rolls:
            return  # a capacity run's roll: no order waits for it
        remaining = self.order_rolls[roll.order] - 1
        self.order_rolls[roll.order] = remaining
        if remaining == 0:
            self.order_done[roll.order] = now

    def expire(self, roll: Roll, store: RollQueue) -> None:
        """A roll waited too long in ``store``: scrap it (and release a replacement) or rework.

        Either way it was air-exposed; a reworked roll starts its quality record afresh.
        """
        scrap = store.on_expiry == "scrap"
        self.scrapped_m[roll.line] += roll.length_m if scrap else 0.0
        roll.reworks += not scrap
        quality = self.quality
        if quality is not None:
            if scrap:
                if quality.tally is not None:
                    area = roll.length_m * roll.width_m
                    quality.tally.expose(roll.line, roll.product, area, self.env._now)
            else:  # reworked from the start of the line: its earlier pass counts for nothing
                quality.rework(roll)
        if scrap:
            self._gone.add(roll.id)
            roll = Roll(
                id=f"{roll.id}r",
                order=roll.order,
                product=roll.product,
                length_m=roll.length_m,
                width_m=roll.width_m,
                line=roll.line,
                released=self.env._now,
                route=roll.route,
                quality=RollQuality() if quality is not None else None,
            )
        else:
            roll.history.append((f"rework from {store.id}", self.env._now, self.env._now))
        self.queues[roll.line].put(roll, reserved=False)
