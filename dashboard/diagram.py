"""The plant diagram: a plotly figure of a :class:`~dashboard.layout.PlantLayout` and its looks.

Each line is a row in web order: stations as boxes (a slot per parallel unit), an accumulator as
a thin gauge on the web where stations run inline (the web drawn as one thick band through the
segment), a roll store as a box between roll-coupled tools (dashed arrows for carried rolls).
What the boxes show is a :class:`Picture`: the run's time in state (:func:`run_picture`) or the
plant at a moment of a replay or a state file (:func:`moment_picture`). Every box has a hover
text, and clicking it selects its station or buffer (the marker's ``customdata``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Literal

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from dashboard.charts import STATE_COLOURS
from dashboard.layout import (
    ACCUMULATOR_HEIGHT,
    BUFFER_WIDTH,
    STATION_HEIGHT,
    STATION_WIDTH,
    STORE_HEIGHT,
    BufferBox,
    PlantLayout,
    StationBox,
)
from dashboard.playback import PlantMoment, RollWaiting, UnitAt
from twin import SimulationResult
from twin.display import significant

UNKNOWN_COLOUR = "#cfd8dc"
"""A unit whose state is not known (a state file that does not mention it)."""
WEB_COLOUR = "#546e7a"
OUTLINE = "#37474f"
BOTTLENECK_OUTLINE = "#000000"
FILL_COLOUR = "#4fc3f7"
"""What fills a store or an accumulator, in proportion to its level."""
OVER_LIMIT = "#d62728"
"""A store holding a roll that has waited past its limit."""
WORKING_SCALE = "RdYlGn"
"""Working share, red (0 %) to green (100 %)."""

ColourBy = Literal["working", "dominant"]


@dataclass(frozen=True)
class Look:
    """How one box is drawn: its fill, its text, its hover text and outline."""

    fill: str
    text: str
    hover: str
    share: float | None = None
    """How full a buffer is drawn (0 to 1)."""
    outline: str = OUTLINE
    outline_width: float = 1.0
    mark: str = ""
    """A note above the box (the bottleneck)."""


@dataclass(frozen=True)
class Picture:
    """Everything the diagram shows: a look per station, per unit slot and per buffer."""

    title: str
    stations: dict[str, Look]
    units: dict[str, Look] = field(default_factory=dict)
    buffers: dict[str, Look] = field(default_factory=dict)
    legend: Literal["states", "working", "none"] = "none"


def ink(fill: str) -> str:
    """Black or white text, whichever reads better on ``fill`` (``#rrggbb`` or ``rgb(r, g, b)``)."""
    if fill.startswith("#") and len(fill) == 7:
        red, green, blue = (float(int(fill[i : i + 2], 16)) for i in (1, 3, 5))
    elif fill.startswith("rgb("):
        red, green, blue = (float(v) for v in fill[4:-1].split(",")[:3])
    else:
        return "#212121"
    luminance = (0.299 * red + 0.587 * green + 0.114 * blue) / 255
    return "#212121" if luminance > 0.5 else "#ffffff"


def _percent(share: float) -> str:
    return f"{share * 100:.0f} %"


def _words(name: str) -> str:
    return name.replace("_", " ")


# ---------------------------------------------------------------------------------- pictures
def layout_picture(layout: PlantLayout, title: str) -> Picture:
    """The plant alone, before any run: each station's type and units, each buffer's capacity."""
    stations = {
        s.id: Look(
            "#eceff1",
            f"<b>{s.id}</b><br>{_words(s.kind)}"
            + (f" ×{len(s.units)}" if len(s.units) > 1 else ""),
            f"{s.id} {s.name}<br>{_words(s.kind)}, {len(s.units)} unit(s)",
        )
        for s in layout.stations.values()
    }
    buffers = {
        b.id: Look("#ffffff", f"{b.id}<br>{significant(b.capacity)} {b.unit}", _capacity(b), 0.0)
        for b in layout.buffers.values()
    }
    return Picture(title, stations, buffers=buffers)


def _capacity(buffer: BufferBox) -> str:
    kind = "roll store" if buffer.kind == "roll_store" else "accumulator"
    text = f"{buffer.id}: {kind}, holds {significant(buffer.capacity)} {buffer.unit}"
    for product, limit in buffer.max_wait_min.items():
        text += f"<br>{product} may wait {significant(limit / 60)} h"
    return text


def run_picture(layout: PlantLayout, result: SimulationResult, colour_by: ColourBy) -> Picture:
    """A run's time in state per station (all replications) and each buffer's mean fill.

    Each line's bottleneck (the station most often its line's momentary bottleneck) is outlined,
    and the plant's is named so.
    """
    stations: dict[str, Look] = {}
    line_bottleneck = _line_bottlenecks(layout, result)
    for box in layout.stations.values():
        figures = result.stations.get(box.id)
        if figures is None:
            continue
        states = figures.states
        working = states.get("working", 0.0)
        dominant = max(states, key=lambda s: states[s]) if states else "working"
        if colour_by == "working":
            fill = sample_colorscale(WORKING_SCALE, [min(max(working, 0.0), 1.0)])[0]
            line2 = f"working {_percent(working)}"
        else:
            fill = STATE_COLOURS.get(dominant, UNKNOWN_COLOUR)
            line2 = f"mostly {_words(dominant)} {_percent(states.get(dominant, 0.0))}"
        hover = [f"<b>{box.id}</b> {box.name}"]
        hover += [f"{_words(s)}: {share * 100:.1f} %" for s, share in states.items() if share > 0]
        hover += [
            f"OEE {figures.oee.mean * 100:.1f} % [{figures.oee.ci_low * 100:.1f}, "
            f"{figures.oee.ci_high * 100:.1f}]",
            f"bottleneck of its line {figures.line_bottleneck_share * 100:.0f} % of the time",
        ]
        mark = ""
        if box.id == result.bottleneck.station:
            mark = f"▲ plant bottleneck {_percent(result.bottleneck.share)}"
        elif line_bottleneck.get(box.line) == box.id:
            mark = f"▲ {box.line} bottleneck {_percent(figures.line_bottleneck_share)}"
        stations[box.id] = Look(
            fill,
            f"<b>{box.id}</b><br>{line2}",
            "<br>".join(hover),
            outline=BOTTLENECK_OUTLINE if mark else OUTLINE,
            outline_width=4.0 if mark else 1.0,
            mark=mark,
        )
    buffers: dict[str, Look] = {}
    for buffer in layout.buffers.values():
        kept = result.buffers.get(buffer.id)
        if kept is None:
            continue
        mean = kept.mean_level
        share = mean.mean / buffer.capacity if buffer.capacity else 0.0
        note = (
            f"<b>{buffer.id}</b> mean {significant(mean.mean)} {buffer.unit} "
            f"[{significant(mean.ci_low)}, {significant(mean.ci_high)}] of "
            f"{significant(buffer.capacity)} ({_percent(share)})<br>"
            f"highest {significant(kept.max_level)} {buffer.unit}"
        )
        if kept.mean_wait_h is not None:
            note += f"<br>mean wait {significant(kept.mean_wait_h.mean)} h"
        if kept.expired is not None and kept.expired.mean > 0:
            note += f"<br>expired {significant(kept.expired.mean)} per replication"
        buffers[buffer.id] = Look(
            FILL_COLOUR,
            f"{buffer.id}<br>{_percent(share)}",
            note,
            min(max(share, 0.0), 1.0),
        )
    title = (
        f"{result.scenario}: time in state over {result.replications} replication(s) "
        f"after the warm-up · buffers at their mean fill"
    )
    return Picture(title, stations, buffers=buffers, legend=_legend(colour_by))


def _legend(colour_by: ColourBy) -> Literal["states", "working"]:
    return "working" if colour_by == "working" else "states"


def _line_bottlenecks(layout: PlantLayout, result: SimulationResult) -> dict[str, str]:
    found = {}
    for line in layout.lines:
        shares = {
            s.id: result.stations[s.id].line_bottleneck_share
            for s in line.stations
            if s.id in result.stations
        }
        if shares and max(shares.values()) > 0:
            found[line.id] = max(shares, key=lambda s: shares[s])
    return found


def moment_picture(layout: PlantLayout, moment: PlantMoment, title: str) -> Picture:
    """The plant at a moment: each unit's state, roll and progress; stores' rolls; levels."""
    units = {name: _unit_look(unit, moment) for name, unit in moment.units.items()}
    stations = {}
    for box in layout.stations.values():
        lines = [f"<b>{box.id}</b>"]
        single = len(box.units) == 1
        for name in box.units:
            unit = moment.units[name]
            mark = "" if single else f"{name.removeprefix(box.id)} "  # "#2 " of PC2#2
            lines.append(mark + _unit_line(unit, with_state=single))
        stations[box.id] = Look(UNKNOWN_COLOUR, "<br>".join(lines), units[box.units[0]].hover)
    buffers = {}
    for buffer in layout.buffers.values():
        if buffer.kind == "roll_store":
            rolls = moment.stores.get(buffer.id, ())
            buffers[buffer.id] = _store_look(buffer, rolls)
        else:
            level = moment.accumulators.get(buffer.id, 0.0)
            share = level / buffer.capacity if buffer.capacity else 0.0
            buffers[buffer.id] = Look(
                FILL_COLOUR,
                f"{buffer.id}<br>{level:.1f} / {significant(buffer.capacity)} m",
                f"<b>{buffer.id}</b> {level:.1f} m of {significant(buffer.capacity)} m "
                f"({_percent(share)})",
                min(max(share, 0.0), 1.0),
            )
    return Picture(title, stations, units, buffers, legend="states")


def _unit_line(unit: UnitAt, with_state: bool) -> str:
    """A unit in its box: its roll and progress (and its state, unless the colour alone tells)."""
    state = _words(unit.state) if unit.state != "unknown" else "not in the file"
    if unit.roll and unit.progress is not None and unit.progress < 1:
        roll = f"{unit.roll} {_percent(unit.progress)}"
        return f"{state}<br>{roll}" if with_state else roll
    return state


def _unit_look(unit: UnitAt, moment: PlantMoment) -> Look:
    hover = [f"<b>{unit.unit}</b>: {unit.status}"]
    if unit.since_min is not None:
        hover.append(f"for {significant((moment.minute - unit.since_min) / 60, 3)} h")
    if unit.roll:
        hover.append(f"roll {unit.roll} ({unit.product})")
        if unit.done_m is not None:
            length = f" of {significant(unit.length_m)} m" if unit.length_m else ""
            done = f"{significant(unit.done_m)} m done{length}"
            if unit.progress is not None:
                done += f" ({_percent(unit.progress)})"
            hover.append(done)
    return Look(STATE_COLOURS.get(unit.state, UNKNOWN_COLOUR), "", "<br>".join(hover))


def _store_look(box: BufferBox, rolls: tuple[RollWaiting, ...]) -> Look:
    count = len(rolls)
    over = [r for r in rolls if r.limit_min is not None and r.waited_min > r.limit_min]
    hover = [f"<b>{box.id}</b> {count} of {significant(box.capacity)} rolls"]
    for roll in rolls:
        waited = f"waited {significant(roll.waited_min / 60, 3)} h"
        if roll.limit_min is not None:
            waited += f" of {significant(roll.limit_min / 60, 3)} h allowed"
            if roll.waited_min > roll.limit_min:
                waited += " (past its limit)"
        hover.append(f"{roll.roll} ({roll.product or '?'}): {waited}")
    return Look(
        OVER_LIMIT if over else FILL_COLOUR,
        f"{box.id}<br>{count} / {significant(box.capacity)}",
        "<br>".join(hover),
        min(count / box.capacity, 1.0) if box.capacity else 0.0,
    )


# ----------------------------------------------------------------------------------- drawing
@dataclass
class _Canvas:
    """What a figure is drawn from: shapes, texts (with their colour) and hover markers."""

    shapes: list[dict[str, object]] = field(default_factory=list)
    texts: list[tuple[float, float, str, str, str]] = field(default_factory=list)
    """(x, y, text, colour, position)."""
    hovers: list[tuple[float, float, str, str]] = field(default_factory=list)
    """(x, y, hover text, the station or buffer it selects)."""

    def text(
        self, x: float, y: float, text: str, colour: str = "#212121", where: str = "middle center"
    ) -> None:
        self.texts.append((x, y, text, colour, where))


def figure(layout: PlantLayout, picture: Picture, selected: str | None = None) -> go.Figure:
    """The diagram of ``picture`` on ``layout``; ``selected`` (a station or buffer) outlined."""
    canvas = _Canvas()
    for line in layout.lines:
        label_x = -STATION_WIDTH / 2
        canvas.text(label_x, line.y + 0.41, f"<b>{line.id}</b> {line.name}", where="middle right")
        canvas.shapes += _links(line.stations, line.buffers)
        for station in line.stations:
            _station(station, picture, canvas, selected)
        for buffer in line.buffers:
            _buffer(buffer, picture, canvas, selected)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[t[0] for t in canvas.texts],
            y=[t[1] for t in canvas.texts],
            text=[t[2] for t in canvas.texts],
            mode="text",
            textfont={"size": 10, "color": [t[3] for t in canvas.texts]},
            textposition=[t[4] for t in canvas.texts],
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[h[0] for h in canvas.hovers],
            y=[h[1] for h in canvas.hovers],
            customdata=[h[3] for h in canvas.hovers],
            hovertext=[h[2] for h in canvas.hovers],
            hovertemplate="%{hovertext}<extra></extra>",
            mode="markers",
            marker={"size": 34, "symbol": "square", "opacity": 0.01, "color": "#000000"},
            showlegend=False,
            name="plant",
        )
    )
    _add_legend(fig, picture.legend)
    bottom = min((line.y for line in layout.lines), default=0.0) - 0.55
    fig.update_layout(
        title={"text": picture.title, "font": {"size": 14}} if picture.title else None,
        shapes=canvas.shapes,
        xaxis={"visible": False, "range": [-0.8, layout.width + 0.8], "fixedrange": True},
        yaxis={"visible": False, "range": [bottom, 0.6], "fixedrange": True},
        height=(50 if picture.title else 10) + 60 + 150 * len(layout.lines),
        margin={"l": 10, "r": 10, "t": 40 if picture.title else 10, "b": 10},
        plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": -0.02},
        clickmode="event+select",
        dragmode=False,
    )
    return fig


