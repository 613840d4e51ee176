"""Calibrating a scenario from an event log: failures, repairs, crew waits, speeds, setups, tasks.

:func:`calibrate` turns a checked :class:`~twin.history.reader.EventLog` into a
:class:`Calibration`: for each station and failure mode the time to failure (operating time,
censored) and time to repair fitted by every candidate family, the best by AIC; crew waits;
maintenance durations and intervals; speeds and per-roll times by product; changeovers by
product pair. :meth:`Calibration.changes` says which scenario values the fits replace, and
:func:`calibrated_yaml` writes them into the scenario file, keeping its comments and layout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stations import Distribution
from twin.history.episodes import (
    UNATTRIBUTED,
    Durations,
    StationHistory,
    calendar_maintenance_every,
    station_histories,
)
from twin.history.fitting import (
    MIN_FAILURES,
    DurationFit,
    FamilyFit,
    Sample,
    _significant,
    fit_durations,
)
from twin.history.reader import EventLog
from twin.history.yamledit import Change, apply_changes
from twin.scenario import Accumulator, Scenario, Station

MIN_TASKS = 3
"""Fewest maintenance tasks of a kind to recalibrate their duration or interval."""
CHANGED = 0.005
"""Relative difference below which a measured value confirms the scenario's."""


def duration_text(minutes: float) -> str | float:
    """A duration as people write it: ``"52.31h"`` from two hours up, else minutes."""
    if minutes >= 120:
        return f"{_significant(minutes / 60):g}h"
    return _significant(minutes)


def describe(distribution: Distribution | dict[str, Any] | None) -> str:
    """A distribution in one line, ``weibull shape 1.5 scale 400h``."""
    if distribution is None:
        return "none"
    document = (
        distribution
        if isinstance(distribution, dict)
        else distribution.model_dump(mode="json", by_alias=True)
    )
    parts = [str(document.get("dist"))]
    for key, value in document.items():
        if key == "dist":
            continue
        if key in ("mean", "scale", "value", "low", "high", "mode") and isinstance(
            value, int | float
        ):
            value = duration_text(float(value))
        parts.append(f"{key} {value}")
    return " ".join(parts)


@dataclass
class ModeCalibration:
    """A failure mode of a station: what the log shows and what the scenario gets."""

    station: str
    mode: str
    """The mode's name; empty for failures the log does not attribute to a mode."""
    index: int | None
    """Position in the station's ``failures``, None if the scenario has no such mode."""
    failures: int
    ttf: DurationFit
    ttr: DurationFit
    crew_waits: list[float]
    scenario_ttf: Distribution | None
    scenario_ttr: Distribution | None
    new_ttf: dict[str, Any] | None = None
    new_ttr: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def mean_crew_wait(self) -> float:
        """Mean wait for a crew before a repair, minutes (NaN without repairs)."""
        return float(np.mean(self.crew_waits)) if self.crew_waits else math.nan

    @property
    def waited_share(self) -> float:
        """Share of repairs that waited for a crew."""
        if not self.crew_waits:
            return math.nan
        return float(np.mean([w > 1e-6 for w in self.crew_waits]))


@dataclass
class TaskCalibration:
    """A maintenance task of a station: measured durations and intervals."""

    station: str
    task: str
    index: int | None
    durations: list[float]
    intervals: list[float]
    scenario_duration: float | None
    scenario_every: float | None
    new_duration: float | None = None
    new_every: float | None = None


@dataclass(frozen=True)
class SpeedRow:
    """Speed and per-roll working time of a station for one product."""

    station: str
    product: str
    rolls: int
    working_h: float
    metres: float
    speed_m_min: float
    """Metres over the working time whose metres the log gives (NaN without metres)."""
    modelled_m_min: float
    mean_roll_min: float


@dataclass(frozen=True)
class ChangeoverRow:
    """Setups of one kind between two products at a station."""

    station: str
    kind: str
    from_product: str
    to_product: str
    count: int
    mean_min: float
    modelled_min: float


