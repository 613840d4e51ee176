"""Validating the twin against history: replay the logged period and compare with what happened.

The twin replays the log's span (from an empty plant at the log's start, with the scenario's own
order book, or from a plant state and the period's order file) for several replications. The same
code that reads the plant's log reads each replication's log, so both sides are measured alike:
per station the share of time in each state, the failures (web breaks included) and the mean
down time per failure; per line the rolls finished and their lead time where the log names rolls.

The log is one realisation, so it is compared with the twin's *prediction interval* for one more
replication, ``mean ± t · s · sqrt(1 + 1/R)``, not with the interval of the mean. The level is
Bonferroni-adjusted over each station's or line's metrics, so that a twin that is right passes a
station with probability of at least ``level``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from twin.engine import OrderFigures, RunOptions, run_replication
from twin.history.episodes import StationHistory, station_histories
from twin.history.format import STATES
from twin.history.reader import EventLog
from twin.history.writer import records_log
from twin.scenario import Scenario
from twin.state.model import PlantState

TOLERANCE = 1e-6
"""Absolute slack of a comparison (rounding of times in the log)."""


@dataclass(frozen=True)
class Comparison:
    """One metric: what the log shows against the twin's interval for one realisation."""

    subject: str
    metric: str
    observed: float
    twin_mean: float
    low: float
    high: float
    slack: float = TOLERANCE
    """Absolute slack: a roll on the last station at the log's end may count on either side."""

    @property
    def inside(self) -> bool:
        """True when the observed value lies in the twin's interval."""
        return self.low - self.slack <= self.observed <= self.high + self.slack

    @property
    def outside_by(self) -> float:
        """How far outside the interval the observed value is (0 when inside)."""
        if self.observed > self.high + self.slack:
            return self.observed - self.high
        if self.observed < self.low - self.slack:
            return self.observed - self.low
        return 0.0


@dataclass(frozen=True)
class Verdict:
    """A line's or station's verdict: inside when every metric is, with the worst one."""

    kind: str
    subject: str
    comparisons: list[Comparison]
    note: str = ""

    @property
    def inside(self) -> bool:
        """True when every metric lies inside its interval."""
        return all(c.inside for c in self.comparisons)

    @property
    def worst(self) -> Comparison | None:
        """The metric furthest outside its interval, relative to the interval's width."""
        outside = [c for c in self.comparisons if not c.inside]
        if not outside:
            return None
        return max(outside, key=lambda c: abs(c.outside_by) / max(c.high - c.low, 1e-9))

    def summary(self) -> str:
        """``inside`` or ``outside: down share 0.112 vs [0.041, 0.066] (+0.046)``."""
        worst = self.worst
        if worst is None:
            return "inside" + (f" ({self.note})" if self.note else "")
        return (
            f"outside: {worst.metric} {worst.observed:.4g} vs [{worst.low:.4g}, "
            f"{worst.high:.4g}] ({worst.outside_by:+.3g})"
        )


@dataclass(frozen=True)
class HistoryValidation:
    """The twin against one log: a verdict per line and per station."""

    log_name: str
    scenario: str
    span_min: float
    replications: int
    seed: int
    level: float
    lines: list[Verdict]
    stations: list[Verdict]
    notes: list[str] = field(default_factory=list)

    @property
    def inside(self) -> bool:
        """True when every line and station is inside."""
        return all(v.inside for v in self.lines + self.stations)

    def station(self, station_id: str) -> Verdict:
        """The verdict of one station."""
        return next(v for v in self.stations if v.subject == station_id)


# ------------------------------------------------------------------------------- measures
def _station_measures(history: StationHistory, span_min: float) -> dict[str, float]:
    measures = {f"{state} share": history.share(state) for state in STATES}
    # failures and web breaks together: a log without causes cannot tell them apart, and the
    # twin's own log today names none, so both sides are counted alike
    stops = history.all_failures() + history.web_breaks
    measures["failures"] = float(stops)
    down = history.state_min["down"]
    measures["mean repair min"] = down / stops if stops else math.nan
    return measures


