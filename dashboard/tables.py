"""Tables (pandas frames) of capacities, simulation results and schedules, as pages show them."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from typing import Any

import pandas as pd

from dashboard.common import KPI_LABELS, format_estimate
from twin import Comparison, LineCapacity, Scenario, SimulationResult
from twin.display import interval, is_share, moment, moment_interval, shown, significant


def rounded(value: float, digits: int = 4) -> float:
    """``value`` rounded to ``digits`` significant figures (a table shows it without noise)."""
    if not math.isfinite(value) or value == 0:
        return value
    return round(value, max(0, digits - 1 - math.floor(math.log10(abs(value)))))


def percent(share: float) -> float:
    """A share (0.8731) as the per cent a table shows (87.3)."""
    return round(share * 100, 1)


def capacity_frame(capacity: LineCapacity, width_m: float) -> pd.DataFrame:
    """``r2r describe``'s table for one line and product; the bottleneck is named in its row.

    Values to 4 significant figures, shares in per cent, units in the headers.
    """
    return pd.DataFrame(
        [
            {
                "station": s.station
                + (" ◀ bottleneck" if s.station == capacity.bottleneck else ""),
                "type": s.station_type,
                "coupling": s.coupling,
                "units": s.units,
                "speed m/min": rounded(s.web_speed_m_min),
                "per roll min": rounded(s.roll_time_min),
                "changeover %": percent(s.changeover_share),
                "m/h": rounded(s.capacity_m_h),
                "m²/h": rounded(s.capacity_m_h * width_m),
                "availability %": percent(s.availability),
                "m/h × avail.": rounded(s.available_m_h),
            }
            for s in capacity.stations
        ]
    )


def lines_frame(result: SimulationResult) -> pd.DataFrame:
    """Output, WIP, lead time, scrap and yield per line, mean [95 % CI]."""
    rows = []
    for line_id, line in result.lines.items():
        row = {
            "line": line_id,
            "output m/h": format_estimate(line.output_m_per_h),
            "output m²/h": format_estimate(line.output_m2_per_h),
            "WIP rolls": format_estimate(line.wip_rolls),
            "lead time h": format_estimate(line.lead_time_h) if line.lead_time_h else "",
            "scrapped m": format_estimate(line.scrapped_m),
        }
        if line.yield_ is not None:
            row["yield"] = format_estimate(line.yield_, percent=True)
        rows.append(row)
    return pd.DataFrame(rows)


def _words(name: str) -> str:
    return name.replace("_", " ")


def stations_frame(result: SimulationResult) -> pd.DataFrame:
    """Each station's share of time per state, OEE and bottleneck share, in per cent."""
    return pd.DataFrame(
        [
            {
                "station": station_id,
                "line": station.line,
                **{
                    f"{state.replace('_', ' ')} %": percent(v)
                    for state, v in station.states.items()
                },
                "OEE %": percent(station.oee.mean),
                "bottleneck %": percent(station.bottleneck_share),
            }
            for station_id, station in result.stations.items()
        ]
    )


def buffers_frame(result: SimulationResult) -> pd.DataFrame:
    """Stores and accumulators: mean and maximum level, waits and expiries."""
    return pd.DataFrame(
        [
            {
                "buffer": buffer_id,
                "unit": buffer.unit,
                "mean level": format_estimate(buffer.mean_level),
                "max level": buffer.max_level,
                "mean wait h": format_estimate(buffer.mean_wait_h) if buffer.mean_wait_h else "",
                "expired": format_estimate(buffer.expired) if buffer.expired else "",
            }
            for buffer_id, buffer in result.buffers.items()
        ]
    )


LATE = "late"
"""The status of an order no replication finished by its due date."""