@dataclass
class Calibration:
    """Everything calibrated from one log against one scenario."""

    log_name: str
    scenario: Scenario
    span_min: float
    histories: dict[str, StationHistory]
    modes: list[ModeCalibration]
    tasks: list[TaskCalibration]
    speeds: list[SpeedRow]
    changeovers: list[ChangeoverRow]
    notes: list[str]
    maintenance_renews: bool = True
    """Whether planned maintenance was taken to renew a tool (censoring its up-period)."""
    process_times: dict[str, DurationFit] = field(default_factory=dict)
    """Per-roll process times fitted for generic process-time stations, by station."""
    _changes: list[Change] = field(default_factory=list)

    def changes(self) -> list[Change]:
        """The scenario values the calibration replaces, each with its comment."""
        return list(self._changes)

    def calibrated_scenario(self) -> Scenario:
        """The scenario with the calibrated values (validated)."""
        paths = {}
        for change in self._changes:
            path = ""
            for key in change.path:
                path += f"[{key}]" if isinstance(key, int) else (f".{key}" if path else key)
            paths[path] = change.value
        return self.scenario.with_changes(paths) if paths else self.scenario


# ------------------------------------------------------------------------------- helpers
def _positions(scenario: Scenario) -> dict[str, tuple[int, int]]:
    return {
        station.id: (i, j)
        for i, line in enumerate(scenario.lines)
        for j, station in enumerate(line.stations)
    }


def _inline_stations(scenario: Scenario) -> set[str]:
    inline: set[str] = set()
    for line in scenario.lines:
        for index, station in enumerate(line.stations):
            before = line.buffer_after(index - 1) if index > 0 else None
            after = line.buffer_after(index)
            if isinstance(before, Accumulator) or isinstance(after, Accumulator):
                inline.add(station.id)
    return inline


def _modelled_speeds(scenario: Scenario) -> dict[str, dict[str, float]]:
    """The twin's full web speed of each station for each product it runs, m/min."""
    speeds: dict[str, dict[str, float]] = {}
    length = scenario.roll_length_m
    for product in scenario.products:
        for line in scenario.lines_for(product):
            for leg in scenario.route(product, line) or []:
                equipment: Any = leg.station.equipment
                time = equipment.roll_process_time(leg.step, length)
                if time.dist == "fixed" and time.mean() > 0:
                    speeds.setdefault(leg.station.id, {})[product.id] = length / time.mean()
    return speeds


def _steps(scenario: Scenario) -> dict[tuple[str, str], Any]:
    steps: dict[tuple[str, str], Any] = {}
    for product in scenario.products:
        for line in scenario.lines_for(product):
            for leg in scenario.route(product, line) or []:
                steps[(leg.station.id, product.id)] = leg.step
    return steps


def _comment(log_name: str, what: str, fit: DurationFit, chosen: FamilyFit, was: str) -> str:
    sample = fit.sample
    censored = sample.size - len(sample.exact)
    pick = f"{chosen.family} by AIC"
    return (
        f"calibrated from {log_name}: {what} n={len(sample.exact)}"
        f"{f' +{censored} censored' if censored else ''}, {pick}, KS {chosen.ks_distance:.3f}"
        f" (was {was})"
    )


def _differs(new: float, old: float | None) -> bool:
    return old is None or abs(new - old) > CHANGED * max(abs(old), 1e-9)


# ------------------------------------------------------------------------------- calibrate
def calibrate(
    log: EventLog,
    scenario: Scenario,
    *,
    maintenance_renews: bool = True,
    level: float = 0.95,
) -> Calibration:
    """Fit the scenario's failures, repairs, tasks and speeds to what the log shows.

    ``maintenance_renews``: planned maintenance leaves a tool as good as new, so it censors the
    up-period it interrupts (the usual reliability assumption). ``level`` is the confidence
    level of the parameter intervals.
    """
    inline = _inline_stations(scenario)
    modelled = _modelled_speeds(scenario)
    histories = station_histories(
        log,
        scenario,
        maintenance_renews=maintenance_renews,
        nominal_speeds={s: v for s, v in modelled.items() if s in inline},
    )
    positions = _positions(scenario)
    stations = {s.id: s for line in scenario.lines for s in line.stations}
    calibration = Calibration(
        log.source.rsplit("/", 1)[-1], scenario, log.end_min, histories, [], [], [], [], []
    )
    calibration.maintenance_renews = maintenance_renews
    frame = log.frame
    named = bool(((frame["state"] == "down") & (frame["cause"] != "")).any())
    for station_id, history in histories.items():
        history.causes_named = history.causes_named or named
        station = stations[station_id]
        line_index, station_index = positions[station_id]
        base: tuple[str | int, ...] = ("lines", line_index, "stations", station_index)
        slowed = station_id in inline and not history.timed_by_product
        _calibrate_modes(calibration, station, history, base, level, slowed)
        _calibrate_tasks(calibration, station, history, base)
        _calibrate_speeds(calibration, station, history, base, modelled, inline, level)
        _changeovers(calibration, station, history)
    if not histories:
        calibration.notes.append("the log has no rows for any station of the scenario")
    return calibration