def _releases(scenario: Scenario) -> dict[str, float]:
    return {order.id: scenario.minutes(order.release) for order in scenario.orders}


def _line_measures(
    log: EventLog, scenario: Scenario
) -> tuple[dict[str, dict[str, float]], dict[str, set[str]]]:
    """Rolls finished at each line's last station and the lead time of the orders completed.

    An order's lead time runs from its release to its last roll leaving the line (needs roll and
    order ids); the orders completed in the log are returned too, so the twin's are measured on
    the same orders.
    """
    frame = log.frame
    measures: dict[str, dict[str, float]] = {}
    completed: dict[str, set[str]] = {}
    releases = _releases(scenario)
    planned = {order.id: scenario.order_rolls(order) for order in scenario.orders}
    for line in scenario.lines:
        last = frame[frame["station"] == line.stations[-1].id]
        rolls = last[last["roll"] != ""]
        if rolls.empty:
            continue
        # a roll leaves the line when its last station stops doing anything with it: the
        # station may name it on for a while, starved or off shift until the next roll comes
        busy = rolls[~rolls["state"].isin(("starved", "off_shift"))]
        ends = busy.groupby("roll", sort=False)["end"].max()
        final = rolls.groupby("unit", sort=False).last()
        # the roll a unit ends the log with is done if the unit then waits for the next one
        on_it = set(final.loc[final["state"] != "starved", "roll"])
        done = ends[~ends.index.isin(on_it) | (ends < log.end_min - TOLERANCE)]
        firsts = rolls.groupby("roll", sort=False)["order"].first()
        orders = {str(k): str(v) for k, v in firsts.items()}
        delivered: dict[str, list[float]] = {}
        for roll, end in done.items():
            delivered.setdefault(orders.get(str(roll), ""), []).append(float(end))
        finished = {
            order: max(ends)
            for order, ends in delivered.items()
            if order in planned and len(ends) >= planned[order]
        }
        leads = [end - releases[order] for order, end in finished.items()]
        completed[line.id] = set(finished)
        measures[line.id] = {
            "rolls finished": float(len(done)),
            "order lead time h": float(np.mean(leads)) / 60 if leads else math.nan,
        }
    return measures, completed


def _order_lead_h(
    orders: dict[str, OrderFigures], chosen: set[str], releases: dict[str, float]
) -> float:
    """Mean lead time (h) of the ``chosen`` orders the twin completed."""
    leads = [
        done - releases[order]
        for order in chosen
        if order in orders and (done := orders[order].completion_min) is not None
    ]
    return float(np.mean(leads)) / 60 if leads else math.nan


def _interval(values: list[float], confidence: float) -> tuple[float, float, float]:
    data = np.array([v for v in values if math.isfinite(v)])
    if len(data) == 0:
        return math.nan, math.nan, math.nan
    mean = float(data.mean())
    if len(data) < 2:
        return mean, mean, mean
    spread = float(data.std(ddof=1)) * math.sqrt(1 + 1 / len(data))
    t = float(stats.t.ppf(0.5 + confidence / 2, len(data) - 1))
    return mean, mean - t * spread, mean + t * spread


def _compare(
    subject: str,
    observed: dict[str, float],
    replicated: list[dict[str, float]],
    level: float,
    shares: bool,
) -> list[Comparison]:
    metrics = [
        m
        for m in observed
        if math.isfinite(observed[m])
        and any(math.isfinite(r.get(m, math.nan)) for r in replicated)
        and not (observed[m] == 0 and all(r.get(m, 0.0) == 0 for r in replicated))
    ]
    confidence = 1 - (1 - level) / max(len(metrics), 1)
    comparisons = []
    for metric in metrics:
        mean, low, high = _interval([r.get(metric, math.nan) for r in replicated], confidence)
        low = max(low, 0.0)
        if shares and metric.endswith("share"):
            high = min(high, 1.0)
        slack = 1.0 if metric == "rolls finished" else TOLERANCE
        comparisons.append(Comparison(subject, metric, observed[metric], mean, low, high, slack))
    return comparisons


