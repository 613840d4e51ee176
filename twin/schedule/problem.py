"""The scheduling problem as plain data: machines, jobs and their operations, setup times.

Nothing here knows about plants, rolls or OR-Tools. The plant layer turns a scenario and an order
book into a :class:`Problem`; the model builder (:mod:`twin.schedule.model`) and the dispatching
baselines (:mod:`twin.schedule.dispatch`) read it. Time is an integer count of one unit chosen by
the caller (the plant layer uses minutes); every time field is checked to be a whole number.

Objects are immutable and check themselves when made, so a :class:`Problem` that exists is valid:
each mistake raises a :class:`ValueError` that names the machine, job or operation at fault.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

Window = tuple[int, int]
"""A half-open time window ``[start, end)``."""


def _time(value: object, what: str, *, signed: bool = False) -> int:
    """``value`` as an integer time, or a ValueError that says which field of what was wrong."""
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{what} must be an integer time, got {value!r}") from None
    if not signed and number < 0:
        raise ValueError(f"{what} must be >= 0, got {number}")
    return number


def _merge(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Sorted windows with overlapping or touching ones joined into one."""
    merged: list[Window] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True)
class UsageLimit:
    """Maintenance a machine needs before a usage counter passes ``limit``, e.g. a chamber clean.

    Each operation the machine runs adds its ``usage[counter]`` to the counter, which starts at
    zero. The maintenance takes ``duration`` and resets the counter; it runs between two
    operations, right before the setup of the second, and never inside an unavailable window.
    """

    counter: str
    limit: int
    duration: int
    name: str = ""

    def __post_init__(self) -> None:
        what = f"usage limit {self.counter!r}"
        object.__setattr__(self, "limit", _time(self.limit, f"{what}: limit"))
        object.__setattr__(self, "duration", _time(self.duration, f"{what}: duration"))
        if self.limit < 1:
            raise ValueError(f"{what}: limit must be >= 1, got {self.limit}")


@dataclass(frozen=True)
class Machine:
    """A resource that processes one operation at a time.

    ``unavailable`` lists half-open windows ``[start, end)`` in which the machine neither processes
    nor is set up (planned maintenance, shifts off). Overlapping windows are merged.
    ``usage_limits`` are the maintenance tasks its usage counters call for.

    The machine's state at time zero (a plant already running, or the start of a sub-problem):
    ``available_from`` is when it is free (it is busy before, e.g. finishing a roll; the window
    ``[0, available_from)`` is added to ``unavailable``), ``initial_family`` the set-up state it is
    in (``None``: none in particular), and ``initial_usage`` each usage counter's level since its
    last maintenance (missing counters are at zero).
    """

    id: str
    unavailable: tuple[Window, ...] = ()
    usage_limits: tuple[UsageLimit, ...] = ()
    available_from: int = 0
    initial_family: str | None = None
    initial_usage: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "usage_limits", tuple(self.usage_limits))
        _unique([u.counter for u in self.usage_limits], f"machine {self.id!r}: usage counter")
        ready = _time(self.available_from, f"machine {self.id!r}: available_from")
        object.__setattr__(self, "available_from", ready)
        windows = [(0, ready)] if ready > 0 else []
        for start, end in self.unavailable:
            what = f"machine {self.id!r}: unavailable window ({start!r}, {end!r})"
            window = (_time(start, f"{what} start"), _time(end, f"{what} end"))
            if window[1] <= window[0]:
                raise ValueError(f"{what} must end after it starts")
            windows.append(window)
        object.__setattr__(self, "unavailable", _merge(windows))
        limits = {u.counter: u.limit for u in self.usage_limits}
        usage = {}
        for counter, level in self.initial_usage.items():
            what = f"machine {self.id!r}: initial usage of {counter!r}"
            if counter not in limits:
                raise ValueError(f"{what}: the machine has no such usage counter")
            usage[counter] = _time(level, what)
            if usage[counter] > limits[counter]:
                raise ValueError(f"{what} is {usage[counter]}, past its limit {limits[counter]}")
        object.__setattr__(self, "initial_usage", usage)

    def usage_at_start(self) -> dict[str, int]:
        """Each usage counter's level at time zero."""
        return {u.counter: self.initial_usage.get(u.counter, 0) for u in self.usage_limits}


