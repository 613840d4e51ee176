"""What a log says happened at each station: up-periods, failures, repairs, waits, tasks, setups.

The twin's failures are operation-dependent (DESIGN.md): a failure clock runs only while the
station works, in proportion to its speed when it is slowed. So the time to failure of a mode is
the *operating* time between two of its failures; starved, blocked, off-shift and idle time does
not count. An up-period is right-censored where the log ends, where a gap in the log cuts it, and
at planned maintenance when maintenance renews the tool (the period after it starts as new).

The up-period the log's start cuts (and one after a gap) began at an age the log does not show.
It is left out: counting its time as a censored up-period while dropping the failure that ends it
would bias the mean time to failure up by one failure's worth, badly so when a log holds only a
few failures; counting it as exact would take a residual life for a whole one.

A failure is a ``down`` state (the waiting-for-crew time right before it is the crew wait); the
repair is the ``down`` time, through an off-shift that it continues after. A repair that an
off-shift hides the end of lasted between the down time and the down time plus the off-shift
(interval-censored); one the log's end cuts is right-censored.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from twin.history.fitting import Sample
from twin.history.format import STATES, WEB_BREAK
from twin.history.reader import EventLog
from twin.scenario import CalendarMaintenance, Scenario, Station

UNATTRIBUTED = ""
"""The failure-mode key of failures the log does not name, at a station with several modes."""
GAP_MIN = 1e-6
"""Minutes between a row's end and the next row's start above which the log has a gap."""


@dataclass
class Durations:
    """Observed durations: each a ``[low, high]`` pair (equal when exact, high = inf censored)."""

    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)

    def exact(self, value: float) -> None:
        """An observed duration."""
        self.low.append(value)
        self.high.append(value)

    def at_least(self, value: float) -> None:
        """A duration cut off by the log: it lasted at least ``value``."""
        if value > 0:
            self.low.append(value)
            self.high.append(math.inf)

    def between(self, low: float, high: float) -> None:
        """A duration that ended between ``low`` and ``high``."""
        self.low.append(low)
        self.high.append(high)

    def sample(self) -> Sample:
        """As a sample to fit."""
        return Sample.of(self.low, self.high)

    @property
    def observed(self) -> int:
        """Exact observations."""
        return sum(1 for a, b in zip(self.low, self.high, strict=True) if a == b)

    @property
    def censored(self) -> int:
        """Censored observations."""
        return len(self.low) - self.observed


@dataclass
class Setup:
    """One setup: its kind (``changeover``, ``roll_change`` or unknown), products and minutes."""

    kind: str
    from_product: str
    to_product: str
    minutes: float


@dataclass
class StationHistory:
    """Everything the log says about one station (its units pooled)."""

    station: str
    units: set[str] = field(default_factory=set)
    state_min: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    ttf: dict[str, Durations] = field(default_factory=lambda: defaultdict(Durations))
    ttr: dict[str, Durations] = field(default_factory=lambda: defaultdict(Durations))
    crew_wait: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    web_breaks: int = 0
    causes_named: bool = False
    """True when failures in the log name their mode (set by the calibration for the whole log)."""
    maintenance_min: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    maintenance_every: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    setups: list[Setup] = field(default_factory=list)
    working_by_product: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    metres_by_product: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    timed_by_product: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Working minutes whose metres are known, by product (the speed's denominator)."""
    roll_min: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    """Working minutes of each roll, by product then roll id."""
    operating_min: float = 0.0

    @property
    def known_min(self) -> float:
        """Minutes of the log's span this station's rows cover, summed over its units."""
        return sum(self.state_min.values())

    def share(self, state: str) -> float:
        """Share of the covered time spent in ``state``."""
        known = self.known_min
        return self.state_min[state] / known if known > 0 else math.nan

    def all_failures(self) -> int:
        """Failures of every mode, web breaks not counted."""
        return sum(self.failures.values())


def _mode_key(cause: str, station: Station) -> str:
    """The failure mode a ``down`` row's cause names (the only mode if it names none)."""
    if cause:
        return cause
    if len(station.failures) == 1:
        return station.failures[0].name
    return UNATTRIBUTED