def _calibrate_modes(
    calibration: Calibration,
    station: Station,
    history: StationHistory,
    base: tuple[str | int, ...],
    level: float,
    slowed: bool = False,
) -> None:
    """Each failure mode's fits; ``slowed``: an inline station whose log has no metres."""
    names = [f.name for f in station.failures]
    keys = list(dict.fromkeys(names + list(history.ttf) + list(history.ttr)))
    for key in keys:
        index = names.index(key) if key in names else None
        failure = station.failures[index] if index is not None else None
        ttf_durations = history.ttf.get(key, Durations())
        ttr_durations = history.ttr.get(key, Durations())
        mode = ModeCalibration(
            station.id,
            key,
            index,
            history.failures.get(key, 0),
            fit_durations(ttf_durations.sample(), level=level),
            fit_durations(ttr_durations.sample(), level=level),
            history.crew_wait.get(key, []),
            failure.ttf if failure else None,
            failure.ttr if failure else None,
        )
        calibration.modes.append(mode)
        if key == UNATTRIBUTED:
            mode.notes.append(
                f"{mode.failures} failures the log does not attribute to one of the "
                f"{len(names)} modes (no cause column): fitted as one, the scenario's modes kept"
            )
            continue
        if failure is None or index is None:
            mode.notes.append(f"mode {key!r} is not in the scenario: reported, not added")
            continue
        if not history.causes_named and len(names) > 1:
            mode.notes.append("the log does not name failure modes: kept the scenario's")
            continue
        if failure.needs_crew is False and any(w > 1e-6 for w in mode.crew_waits):
            mode.notes.append("repairs waited for a crew, but the scenario says needs_crew: false")
        path = (*base, "failures", index)
        durations = [("time to repair", mode.ttr, failure.ttr, "ttr")]
        if slowed:
            mode.notes.append(
                "time to failure kept: an inline station's working time includes time slowed by "
                "its neighbours, which only the log's metres can tell apart (the fit above is "
                "in working time, an upper bound)"
            )
        else:
            durations.insert(0, ("time to failure", mode.ttf, failure.ttf, "ttf"))
        for what, fit, current, attr in durations:
            chosen = fit.best
            if chosen is None:
                mode.notes.append(
                    f"{what}: {fit.note or 'no family could be fitted'}; kept the scenario's "
                    f"{describe(current)}"
                )
                continue
            if fit.note:
                mode.notes.append(f"{what}: {fit.note}")
            document = chosen.distribution()
            for name in ("mean", "scale"):
                if name in document:
                    document[name] = duration_text(float(document[name]))
            setattr(mode, f"new_{attr}", document)
            calibration._changes.append(
                Change(
                    (*path, attr),
                    document,
                    _comment(calibration.log_name, what, fit, chosen, describe(current)),
                    f"{station.id} · {key} · {what}",
                )
            )