# ------------------------------------------------------------------------------- validate
def validate_history(
    log: EventLog,
    scenario: Scenario,
    *,
    replications: int = 10,
    seed: int | None = None,
    level: float = 0.95,
    state: PlantState | None = None,
) -> HistoryValidation:
    """Replay the log's span in the twin ``replications`` times and compare, line and station.

    The replay starts at the log's start from an empty plant, or from the plant ``state`` (the
    plant as it was then), with the scenario's order book (the orders of the logged period).
    """
    span = log.end_min
    seed = scenario.run.seed if seed is None else seed
    if state is not None:
        notes = [
            f"replayed from the plant state at {state.at:%Y-%m-%d %H:%M} with the scenario's "
            "order book"
        ]
        stamp = state.at.replace(tzinfo=None) if state.at.tzinfo is None else state.at
        offset = abs(log.minutes(_timestamp(stamp)))
        if offset > 1:
            notes.append(
                f"the state is {offset / 60:.1f} h from the log's first time; the replay's "
                "t = 0 is the log's first time"
            )
    else:
        notes = ["replayed from an empty plant at the log's start with the scenario's order book"]
    if scenario.start is not None and state is None:
        start = scenario.start
        stamp = start.replace(tzinfo=None) if start.tzinfo is None else start
        offset = abs(log.minutes(_timestamp(stamp)))
        if offset > 1:
            notes.append(
                f"the scenario starts {offset / 60:.1f} h from the log's first time; the replay's "
                "t = 0 is the log's first time"
            )
    observed = station_histories(log, scenario)
    observed_lines, completed = _line_measures(log, scenario)
    releases = _releases(scenario)
    station_runs: dict[str, list[dict[str, float]]] = {s: [] for s in observed}
    line_runs: dict[str, list[dict[str, float]]] = {line.id: [] for line in scenario.lines}
    for replication in range(replications):
        options = RunOptions.of(
            scenario, demand="orders", seed=seed, horizon_min=span, event_log=True, state=state
        )
        record = run_replication(scenario, options, replication)
        twin_log = records_log(record.events or [], span)
        metrics = record.flatten()
        for station_id, history in station_histories(twin_log, scenario).items():
            if station_id in station_runs:
                station_runs[station_id].append(_station_measures(history, span))
        span_h = span / 60
        for line in scenario.lines:
            prefix = f"lines.{line.id}"
            line_runs[line.id].append(
                {
                    "rolls finished": metrics.get(f"{prefix}.output_rolls_per_h", 0.0) * span_h,
                    "order lead time h": _order_lead_h(
                        record.orders, completed.get(line.id, set()), releases
                    ),
                }
            )
    verdicts = [
        Verdict(
            "station",
            station_id,
            _compare(
                station_id,
                _station_measures(history, span),
                station_runs[station_id],
                level,
                shares=True,
            ),
        )
        for station_id, history in observed.items()
    ]
    by_station = {v.subject: v for v in verdicts}
    lines = []
    for line in scenario.lines:
        mine = [by_station[s.id] for s in line.stations if s.id in by_station]
        if not mine:
            continue
        comparisons: list[Comparison] = []
        note = ""
        if line.id in observed_lines:
            comparisons = _compare(
                line.id, observed_lines[line.id], line_runs[line.id], level, shares=False
            )
        else:
            note = "the log names no rolls: output and lead time not compared"
        failing = [v.subject for v in mine if not v.inside]
        if failing:
            note = f"stations outside: {', '.join(failing)}" + (f"; {note}" if note else "")
        lines.append(
            Verdict("line", line.id, comparisons + [c for v in mine for c in v.comparisons], note)
        )
    return HistoryValidation(
        log.source.rsplit("/", 1)[-1],
        scenario.name,
        span,
        replications,
        seed,
        level,
        lines,
        verdicts,
        notes,
    )


def _timestamp(when: object) -> pd.Timestamp:
    stamp = pd.Timestamp(when)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
