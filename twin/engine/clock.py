"""The plant's clock: SimPy's environment, with plain callbacks on its event heap.

A roll boundary, a crew task or a timer of the fluid is a function to call at a time, not a
process: :meth:`Clock.at` puts ``(time, priority, id, function, argument)`` on the same heap as
SimPy's events, numbered from the same counter, so the order of everything that happens at one
moment is the order SimPy would give (by priority, then by when it was scheduled). :meth:`soon`
is what ``event.succeed()`` was (now, normal priority) and :meth:`urgent` what starting a process
was (now, before normal events). SimPy processes (the order book's release) run beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy

URGENT = 0
"""SimPy's priority of a process start."""
NORMAL = 1
"""SimPy's priority of a timeout or a succeeded event."""

Call = Callable[[Any], None]
"""What the clock calls, with the argument it was given."""


class Clock(simpy.Environment):
    """A SimPy environment that also calls plain functions at their times."""

    def time(self) -> float:
        """The time now, in minutes (``now``, as a plain method: cheaper to call)."""
        return self._now

    def at(self, delay: float, call: Call, argument: Any = None) -> None:
        """Call ``call(argument)`` ``delay`` minutes from now (like a timeout)."""
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), call, argument))  # type: ignore[misc]

    def soon(self, call: Call, argument: Any = None) -> None:
        """Call ``call(argument)`` now, after what is already due now (like ``succeed()``)."""
        heappush(self._queue, (self._now, NORMAL, next(self._eid), call, argument))  # type: ignore[misc]

    def last(self, call: Call, argument: Any = None) -> None:
        """As :meth:`soon`, for the last thing a function the clock called does.

        When nothing else is due now, what :meth:`soon` schedules would be the very next thing
        the clock does: then it is done at once, without a round through the heap.
        """
        queue: list[Any] = self._queue
        if queue and queue[0][0] <= self._now:
            heappush(queue, (self._now, NORMAL, next(self._eid), call, argument))
        else:
            call(argument)

    def urgent(self, call: Call, argument: Any = None) -> None:
        """Call ``call(argument)`` now, before normal events (like starting a process)."""
        heappush(self._queue, (self._now, URGENT, next(self._eid), call, argument))  # type: ignore[misc]

    def urgent_due(self) -> bool:
        """Whether something of urgent priority is due now (it would run before :meth:`urgent`)."""
        queue: list[Any] = self._queue
        return bool(queue) and queue[0][0] <= self._now and queue[0][1] == URGENT

    def run_until(self, until: float) -> None:
        """Process everything scheduled before ``until``; the clock then reads ``until``.

        The same as SimPy's ``run(until=...)``, whose stop event comes before anything else
        scheduled for that moment.
        """
        queue: list[Any] = self._queue
        while queue and queue[0][0] < until:
            item = heappop(queue)
            self._now = item[0]
            if len(item) == 5:
                item[3](item[4])
                continue
            event = item[3]
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
        self._now = until