def _task_key(cause: str, station: Station) -> str:
    if cause:
        return cause
    if len(station.maintenance) == 1:
        return station.maintenance[0].name
    return UNATTRIBUTED


class _UnitWalk:
    """Walks one unit's rows in time order and adds what they show to its station's history."""

    def __init__(
        self,
        history: StationHistory,
        station: Station,
        nominal_m_min: dict[str, float],
        maintenance_renews: bool,
    ) -> None:
        self.h = history
        self.station = station
        self.nominal = nominal_m_min
        self.renews = maintenance_renews
        self.operating = 0.0
        self.renewed: dict[str, float] = {}
        self.open_start: dict[str, bool] = {}
        for failure in station.failures:
            self.renewed[failure.name] = 0.0
            self.open_start[failure.name] = True
        self.repair: list[float] | None = None  # [down minutes, off-shift minutes since]
        self.repair_key = ""
        self.wait = 0.0
        self.task: tuple[str, float, float] | None = None  # key, due minute, minutes
        self.last_due: dict[str, float] = {}
        self.setup: Setup | None = None
        self.hidden = 0.0  # off-shift minutes inside an open task or setup
        self.product = ""

    # --- up-periods --------------------------------------------------------------------------
    def _track(self, key: str) -> None:
        if key not in self.renewed:
            # a mode first seen now: its clock has run since the log's start
            self.renewed[key] = 0.0
            self.open_start[key] = True

    def _fail(self, key: str) -> None:
        self._track(key)
        length = self.operating - self.renewed[key]
        if not self.open_start[key]:
            self.h.ttf[key].exact(length)
        self.renewed[key] = self.operating
        self.open_start[key] = False
        self.h.failures[key] += 1

    def _censor_all(self, open_after: bool) -> None:
        for key in self.renewed:
            if not self.open_start[key]:
                self.h.ttf[key].at_least(self.operating - self.renewed[key])
            self.renewed[key] = self.operating
            self.open_start[key] = open_after

    # --- episodes ----------------------------------------------------------------------------
    def _close_repair(self, cut: bool = False) -> None:
        if self.repair is None:
            return
        down, hidden = self.repair
        durations = self.h.ttr[self.repair_key]
        if cut:
            durations.at_least(down)
        elif hidden > 0:
            durations.between(down, down + hidden)
        else:
            durations.exact(down)
        self.repair = None

    def _close_task(self) -> None:
        self.hidden = 0.0
        if self.task is None:
            return
        key, due, minutes = self.task
        self.h.maintenance_min[key].append(minutes)
        if key in self.last_due:
            self.h.maintenance_every[key].append(due - self.last_due[key])
        self.last_due[key] = due
        self.task = None

    def _close_setup(self) -> None:
        self.hidden = 0.0
        if self.setup is not None:
            self.h.setups.append(self.setup)
            self.setup = None

    def gap(self) -> None:
        """The log knows nothing of this unit for a while: everything open is cut there."""
        self._close_repair(cut=True)
        self.task = None
        self.setup = None
        self.wait = 0.0
        self._censor_all(open_after=True)

    def row(
        self,
        state: str,
        start: float,
        minutes: float,
        cause: str,
        roll: str,
        product: str,
        metres: float,
        next_metres: float,
        next_roll: str,
    ) -> None:
        """One state of ``minutes`` from ``start``."""
        h = self.h
        h.state_min[state] += minutes
        if state == "down":
            self._close_task()
            self._close_setup()
            if cause == WEB_BREAK:
                self._close_repair()
                h.web_breaks += 1
                self.wait = 0.0
                return
            h.causes_named |= bool(cause)
            key = _mode_key(cause, self.station)
            if self.repair is not None and (not cause or key == self.repair_key):
                self.repair[0] += self.repair[1] + minutes
                self.repair[1] = 0.0
                return
            self._close_repair()
            self._fail(key)
            h.crew_wait[key].append(self.wait)
            self.wait = 0.0
            self.repair = [minutes, 0.0]
            self.repair_key = key
            return
        if state == "off_shift":
            # a repair, task or setup runs on through an off-shift (its timer does not stop)
            if self.repair is not None:
                self.repair[1] += minutes
                return
            if self.task is not None or self.setup is not None:
                self.hidden += minutes
                return
        self._close_repair()
        if state == "waiting_crew":
            if self.task is None and self.setup is None:
                self.wait += minutes
            return
        wait, self.wait = self.wait, 0.0
        if state == "maintenance":
            self._close_setup()
            key = _task_key(cause, self.station)
            if self.task is not None and self.task[0] == key:
                self.task = (key, self.task[1], self.task[2] + self.hidden + minutes)
                self.hidden = 0.0
            else:
                self._close_task()
                self.task = (key, start - wait, minutes)
                if self.renews:
                    self._censor_all(open_after=False)
            return
        self._close_task()
        if state == "setup":
            kind = cause or ""
            if self.setup is not None and self.setup.kind == kind:
                self.setup.minutes += self.hidden + minutes
                self.hidden = 0.0
                return
            self._close_setup()
            self.setup = Setup(kind, self.product, product, minutes)
            if product:
                self.product = product
            return
        self._close_setup()
        if product:
            self.product = product
        if state != "working":
            return
        fraction = 1.0
        if product and math.isfinite(metres) and math.isfinite(next_metres) and roll == next_roll:
            processed = max(next_metres - metres, 0.0)
            h.metres_by_product[product] += processed
            h.timed_by_product[product] += minutes
            nominal = self.nominal.get(product)
            if nominal and minutes > 0:
                fraction = min(1.0, processed / minutes / nominal)
        if product:
            h.working_by_product[product] += minutes
            if roll:
                rolls = h.roll_min[product]
                rolls[roll] = rolls.get(roll, 0.0) + minutes
        self.operating += minutes * fraction
        h.operating_min += minutes * fraction

    def end(self) -> None:
        """The log ends: open repairs and up-periods are cut there."""
        self._close_repair(cut=True)
        self._close_setup()
        self._censor_all(open_after=True)


