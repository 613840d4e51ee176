"""One replication of a plant: a SimPy world of segments joined by roll queues.

:class:`Plant` turns a :class:`~twin.scenario.Scenario` under a
:class:`~twin.engine.options.RunOptions` into segments (:mod:`twin.engine.flow`) joined by roll
stores, with crews, shifts and maintenance (:mod:`.crews`) and the order book (:mod:`.orders`),
runs it to the horizon and returns a :class:`~twin.engine.records.ReplicationRecord`
(:mod:`.results`).
"""

from __future__ import annotations

import gc
from typing import Any

from stations.distributions import Exponential
from twin.engine.calendar import off_shift_intervals
from twin.engine.clock import Clock
from twin.engine.entities import AccumulatorLevel, Roll, RollQueue, StationUnit
from twin.engine.flow import FlowStation, Then
from twin.engine.levels import LevelStat
from twin.engine.memo import part, scenario_memo
from twin.engine.options import RunOptions
from twin.engine.plan import SchedulePlan
from twin.engine.plant.crews import Crews
from twin.engine.plant.orders import Orders
from twin.engine.plant.restore import restore
from twin.engine.plant.results import replication_record
from twin.engine.plant.snapshot import take_snapshot
from twin.engine.quality import QualityModel, QualityTally
from twin.engine.records import BufferChange, ReplicationRecord, StateChange
from twin.engine.segment import Segment
from twin.engine.states import DOWN
from twin.engine.streams import stream
from twin.engine.tool import Tool
from twin.scenario import Line, Scenario, Station, UsageMaintenance
from twin.state.model import PlantState


