"""Gantt charts a planner can read: a schedule's, and a simulated replication's.

Rows are the plant's tools in web order, grouped by line; bars are rolls, labelled with their
roll id (``ORDER/k``), coloured by product, and outlined red when their order is late; setups,
maintenance and breakdowns are blocks of their own; each line's hours off shift are shaded; the
axis is in calendar dates. :func:`figure` draws a :class:`Gantt`, with the due dates of a line's
or an order's orders marked and the view zoomed to a day or a week.

A schedule (``r2r schedule`` document) names its machines as the scheduler does (a station, a
unit ``PC2#2``, an inline segment ``OX1+PC1+AL1+AN1``); its setup runs right before a roll and
its usage-based maintenance right before that setup, lasting what the scenario says; calendar
maintenance is unrolled from the scenario. A simulation's bars come from its event log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import plotly.graph_objects as go
from plotly.colors import qualitative

from dashboard.charts import STATE_COLOURS, dates, time_title
from dashboard.layout import unit_names
from twin import Scenario, SimulationResult, StateChange, off_shift_intervals
from twin.display import moment, significant
from twin.scenario import CalendarMaintenance, Line

Kind = Literal["roll", "setup", "maintenance", "down"]
Zoom = Literal["all", "week", "day"]

BLOCK_COLOURS: dict[str, str] = {
    "setup": STATE_COLOURS["setup"],
    "maintenance": STATE_COLOURS["maintenance"],
    "down": STATE_COLOURS["down"],
}
LATE_OUTLINE = "#b71c1c"
OFF_SHIFT = "rgba(96, 96, 96, 0.16)"
DUE_COLOUR = "#c62828"
MAX_BARS = 6000
"""Bars drawn at most (the earliest); a browser slows down beyond."""
ROLL_STATES = frozenset({"working", "blocked", "starved", "waiting_crew"})
"""States in which a unit holds a roll it is working on (unless the roll is done)."""


@dataclass(frozen=True)
class Row:
    """One tool's row: its line and its name (machine or unit)."""

    line: str
    name: str

    @property
    def label(self) -> str:
        """The row as the axis shows it."""
        return f"{self.line} · {self.name}"


@dataclass(frozen=True)
class Bar:
    """A roll on a tool, or a setup, maintenance or breakdown block, minutes after the start."""

    row: Row
    start_min: float
    end_min: float
    kind: Kind
    label: str
    order: str | None = None
    product: str | None = None
    late: bool = False
    detail: str = ""


@dataclass
class Gantt:
    """What a Gantt draws: rows in web order, bars, shading, due dates."""

    title: str
    start: dt.datetime | None
    horizon_min: float
    rows: list[Row]
    bars: list[Bar]
    off_shift: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    due_min: dict[str, float] = field(default_factory=dict)
    order_line: dict[str, str] = field(default_factory=dict)
    late: set[str] = field(default_factory=set)

    def due_choices(self) -> list[str]:
        """What due dates can be marked: each line's orders, or one order."""
        lines = [f"line {line}" for line in dict.fromkeys(r.line for r in self.rows)]
        return lines + [f"order {order}" for order in sorted(self.due_min)]

    def orders_of(self, choice: str | None) -> list[str]:
        """The orders a due-date choice (``line INL1``, ``order SO-1``) marks."""
        if not choice:
            return []
        kind, _, name = choice.partition(" ")
        if kind == "line":
            return sorted(o for o, line in self.order_line.items() if line == name)
        return [name] if name in self.due_min else []


# -------------------------------------------------------------------------------- rows
def machine_rows(scenario: Scenario, machines: Iterable[str]) -> list[Row]:
    """A schedule's machines in web order, line by line, as the scheduler names them."""
    known: list[Row] = []
    for line in scenario.lines:
        for segment in line.segments():
            if len(segment) == 1 and segment[0].units > 1:
                known += [Row(line.id, u) for u in unit_names(segment[0].id, segment[0].units)]
            else:
                known.append(Row(line.id, "+".join(s.id for s in segment)))
    names = set(machines)
    rows = [row for row in known if row.name in names]
    rows += [Row("?", name) for name in machines if name not in {r.name for r in rows}]
    return rows


def unit_rows(scenario: Scenario) -> list[Row]:
    """Every station unit in web order, line by line."""
    return [
        Row(line.id, unit)
        for line in scenario.lines
        for station in line.stations
        for unit in unit_names(station.id, station.units)
    ]


def _off_shift(
    scenario: Scenario, horizon_min: float, origin: dt.datetime | None = None
) -> dict[str, list[tuple[float, float]]]:
    """Each line's hours off shift, minutes after ``origin`` (the scenario's start by default)."""
    start = origin or scenario.start
    return {
        line.id: off_shift_intervals(scenario.calendar(line.calendar), start, horizon_min)
        for line in scenario.lines
    }


