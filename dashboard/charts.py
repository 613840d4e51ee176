"""Plotly figures of simulation results and schedules; plain functions of twin's results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from twin import Estimate, SimulationResult, StateChange

STATE_COLOURS: dict[str, str] = {
    "working": "#2ca02c",
    "starved": "#ffbf00",
    "blocked": "#ff7f0e",
    "down": "#d62728",
    "setup": "#9467bd",
    "maintenance": "#8c564b",
    "off_shift": "#7f7f7f",
    "waiting_crew": "#e377c2",
}
"""One colour per station state, the same in every chart."""

MAX_GANTT_BARS = 4000
"""Bars a Gantt draws at most; a browser slows down beyond (the table holds them all)."""

NO_START = dt.datetime(2000, 1, 1)
"""Time axis origin for a scenario without a start date."""


def _label(name: str) -> str:
    return name.replace("_", " ")


def state_bars(result: SimulationResult) -> go.Figure:
    """Each station's share of time in each state, stacked; the bottleneck is marked."""
    names = [
        f"{station} ◀ bottleneck" if station == result.bottleneck.station else station
        for station in result.stations
    ]
    figure = go.Figure()
    for state, colour in STATE_COLOURS.items():
        figure.add_bar(
            name=_label(state),
            y=names,
            x=[s.states.get(state, 0.0) for s in result.stations.values()],
            orientation="h",
            marker_color=colour,
            hovertemplate="%{y}: %{x:.1%}<extra>" + _label(state) + "</extra>",
        )
    figure.update_layout(
        barmode="stack",
        xaxis={"tickformat": ".0%", "title": "share of time after warm-up"},
        yaxis={"autorange": "reversed"},
        height=120 + 28 * len(names),
        legend={"orientation": "h"},
        margin={"t": 30},
    )
    return figure


def buffer_levels(result: SimulationResult) -> go.Figure | None:
    """Store (rolls) and accumulator (m) levels over time, first replication; None if none."""
    rows = [
        {"hour": minute / 60, "level": level, "buffer": name, "unit": buffer.unit}
        for name, buffer in result.buffers.items()
        for minute, level in buffer.series
    ]
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    units = sorted({b.unit for b in result.buffers.values()})
    figure = px.line(
        frame,
        x="hour",
        y="level",
        color="buffer",
        facet_row="unit" if len(units) > 1 else None,
        line_shape="hv",
    ).update_layout(margin={"t": 30}, xaxis_title="hours from the start")
    if len(units) == 1:
        figure.update_yaxes(title=f"level, {units[0]}")
    figure.update_yaxes(matches=None)
    return figure


def output_over_time(rolls: Iterable[dict[str, Any]]) -> go.Figure | None:
    """Metres finished over time, by line (first replication's genealogy); None if no rolls."""
    finished = []
    for roll in rolls:
        ends = [s["end_min"] for s in roll.get("segments", []) if s.get("exit") == "finished"]
        if ends:
            finished.append({"line": roll["line"], "hour": ends[0] / 60, "m": roll["length_m"]})
    if not finished:
        return None
    frame = pd.DataFrame(finished).sort_values("hour")
    frame["metres finished"] = frame.groupby("line")["m"].cumsum()
    return px.line(
        frame, x="hour", y="metres finished", color="line", line_shape="hv", markers=True
    ).update_layout(margin={"t": 30}, xaxis_title="hours from the start")


def _timeline(frame: pd.DataFrame, origin: dt.datetime | None, colour: str, **kwargs: Any) -> Any:
    """A plotly timeline of bars (``row``, ``start_min``, ``end_min``, ...) from ``origin``.

    Rows keep the order in which they first appear; past :data:`MAX_GANTT_BARS` the latest bars
    are left out.
    """
    base = (origin or NO_START).replace(tzinfo=None)
    rows = list(dict.fromkeys(frame["row"]))
    frame = frame.sort_values("start_min", kind="stable").head(MAX_GANTT_BARS)
    frame = frame.assign(
        start=base + pd.to_timedelta(frame["start_min"], unit="min"),
        end=base + pd.to_timedelta(frame["end_min"], unit="min"),
    )
    figure = px.timeline(
        frame,
        x_start="start",
        x_end="end",
        y="row",
        color=colour,
        category_orders={"row": rows, **kwargs.pop("category_orders", {})},
        **kwargs,
    )
    figure.update_yaxes(title=None)
    figure.update_layout(height=140 + 30 * len(rows), margin={"t": 30})
    if origin is None:
        figure.update_xaxes(title="time (the scenario has no start date: day 1 is 2000-01-01)")
    return figure


