"""What one replication reports, as typed records, and the dotted names studies and stores use.

A :class:`ReplicationRecord` holds the plant's, each line's (and each product's on it), each
station's and each buffer's figures, every order's completion, scrap by cause and bottleneck
shares. :meth:`ReplicationRecord.flatten` gives them by the dotted names that studies, the run
store and exports know (``kpis.output_m2_per_h``, ``lines.<line>.wip_rolls``,
``stations.<station>.oee``, ``buffers.<buffer>.mean_level``, ...): ids contain no '.', so a name
is never ambiguous, but nothing in the engine splits one.

A :class:`StateChange` is one line of a station unit's event log, a :class:`BufferChange` one
line of a roll store's or accumulator's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from twin.engine.states import State
from twin.state.model import PlantState


@dataclass(frozen=True, slots=True)
class StateChange:
    """A station unit entered ``state`` at ``minute`` (minutes after the start; no dates).

    ``cause`` says why, where known: the failure mode's name (or ``web_break``) for ``down``,
    the maintenance task's name for ``maintenance``, ``changeover`` or ``roll_change`` for
    ``setup``. ``roll``, ``order``, ``product`` and ``step`` (the recipe step's index) name the
    roll on the unit, and ``metres`` how much of it the unit has processed so far.
    """

    minute: float
    station: str
    unit: str
    state: State
    cause: str | None = None
    roll: str | None = None
    order: str | None = None
    product: str | None = None
    step: int | None = None
    metres: float | None = None


BufferEvent = Literal["in", "out", "expired", "level"]


@dataclass(frozen=True, slots=True)
class BufferChange:
    """A roll store's or accumulator's ``level`` just after ``minute`` (minutes after the start).

    For a roll store, ``roll`` entered (``in``), was taken (``out``) or waited past its limit
    and left (``expired``), and ``level`` is the number of rolls then in it. For an accumulator
    (``change`` is ``level``) the level in metres moves linearly from one entry to the next.
    """

    minute: float
    buffer: str
    level: float
    change: BufferEvent = "level"
    roll: str | None = None


@dataclass(slots=True)
class OutputFigures:
    """Output of the plant, a line, or a product on a line, per hour after the warm-up.

    The quality figures are ``None`` when quality is off or the denominator is zero.
    """

    output_m_per_h: float
    output_m2_per_h: float
    output_rolls_per_h: float
    good_m2_per_h: float | None = None
    ah_per_h: float | None = None
    yield_: float | None = None
    first_pass_yield: float | None = None
    escapes_ppm: float | None = None
    escapes_per_1000_m2: float | None = None


@dataclass(slots=True)
class PlantFigures(OutputFigures):
    """The plant's output, and how the order book fared (``None`` without orders)."""

    weighted_tardiness_h: float | None = None
    on_time_fraction: float | None = None


@dataclass(slots=True)
class ProductFigures(OutputFigures):
    """A product's output on a line, and the lead time of its rolls."""

    lead_time_h: float = float("nan")
    """Release to finish per roll of the product finished after the warm-up (NaN: none)."""


@dataclass(slots=True)
class LineFigures(OutputFigures):
    """A line's output, work in process, lead time and scrap, and its products' output."""

    wip_rolls: float = 0.0
    lead_time_h: float = float("nan")
    """Release to finish per roll finished after the warm-up (NaN when none finished)."""
    scrapped_m: float = 0.0
    products: dict[str, ProductFigures] = field(default_factory=dict)


@dataclass(slots=True)
class StationFigures:
    """A station's share of time in each state (its units averaged), OEE and metres."""

    states: dict[State, float]
    oee: float
    metres: float
    line: str = ""
    """The line the station is on."""


@dataclass(slots=True)
class BufferFigures:
    """A roll store's (unit ``rolls``) or accumulator's (unit ``m``) level and traffic."""

    unit: Literal["rolls", "m"]
    mean_level: float
    max_level: float
    arrivals_per_h: float | None = None
    mean_wait_h: float | None = None
    expired: int | None = None
    series: list[tuple[float, float]] = field(default_factory=list)
    """(minute, level) at evenly spaced times over the run."""


@dataclass(slots=True)
class OrderFigures:
    """An order's due time, completion (``None`` if unfinished) and tardiness, minutes."""

    due_min: float
    completion_min: float | None
    tardiness_min: float
    line: str | None = None
    """The line it ran on (None when none of its rolls was released)."""
    product: str = ""


@dataclass(slots=True)
class ReplicationRecord:
    """Everything one replication reports."""

    scenario: str
    replication: int
    plant: PlantFigures
    lines: dict[str, LineFigures]
    stations: dict[str, StationFigures]
    buffers: dict[str, BufferFigures]
    orders: dict[str, OrderFigures]
    scrap_m2: dict[str, float]
    """Scrap area by cause after the warm-up (causes with none are left out)."""
    bottleneck: dict[str, float]
    """Each station's share of time as the plant's momentary bottleneck."""
    wakeups: int
    """Fluid updates the replication took (a cost figure)."""
    events: list[StateChange] | None = None
    buffer_events: list[BufferChange] | None = None
    """Every roll store's and accumulator's changes, with the event log (first replication)."""
    rolls: list[dict[str, Any]] | None = None
    """Each finished roll's genealogy, when asked."""
    line_bottleneck: dict[str, float] = field(default_factory=dict)
    """Each station's share of time as its own line's momentary bottleneck."""
    start: dt.datetime | None = None
    """The date-time of t = 0 (the scenario's start), for showing dates."""
    mix: dict[str, dict[str, float]] = field(default_factory=dict)
    """A capacity run's product mix of each line, shares by metres (empty for an order book)."""
    snapshot: PlantState | None = None
    """The plant's state at the moment the options asked for (first replication)."""

    def flatten(self) -> dict[str, float]:
        """Every figure by its dotted name (the names studies and the run store use)."""
        flat: dict[str, float] = {}
        for name, line in self.lines.items():
            prefix = f"lines.{name}"
            _put(flat, prefix, line, skip=("products",))
            for product, output in line.products.items():
                _put(flat, f"{prefix}.products.{product}", output)
        _put(flat, "kpis", self.plant)
        for name, station in self.stations.items():
            prefix = f"stations.{name}"
            for state, share in station.states.items():
                flat[f"{prefix}.states.{state}"] = share
            flat[f"{prefix}.oee"] = station.oee
            flat[f"{prefix}.metres"] = station.metres
        for name, buffer in self.buffers.items():
            _put(flat, f"buffers.{name}", buffer, skip=("unit", "series"))
        for cause, area in self.scrap_m2.items():
            flat[f"scrap.{cause}"] = area
        return flat

    def plant_kpis(self) -> dict[str, float]:
        """The plant's KPIs by their short names (``output_m2_per_h``, ``yield``, ...)."""
        return {k.removeprefix("kpis."): v for k, v in _figures(self.plant, "kpis", ()).items()}

    def headline_kpis(self) -> dict[str, float]:
        """The plant's KPIs by their short names, each line's as ``lines.<line>.<kpi>``.

        The names studies use, kept per replication so that runs can be compared in pairs.
        """
        kpis = self.plant_kpis()
        for name, line in self.lines.items():
            kpis |= _figures(line, f"lines.{name}", ("products",))
        return {k: v for k, v in kpis.items() if v == v}  # NaN: no roll finished, no figure


def _figures(figures: Any, prefix: str, skip: tuple[str, ...]) -> dict[str, float]:
    found: dict[str, float] = {}
    for spec in fields(figures):
        value = getattr(figures, spec.name)
        if value is not None and spec.name not in skip:
            found[f"{prefix}.{spec.name.removesuffix('_')}"] = value
    return found


def _put(flat: dict[str, float], prefix: str, figures: Any, skip: tuple[str, ...] = ()) -> None:
    flat.update(_figures(figures, prefix, skip))