# ---------------------------------------------------------------------------- schedules
def schedule_gantt(
    document: dict[str, Any], scenario: Scenario, origin: dt.datetime | None = None
) -> Gantt:
    """A schedule's rolls per machine, with its setups and maintenance as blocks of their own.

    A schedule made from a plant state counts its minutes from the state's moment: ``origin``
    (the scenario's start by default); due dates, shifts and calendar maintenance follow it.
    """
    offset_min = 0.0 if origin is None or scenario.start is None else scenario.minutes(origin)
    solution = document["solution"]
    machines: dict[str, list[dict[str, Any]]] = solution["machines"]
    rows = {row.name: row for row in machine_rows(scenario, machines)}
    product = {order.id: order.product for order in scenario.orders}
    jobs: dict[str, dict[str, Any]] = solution["jobs"]
    plan = document.get("plan") or {}
    order_of = {step["job"]: _order(step["job"], product) for s in machines.values() for step in s}
    late = {order_of[job] for job, outcome in jobs.items() if outcome["tardiness"] > 0}
    upkeep = _usage_durations(scenario)
    bars: list[Bar] = []
    end = 0.0
    for machine, steps in machines.items():
        row = rows[machine]
        for step in steps:
            order = order_of[step["job"]]
            start, setup = float(step["start"]), float(step["setup_before"])
            outcome = jobs.get(step["job"], {})
            detail = f"roll {step['job']}, order {order}; setup {significant(setup)} min before" + (
                f"; late by {significant(outcome['tardiness'] / 60)} h" if order in late else ""
            )
            bars.append(
                Bar(
                    row,
                    start,
                    float(step["end"]),
                    "roll",
                    step["job"],
                    order,
                    product.get(order),
                    order in late,
                    detail,
                )
            )
            if setup > 0:
                bars.append(Bar(row, start - setup, start, "setup", "setup", order))
            cursor = start - setup
            for counter in reversed(step["maintenance_before"]):
                name, minutes = upkeep.get(counter, (counter, 0.0))
                if minutes > 0:
                    bars.append(Bar(row, cursor - minutes, cursor, "maintenance", name))
                    cursor -= minutes
            end = max(end, float(step["end"]))
    horizon = end if origin is not None else max(end, scenario.run.horizon)
    bars += _calendar_maintenance(scenario, rows, horizon, offset_min)
    lines = plan.get("line", {})
    since = "" if origin is None else f" from {origin:%Y-%m-%d %H:%M}"
    return Gantt(
        title=f"Schedule ({solution['status']}) of {scenario.name}{since}",
        start=origin or scenario.start,
        horizon_min=horizon,
        rows=list(rows.values()),
        bars=bars,
        off_shift=_off_shift(scenario, horizon, origin),
        due_min={o.id: scenario.minutes(o.due) - offset_min for o in scenario.orders},
        order_line={order_of[job]: line for job, line in lines.items() if job in order_of},
        late=late,
    )


def _order(roll: str, products: dict[str, str]) -> str:
    """The order a roll ``ORDER/k`` belongs to (the scheduler's roll ids are built so)."""
    order = roll.rsplit("/", 1)[0]
    return order if order in products else roll


def _usage_durations(scenario: Scenario) -> dict[str, tuple[str, float]]:
    """Each usage counter as a schedule names it (``PC1.wall_deposit_um_m``): task, minutes."""
    return {
        f"{station.id}.{task.counter}": (task.name, task.duration)
        for line in scenario.lines
        for station in line.stations
        for task in station.usage_maintenance()
    }


def _calendar_maintenance(
    scenario: Scenario, rows: dict[str, Row], horizon_min: float, shift_min: float = 0.0
) -> list[Bar]:
    """Calendar maintenance of each machine's stations, unrolled as the scheduler does.

    Times count from ``shift_min`` after the scenario's start (a plan from a plant state);
    tasks over by then are left out.
    """
    bars = []
    for line in scenario.lines:
        for row in rows.values():
            if row.line != line.id:
                continue
            for station in _stations_of(line, row.name):
                for task in station.maintenance:
                    if not isinstance(task, CalendarMaintenance):
                        continue
                    begin = task.every if task.first is None else task.first
                    while begin < horizon_min + shift_min:
                        label = f"{station.id} {task.name}"
                        low, high = begin - shift_min, begin + task.duration - shift_min
                        if high > 0:
                            bars.append(Bar(row, max(low, 0.0), high, "maintenance", label))
                        begin += task.every
    return bars


def _stations_of(line: Line, machine: str) -> list[Any]:
    """The stations a machine of ``line`` is made of (a segment, a station, one of its units)."""
    for segment in line.segments():
        if machine == "+".join(s.id for s in segment):
            return list(segment)
        for station in segment:
            if machine in unit_names(station.id, station.units):
                return [station]
    return []