def _links(
    stations: tuple[StationBox, ...], buffers: tuple[BufferBox, ...]
) -> list[dict[str, object]]:
    """The web through each inline segment (a thick band), dashed arrows for carried rolls."""
    found: list[dict[str, object]] = []
    by_pair = {b.between: b for b in buffers}
    for left, right in itertools.pairwise(stations):
        buffer = by_pair.get((left.id, right.id))
        x0, x1 = left.x + STATION_WIDTH / 2, right.x - STATION_WIDTH / 2
        if buffer is not None and buffer.kind == "accumulator":
            found.append(_line(x0, x1, left.y, WEB_COLOUR, 6))
        else:
            found.append(_line(x0, x1, left.y, WEB_COLOUR, 1.5, dash="dash"))
    return found


def _line(
    x0: float, x1: float, y: float, colour: str, width: float, dash: str = "solid"
) -> dict[str, object]:
    return {
        "type": "line",
        "x0": x0,
        "x1": x1,
        "y0": y,
        "y1": y,
        "line": {"color": colour, "width": width, "dash": dash},
        "layer": "below",
    }


def _rect(
    x0: float, x1: float, y0: float, y1: float, fill: str, outline: str, width: float
) -> dict[str, object]:
    return {
        "type": "rect",
        "x0": x0,
        "x1": x1,
        "y0": y0,
        "y1": y1,
        "fillcolor": fill,
        "line": {"color": outline, "width": width},
        "layer": "below",
    }