def orders_frame(result: SimulationResult) -> pd.DataFrame:
    """Orders in the twin, the riskiest first: due date, completion, on-time chance, status.

    Sorted as ``r2r simulate`` lists them (least likely on time first, then by due date);
    ``status`` is ``late`` (in every replication), ``late k of n`` or ``on time``. Dates are the
    scenario's.
    """
    start, count = result.start, result.replications
    rows = []
    for order_id, order in sorted(
        result.orders.items(), key=lambda item: (item[1].on_time.p, item[1].due_h, item[0])
    ):
        done, on_time = order.completion_h, order.on_time
        if done is not None:
            completion = moment_interval(start, done.mean * 60, done.ci_low * 60, done.ci_high * 60)
        else:
            completion = f"unfinished in {round((1 - order.completed_fraction) * count)} of {count}"
        late = round((1 - on_time.p) * on_time.n) if on_time.n else 0
        rows.append(
            {
                "order": order_id,
                "status": LATE
                if late and late == on_time.n
                else f"late {late} of {on_time.n}"
                if late
                else "on time",
                "line": order.line or "–",
                "product": order.product,
                "due": moment(start, order.due_h * 60),
                "completion": completion,
                "on time %": f"{on_time.p:.0%} [{on_time.low:.0%}, {on_time.high:.0%}]",
                "tardiness h": shown("tardiness_h", order.tardiness_h.mean),
                "planned completion": (
                    moment(start, order.planned_completion_h * 60)
                    if order.planned_completion_h is not None
                    else "–"
                ),
            }
        )
    columns = ["order", "status", "line", "product", "due", "completion", "on time %",
               "tardiness h", "planned completion"]  # fmt: skip
    return pd.DataFrame.from_records(rows, columns=columns)


def late_rows(frame: pd.DataFrame) -> pd.Series:
    """Which rows of an orders table are late, in every replication or in some."""
    return frame["status"] != "on time"


def kpi_frame(result: SimulationResult) -> pd.DataFrame:
    """The plant KPIs with mean and interval bounds, for download and comparison."""
    return pd.DataFrame(
        [
            {
                "kpi": name,
                "label": KPI_LABELS.get(name, name),
                "mean": estimate.mean,
                "low": estimate.ci_low,
                "high": estimate.ci_high,
                "replications": estimate.n,
            }
            for name, estimate in result.kpis.items()
        ]
    )


def schedule_orders_frame(
    document: dict[str, Any],
    scenario: Scenario,
    origin: dt.datetime | None = None,
    finished: Collection[str] = (),
) -> pd.DataFrame:
    """Each order of a schedule, the latest first: due and completion dates, tardiness, status.

    A schedule from a plant state counts from ``origin`` (the state's moment); the orders it
    says are ``finished`` have no roll left to schedule and read so.
    """
    completion: dict[str, float] = {}
    rolls: dict[str, int] = {}
    for roll_id, outcome in document["solution"]["jobs"].items():
        order = roll_id.rsplit("/", 1)[0]
        completion[order] = max(completion.get(order, 0.0), outcome["completion"])
        rolls[order] = rolls.get(order, 0) + 1
    start = origin or scenario.start
    offset = 0.0 if origin is None or scenario.start is None else scenario.minutes(origin)
    rows = []
    for order in scenario.orders:
        due = scenario.minutes(order.due) - offset
        done = completion.get(order.id, math.nan)
        late_h = max(0.0, done - due) / 60 if math.isfinite(done) else math.nan
        status = "late" if late_h > 0 else "on time" if late_h == 0 else "unscheduled"
        weighted = late_h * order.weight
        if order.id in finished and order.id not in completion:
            status, weighted = "finished by then", -1.0  # nothing left: last in the table
        rows.append(
            {
                "order": order.id,
                "status": status,
                "product": order.product,
                "rolls": rolls.get(order.id, 0),
                "weight": order.weight,
                "due": moment(start, due),
                "completion": moment(start, done),
                "tardiness h": rounded(late_h, 3),
                "_weighted": weighted,
                "_due": due,
            }
        )
    frame = pd.DataFrame.from_records(rows)
    frame = frame.sort_values(
        ["_weighted", "_due"], ascending=[False, True], kind="stable", na_position="first"
    )
    return frame.drop(columns=["_weighted", "_due"]).reset_index(drop=True)