@dataclass(frozen=True)
class Operation:
    """One step of a job: it runs on exactly one of its ``eligible`` machines, without interruption.

    ``eligible`` maps a machine id to the processing time on that machine. ``setup_family`` names
    the set-up state the operation needs (a recipe, a format); operations of the same family follow
    each other without setup unless :class:`SetupTimes` says otherwise. ``None`` means the operation
    needs no particular state. ``usage`` is what the operation adds to usage counters of the
    machine it runs on (see :class:`UsageLimit`).
    """

    id: str
    job: str
    eligible: Mapping[str, int]
    setup_family: str | None = None
    usage: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"job {self.job!r}, operation {self.id!r}"
        if not self.eligible:
            raise ValueError(f"{where}: needs at least one eligible machine")
        eligible = {
            machine: _time(duration, f"{where}: processing time on machine {machine!r}")
            for machine, duration in self.eligible.items()
        }
        object.__setattr__(self, "eligible", eligible)
        usage = {
            counter: _time(amount, f"{where}: usage of {counter!r}")
            for counter, amount in self.usage.items()
        }
        object.__setattr__(self, "usage", usage)

    @property
    def shortest(self) -> int:
        """The shortest processing time over the eligible machines."""
        return min(self.eligible.values())


@dataclass(frozen=True)
class Job:
    """Operations run in route order; the first may start at ``release``.

    ``due`` (optional) is when the last operation should end; lateness past it costs ``weight`` per
    time unit in the weighted tardiness criterion. ``deadline`` (optional) is when it must end at
    the latest (a hard limit, unlike ``due``). ``max_lag[k]`` (optional, one entry per
    consecutive pair, ``None`` for no limit) is the longest time allowed between the end of
    operation ``k`` and the start of operation ``k + 1``, e.g. a coated roll that must be annealed
    within a shelf life.
    """

    id: str
    operations: tuple[Operation, ...]
    release: int = 0
    due: int | None = None
    weight: float = 1.0
    max_lag: tuple[int | None, ...] | None = None
    deadline: int | None = None

    def __post_init__(self) -> None:
        where = f"job {self.id!r}"
        operations = tuple(self.operations)
        if not operations:
            raise ValueError(f"{where}: has no operations")
        for operation in operations:
            if operation.job != self.id:
                raise ValueError(
                    f"{where}, operation {operation.id!r}: belongs to job {operation.job!r}"
                )
        object.__setattr__(self, "operations", operations)
        object.__setattr__(self, "release", _time(self.release, f"{where}: release"))
        if self.due is not None:
            object.__setattr__(self, "due", _time(self.due, f"{where}: due", signed=True))
        if self.deadline is not None:
            object.__setattr__(self, "deadline", _time(self.deadline, f"{where}: deadline"))
        if not (math.isfinite(self.weight) and self.weight >= 0):
            raise ValueError(f"{where}: weight must be a finite number >= 0, got {self.weight!r}")
        if self.max_lag is not None:
            if len(self.max_lag) != len(operations) - 1:
                raise ValueError(
                    f"{where}: max_lag has {len(self.max_lag)} entries, expected one per "
                    f"consecutive pair of operations ({len(operations) - 1})"
                )
            lags = tuple(
                None
                if lag is None
                else _time(lag, f"{where}: max_lag after operation {operations[k].id!r}")
                for k, lag in enumerate(self.max_lag)
            )
            object.__setattr__(self, "max_lag", lags)

    def lag_after(self, index: int) -> int | None:
        """The longest allowed wait after operation ``index`` before the next one starts."""
        return None if self.max_lag is None else self.max_lag[index]