def _station(box: StationBox, picture: Picture, canvas: _Canvas, selected: str | None) -> None:
    look = picture.stations.get(box.id) or Look(UNKNOWN_COLOUR, f"<b>{box.id}</b>", box.id)
    left, right = box.x - STATION_WIDTH / 2, box.x + STATION_WIDTH / 2
    top = box.y + STATION_HEIGHT / 2
    slot = STATION_HEIGHT / len(box.units)
    fills = []
    for index, unit in enumerate(box.units):
        unit_look = picture.units.get(unit)
        fill = unit_look.fill if unit_look else look.fill
        fills.append(fill)
        canvas.shapes.append(
            _rect(left, right, top - slot * (index + 1), top - slot * index, fill, "#90a4ae", 0.5)
        )
        if unit_look is not None:
            x, y = box.unit_centre(unit)
            canvas.hovers.append((x, y, unit_look.hover, box.id))
    outline = "#1565c0" if selected == box.id else look.outline
    width = 4.0 if selected == box.id else look.outline_width
    frame = _rect(left, right, top - STATION_HEIGHT, top, "rgba(0,0,0,0)", outline, width)
    frame["layer"] = "above"
    canvas.shapes.append(frame)
    inks = {ink(fill) for fill in fills}
    canvas.text(box.x, box.y, look.text, "#ffffff" if inks == {"#ffffff"} else "#212121")
    if look.mark:
        canvas.text(box.x, box.y - STATION_HEIGHT / 2 - 0.1, look.mark, BOTTLENECK_OUTLINE)
    if not any(unit in picture.units for unit in box.units):
        canvas.hovers.append((box.x, box.y, look.hover, box.id))