# --------------------------------------------------------------------------- simulations
def simulation_gantt(result: SimulationResult, scenario: Scenario) -> Gantt:
    """Replication 1's rolls on every unit, its setups, maintenance and breakdowns as blocks.

    An order is late when replication 1 finished it after its due date, or not at all before
    the end of the run (its genealogy says when each roll was finished).
    """
    horizon = result.horizon_days * 1440
    rows = {row.name: row for row in unit_rows(scenario)}
    lengths = {roll["id"]: roll["length_m"] for roll in result.rolls or []}
    due = {o.id: scenario.minutes(o.due) for o in scenario.orders}
    late = _late_orders(result, scenario, due, horizon)
    by_unit: dict[str, list[StateChange]] = {}
    for event in sorted(result.events or [], key=lambda e: e.minute):
        by_unit.setdefault(event.unit, []).append(event)
    bars: list[Bar] = []
    for unit, records in by_unit.items():
        row = rows.get(unit) or Row("?", unit)
        for record, until in zip(records, [*(r.minute for r in records[1:]), horizon], strict=True):
            if until <= record.minute:
                continue
            bar = _bar(row, record, until, lengths.get(record.roll or "", scenario.roll_length_m))
            if bar is None:
                continue
            late_bar = bar.order in late
            if bars and _continues(bars[-1], bar):
                bar = Bar(
                    row,
                    bars.pop().start_min,
                    until,
                    bar.kind,
                    bar.label,
                    bar.order,
                    bar.product,
                    late_bar,
                    bar.detail,
                )
            elif late_bar:
                bar = Bar(
                    row,
                    bar.start_min,
                    bar.end_min,
                    bar.kind,
                    bar.label,
                    bar.order,
                    bar.product,
                    True,
                    bar.detail,
                )
            bars.append(bar)
    return Gantt(
        title=f"{result.scenario}: replication 1 of {result.replications}",
        start=scenario.start,
        horizon_min=horizon,
        rows=list(rows.values()),
        bars=bars,
        off_shift=_off_shift(scenario, horizon),
        due_min=due,
        order_line={o: f.line for o, f in result.orders.items() if f.line},
        late=late,
    )


def _bar(row: Row, record: StateChange, until: float, length_m: float) -> Bar | None:
    if record.state in BLOCK_COLOURS:
        kind: Kind = record.state  # type: ignore[assignment]
        return Bar(row, record.minute, until, kind, record.cause or record.state, record.order)
    done = record.metres is not None and record.metres >= length_m - 1e-6
    if record.roll and record.state in ROLL_STATES and not done:
        detail = f"roll {record.roll}, order {record.order}"
        return Bar(
            row,
            record.minute,
            until,
            "roll",
            record.roll,
            record.order,
            record.product,
            False,
            detail,
        )
    return None


def _continues(previous: Bar, bar: Bar) -> bool:
    """Whether ``bar`` carries on ``previous`` (the same roll or block, straight after it)."""
    return (
        previous.row == bar.row
        and previous.kind == bar.kind
        and previous.label == bar.label
        and abs(previous.end_min - bar.start_min) < 1e-9
    )


def _late_orders(
    result: SimulationResult, scenario: Scenario, due: dict[str, float], horizon: float
) -> set[str]:
    finished: dict[str, list[float]] = {}
    for roll in result.rolls or []:
        ends = [s["end_min"] for s in roll["segments"] if s["exit"] == "finished"]
        if ends:
            finished.setdefault(roll["order"], []).append(ends[0])
    late = set()
    for order in scenario.orders:
        done = finished.get(order.id, [])
        if len(done) < scenario.order_rolls(order):
            if due[order.id] < horizon:
                late.add(order.id)
        elif max(done) > due[order.id]:
            late.add(order.id)
    return late


# -------------------------------------------------------------------------------- drawing
def _when(start: dt.datetime | None, minute: float) -> dt.datetime:
    return dates(start, [minute])[0]


def zoom_range(
    gantt: Gantt, zoom: Zoom, first_day: dt.date | None
) -> tuple[dt.datetime, dt.datetime]:
    """The axis range: the whole run, or a week or a day from ``first_day`` (midnight)."""
    begin, end = _when(gantt.start, 0.0), _when(gantt.start, gantt.horizon_min)
    if zoom == "all":
        return begin, end
    day = dt.datetime.combine(first_day or begin.date(), dt.time())
    return day, day + dt.timedelta(days=7 if zoom == "week" else 1)