@dataclass(frozen=True)
class SetupTimes:
    """Sequence-dependent setup times, per machine.

    ``times[(machine, before, after)]`` is the setup needed on ``machine`` between an operation of
    family ``before`` and the next one, of family ``after``. ``before=None`` is the machine's state
    at time zero and after an operation without a family, so ``(machine, None, after)`` is the
    initial setup. Missing entries are zero, and so is any setup towards an operation without a
    family. Setups are anticipatory: one may run before the operation's job has arrived, right
    before the operation on the machine, and never inside an unavailable window.
    """

    times: Mapping[tuple[str, str | None, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        times = {}
        for (machine, before, after), value in self.times.items():
            what = f"setup time on machine {machine!r} from {before!r} to {after!r}"
            if after is None:
                raise ValueError(f"{what}: a setup leads to a family, not to None")
            times[(machine, before, after)] = _time(value, what)
        object.__setattr__(self, "times", times)

    @classmethod
    def uniform(
        cls, machines: Iterable[str], table: Mapping[tuple[str | None, str], int]
    ) -> SetupTimes:
        """The same ``(before, after) -> time`` table on every machine in ``machines``."""
        return cls(
            {(m, before, after): t for m in machines for (before, after), t in table.items()}
        )

    def time(self, machine: str, before: str | None, after: str | None) -> int:
        """The setup on ``machine`` from family ``before`` to family ``after``."""
        if after is None:
            return 0
        return self.times.get((machine, before, after), 0)

    def longest_into(self, machine: str, family: str | None) -> int:
        """The longest setup ``machine`` may need before an operation of ``family``."""
        return 0 if family is None else self._longest.get((machine, family), 0)

    @cached_property
    def _longest(self) -> dict[tuple[str, str], int]:
        """The longest setup into each (machine, family)."""
        longest: dict[tuple[str, str], int] = {}
        for (machine, _, after), value in self.times.items():
            longest[(machine, after)] = max(longest.get((machine, after), 0), value)
        return longest


@dataclass(frozen=True)
class Store:
    """A buffer between steps that holds at most ``capacity`` waiting jobs at once.

    ``waits`` lists ``(job id, k)``: that job waits in this store between its operations ``k`` and
    ``k + 1`` (a job that moves straight on does not occupy it). ``occupied`` lists windows
    ``[start, end)`` in which one place each is taken by a job outside the problem (a roll
    already in the store, or one a sub-problem keeps where it is).
    """

    id: str
    capacity: int
    waits: tuple[tuple[str, int], ...] = ()
    occupied: tuple[Window, ...] = ()

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"store {self.id!r}: capacity must be >= 1, got {self.capacity}")
        object.__setattr__(self, "waits", tuple((job, int(k)) for job, k in self.waits))
        occupied = []
        for start, end in self.occupied:
            what = f"store {self.id!r}: occupied window ({start!r}, {end!r})"
            window = (_time(start, f"{what} start"), _time(end, f"{what} end"))
            if window[1] <= window[0]:
                raise ValueError(f"{what} must end after it starts")
            occupied.append(window)
        object.__setattr__(self, "occupied", tuple(sorted(occupied)))


@dataclass(frozen=True)
class Frozen:
    """Where a frozen operation runs: it may not move (under way, or in a plan's frozen window).

    ``maintenance`` names the usage counters maintained right before it.
    """

    machine: str
    start: int
    maintenance: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _time(self.start, f"frozen start on {self.machine!r}"))
        object.__setattr__(self, "maintenance", tuple(self.maintenance))


@dataclass(frozen=True)
class Choice:
    """Alternative sets of jobs of which exactly one runs, e.g. an order's rolls on each line.

    ``options[i]`` lists the jobs of option ``i``. Jobs in no choice always run.
    """

    id: str
    options: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        options = tuple(tuple(option) for option in self.options)
        if not options or not all(options):
            raise ValueError(f"choice {self.id!r}: needs at least one option, none empty")
        object.__setattr__(self, "options", options)


