"""Operators and planned stops: crews, repairs, maintenance and shifts.

Repairs, roll changes, setups and maintenance wait for a free operator of the crew that serves the
line and does the task; a line with no crew for a task does not wait (DESIGN.md).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from twin.engine.clock import Clock
from twin.engine.flow import FlowStation, Then
from twin.engine.states import DOWN, MAINTENANCE, OFF_SHIFT, WAITING_CREW
from twin.scenario import CalendarMaintenance, Crew, UsageMaintenance


class Operators:
    """A crew's operators while the plant runs: how many are free, and who waits, first come."""

    def __init__(self, env: Clock, size: int) -> None:
        self.env = env
        self.free = size
        self.waiting: deque[tuple[Then, Any]] = deque()

    def request(self, then: Then, argument: Any) -> None:
        """``then(argument)`` with an operator: at once if one is free, else when handed over."""
        if self.free > 0:
            self.free -= 1
            then(argument)
        else:
            self.waiting.append((then, argument))

    def release(self) -> None:
        """An operator is done: hand them to the first in line, or they are free."""
        if self.waiting:
            self.env.soon(*self.waiting.popleft())
        else:
            self.free += 1


Job = tuple[FlowStation, int, float, "Operators | None", "Then | None", Any]
"""A stop in progress: the station, its state, minutes, the crew, and what comes after."""