def machines_frame(
    document: dict[str, Any], rows: list[tuple[str, str]], origin: dt.datetime | None
) -> pd.DataFrame:
    """Each machine of a schedule in web order: rolls, busy hours, first start and last end.

    ``rows`` are (line, machine) in web order; times read as dates from ``origin``.
    """
    machines: dict[str, list[dict[str, Any]]] = document["solution"]["machines"]
    records = []
    for line, name in rows:
        steps = sorted(machines.get(name, []), key=lambda step: step["start"])
        records.append(
            {
                "line": line,
                "machine": name,
                "rolls": len(steps),
                "busy h": round(sum(s["end"] - s["start"] for s in steps) / 60, 1),
                "first start": moment(origin, steps[0]["start"]) if steps else "–",
                "first roll": steps[0]["job"] if steps else "–",
                "last end": moment(origin, steps[-1]["end"]) if steps else "–",
            }
        )
    columns = ["line", "machine", "rolls", "busy h", "first start", "first roll", "last end"]
    return pd.DataFrame.from_records(records, columns=columns)


def rules_frame(document: dict[str, Any]) -> pd.DataFrame:
    """CP-SAT's schedule against each dispatching rule: weighted tardiness, makespan, setups."""
    solution = document["solution"]
    methods = {
        "CP-SAT": {
            "status": solution["status"],
            "weighted_tardiness_min": solution.get("weighted_tardiness"),
            "makespan_min": solution.get("makespan"),
            "total_setup_min": solution.get("total_setup"),
        },
        **{rule.upper(): figures for rule, figures in document.get("baselines", {}).items()},
    }
    return pd.DataFrame(
        [
            {
                "method": method,
                "status": figures["status"],
                "weighted tardiness h": _hours(figures.get("weighted_tardiness_min")),
                "makespan h": _hours(figures.get("makespan_min")),
                "setup h": _hours(figures.get("total_setup_min")),
            }
            for method, figures in methods.items()
        ]
    )


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 1)


def comparison_frame(comparison: Comparison, scope: str) -> pd.DataFrame:
    """One scope's rows of a comparison: per KPI, each scenario's value and its difference.

    One row per KPI and scenario (the table stays as narrow with four scenarios as with two):
    the value with its interval, the difference to the first scenario with its interval
    (shares in percentage points) and its verdict: better, worse or no significant difference.
    """
    names = comparison.names
    records = []
    for row in (r for r in comparison.rows if r.scope == scope):
        kpi = row.kpi.rsplit(".", 1)[-1]
        for index, name in enumerate(names):
            value = row.values[index]
            difference = row.differences[index - 1] if index else None
            if index == 0:
                against = "(the base)"
            elif difference is None:
                against = "–"
            else:
                against = difference_text(kpi, difference.mean, difference.low, difference.high)
            records.append(
                {
                    "KPI": row.label,
                    "scenario": name,
                    "mean [95 % CI]": "–" if value is None else interval(kpi, *value),
                    "difference [95 % CI]": against,
                    "verdict": "" if index == 0 else row.verdict(index),
                }
            )
    return pd.DataFrame.from_records(records)


def difference_text(kpi: str, mean: float, low: float, high: float) -> str:
    """A difference with its interval, signed: ``+3.4 pp [+1.2, +5.6]``, ``−0.111 [−0.2, 0]``.

    Shares differ in percentage points; an interval of no width says so instead of ``[0, 0]``.
    """
    scale, unit = (100.0, " pp") if is_share(kpi) else (1.0, "")

    def signed(value: float) -> str:
        text = significant(value * scale, 3)
        return text if text in ("0", "–") or text.startswith("-") else f"+{text}"

    if high - low <= 1e-9 * max(abs(mean), 1.0):
        text = f"{signed(mean)}{unit} (same in every replication)"
    else:
        text = f"{signed(mean)}{unit} [{signed(low)}, {signed(high)}]"
    return text.replace("-", "−")