@dataclass(frozen=True)
class Problem:
    """Machines, jobs and setup times: everything a schedule must respect.

    ``horizon``, when given, is a hard deadline for every operation. ``permutation`` asks that all
    machines process jobs in one common order (a permutation flow shop): if job ``a`` precedes job
    ``b`` on one machine, it does on every machine they share. ``frozen`` pins operations to a
    machine and a start (see :class:`Frozen`); the jobs of an option of a ``choices`` entry run
    only if that option is chosen.
    """

    machines: tuple[Machine, ...]
    jobs: tuple[Job, ...]
    setups: SetupTimes = field(default_factory=SetupTimes)
    horizon: int | None = None
    permutation: bool = False
    stores: tuple[Store, ...] = ()
    frozen: Mapping[str, Frozen] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "machines", tuple(self.machines))
        object.__setattr__(self, "jobs", tuple(self.jobs))
        machine_ids = [machine.id for machine in self.machines]
        _unique(machine_ids, "machine")
        _unique([job.id for job in self.jobs], "job")
        _unique([op.id for job in self.jobs for op in job.operations], "operation")
        known = set(machine_ids)
        for job in self.jobs:
            for operation in job.operations:
                unknown = sorted(set(operation.eligible) - known)
                if unknown:
                    raise ValueError(
                        f"job {job.id!r}, operation {operation.id!r}: eligible machine(s) "
                        f"{', '.join(map(repr, unknown))} do not exist"
                    )
        for machine, before, after in self.setups.times:
            if machine not in known:
                raise ValueError(
                    f"setup time from {before!r} to {after!r} names machine {machine!r}, "
                    "which does not exist"
                )
        if self.horizon is not None:
            object.__setattr__(self, "horizon", _time(self.horizon, "horizon"))
        object.__setattr__(self, "stores", tuple(self.stores))
        jobs = {job.id: job for job in self.jobs}
        for store in self.stores:
            for job_id, k in store.waits:
                waiting = jobs.get(job_id)
                if waiting is None or not 0 <= k < len(waiting.operations) - 1:
                    raise ValueError(
                        f"store {store.id!r}: job {job_id!r} has no wait after operation {k}"
                    )
        object.__setattr__(self, "frozen", dict(self.frozen))
        self._check_frozen()
        object.__setattr__(self, "choices", tuple(self.choices))
        chosen = [job for choice in self.choices for option in choice.options for job in option]
        _unique(chosen, "job in a choice: job")
        unknown_jobs = sorted(set(chosen) - set(jobs))
        if unknown_jobs:
            raise ValueError(f"choices name job(s) that do not exist: {', '.join(unknown_jobs)}")

    def _check_frozen(self) -> None:
        """Each frozen operation exists, on one of its machines, not before its job's release."""
        for op_id, frozen in self.frozen.items():
            op = self.operations.get(op_id)
            if op is None:
                raise ValueError(f"frozen operation {op_id!r} does not exist")
            if frozen.machine not in op.eligible:
                raise ValueError(
                    f"frozen operation {op_id!r}: machine {frozen.machine!r} is not eligible"
                )
            counters = {u.counter for u in self.machine[frozen.machine].usage_limits}
            if not set(frozen.maintenance) <= counters:
                raise ValueError(
                    f"frozen operation {op_id!r}: maintains a counter {frozen.machine!r} lacks"
                )
            if frozen.start < self.job[op.job].release:
                raise ValueError(f"frozen operation {op_id!r}: starts before its job's release")

    @cached_property
    def operations(self) -> dict[str, Operation]:
        """Every operation by id, jobs in order and each job's operations in route order."""
        return {op.id: op for job in self.jobs for op in job.operations}

    @cached_property
    def job(self) -> dict[str, Job]:
        """Every job by id."""
        return {job.id: job for job in self.jobs}

    @cached_property
    def machine(self) -> dict[str, Machine]:
        """Every machine by id."""
        return {machine.id: machine for machine in self.machines}

    @cached_property
    def option_of(self) -> dict[str, tuple[int, int]]:
        """For each job in a choice, (index of the choice, index of its option)."""
        return {
            job: (c, o)
            for c, choice in enumerate(self.choices)
            for o, option in enumerate(choice.options)
            for job in option
        }

    @cached_property
    def route_index(self) -> dict[str, int]:
        """Each operation's position in its job's route."""
        return {op.id: k for job in self.jobs for k, op in enumerate(job.operations)}

    @cached_property
    def time_bound(self) -> int:
        """The latest time any operation may end: ``horizon`` if given, else a safe bound.

        The bound is the length of a schedule that waits for the last release, the last
        unavailable window and the last frozen operation, then runs every operation one after
        another on its slowest machine with its longest setup; or the latest deadline, if every
        job has one and it is earlier.
        """
        if self.horizon is not None:
            return self.horizon
        start = max(
            [job.release for job in self.jobs]
            + [end for machine in self.machines for _, end in machine.unavailable]
            + [
                frozen.start + self.operations[op_id].eligible[frozen.machine]
                for op_id, frozen in self.frozen.items()
            ],
            default=0,
        )
        work = sum(
            max(
                p + self.setups.longest_into(m, op.setup_family) + self.maintenance_time(m)
                for m, p in op.eligible.items()
            )
            for op in self.operations.values()
        )
        deadlines = [job.deadline for job in self.jobs]
        if deadlines and all(d is not None for d in deadlines):
            return min(start + work, max(d for d in deadlines if d is not None))
        return start + work

    def maintenance_time(self, machine: str) -> int:
        """The longest a machine's usage maintenance may take between two operations."""
        return sum(limit.duration for limit in self.machine[machine].usage_limits)


def _unique(ids: list[str], kind: str) -> None:
    """Raise if an id occurs twice among ``ids``."""
    seen: set[str] = set()
    for identifier in ids:
        if identifier in seen:
            raise ValueError(f"{kind} id {identifier!r} is used more than once")
        seen.add(identifier)
