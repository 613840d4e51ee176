"""The shop floor as a dispatching rule sees it: machines, their state, and the stores' contents.

A :class:`Floor` knows when each machine frees up, what it is set up for and its usage counters,
each machine's sequence so far, and who waits in each store. It answers the earliest start of an
operation on a machine: after the machine's last operation and the setup (and maintenance) it
needs, out of unavailable windows, and late enough that the store after it has a place for the
job when it ends. A job that enters a store stays there until its next operation is placed, so
the place is one free from the job's arrival on, for as long as needed: a store full of such jobs
has no place at all until one of them moves on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from twin.schedule.problem import Operation, Problem
from twin.schedule.solution import Placement


@dataclass
class StoreContents:
    """Who waits in a store: closed stays ``[enter, leave)`` and open ones (job -> enter)."""

    capacity: int
    closed: list[tuple[int, int]] = field(default_factory=list)
    open: dict[str, int] = field(default_factory=dict)
    _room_from: float | None = None

    def copy(self) -> StoreContents:
        """An independent copy."""
        return StoreContents(self.capacity, list(self.closed), dict(self.open), self._room_from)

    def enter(self, job: str, time: int) -> None:
        """``job`` enters at ``time`` and stays until :meth:`leave`."""
        self.open[job] = time
        self._room_from = None

    def leave(self, job: str, time: int) -> None:
        """``job`` leaves at ``time``."""
        enter = self.open.pop(job)
        if time > enter:
            self.closed.append((enter, time))
        self._room_from = None

    def room_from(self) -> float:
        """The earliest time from which a newcomer may stay for good (``inf`` if never)."""
        if self._room_from is None:
            self._room_from = self._compute_room_from()
        return self._room_from

    def _compute_room_from(self) -> float:
        if len(self.open) >= self.capacity:
            return math.inf
        events = [(t, 1) for t in self.open.values()]
        for enter, leave in self.closed:
            events += [(enter, 1), (leave, -1)]
        events.sort(key=lambda e: (e[0], e[1]))
        level, room = 0, 0.0
        for index, (time, change) in enumerate(events):
            level += change
            ends_here = index + 1 == len(events) or events[index + 1][0] != time
            if ends_here and level >= self.capacity:
                room = math.inf  # full from here: room only once the level drops
            elif ends_here and room == math.inf:
                room = time
        return room


@dataclass
class Floor:
    """The state of every machine and store while a rule dispatches."""

    problem: Problem
    free: dict[str, int]
    family: dict[str, str | None]
    sequences: dict[str, list[Placement]]
    usage: dict[str, dict[str, int]]
    maintenance: dict[str, tuple[str, ...]]
    stores: dict[str, StoreContents]
    store_after: dict[tuple[str, int], str]
    """(job, k) -> the store the job waits in after its operation k."""
    early: float | None = None
    """Maintain counters this full (a share of the limit) early, in idle time; None: never."""
    _decided: dict[tuple[str, str], tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    """The maintenance :meth:`earliest` chose for (machine, operation), at the start it gave."""

    @classmethod
    def empty(cls, problem: Problem, early: float | None = None) -> Floor:
        """The floor before anything runs: machines in their initial state, stores as given."""
        return cls(
            problem,
            free={m.id: 0 for m in problem.machines},
            family={m.id: m.initial_family for m in problem.machines},
            sequences={m.id: [] for m in problem.machines},
            usage={m.id: m.usage_at_start() for m in problem.machines},
            maintenance={},
            stores={
                s.id: StoreContents(s.capacity, closed=list(s.occupied)) for s in problem.stores
            },
            store_after={wait: s.id for s in problem.stores for wait in s.waits},
            early=early,
        )

    def scratch(self) -> Floor:
        """A floor in the same state with empty sequences, to try a placement on."""
        return Floor(
            self.problem,
            dict(self.free),
            dict(self.family),
            {machine: [] for machine in self.sequences},
            {machine: dict(levels) for machine, levels in self.usage.items()},
            {},
            {store: contents.copy() for store, contents in self.stores.items()},
            self.store_after,
            self.early,
        )

    def adopt(self, trial: Floor) -> None:
        """Take over the state of ``trial`` (made by :meth:`scratch`) and append its sequences."""
        self.free, self.family, self.usage = trial.free, trial.family, trial.usage
        self.stores = trial.stores
        self.maintenance.update(trial.maintenance)
        for machine, sequence in trial.sequences.items():
            self.sequences[machine].extend(sequence)

    def due_maintenance(self, machine: str, op: Operation) -> tuple[str, ...]:
        """The usage counters ``op`` would take past their limits: maintain them first."""
        levels = self.usage[machine]
        return tuple(
            limit.counter
            for limit in self.problem.machine[machine].usage_limits
            if levels[limit.counter] + op.usage.get(limit.counter, 0) > limit.limit
        )

    def store_room(self, op: Operation) -> float:
        """The earliest time ``op`` may end for its job to find a place in the store after it."""
        store = self.store_after.get((op.job, self.problem.route_index[op.id]))
        return -math.inf if store is None else self.stores[store].room_from()

    def earliest(self, machine: str, op: Operation, ready: int) -> tuple[float, int]:
        """The earliest start of ``op`` on ``machine`` not before ``ready``, and its setup.

        The setup returned includes any maintenance that runs before it: what the counters call
        for, and, if :attr:`early` is set, any counter at least that full (a share of its limit)
        whose maintenance fits in time the machine would otherwise stand idle (it delays
        nothing). The start is ``inf`` while the store after ``op`` is full of jobs waiting for
        their next step.
        """
        due = self.due_maintenance(machine, op)
        start, setup = self._fit(machine, op, ready, due)
        early = self._early_maintenance(machine, due) if self.early is not None else ()
        if early and start < math.inf:
            sooner, longer = self._fit(machine, op, ready, (*due, *early))
            if sooner <= start:
                self._decided[(machine, op.id)] = (int(sooner), (*due, *early))
                return sooner, longer
        self._decided[(machine, op.id)] = (int(start) if start < math.inf else -1, due)
        return start, setup

    def _early_maintenance(self, machine: str, due: tuple[str, ...]) -> tuple[str, ...]:
        """Counters not yet due but full enough to maintain in idle time."""
        levels = self.usage[machine]
        return tuple(
            limit.counter
            for limit in self.problem.machine[machine].usage_limits
            if limit.counter not in due and levels[limit.counter] >= (self.early or 0) * limit.limit
        )

    def _fit(
        self, machine: str, op: Operation, ready: int, maintenance: tuple[str, ...]
    ) -> tuple[float, int]:
        """The earliest start with ``maintenance`` and the setup before ``op``, and their time."""
        setup = self.problem.setups.time(machine, self.family[machine], op.setup_family)
        if maintenance:
            durations = {u.counter: u.duration for u in self.problem.machine[machine].usage_limits}
            setup += sum(durations[counter] for counter in maintenance)
        duration = op.eligible[machine]
        room = self.store_room(op)
        if room == math.inf:
            return math.inf, setup
        if room > -math.inf:
            ready = max(ready, math.ceil(room) - duration)
        start = max(ready, self.free[machine] + setup)
        if setup + duration > 0:
            for off_start, off_end in self.problem.machine[machine].unavailable:
                if off_end <= start - setup:
                    continue
                if off_start >= start + duration:
                    break
                start = off_end + setup
        return start, setup

    def best_machine(self, op: Operation, ready: int) -> tuple[float, float, str, int]:
        """(end, start, machine, setup) of ``op`` on the machine where it would end first."""
        return min(
            (start + op.eligible[m], start, m, setup)
            for m in op.eligible
            for start, setup in [self.earliest(m, op, ready)]
        )

    def run(
        self, machine: str, op: Operation, start: int, maintenance: tuple[str, ...] | None = None
    ) -> None:
        """Append ``op`` to ``machine``'s sequence at ``start``, moving its job through stores.

        ``maintenance`` (default: what the counters call for) is what runs before it.
        """
        levels = self.usage[machine]
        decided = self._decided.get((machine, op.id))
        if maintenance is not None:
            due = maintenance
        elif decided is not None and decided[0] == start:
            due = decided[1]
        else:
            due = self.due_maintenance(machine, op)
        self._decided.clear()
        if due:
            self.maintenance[op.id] = due
            levels.update(dict.fromkeys(due, 0))
        for counter in levels:
            levels[counter] += op.usage.get(counter, 0)
        end = start + op.eligible[machine]
        self.free[machine] = end
        self.family[machine] = op.setup_family
        self.sequences[machine].append((op.id, start))
        k = self.problem.route_index[op.id]
        before = self.store_after.get((op.job, k - 1))
        if before is not None and op.job in self.stores[before].open:
            self.stores[before].leave(op.job, start)
        after = self.store_after.get((op.job, k))
        if after is not None:
            self.stores[after].enter(op.job, end)
