"""Time windows: the earliest and latest start of each operation on each of its machines.

A window follows from the job's release and deadline (or the problem's time bound), the shortest
processing times before and after the operation in its route, the machine's unavailable windows
and frozen starts. Every schedule keeps each operation inside its window, so the windows bound the
variables' domains and tell which operations can follow each other on a machine at all
(:func:`can_follow`); a mode whose window is empty cannot be used.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from twin.schedule.problem import Job, Problem, Window


@dataclass(frozen=True)
class Span:
    """The earliest and latest start of an operation on one machine, and its duration there."""

    earliest: int
    latest: int
    duration: int

    @property
    def empty(self) -> bool:
        """Whether no start fits."""
        return self.earliest > self.latest


def _fit_after(windows: Sequence[Window], ends: Sequence[int], time: int, duration: int) -> int:
    """The earliest start at or after ``time`` whose ``duration`` misses every window."""
    if duration <= 0:
        return time
    index = bisect.bisect_right(ends, time)
    while index < len(windows) and windows[index][0] < time + duration:
        time = max(time, windows[index][1])
        index += 1
    return time


def _fit_before(windows: Sequence[Window], starts: Sequence[int], time: int, duration: int) -> int:
    """The latest start at or before ``time`` whose ``duration`` misses every window."""
    if duration <= 0:
        return time
    index = bisect.bisect_left(starts, time + duration) - 1
    while index >= 0 and windows[index][1] > time:
        time = min(time, windows[index][0] - duration)
        index -= 1
    return time


def operation_spans(problem: Problem, job: Job, horizon: int) -> list[dict[str, Span]]:
    """For each operation of ``job`` in route order, its :class:`Span` on each usable machine."""
    deadline = horizon if job.deadline is None else min(horizon, job.deadline)
    routes = [_machines(problem, op_id) for op_id in (op.id for op in job.operations)]
    earliest: list[dict[str, int]] = []
    ready = job.release
    for op, machines in zip(job.operations, routes, strict=True):
        frozen = problem.frozen.get(op.id)
        starts = {}
        for machine in machines:
            if frozen is not None:
                starts[machine] = frozen.start
            else:
                windows, ends, _ = _calendar(problem, machine)
                starts[machine] = _fit_after(windows, ends, ready, op.eligible[machine])
        earliest.append(starts)
        ready = min(starts[m] + op.eligible[m] for m in machines)
    spans: list[dict[str, Span]] = [{} for _ in job.operations]
    finish = deadline
    for k in range(len(job.operations) - 1, -1, -1):
        op = job.operations[k]
        frozen = problem.frozen.get(op.id)
        for machine in routes[k]:
            duration = op.eligible[machine]
            if frozen is not None:
                latest = frozen.start
            else:
                windows, _, window_starts = _calendar(problem, machine)
                latest = _fit_before(windows, window_starts, finish - duration, duration)
            spans[k][machine] = Span(earliest[k][machine], latest, duration)
        usable = [s.latest for s in spans[k].values() if not s.empty]
        finish = max(usable) if usable else -1
    return spans


def _machines(problem: Problem, op_id: str) -> list[str]:
    """The machines an operation may use: its frozen one, or every eligible one."""
    frozen = problem.frozen.get(op_id)
    return [frozen.machine] if frozen is not None else list(problem.operations[op_id].eligible)


def _calendar(problem: Problem, machine: str) -> tuple[tuple[Window, ...], list[int], list[int]]:
    """The machine's unavailable windows, their ends and their starts (for bisection)."""
    windows = problem.machine[machine].unavailable
    return windows, [end for _, end in windows], [start for start, _ in windows]


def can_follow(before: Span | None, after: Span | None, setup: int) -> bool:
    """Whether ``after`` can start after ``before`` ends with ``setup`` between.

    ``None`` is the dummy start or end of a machine's sequence.
    """
    if before is None or after is None:
        return True
    return before.earliest + before.duration + setup <= after.latest


def surely_before(first: Span, second: Span) -> bool:
    """Whether ``first`` must run before ``second`` on a machine that runs both one at a time.

    It must when ``second`` cannot end by ``first``'s latest start.
    """
    return second.earliest + second.duration > first.latest