def _calibrate_tasks(
    calibration: Calibration,
    station: Station,
    history: StationHistory,
    base: tuple[str | int, ...],
) -> None:
    names = [t.name for t in station.maintenance]
    for key in dict.fromkeys(names + list(history.maintenance_min)):
        index = names.index(key) if key in names else None
        task = station.maintenance[index] if index is not None else None
        durations = history.maintenance_min.get(key, [])
        intervals = history.maintenance_every.get(key, [])
        every = calendar_maintenance_every(station, key)
        result = TaskCalibration(
            station.id,
            key,
            index,
            durations,
            intervals,
            task.duration if task else None,
            every,
        )
        calibration.tasks.append(result)
        if task is None or index is None or len(durations) < MIN_TASKS:
            continue
        path = (*base, "maintenance", index)
        # the median: a task the log shows cut short by another (overlapping tasks, a repair
        # hiding its start) must not move a duration that is fixed in the scenario
        median = float(np.median(durations))
        log_name = calibration.log_name
        if _differs(median, task.duration):
            result.new_duration = median
            calibration._changes.append(
                Change(
                    (*path, "duration"),
                    duration_text(median),
                    f"{task.name} duration calibrated from {log_name}: median of "
                    f"{len(durations)} (was {duration_text(task.duration)})",
                    f"{station.id} · {task.name} · duration",
                )
            )
        if every is not None and len(intervals) >= MIN_TASKS:
            median = float(np.median(intervals))
            if _differs(median, every):
                result.new_every = median
                calibration._changes.append(
                    Change(
                        (*path, "every"),
                        duration_text(median),
                        f"{task.name} interval calibrated from {log_name}: median of "
                        f"{len(intervals)} (was {duration_text(every)})",
                        f"{station.id} · {task.name} · interval",
                    )
                )


def _calibrate_speeds(
    calibration: Calibration,
    station: Station,
    history: StationHistory,
    base: tuple[str | int, ...],
    modelled: dict[str, dict[str, float]],
    inline: set[str],
    level: float,
) -> None:
    equipment = station.equipment
    products = sorted(set(history.working_by_product) | set(history.metres_by_product))
    for product in products:
        timed = history.timed_by_product.get(product, 0.0)
        metres = history.metres_by_product.get(product, 0.0)
        rolls = history.roll_min.get(product, {})
        calibration.speeds.append(
            SpeedRow(
                station.id,
                product,
                len(rolls),
                history.working_by_product.get(product, 0.0) / 60,
                metres,
                metres / timed if timed > 0 else math.nan,
                modelled.get(station.id, {}).get(product, math.nan),
                float(np.mean(list(rolls.values()))) if rolls else math.nan,
            )
        )
    if getattr(equipment, "type", "") != "generic" or station.id in inline or len(products) != 1:
        return
    (product,) = products
    row = calibration.speeds[-1]
    speed = getattr(equipment, "speed_m_min", None)
    log_name = calibration.log_name
    if speed is not None and math.isfinite(row.speed_m_min) and _differs(row.speed_m_min, speed):
        calibration._changes.append(
            Change(
                (*base, "equipment", "speed_m_min"),
                _significant(row.speed_m_min),
                f"calibrated from {log_name}: metres over working time of {row.rolls} rolls "
                f"(was {speed:g})",
                f"{station.id} · speed m/min",
            )
        )
    process_time = getattr(equipment, "process_time", None)
    rolls = history.roll_min.get(product, {})
    if process_time is not None and len(rolls) >= MIN_FAILURES:
        times = list(rolls.values())
        fit = fit_durations(Sample.of(times, times), level=level)
        calibration.process_times[station.id] = fit
        chosen = fit.best
        if chosen is not None:
            document = chosen.distribution()
            calibration._changes.append(
                Change(
                    (*base, "equipment", "process_time"),
                    document,
                    _comment(log_name, "per-roll time", fit, chosen, describe(process_time)),
                    f"{station.id} · per-roll process time",
                )
            )


def _changeovers(calibration: Calibration, station: Station, history: StationHistory) -> None:
    steps = _steps(calibration.scenario)
    groups: dict[tuple[str, str, str], list[float]] = {}
    for setup in history.setups:
        if setup.kind == "roll_change":
            continue
        if not setup.kind and setup.from_product == setup.to_product:
            continue
        groups.setdefault((setup.kind, setup.from_product, setup.to_product), []).append(
            setup.minutes
        )
    for (kind, before, after), minutes in sorted(groups.items()):
        first, second = steps.get((station.id, before)), steps.get((station.id, after))
        equipment: Any = station.equipment
        modelled = (
            equipment.changeover_min(first, second)
            if first is not None and second is not None
            else math.nan
        )
        calibration.changeovers.append(
            ChangeoverRow(
                station.id,
                kind or "setup",
                before,
                after,
                len(minutes),
                float(np.mean(minutes)),
                modelled,
            )
        )


def calibrated_yaml(text: str, calibration: Calibration) -> str:
    """The scenario file ``text`` with the calibration's values, comments and layout kept."""
    return apply_changes(text, calibration.changes())
