"""Plotly figures of simulation results and schedules; plain functions of twin's results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.colors import qualitative

from twin import Comparison, Estimate, SimulationResult
from twin.display import is_share

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


def dates(start: dt.datetime | None, minutes: Iterable[float]) -> list[dt.datetime]:
    """Minutes after the start as date-times on a chart's axis (from 2000-01-01 without a start)."""
    base = (start or NO_START).replace(tzinfo=None)
    return [base + dt.timedelta(minutes=m) for m in minutes]


def time_title(start: dt.datetime | None) -> str:
    """The title of a time axis: dates, or why there are none."""
    return "time" if start else "time (the scenario has no start date: day 1 is 2000-01-01)"


def buffer_levels(result: SimulationResult) -> go.Figure | None:
    """Store (rolls) and accumulator (m) levels over time, first replication; None if none."""
    rows = [
        {"time": when, "level": level, "buffer": name, "unit": buffer.unit}
        for name, buffer in result.buffers.items()
        for when, (_, level) in zip(
            dates(result.start, (m for m, _ in buffer.series)), buffer.series, strict=True
        )
    ]
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    units = sorted({b.unit for b in result.buffers.values()})
    figure = px.line(
        frame,
        x="time",
        y="level",
        color="buffer",
        facet_row="unit" if len(units) > 1 else None,
        line_shape="hv",
    ).update_layout(margin={"t": 30}, xaxis_title=time_title(result.start))
    if len(units) == 1:
        figure.update_yaxes(title=f"level, {units[0]}")
    figure.update_yaxes(matches=None)
    return figure


def output_over_time(
    rolls: Iterable[dict[str, Any]], start: dt.datetime | None
) -> go.Figure | None:
    """Metres finished over time, by line (first replication's genealogy); None if no rolls."""
    finished = []
    for roll in rolls:
        ends = [s["end_min"] for s in roll.get("segments", []) if s.get("exit") == "finished"]
        if ends:
            finished.append({"line": roll["line"], "minute": ends[0], "m": roll["length_m"]})
    if not finished:
        return None
    frame = pd.DataFrame(finished).sort_values("minute")
    frame["time"] = dates(start, frame["minute"])
    frame["metres finished"] = frame.groupby("line")["m"].cumsum()
    return px.line(
        frame, x="time", y="metres finished", color="line", line_shape="hv", markers=True
    ).update_layout(margin={"t": 30}, xaxis_title=time_title(start))


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


def differences(comparison: Comparison) -> go.Figure:
    """Each scenario's difference to the first, with its interval, on each KPI's own scale.

    One panel per KPI (its unit on the axis; shares in percentage points), the plant and each
    line as rows, a marker per scenario (one colour each in every panel, side by side within a
    row), and the zero line: a difference shows where it is, not as a bar from zero.
    """
    from plotly.subplots import make_subplots

    kpis = list(dict.fromkeys(r.kpi.rsplit(".", 1)[-1] for r in comparison.rows))
    labels = {k: next(r.label for r in comparison.rows if r.kpi.endswith(k)) for k in kpis}
    titles = [f"{labels[k]} (pp)" if is_share(k) else labels[k] for k in kpis]
    figure = make_subplots(rows=1, cols=len(kpis), subplot_titles=titles, shared_yaxes=True)
    names = comparison.names
    scopes = list(dict.fromkeys(r.scope for r in comparison.rows))
    place = {scope: index for index, scope in enumerate(scopes)}
    others = len(names) - 1
    palette = qualitative.D3
    in_legend: set[str] = set()  # a scenario's name shows once, on its first panel with points
    for column, kpi in enumerate(kpis, start=1):
        scale = 100.0 if is_share(kpi) else 1.0
        rows = [r for r in comparison.rows if r.kpi.rsplit(".", 1)[-1] == kpi]
        for index, name in enumerate(names[1:], start=1):
            points = [(r.scope, r.differences[index - 1]) for r in rows]
            points = [(scope, d) for scope, d in points if d is not None]
            offset = 0.0 if others == 1 else 0.5 * ((index - 1) / (others - 1) - 0.5)
            colour = palette[(index - 1) % len(palette)]
            figure.add_trace(
                go.Scatter(
                    x=[d.mean * scale for _, d in points],
                    y=[place[scope] + offset for scope, _ in points],
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": [(d.high - d.mean) * scale for _, d in points],
                        "arrayminus": [(d.mean - d.low) * scale for _, d in points],
                        "color": colour,
                    },
                    mode="markers",
                    marker={"size": 9, "color": colour},
                    name=f"{name} − {names[0]}",
                    legendgroup=name,
                    showlegend=bool(points) and name not in in_legend,
                    hovertemplate=f"{name}<br>%{{x:.3g}}<extra></extra>",
                ),
                row=1,
                col=column,
            )
            if points:
                in_legend.add(name)
        figure.add_vline(x=0, line_dash="dot", line_color="grey", row=1, col=column)
    figure.update_yaxes(
        autorange="reversed", tickvals=list(place.values()), ticktext=scopes, zeroline=False
    )
    figure.update_xaxes(zeroline=False)
    return figure.update_layout(
        height=220 + 45 * len(scopes),
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
        margin={"t": 40},
    )
