"""Tables (pandas frames) of capacities, simulation results and schedules, as pages show them."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from dashboard.common import KPI_LABELS, format_estimate
from twin import Comparison, LineCapacity, Scenario, SimulationResult
from twin.display import interval, shown


def capacity_frame(capacity: LineCapacity, width_m: float) -> pd.DataFrame:
    """``r2r describe``'s table for one line and product; the bottleneck row is flagged."""
    return pd.DataFrame(
        [
            {
                "station": s.station,
                "bottleneck": s.station == capacity.bottleneck,
                "type": s.station_type,
                "coupling": s.coupling,
                "units": s.units,
                "speed m/min": round(s.web_speed_m_min, 3),
                "per roll min": round(s.roll_time_min, 1),
                "changeover share": round(s.changeover_share, 4),
                "m/h": round(s.capacity_m_h, 1),
                "m²/h": round(s.capacity_m_h * width_m, 1),
                "availability": round(s.availability, 4),
                "m/h × avail.": round(s.available_m_h, 1),
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


def stations_frame(result: SimulationResult) -> pd.DataFrame:
    """Each station's share of time per state, OEE and bottleneck share."""
    return pd.DataFrame(
        [
            {
                "station": station_id,
                **{state: round(share, 4) for state, share in station.states.items()},
                "OEE": round(station.oee.mean, 4),
                "bottleneck share": round(station.bottleneck_share, 4),
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


def orders_frame(result: SimulationResult) -> pd.DataFrame:
    """Orders in the twin: due, completion, tardiness and the probability of being on time."""
    return pd.DataFrame(
        [
            {
                "order": order_id,
                "due h": round(order.due_h, 1),
                "planned completion h": (
                    round(order.planned_completion_h, 1)
                    if order.planned_completion_h is not None
                    else None
                ),
                "completion h": (
                    format_estimate(order.completion_h) if order.completion_h else "unfinished"
                ),
                "tardiness h": format_estimate(order.tardiness_h),
                "on-time probability": (
                    f"{order.on_time.p:.0%} [{order.on_time.low:.0%}, {order.on_time.high:.0%}]"
                ),
            }
            for order_id, order in result.orders.items()
        ]
    )


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


def schedule_orders_frame(document: dict[str, Any], scenario: Scenario) -> pd.DataFrame:
    """Each order of a schedule: product, rolls, due, completion and tardiness in hours."""
    completion: dict[str, float] = {}
    rolls: dict[str, int] = {}
    for roll_id, outcome in document["solution"]["jobs"].items():
        order = roll_id.rsplit("/", 1)[0]
        completion[order] = max(completion.get(order, 0.0), outcome["completion"] / 60)
        rolls[order] = rolls.get(order, 0) + 1
    rows = []
    for order in scenario.orders:
        due = scenario.minutes(order.due) / 60
        done = completion.get(order.id, math.nan)
        rows.append(
            {
                "order": order.id,
                "product": order.product,
                "rolls": rolls.get(order.id, 0),
                "weight": order.weight,
                "due h": round(due, 1),
                "completion h": round(done, 1),
                "tardiness h": round(max(0.0, done - due), 1),
            }
        )
    return pd.DataFrame(rows)


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
    """One scope's rows of a comparison: each scenario's value and its difference to the first.

    A difference carries its interval and its verdict: better, worse or no significant
    difference.
    """
    names = comparison.names
    records = []
    for row in (r for r in comparison.rows if r.scope == scope):
        kpi = row.kpi.rsplit(".", 1)[-1]
        record: dict[str, str] = {"KPI": row.label}
        for index, name in enumerate(names):
            value = row.values[index]
            record[name] = "–" if value is None else interval(kpi, *value)
            if index == 0:
                continue
            difference = row.differences[index - 1]
            record[f"{name} − {names[0]}"] = (
                "–"
                if difference is None
                else f"{shown(kpi, difference.mean)} [{shown(kpi, difference.low)}, "
                f"{shown(kpi, difference.high)}] {row.verdict(index)}"
            )
        records.append(record)
    return pd.DataFrame.from_records(records)