def figure(
    gantt: Gantt,
    *,
    due_for: str | None = None,
    zoom: Zoom = "all",
    first_day: dt.date | None = None,
) -> go.Figure:
    """The Gantt: bars by row, blocks, shading, the due dates of ``due_for``, zoomed."""
    labels = [row.label for row in gantt.rows]
    position = {row: index for index, row in enumerate(gantt.rows)}
    fig = go.Figure()
    bars = sorted(gantt.bars, key=lambda b: b.start_min)[:MAX_BARS]
    products = sorted({b.product or "?" for b in bars if b.kind == "roll"})
    palette = qualitative.Safe + qualitative.Pastel
    colours = {p: palette[i % len(palette)] for i, p in enumerate(products)}
    groups: dict[str, list[Bar]] = {}
    for bar in bars:
        groups.setdefault(bar.product or "?" if bar.kind == "roll" else bar.kind, []).append(bar)
    for name, members in groups.items():
        colour = colours.get(name) or BLOCK_COLOURS.get(name, "#999999")
        fig.add_trace(_trace(gantt, name, members, colour))
    fig.add_trace(  # the legend's entry for late orders
        go.Bar(
            x=[None],
            y=[None],
            name="late order",
            orientation="h",
            marker={"color": "#ffffff", "line": {"color": LATE_OUTLINE, "width": 3}},
        )
    )
    shapes = _shading(gantt, position) + _separators(gantt)
    annotations = []
    for order in gantt.orders_of(due_for):
        when = _when(gantt.start, gantt.due_min[order])
        shapes.append(
            {
                "type": "line",
                "x0": when,
                "x1": when,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": DUE_COLOUR, "width": 1.5, "dash": "dash"},
            }
        )
        annotations.append(
            {
                "x": when,
                "y": 1,
                "yref": "paper",
                "text": f"{order} due",
                "showarrow": False,
                "textangle": -60,
                "xanchor": "left",
                "yanchor": "bottom",
                "font": {"size": 10, "color": DUE_COLOUR},
            }
        )
    begin, end = zoom_range(gantt, zoom, first_day)
    fig.update_layout(
        title={"text": gantt.title, "font": {"size": 14}},
        barmode="overlay",
        shapes=shapes,
        annotations=annotations,
        xaxis={
            "type": "date",
            "range": [begin, end],
            "title": None if gantt.start else time_title(gantt.start),  # dates say it
            "side": "bottom",
        },
        yaxis={
            "categoryorder": "array",
            "categoryarray": labels,
            "autorange": "reversed",
            "title": None,
        },
        height=160 + 30 * len(labels) + (60 if annotations else 0),
        margin={"t": 60 + (70 if annotations else 0), "l": 10, "r": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.1 if gantt.start else -0.2},
        uniformtext={"minsize": 8, "mode": "hide"},
        bargap=0.25,
    )
    return fig


def _trace(gantt: Gantt, name: str, bars: list[Bar], colour: str) -> go.Bar:
    starts = [_when(gantt.start, b.start_min) for b in bars]
    hover = [
        f"<b>{b.label}</b> ({b.kind})<br>{moment(gantt.start, b.start_min)} → "
        f"{moment(gantt.start, b.end_min)}, {significant((b.end_min - b.start_min) / 60, 3)} h"
        + (f"<br>{b.detail}" if b.detail else "")
        + (f"<br>order {b.order} is late" if b.late else "")
        for b in bars
    ]
    return go.Bar(
        name=name.replace("_", " "),
        orientation="h",
        y=[b.row.label for b in bars],
        base=starts,
        x=[(b.end_min - b.start_min) * 60_000 for b in bars],  # a date axis counts milliseconds
        text=[b.label if b.kind == "roll" else "" for b in bars],
        textposition="inside",
        insidetextanchor="middle",
        textangle=0,
        customdata=[b.order or "" for b in bars],
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        marker={
            "color": colour,
            "line": {
                "color": [LATE_OUTLINE if b.late else "rgba(0,0,0,0.25)" for b in bars],
                "width": [3 if b.late else 0.5 for b in bars],
            },
        },
    )


def _shading(gantt: Gantt, position: dict[Row, int]) -> list[dict[str, Any]]:
    """Each line's hours off shift, shaded across that line's rows."""
    shapes = []
    for line, intervals in gantt.off_shift.items():
        indices = [i for row, i in position.items() if row.line == line]
        if not indices or not intervals:
            continue
        for begin, end in intervals:
            shapes.append(
                {
                    "type": "rect",
                    "x0": _when(gantt.start, begin),
                    "x1": _when(gantt.start, end),
                    "y0": min(indices) - 0.5,
                    "y1": max(indices) + 0.5,
                    "fillcolor": OFF_SHIFT,
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
    return shapes


def _separators(gantt: Gantt) -> list[dict[str, Any]]:
    """A rule between one line's rows and the next line's."""
    shapes = []
    for index in range(1, len(gantt.rows)):
        if gantt.rows[index].line != gantt.rows[index - 1].line:
            shapes.append(
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": index - 0.5,
                    "y1": index - 0.5,
                    "line": {"color": "#455a64", "width": 1.5},
                }
            )
    return shapes
