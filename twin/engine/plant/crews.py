"""Operators and planned stops: crews, repairs, maintenance and shifts.

Repairs, roll changes, setups and maintenance wait for a free operator of the crew that serves the
line and does the task; a line with no crew for a task does not wait (DESIGN.md).
"""

from __future__ import annotations

from collections import deque

import simpy

from twin.engine.flow import FlowStation, Process
from twin.engine.states import DOWN, MAINTENANCE, OFF_SHIFT, WAITING_CREW
from twin.scenario import CalendarMaintenance, Crew, UsageMaintenance


class Operators:
    """A crew's operators while the plant runs: how many are free, and who waits, first come."""

    def __init__(self, env: simpy.Environment, size: int) -> None:
        self.env = env
        self.free = size
        self.waiting: deque[simpy.Event] = deque()

    def request(self) -> simpy.Event | None:
        """An operator now (``None``), or an event that succeeds when one is handed over."""
        if self.free > 0:
            self.free -= 1
            return None
        event = self.env.event()
        self.waiting.append(event)
        return event

    def release(self) -> None:
        """An operator is done: hand them to the first in line, or they are free."""
        if self.waiting:
            self.waiting.popleft().succeed()
        else:
            self.free += 1


class Crews:
    """The plant's operator crews, and the stops that may need them."""

    def __init__(self, env: simpy.Environment, crews: list[Crew]) -> None:
        self.env = env
        self.specs = crews
        self.resources = {crew.id: Operators(env, crew.size) for crew in crews}
        self._memo: dict[tuple[str, str], Operators | None] = {}

    def crew_for(self, line_id: str, task: str) -> Operators | None:
        """The crew that does ``task`` on line ``line_id``, if any crew does."""
        key = (line_id, task)
        if key not in self._memo:
            self._memo[key] = next(
                (
                    self.resources[crew.id]
                    for crew in self.specs
                    if task in crew.tasks and (crew.lines is None or line_id in crew.lines)
                ),
                None,
            )
        return self._memo[key]

    def task(
        self,
        flow: FlowStation,
        state: int,
        minutes: float,
        task: str,
        cause: str,
        preheld: bool = False,
        needs_crew: bool = True,
    ) -> Process:
        """Hold ``flow`` in ``state`` for ``minutes``, first waiting for an operator if needed.

        With ``preheld`` the caller has already put a waiting-for-crew hold on the station.
        """
        segment = flow.segment
        crew = self.crew_for(flow.unit.line_id, task) if needs_crew else None
        flow.causes[state] = cause
        if crew is None:
            if preheld:
                segment.swap(flow, WAITING_CREW, state)
            else:
                segment.hold(flow, state, +1)
            yield self.env.timeout(minutes)
            segment.hold(flow, state, -1)
            return
        if not preheld:
            segment.hold(flow, WAITING_CREW, +1)
        request = crew.request()
        if request is not None:
            yield request
        segment.swap(flow, WAITING_CREW, state)
        yield self.env.timeout(minutes)
        segment.hold(flow, state, -1)
        crew.release()

    def repair(self, flow: FlowStation, mode: int) -> Process:
        """A failure of ``mode`` (its waiting hold is on): an operator if needed, then repair.

        A web break is re-threaded: the unit's load-and-thread time.
        """
        unit = flow.unit
        if mode == unit.break_mode:
            minutes, needs_crew = unit.equipment.load_thread, True
        else:
            minutes, needs_crew = unit.draw_ttr(mode), unit.spec.failures[mode].needs_crew
        yield from self.task(
            flow, DOWN, minutes, "repair", unit.failure_name(mode), True, needs_crew
        )

    def maintain(
        self, flow: FlowStation, task: CalendarMaintenance | UsageMaintenance, preheld: bool
    ) -> Process:
        """Planned maintenance on ``flow``'s unit."""
        yield from self.task(
            flow, MAINTENANCE, task.duration, "maintenance", task.name, preheld, task.needs_crew
        )

    def calendar_maintenance(
        self, flow: FlowStation, task: CalendarMaintenance, horizon: float
    ) -> Process:
        """Start ``task`` on ``flow``'s unit at each of its times before ``horizon``."""
        next_start = task.every if task.first is None else task.first
        while next_start < horizon:
            yield self.env.timeout(next_start - self.env.now)
            self.env.process(self.maintain(flow, task, preheld=False))
            next_start += task.every

    def off_shift(self, flows: list[FlowStation], begin: float, end: float) -> Process:
        """Hold ``flows`` off shift from ``begin`` to ``end``."""
        yield self.env.timeout(begin)
        for flow in flows:
            flow.segment.hold(flow, OFF_SHIFT, +1)
        yield self.env.timeout(end - begin)
        for flow in flows:
            flow.segment.hold(flow, OFF_SHIFT, -1)