def state_gantt(
    events: list[StateChange], horizon_min: float, origin: dt.datetime | None
) -> go.Figure:
    """Station units' states over time from the event log (first replication)."""
    rows: list[dict[str, Any]] = []
    last: dict[str, tuple[float, str]] = {}
    for event in sorted(events, key=lambda e: (e.unit, e.minute)):
        minute, station, state = event.minute, event.unit, event.state
        if station in last and minute > last[station][0]:
            rows.append(_state_row(station, last[station], minute))
        last[station] = (minute, state)
    rows += [_state_row(station, since, horizon_min) for station, since in last.items()]
    frame = pd.DataFrame(sorted(rows, key=lambda row: row["row"]))
    return _timeline(
        frame,
        origin,
        "state",
        color_discrete_map=STATE_COLOURS,
        category_orders={"state": list(STATE_COLOURS)},
        hover_data=["hours"],
    )


def _state_row(station: str, since: tuple[float, str], until: float) -> dict[str, Any]:
    start, state = since
    return {
        "row": station,
        "start_min": start,
        "end_min": until,
        "state": state,
        "hours": round((until - start) / 60, 2),
    }


def schedule_gantt(
    document: dict[str, Any], products: dict[str, str], origin: dt.datetime | None
) -> go.Figure:
    """A schedule's rolls per tool (``r2r schedule`` document), coloured by product.

    ``products`` gives each order's product; a roll ``ORDER/k`` belongs to its order.
    """
    rows = []
    for machine, steps in document["solution"]["machines"].items():
        for step in steps:
            order = step["job"].rsplit("/", 1)[0]
            rows.append(
                {
                    "row": machine,
                    "start_min": step["start"],
                    "end_min": step["end"],
                    "product": products.get(order, "?"),
                    "order": order,
                    "roll": step["job"],
                    "setup before min": step["setup_before"],
                }
            )
    frame = pd.DataFrame(rows)
    return _timeline(frame, origin, "product", hover_data=["order", "roll", "setup before min"])


def scrap_pareto(scrap: dict[str, Estimate]) -> go.Figure:
    """Scrap area by cause, largest first, with the cumulative share."""
    causes = [_label(c) for c in scrap]
    means = [e.mean for e in scrap.values()]
    errors = [e.ci_high - e.mean for e in scrap.values()]
    total = sum(means) or 1.0
    cumulative = pd.Series(means).cumsum() / total
    figure = go.Figure()
    figure.add_bar(x=causes, y=means, error_y={"array": errors}, name="m²")
    figure.add_scatter(x=causes, y=cumulative, yaxis="y2", name="cumulative share")
    figure.update_layout(
        yaxis={"title": "scrap m²"},
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1.05]},
        margin={"t": 30},
        legend={"orientation": "h"},
    )
    return figure


def defect_map(roll: dict[str, Any]) -> go.Figure:
    """A roll's defects along its length and across its width; marked ones as crosses."""
    frame = pd.DataFrame(
        roll.get("defects", []),
        columns=["pos_m", "cross_mm", "type", "size_mm", "station", "marked"],
    )
    frame["marked"] = frame["marked"].map({True: "marked", False: "unmarked"})
    figure = px.scatter(
        frame,
        x="pos_m",
        y="cross_mm",
        color="type",
        symbol="marked",
        symbol_map={"marked": "x", "unmarked": "circle"},
        hover_data=["size_mm", "station"],
        labels={"pos_m": "position along the roll, m", "cross_mm": "across the web, mm"},
    )
    figure.update_xaxes(range=[0, roll["length_m"]])
    figure.update_yaxes(range=[0, roll["width_m"] * 1000])
    return figure.update_layout(margin={"t": 30})


def estimate_bars(frame: pd.DataFrame) -> go.Figure:
    """Means with 95 % confidence intervals, one panel per KPI with its own scale.

    Rows of ``frame``: ``kpi``, ``run``, ``mean``, ``low``, ``high``.
    """
    columns = 4
    figure = px.bar(
        frame,
        x="run",
        y="mean",
        color="run",
        error_y=frame["high"] - frame["mean"],
        error_y_minus=frame["mean"] - frame["low"],
        facet_col="kpi",
        facet_col_wrap=columns,
        facet_row_spacing=0.12,
    )
    figure.update_yaxes(matches=None, showticklabels=True, title=None)
    figure.update_xaxes(title=None, showticklabels=False)
    figure.for_each_annotation(lambda note: note.update(text=note.text.split("=", 1)[-1]))
    rows = -(-frame["kpi"].nunique() // columns)
    return figure.update_layout(height=220 * rows, margin={"t": 40})