class Plant:
    """The SimPy world of one replication of a scenario."""

    def __init__(self, scenario: Scenario, options: RunOptions, replication: int = 0) -> None:
        self.scenario = scenario
        self.options = options
        self.replication = replication
        self.env = Clock()
        state = options.state
        start = scenario.start
        self.origin = state.at if state is not None else start
        """The date-time of t = 0: the scenario's start, or the moment of its plant state."""
        self.offset = 0.0
        """Minutes from the scenario's start to t = 0 (a scenario without a start counts its
        order times from the plant state's moment)."""
        if state is not None and start is not None:
            self.offset = scenario.minutes(state.at)
        self.memo = scenario_memo(scenario)
        """What the scenario's stations take for its steps, shared by its replications."""
        self.seed = options.seed
        self.horizon = options.horizon_min
        self.warmup = options.warmup_min
        self.event_log: list[StateChange] | None = [] if options.event_log else None
        self.buffer_log: list[BufferChange] | None = [] if options.event_log else None
        self.quality = self._quality_model() if options.quality else None
        self.crews = Crews(self.env, scenario.crews, quiet=self.event_log is None)
        self.orders = Orders(self.env, scenario, options, self.quality, self.offset)
        # What segments call once or more per roll goes straight to the crews and the orders.
        self.crew_task = self.crews.task
        """Hold a station in a state for some minutes (an operator first, if the task needs
        one), then call what comes next (:meth:`Crews.task`)."""
        self.repair = self.crews.repair
        """Start repairing a failure (its waiting hold is on)."""
        self.deliver = self.orders.deliver
        """A roll leaves a segment: into the next store, or finished."""
        self.units: list[StationUnit] = []
        self.flows: list[FlowStation] = []
        self.segments: list[Segment] = []
        self.stores: dict[str, RollQueue] = {}
        self.accumulators: list[AccumulatorLevel] = []
        for line in scenario.lines:
            self._build_line(line)
        tasks = [
            (flow, task) for flow in self.flows for task in flow.unit.spec.calendar_maintenance()
        ]
        if self.offset > 0:
            # Tasks due at one moment start in the order a run from the scenario's start
            # would take them: the one whose time was set first (at its previous start) first.
            tasks.sort(key=lambda pair: self.crews.calendar_set_at(pair[1], self.offset))
        for flow, task in tasks:
            self.crews.calendar_maintenance(flow, task, self.horizon, self.offset)
        self.env.process(self.orders.release())
        self.taken: PlantState | None = None
        """The snapshot the options asked for, once taken."""

    def _quality_model(self) -> QualityModel:
        scenario = self.scenario
        model = QualityModel(
            stream(self.seed, self.replication, "defects"),
            self.env.time,
            {p.id: p.max_defects_per_m2 for p in scenario.products},
            (self.seed, self.replication),
        )
        groups: list[tuple[str | None, str | None]] = [(None, None)]
        for line in scenario.lines:
            groups.append((line.id, None))
            groups += [(line.id, p.id) for p in scenario.products if line in scenario.lines_for(p)]
        ah = {p.id: p.ah_per_m2() for p in scenario.products}
        model.tally = QualityTally(groups, self.warmup, ah)
        model.keep = self.options.genealogy
        model.shared = part(self.memo, "quality")
        return model

    def _build_line(self, line: Line) -> None:
        segments = line.segments()
        sinks: list[RollQueue | None] = []
        for segment in segments[:-1]:
            spec = line.store_after(segment[-1])
            store = self.orders.queue(spec.id, spec.capacity_rolls, spec.max_wait, spec.on_expiry)
            store.log = self.buffer_log
            self.stores[spec.id] = store
            sinks.append(store)
        sinks.append(None)
        source = self.orders.queues[line.id]
        for segment, sink in zip(segments, sinks, strict=True):
            accumulators = [
                AccumulatorLevel(
                    spec.id,
                    spec.capacity_m,
                    spec.initial_m,
                    LevelStat(spec.initial_m, self.warmup, self.horizon),
                )
                for spec in line.accumulators_in(segment)
            ]
            if self.buffer_log is not None:
                for accumulator in accumulators:
                    accumulator.level_stat.keep_trace()
            self.accumulators += accumulators
            for unit_index in range(segment[0].units):
                units = [
                    StationUnit(
                        line.id,
                        station,
                        unit_index,
                        self.seed,
                        self.replication,
                        self.scenario.roll_length_m,
                        part(self.memo, ("station", line.id, station.id)),
                    )
                    for station in segment
                ]
                for unit in units:
                    unit.exponential_times = self._exponential_times(line, unit.spec)
                self.units += units
                name = "+".join(u.name for u in units)
                kind = Segment if len(units) > 1 else Tool
                built = kind(self, name, units, accumulators, source, sink)
                self.segments.append(built)
                self.flows += built.stations
            if sink is not None:
                source = sink
        flows = [flow for flow in self.flows if flow.unit.line_id == line.id]
        for begin, end in off_shift_intervals(
            self.scenario.calendar(line.calendar), self.origin, self.horizon
        ):
            self.crews.off_shift(flows, begin, end)

    def _exponential_times(self, line: Line, station: Station) -> bool:
        """Whether every per-roll process time ``station`` may draw is exponential."""
        memo = part(self.memo, ("station", line.id, station.id))
        found = memo.get("exponential_times")
        if found is None:
            times = [
                station.equipment.roll_process_time(leg.step, self.scenario.roll_length_m)
                for product in self.scenario.products
                for leg in self.scenario.route(product, line) or []
                if leg.station.id == station.id
            ]
            drawn = [t for t in times if t.dist != "fixed"]
            found = memo["exponential_times"] = bool(drawn) and all(
                isinstance(t, Exponential) for t in drawn
            )
        return bool(found)

    # ------------------------------------------------------------------ what segments need
    def maintain(
        self,
        flow: FlowStation,
        task: UsageMaintenance,
        preheld: bool,
        then: Then | None = None,
        argument: Any = None,
    ) -> None:
        """Usage-based maintenance on ``flow``'s unit, then ``then(argument)``."""
        self.crews.maintain(flow, task, preheld, then, argument)

    def start_maintenance(self, flow: FlowStation, task: UsageMaintenance) -> None:
        """Start usage-based maintenance that has come due (its waiting hold is on)."""
        self.crews.start_maintenance(flow, task, True)

    def planned_maintenance(self, flow: FlowStation, roll: Roll) -> list[UsageMaintenance]:
        """The maintenance a plan puts on ``flow``'s unit right before ``roll``."""
        return self.orders.planned_maintenance(flow, roll)

    # ------------------------------------------------------------------ running
    def begin(self) -> None:
        """Start the plant: empty, or as its plant state has it."""
        state = self.options.state
        restored = restore(self, state) if state is not None else None
        resumed = set(restored.resumed) if restored is not None else set()
        for segment in self.segments:
            if segment not in resumed:
                segment.start()
        if restored is not None:
            restored.stops()

    def run_until(self, minute: float) -> None:
        """Run everything that happens before ``minute``; the clock then reads ``minute``."""
        self.env.run_until(minute)

    def replace_plan(self, plan: SchedulePlan | None) -> None:
        """Run by ``plan`` from now on (its times from now; None: by the dispatching rule)."""
        self.orders.replace_plan(plan)
        for queue in (*self.orders.queues.values(), *self.stores.values()):
            queue.serve()

    def down_units(self) -> set[str]:
        """The station units that are down now (failed, under or waiting for repair)."""
        waiting_repair = {
            id(job[0])
            for crew in self.crews.resources.values()
            for _, job in crew.waiting
            if job[1] == DOWN
        }
        return {
            flow.unit.name for flow in self.flows if flow.holds[DOWN] or id(flow) in waiting_repair
        }

    def started_operations(self) -> set[tuple[str, str]]:
        """The (machine, roll id) pairs of the plan the machines have taken so far."""
        return {(machine, roll) for machine, rolls in self.orders.taken.items() for roll in rolls}

    def snapshot(self) -> PlantState:
        """The plant's state now (a run started from it goes on as this one does)."""
        for segment in self.segments:
            segment.advance()
        return take_snapshot(self)

    def finish(self) -> ReplicationRecord:
        """Run to the horizon and collect the replication's numbers."""
        self.env.run_until(self.horizon)
        for segment in self.segments:
            segment.flush()
        if self.quality is not None:
            self.quality.close()
        return replication_record(self, self.taken)

    def run(self) -> ReplicationRecord:
        """Run to the horizon (taking the snapshot asked for) and collect the numbers.

        Python's cycle collector is paused meanwhile: a run makes next to no cyclic garbage (a
        plant-year about 150 objects; its rolls, pieces and records go by reference counting),
        while one pass of the collector over every object of the process (the scenario, the
        packages imported) cost a plant-year about a tenth of its time.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.begin()
            if self.options.snapshot_at_min is not None:
                self.run_until(self.options.snapshot_at_min)
                self.taken = self.snapshot()
            return self.finish()
        finally:
            if collecting:
                gc.enable()