def _buffer(box: BufferBox, picture: Picture, canvas: _Canvas, selected: str | None) -> None:
    look = picture.buffers.get(box.id) or Look("#ffffff", box.id, _capacity(box), 0.0)
    height = STORE_HEIGHT if box.kind == "roll_store" else ACCUMULATOR_HEIGHT
    left, right = box.x - BUFFER_WIDTH / 2, box.x + BUFFER_WIDTH / 2
    bottom, top = box.y - height / 2, box.y + height / 2
    outline = "#1565c0" if selected == box.id else OUTLINE
    canvas.shapes.append(
        _rect(left, right, bottom, top, "#ffffff", outline, 3.0 if selected == box.id else 1.0)
    )
    share = look.share or 0.0
    if share > 0 and math.isfinite(share):
        if box.kind == "roll_store":  # a store fills from the floor
            canvas.shapes.append(
                _rect(left, right, bottom, bottom + height * share, look.fill, outline, 0)
            )
        else:  # an accumulator's gauge fills from the left
            canvas.shapes.append(
                _rect(left, left + BUFFER_WIDTH * share, bottom, top, look.fill, outline, 0)
            )
    if box.kind == "roll_store":
        canvas.text(box.x, box.y, look.text)
    else:
        canvas.text(box.x, box.y - 0.2, look.text)
    canvas.hovers.append((box.x, box.y, look.hover, box.id))


def _add_legend(fig: go.Figure, legend: str) -> None:
    if legend == "states":
        for state, colour in STATE_COLOURS.items():
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    marker={"size": 12, "symbol": "square", "color": colour},
                    name=_words(state),
                    hoverinfo="skip",
                )
            )
    elif legend == "working":
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker={
                    "colorscale": WORKING_SCALE,
                    "cmin": 0,
                    "cmax": 100,
                    "color": [0],
                    "showscale": True,
                    "colorbar": {"title": "working %", "thickness": 12, "len": 0.6},
                },
                hoverinfo="skip",
                showlegend=False,
            )
        )
