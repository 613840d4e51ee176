"""Static capacity of a plant: web speeds, per-roll times, changeover shares and bottlenecks.

No simulation: for each line and product, each station's own throughput if it never waited for its
neighbours. A roll-coupled tool spends load-and-thread, pump-down, vent and unload on each roll
besides processing it. In an inline segment the head station stops to change its unwind roll and
the tail station to take off the rewound roll; stations between them only see the web pass. The
changeover share assumes one changeover per order, from the product on the line that needs the
longest changeover into this one, spread over the order's mean number of rolls (one roll when the
product has no orders). The line's maximum is its slowest station's; the upper bound multiplies each
station's figure by its availability MTBF / (MTBF + MTTR).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from stations import RecipeStep
from twin.scenario import Accumulator, Line, Product, RouteStep, Scenario, Station

Coupling = Literal["roll-coupled", "inline head", "inline", "inline tail"]


@dataclass(frozen=True)
class StationCapacity:
    """One station's static figures for one product."""

    station: str
    station_type: str
    coupling: Coupling
    units: int
    web_speed_m_min: float
    roll_time_min: float
    changeover_min: float
    changeover_share: float
    capacity_m_h: float
    availability: float
    available_m_h: float


@dataclass(frozen=True)
class LineCapacity:
    """A line's static capacity for one product: its stations, bottleneck and bounds."""

    line: str
    product: str
    rolls_per_order: float
    stations: list[StationCapacity] = field(default_factory=list)
    bottleneck: str = ""
    max_m_h: float = 0.0
    max_m2_h: float = 0.0
    bound_m_h: float = 0.0
    bound_m2_h: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def coupling_of(line: Line, station: Station) -> Coupling:
    """How ``station`` sits on ``line``: a roll-coupled tool, or head, middle or tail inline."""
    index = line.stations.index(station)
    before = isinstance(line.buffer_after(index - 1), Accumulator) if index > 0 else False
    after = isinstance(line.buffer_after(index), Accumulator)
    if before and after:
        return "inline"
    if after:
        return "inline head"
    if before:
        return "inline tail"
    return "roll-coupled"


def rolls_per_order(scenario: Scenario, product: Product) -> float:
    """Mean number of standard rolls in one order of ``product`` (1 when it has no orders)."""
    counts = [
        scenario.order_rolls(order) for order in scenario.orders if order.product == product.id
    ]
    return sum(counts) / len(counts) if counts else 1.0


def products_on(scenario: Scenario, line: Line) -> list[Product]:
    """The products that ``line`` may run."""
    return [p for p in scenario.products if line in scenario.lines_for(p)]


def worst_changeover_into(
    scenario: Scenario, line: Line, product: Product, leg: RouteStep
) -> float:
    """Longest changeover at ``leg.station`` into ``product``'s step from another product's."""
    equipment = leg.station.equipment
    worst = 0.0
    for other in products_on(scenario, line):
        if other.id == product.id:
            continue
        for other_leg in scenario.route(other, line) or []:
            if other_leg.station is leg.station:
                change = equipment.changeover_min(other_leg.step, leg.step)
                worst = max(worst, change)
    return worst


def roll_minutes(line: Line, station: Station, step: RecipeStep | None, length_m: float) -> float:
    """Minutes ``station`` spends per roll of ``length_m``: its stop for the roll plus processing.

    A roll-coupled tool stops for its whole overhead; an inline head to change the unwind roll,
    an inline tail to take off the rewound roll; a station between them does not stop. A station
    the roll passes by (no step) only lets the web through at its top speed.
    """
    equipment = station.equipment
    if step is None:
        return length_m / equipment.max_speed_m_min
    coupling = coupling_of(line, station)
    overhead = equipment.roll_overhead(step)
    stop = {
        "roll-coupled": overhead.total,
        "inline head": overhead.unwind_change,
        "inline tail": overhead.rewind_change,
        "inline": 0.0,
    }[coupling]
    return stop + equipment.roll_process_time(step, length_m).mean()


def line_capacity(scenario: Scenario, line: Line, product: Product) -> LineCapacity:
    """Static figures of ``line`` running ``product`` (which it must be able to run)."""
    route = scenario.route(product, line)
    if route is None:
        raise ValueError(f"line {line.id!r} cannot run product {product.id!r}")
    length = scenario.roll_length_m
    campaign = rolls_per_order(scenario, product)
    figures: list[StationCapacity] = []
    for leg in route:
        equipment = leg.station.equipment
        coupling = coupling_of(line, leg.station)
        process = equipment.roll_process_time(leg.step, length).mean()
        roll_time = roll_minutes(line, leg.station, leg.step, length)
        changeover = worst_changeover_into(scenario, line, product, leg)
        per_roll = roll_time + changeover / campaign
        capacity = 60.0 * leg.station.units * length / per_roll
        availability = leg.station.availability()
        figures.append(
            StationCapacity(
                station=leg.station.id,
                station_type=equipment.type,
                coupling=coupling,
                units=leg.station.units,
                web_speed_m_min=length / process,
                roll_time_min=roll_time,
                changeover_min=changeover,
                changeover_share=(changeover / campaign) / per_roll,
                capacity_m_h=capacity,
                availability=availability,
                available_m_h=capacity * availability,
            )
        )
    bottleneck = min(figures, key=lambda f: f.capacity_m_h)
    bound = min(f.available_m_h for f in figures)
    return LineCapacity(
        line=line.id,
        product=product.id,
        rolls_per_order=campaign,
        stations=figures,
        bottleneck=bottleneck.station,
        max_m_h=bottleneck.capacity_m_h,
        max_m2_h=bottleneck.capacity_m_h * product.web_width_m,
        bound_m_h=bound,
        bound_m2_h=bound * product.web_width_m,
    )


def static_capacity(scenario: Scenario) -> list[LineCapacity]:
    """Static figures for every line and every product it may run."""
    return [
        line_capacity(scenario, line, product)
        for line in scenario.lines
        for product in products_on(scenario, line)
    ]