class Crews:
    """The plant's operator crews, and the stops that may need them."""

    def __init__(self, env: Clock, crews: list[Crew], quiet: bool = True) -> None:
        self.env = env
        self.quiet = quiet
        """No event log is kept (so a wait of no time for an operator need not be a state)."""
        self.specs = crews
        self.resources = {crew.id: Operators(env, crew.size) for crew in crews}
        self._memo: dict[tuple[str, str], Operators | None] = {}

    def crew_for(self, line_id: str, task: str) -> Operators | None:
        """The crew that does ``task`` on line ``line_id``, if any crew does."""
        key = (line_id, task)
        try:
            return self._memo[key]
        except KeyError:
            crew = self._memo[key] = next(
                (
                    self.resources[crew.id]
                    for crew in self.specs
                    if task in crew.tasks and (crew.lines is None or line_id in crew.lines)
                ),
                None,
            )
            return crew

    def task(
        self,
        flow: FlowStation,
        state: int,
        minutes: float,
        task: str,
        cause: str,
        then: Then | None,
        argument: Any = None,
        preheld: bool = False,
        needs_crew: bool = True,
    ) -> None:
        """Hold ``flow`` in ``state`` for ``minutes``, then call ``then(argument)``.

        An operator of the crew that does ``task`` is waited for first, if one is needed. With
        ``preheld`` the caller has already put a waiting-for-crew hold on the station.
        """
        segment = flow.segment
        crew = self.crew_for(flow.unit.line_id, task) if needs_crew else None
        flow.causes[state] = cause
        job: Job = (flow, state, minutes, crew, then, argument)
        if crew is None:
            if preheld:
                segment.swap(flow, WAITING_CREW, state)
            else:
                segment.hold(flow, state, +1)
            flow.until[state] = self.env._now + minutes
            self.env.at(minutes, self._done, job)
            return
        if self.quiet and crew.free > 0:
            # an operator is free: waiting for one takes no time, and only a log would show it
            crew.free -= 1
            if preheld:
                segment.swap(flow, WAITING_CREW, state)
            else:
                segment.hold(flow, state, +1)
            flow.until[state] = self.env._now + minutes
            self.env.at(minutes, self._done, job)
            return
        if not preheld:
            segment.hold(flow, WAITING_CREW, +1)
        crew.request(self._staffed, job)

    def _staffed(self, job: Job) -> None:
        flow, state, minutes = job[0], job[1], job[2]
        flow.segment.swap(flow, WAITING_CREW, state)
        flow.until[state] = self.env._now + minutes
        self.env.at(minutes, self._done, job)

    def _done(self, job: Job) -> None:
        flow, state, _, crew, then, argument = job
        flow.segment.hold(flow, state, -1)
        if crew is not None:
            crew.release()
        if then is not None:
            then(argument)

    def repair(self, flow: FlowStation, mode: int) -> None:
        """Start repairing a failure of ``mode`` (its waiting hold is on), like a process."""
        self.env.urgent(self._repair, (flow, mode))

    def _repair(self, failure: tuple[FlowStation, int]) -> None:
        """An operator if needed, then the repair; a web break is re-threaded.

        Re-threading takes the unit's load-and-thread time.
        """
        flow, mode = failure
        unit = flow.unit
        if mode == unit.break_mode:
            minutes, needs_crew = unit.equipment.load_thread, True
        else:
            minutes, needs_crew = unit.draw_ttr(mode), unit.spec.failures[mode].needs_crew
        self.task(
            flow, DOWN, minutes, "repair", unit.failure_name(mode), None, None, True, needs_crew
        )

    def maintain(
        self,
        flow: FlowStation,
        task: CalendarMaintenance | UsageMaintenance,
        preheld: bool,
        then: Then | None = None,
        argument: Any = None,
    ) -> None:
        """Planned maintenance on ``flow``'s unit, then ``then(argument)``."""
        self.task(
            flow,
            MAINTENANCE,
            task.duration,
            "maintenance",
            task.name,
            then,
            argument,
            preheld,
            task.needs_crew,
        )

    def start_maintenance(
        self, flow: FlowStation, task: CalendarMaintenance | UsageMaintenance, preheld: bool
    ) -> None:
        """Start maintenance on ``flow``'s unit, before what else is due now."""
        self.env.urgent(self._maintain, (flow, task, preheld))

    def _maintain(
        self, started: tuple[FlowStation, CalendarMaintenance | UsageMaintenance, bool]
    ) -> None:
        self.maintain(*started)

    def calendar_maintenance(
        self, flow: FlowStation, task: CalendarMaintenance, horizon: float, offset: float = 0.0
    ) -> None:
        """Start ``task`` on ``flow``'s unit at each of its times before ``horizon``.

        Its times count from the scenario's start, ``offset`` minutes before t = 0 (a run from
        a plant state); those before t = 0 are past.
        """
        next_start = (task.every if task.first is None else task.first) - offset
        if next_start < 0:
            next_start += math.ceil(-next_start / task.every) * task.every
        if next_start < horizon:
            due = (flow, task, horizon, next_start)
            self.env.at(next_start - self.env._now, self._calendar, due)

    @staticmethod
    def calendar_set_at(task: CalendarMaintenance, offset: float) -> float:
        """When, from the scenario's start, the task's first start after ``offset`` was set.

        At its previous start, or at the start of the run from the scenario's start.
        """
        first = task.every if task.first is None else task.first
        if first >= offset:
            return -math.inf
        passed = math.ceil((offset - first) / task.every)
        return first + (passed - 1) * task.every

    def _calendar(self, due: tuple[FlowStation, CalendarMaintenance, float, float]) -> None:
        flow, task, horizon, next_start = due
        self.start_maintenance(flow, task, False)
        next_start += task.every
        if next_start < horizon:
            due = (flow, task, horizon, next_start)
            self.env.at(next_start - self.env._now, self._calendar, due)

    def off_shift(self, flows: list[FlowStation], begin: float, end: float) -> None:
        """Hold ``flows`` off shift from ``begin`` to ``end``."""
        self.env.at(begin, self._shift_ends, (flows, begin, end))

    def _shift_ends(self, shift: tuple[list[FlowStation], float, float]) -> None:
        flows, begin, end = shift
        for flow in flows:
            flow.segment.hold(flow, OFF_SHIFT, +1)
        self.env.at(end - begin, self._shift_starts, flows)

    def _shift_starts(self, flows: list[FlowStation]) -> None:
        for flow in flows:
            flow.segment.hold(flow, OFF_SHIFT, -1)