def station_histories(
    log: EventLog,
    scenario: Scenario,
    *,
    maintenance_renews: bool = True,
    nominal_speeds: dict[str, dict[str, float]] | None = None,
) -> dict[str, StationHistory]:
    """Each station's history in the log, by station id (stations without rows are absent).

    ``nominal_speeds`` gives, by station and product, the full speed (m/min) that working time
    is scaled by where the log's metres show the station slowed (inline stations).
    """
    stations = {s.id: s for line in scenario.lines for s in line.stations}
    nominal_speeds = nominal_speeds or {}
    frame = log.frame
    histories: dict[str, StationHistory] = {}
    columns = [frame[c].to_numpy() for c in ("unit", "station", "state", "start", "end")]
    units, station_ids, states, starts, ends = columns
    causes = frame["cause"].to_numpy()
    rolls = frame["roll"].to_numpy()
    products = frame["product"].to_numpy()
    metres = frame["metres"].to_numpy(dtype=float)
    boundaries = np.flatnonzero(units[1:] != units[:-1]) + 1
    for first, stop in zip(
        np.concatenate([[0], boundaries]), np.concatenate([boundaries, [len(units)]]), strict=True
    ):
        station_id = str(station_ids[first])
        station = stations[station_id]
        history = histories.setdefault(station_id, StationHistory(station_id))
        history.units.add(str(units[first]))
        walk = _UnitWalk(history, station, nominal_speeds.get(station_id, {}), maintenance_renews)
        for i in range(first, stop):
            if i > first and starts[i] - ends[i - 1] > GAP_MIN:
                walk.gap()
            following = i + 1 < stop
            walk.row(
                str(states[i]),
                float(starts[i]),
                float(ends[i] - starts[i]),
                str(causes[i]),
                str(rolls[i]),
                str(products[i]),
                float(metres[i]),
                float(metres[i + 1]) if following else math.nan,
                str(rolls[i + 1]) if following else "",
            )
        walk.end()
    return histories


def calendar_maintenance_every(station: Station, key: str) -> float | None:
    """The scenario's interval of a calendar task, minutes (None for usage tasks)."""
    for task in station.maintenance:
        if task.name == key and isinstance(task, CalendarMaintenance):
            return task.every
    return None
