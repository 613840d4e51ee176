"""The plant: products, lines, coupling, failures, maintenance, calendars, crews and orders.

Loading a scenario is the one place where input is checked (DESIGN.md). A document with mistakes is
rejected with one :class:`ScenarioError` that lists every problem by its path in the document, such
as ``lines[0].stations[2].equipment.max_speed_m_min: must be > 0``. Everything above this module may
trust a :class:`Scenario`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from stations import (
    DefectType,
    Distribution,
    Duration,
    EquipmentSpec,
    PositiveDuration,
    RecipeStep,
    RecipeStepSpec,
    check_recipe,
    complete_recipe,
)
from stations.generic import GenericStation
from stations.li_evaporation import LithiumEvaporator
from stations.slitting import SlittingStep

MAX_DOCUMENT_BYTES = 5_000_000
"""Largest scenario file accepted, bytes."""
MAX_DOCUMENT_NODES = 200_000
"""Most values a document may hold once YAML aliases are expanded."""
MAX_DOCUMENT_DEPTH = 40
"""Deepest nesting of mappings and lists accepted."""

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"),
    Field(description="An identifier: letters, digits, '_', '.', '-'; at most 64 characters."),
]
TimeRef = Annotated[
    dt.datetime | dt.date | Duration,
    Field(
        description="A date or date-time, or a duration after the scenario's start ('3d', minutes)."
    ),
]


class Model(BaseModel):
    """Base of every scenario part: unknown fields are mistakes, and parts are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------- problems
@dataclass(frozen=True)
class Problem:
    """One mistake (or warning) in a scenario document, at ``path``."""

    path: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(Exception):
    """A scenario document that cannot be used; :attr:`problems` lists every mistake by path."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''}{where}:"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


# ----------------------------------------------------------------------------- failures, upkeep
class Failure(Model):
    """A failure mode: operating time between failures and time to repair."""

    name: str = Field(default="failure", max_length=80, description="What fails.")
    ttf: Distribution = Field(
        description="Operating time to failure, minutes (runs only while the station works)."
    )
    ttr: Distribution = Field(description="Time to repair once an operator is there, minutes.")
    needs_crew: bool = Field(default=True, description="A repair needs an operator.")


class CalendarMaintenance(Model):
    """Planned maintenance every fixed interval of calendar time."""

    kind: Literal["calendar"] = "calendar"
    name: str = Field(default="planned maintenance", max_length=80, description="Task name.")
    every: PositiveDuration = Field(description="Interval between starts, minutes (or '7d').")
    duration: PositiveDuration = Field(description="How long the station is down, minutes.")
    first: Duration | None = Field(
        default=None, description="Start of the first one after the run starts (default: every)."
    )
    needs_crew: bool = Field(default=True, description="The task needs an operator.")


class UsageMaintenance(Model):
    """Maintenance after a usage counter reaches a limit, e.g. a PECVD chamber clean."""

    kind: Literal["usage"] = "usage"
    name: str = Field(max_length=80, description="Task name, e.g. 'chamber clean'.")
    counter: str = Field(
        description="The station's usage counter: wall_deposit_um_m (PECVD), lithium_kg "
        "(lithium evaporation), precursor_g (ALD)."
    )
    limit: float = Field(gt=0, description="Counter value that triggers the task, counter units.")
    duration: PositiveDuration = Field(description="How long the station is down, minutes.")
    needs_crew: bool = Field(default=True, description="The task needs an operator.")


Maintenance = Annotated[CalendarMaintenance | UsageMaintenance, Field(discriminator="kind")]


# ------------------------------------------------------------------------------ stations, lines
class Inspection(Model):
    """An inline inspection point after a station: detects defects and marks them on the roll."""

    detection: dict[DefectType, Annotated[float, Field(ge=0, le=1)]] = Field(
        default={t: 0.9 for t in DefectType},
        description="Probability of detecting each defect type (default 0.9 for every type).",
    )
    false_alarms_per_m2: float = Field(
        default=0.001, ge=0, le=100, description="False alarms marked per m² inspected."
    )


class Station(Model):
    """A station on a line: its equipment, how many identical units, failures and maintenance."""

    id: Identifier
    name: str | None = Field(default=None, max_length=120, description="Display name.")
    equipment: EquipmentSpec = Field(description="The equipment, tagged by its type.")
    units: int = Field(
        default=1,
        ge=1,
        le=20,
        description="Identical tools in parallel; more than one only between two roll stores.",
    )
    failures: list[Failure] = Field(default=[], max_length=20, description="Failure modes.")
    maintenance: list[Maintenance] = Field(
        default=[], max_length=20, description="Planned maintenance, calendar- or usage-based."
    )
    inspection: Inspection | None = Field(
        default=None, description="An inline inspection point at the station's exit."
    )

    def availability(self) -> float:
        """Long-run fraction of working time not lost to failures: 1 / (1 + Σ MTTR_i / MTBF_i).

        With operation-dependent failures this is MTBF / (MTBF + MTTR) for one mode.
        """
        return 1.0 / (1.0 + sum(f.ttr.mean() / f.ttf.mean() for f in self.failures))


class RollStore(Model):
    """A store of rolls between two roll-coupled tools (000, Fig. 9A)."""

    kind: Literal["roll_store"] = "roll_store"
    id: Identifier
    between: tuple[Identifier, Identifier] = Field(description="Upstream and downstream station.")
    capacity_rolls: int = Field(ge=1, le=10_000, description="Rolls the store holds.")
    environment: Literal["ambient", "dry_room", "inert", "vacuum"] = Field(
        default="dry_room", description="Atmosphere the rolls wait in (000: low O2, low moisture)."
    )
    max_wait: dict[Identifier, PositiveDuration] = Field(
        default={}, description="Longest a roll of a product may wait here, by product id."
    )
    on_expiry: Literal["scrap", "rework"] = Field(
        default="scrap", description="What happens to a roll that waited too long."
    )


class Accumulator(Model):
    """A web accumulator between two inline stations: a length of web (000, Fig. 9B)."""

    kind: Literal["accumulator"] = "accumulator"
    id: Identifier
    between: tuple[Identifier, Identifier] = Field(description="Upstream and downstream station.")
    capacity_m: float = Field(ge=0, le=100_000, description="Web the accumulator holds, m.")
    initial_m: float = Field(default=0.0, ge=0, description="Web in it at the start, m.")


Buffer = Annotated[RollStore | Accumulator, Field(discriminator="kind")]


class Line(Model):
    """A line: stations in web order, with a buffer between each consecutive pair."""

    id: Identifier
    name: str | None = Field(default=None, max_length=120, description="Display name.")
    stations: list[Station] = Field(min_length=1, max_length=50, description="In web order.")
    buffers: list[Buffer] = Field(
        default=[], max_length=50, description="A roll store or accumulator per station pair."
    )
    calendar: Identifier | None = Field(
        default=None, description="Shift calendar id; none means around the clock."
    )

    def buffer_after(self, index: int) -> RollStore | Accumulator | None:
        """The buffer between station ``index`` and the next one."""
        if index + 1 >= len(self.stations):
            return None
        pair = (self.stations[index].id, self.stations[index + 1].id)
        return next((b for b in self.buffers if tuple(b.between) == pair), None)

    def segments(self) -> list[list[Station]]:
        """Inline segments: runs of stations joined by accumulators, split at roll stores."""
        segments: list[list[Station]] = [[self.stations[0]]]
        for index, station in enumerate(self.stations[1:]):
            if isinstance(self.buffer_after(index), Accumulator):
                segments[-1].append(station)
            else:
                segments.append([station])
        return segments


# --------------------------------------------------------------------------- calendars, crews
class Shift(Model):
    """A shift: start and end time of day; an end before the start crosses midnight."""

    name: str = Field(default="shift", max_length=40, description="Shift name.")
    start: dt.time = Field(description="Start time of day, 'HH:MM'.")
    end: dt.time = Field(description="End time of day, 'HH:MM'.")


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Calendar(Model):
    """When a line is staffed: shifts on working days, less holidays."""

    id: Identifier
    shifts: list[Shift] = Field(
        default=[], max_length=10, description="Shifts per working day; none means all day."
    )
    working_days: list[Weekday] = Field(
        default=list(WEEKDAYS), description="Days the shifts run: mon, tue, ... sun."
    )
    holidays: list[dt.date] = Field(default=[], max_length=1000, description="Days off.")


CrewTask = Literal["repair", "roll_change", "setup", "maintenance"]


class Crew(Model):
    """Operators who serve the stations of some lines."""

    id: Identifier
    size: int = Field(ge=1, le=1000, description="Operators on duty.")
    lines: list[Identifier] | None = Field(
        default=None, description="Lines the crew serves; none means every line."
    )
    tasks: list[CrewTask] = Field(
        default=["repair", "roll_change", "setup", "maintenance"],
        description="Tasks that wait for an operator of this crew.",
    )


# ------------------------------------------------------------------------- products, orders
class Product(Model):
    """A product: its foil width and its recipe, the ordered steps it needs."""

    id: Identifier
    name: str | None = Field(default=None, max_length=120, description="Display name.")
    family: str = Field(default="", max_length=80, description="Product family.")
    web_width_m: float = Field(gt=0, le=5, description="Foil width, m.")
    rated_capacity_mah_g: float = Field(
        default=1300.0,
        gt=0,
        le=4200,
        description="Rated capacity of the silicon, mAh/g (000: about 1100–1600 in examples).",
    )
    max_defects_per_m2: float = Field(
        default=0.5,
        ge=0,
        description="Specification: a lane roll with more unmarked defects per m² is downgraded.",
    )
    recipe: list[RecipeStepSpec] = Field(
        min_length=1, max_length=30, description="Steps in order, each for one station type."
    )
    lines: list[Identifier] | None = Field(
        default=None, description="Lines that may run it; none means every line that can."
    )

    @model_validator(mode="after")
    def _complete(self) -> Product:
        completed = complete_recipe(self.recipe)
        if completed != list(self.recipe):
            object.__setattr__(self, "recipe", completed)
        return self


class Order(Model):
    """An order: a length (or area) of a product, released and due at given times."""

    id: Identifier
    product: Identifier
    length_m: float | None = Field(default=None, gt=0, le=1e7, description="Length ordered, m.")
    area_m2: float | None = Field(default=None, gt=0, le=1e7, description="Area ordered, m².")
    release: TimeRef = Field(default=0.0, description="When it may start.")
    due: TimeRef = Field(description="When it is due.")
    weight: float = Field(default=1.0, gt=0, le=1000, description="Weight for tardiness.")
    line: Identifier | None = Field(default=None, description="Line it must run on, if any.")

    @model_validator(mode="after")
    def _one_quantity(self) -> Order:
        if (self.length_m is None) == (self.area_m2 is None):
            raise ValueError("give exactly one of length_m and area_m2")
        return self


class RunSettings(Model):
    """How to run the twin: horizon, warm-up, seed, replications, dispatching."""

    horizon: PositiveDuration = Field(default=30 * 1440.0, description="Simulated time ('30d').")
    warmup: Duration = Field(default=0.0, description="Time discarded from statistics ('2d').")
    seed: int = Field(default=1, ge=0, le=2**63 - 1, description="Random seed.")
    replications: int = Field(default=1, ge=1, le=10_000, description="Independent replications.")
    dispatching: Literal["fifo", "group_by_product"] = Field(
        default="fifo", description="How a tool picks its next roll."
    )
    quality: bool = Field(
        default=True, description="Model defects, inspection, slitting yield and genealogy."
    )


# ----------------------------------------------------------------------------------- scenario
@dataclass(frozen=True)
class RouteStep:
    """One step of a product's route on a line: the recipe step and the station that runs it."""

    step_index: int
    station: Station
    step: RecipeStep


class Scenario(Model):
    """A plant and its order book: everything the twin and the scheduler need."""

    name: str = Field(max_length=200, description="Scenario name.")
    description: str = Field(default="", max_length=20_000, description="What it is for.")
    start: dt.datetime | None = Field(
        default=None, description="Date-time of t = 0; needed when orders give dates."
    )
    roll_length_m: float = Field(gt=0, le=100_000, description="Standard roll length, m.")
    products: list[Product] = Field(min_length=1, max_length=200, description="Products.")
    lines: list[Line] = Field(min_length=1, max_length=50, description="Production lines.")
    calendars: list[Calendar] = Field(default=[], max_length=50, description="Shift calendars.")
    crews: list[Crew] = Field(default=[], max_length=50, description="Operator crews.")
    orders: list[Order] = Field(default=[], max_length=20_000, description="The order book.")
    run: RunSettings = Field(default_factory=RunSettings, description="Run settings.")

    _warnings: list[Problem] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        problems = list(_check(self))
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise ScenarioError(errors)
        self._warnings = [p for p in problems if p.severity == "warning"]
        return self

    # --- lookups ---------------------------------------------------------------------------
    @property
    def warnings(self) -> list[Problem]:
        """Warnings found on loading: sequences the seed examples found bad, and the like."""
        return list(self._warnings)

    def product(self, product_id: str) -> Product:
        """The product with id ``product_id``."""
        return next(p for p in self.products if p.id == product_id)

    def line(self, line_id: str) -> Line:
        """The line with id ``line_id``."""
        return next(line for line in self.lines if line.id == line_id)

    def calendar(self, calendar_id: str | None) -> Calendar | None:
        """The calendar with id ``calendar_id``; None for around the clock."""
        return next((c for c in self.calendars if c.id == calendar_id), None)

    def route(self, product: Product, line: Line) -> list[RouteStep] | None:
        """The stations of ``line`` that run ``product``'s recipe, or None if it cannot.

        Steps map in order onto stations of the same type; a station with no step is passed by.
        """
        route: list[RouteStep] = []
        position = 0
        for index, step in enumerate(product.recipe):
            while (
                position < len(line.stations)
                and line.stations[position].equipment.type != step.station_type
            ):
                position += 1
            if position == len(line.stations):
                return None
            route.append(RouteStep(index, line.stations[position], step))
            position += 1
        return route

    def lines_for(self, product: Product) -> list[Line]:
        """The lines that may run ``product``: those named, or every line that can."""
        return [
            line
            for line in self.lines
            if (product.lines is None or line.id in product.lines)
            and self.route(product, line) is not None
        ]

    def minutes(self, when: dt.datetime | dt.date | float) -> float:
        """Minutes after the start for a time reference (a duration, a date or a date-time)."""
        if isinstance(when, float | int):
            return float(when)
        if self.start is None:
            raise ValueError("a date needs the scenario's start")
        if not isinstance(when, dt.datetime):
            when = dt.datetime.combine(when, dt.time())
        start = self.start
        if (when.tzinfo is None) != (start.tzinfo is None):
            when, start = when.replace(tzinfo=None), start.replace(tzinfo=None)
        return (when - start).total_seconds() / 60

    def order_length_m(self, order: Order) -> float:
        """Length of web an order needs, m (area / the product's web width for area orders)."""
        if order.length_m is not None:
            return order.length_m
        assert order.area_m2 is not None
        return order.area_m2 / self.product(order.product).web_width_m

    def with_changes(self, changes: dict[str, Any]) -> Scenario:
        """A validated copy with values replaced at dotted paths, e.g. ``lines[0].calendar``."""
        document = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for path, value in changes.items():
            _set_path(document, path, value)
        return scenario_from_document(document, source=f"{self.name} (changed)")


# ---------------------------------------------------------------------------- semantic checks
def _unknown(kind: str, value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {kind} {value!r}{hint}"


def _items(node: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    """The mappings in list ``node[key]`` with their indices (nothing when malformed)."""
    value = node.get(key) if isinstance(node, dict) else None
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _ids(node: Any, key: str) -> list[tuple[int, str]]:
    return [(i, item["id"]) for i, item in _items(node, key) if isinstance(item.get("id"), str)]


def _reference_problems(document: dict[str, Any]) -> Iterator[Problem]:
    """Repeated ids and references to parts that do not exist, checked on the plain document.

    Working on the document rather than on validated models lets these be reported together with
    the structural problems of the same document.
    """
    lines = _items(document, "lines")
    stations = [
        (f"lines[{li}].stations[{si}].id", sid)
        for li, line in lines
        for si, sid in _ids(line, "stations")
    ]
    buffers = [
        (f"lines[{li}].buffers[{bi}].id", bid)
        for li, line in lines
        for bi, bid in _ids(line, "buffers")
    ]
    groups = {
        "product": [(f"products[{i}].id", v) for i, v in _ids(document, "products")],
        "line": [(f"lines[{i}].id", v) for i, v in _ids(document, "lines")],
        "station or buffer": stations + buffers,
        "calendar": [(f"calendars[{i}].id", v) for i, v in _ids(document, "calendars")],
        "crew": [(f"crews[{i}].id", v) for i, v in _ids(document, "crews")],
        "order": [(f"orders[{i}].id", v) for i, v in _ids(document, "orders")],
    }
    for kind, entries in groups.items():
        seen: set[str] = set()
        for path, value in entries:
            if value in seen:
                yield Problem(path, f"{kind} id {value!r} is used more than once")
            seen.add(value)
    known = {kind: {v for _, v in entries} for kind, entries in groups.items()}

    def refer(path: str, kind: str, value: Any) -> Iterator[Problem]:
        if isinstance(value, str) and value not in known[kind]:
            yield Problem(path, _unknown(kind, value, known[kind]))

    for li, line in lines:
        yield from refer(f"lines[{li}].calendar", "calendar", line.get("calendar"))
        order = [sid for _, sid in _ids(line, "stations")]
        pairs = list(itertools.pairwise(order))
        joined: Counter[tuple[str, str]] = Counter()
        for bi, buffer in _items(line, "buffers"):
            between = buffer.get("between")
            if (
                isinstance(between, list)
                and len(between) == 2
                and all(isinstance(x, str) for x in between)
            ):
                joined[(between[0], between[1])] += 1
                if tuple(between) not in pairs:
                    yield Problem(
                        f"lines[{li}].buffers[{bi}].between",
                        f"{between} are not two consecutive stations of line {line.get('id')!r} "
                        f"(its stations in order: {', '.join(order)})",
                    )
            max_wait = buffer.get("max_wait")
            for product_id in max_wait if isinstance(max_wait, dict) else {}:
                path = f"lines[{li}].buffers[{bi}].max_wait.{product_id}"
                yield from refer(path, "product", product_id)
        for upstream, downstream in pairs:
            if joined[(upstream, downstream)] != 1:
                count = joined[(upstream, downstream)]
                what = "no buffer" if count == 0 else f"{count} buffers"
                yield Problem(
                    f"lines[{li}].buffers",
                    f"{what} between {upstream!r} and {downstream!r}; give one roll_store or "
                    "accumulator per consecutive pair",
                )
    for ci, crew in _items(document, "crews"):
        crew_lines = crew.get("lines")
        for k, line_id in enumerate(crew_lines if isinstance(crew_lines, list) else []):
            yield from refer(f"crews[{ci}].lines[{k}]", "line", line_id)
    for pi, product in _items(document, "products"):
        product_lines = product.get("lines")
        for k, line_id in enumerate(product_lines if isinstance(product_lines, list) else []):
            yield from refer(f"products[{pi}].lines[{k}]", "line", line_id)
    for oi, order_ in _items(document, "orders"):
        yield from refer(f"orders[{oi}].product", "product", order_.get("product"))
        yield from refer(f"orders[{oi}].line", "line", order_.get("line"))


def _check(scenario: Scenario) -> Iterator[Problem]:
    """Every reference and process-window problem of a structurally valid scenario, with paths."""
    references = list(_reference_problems(scenario.model_dump(mode="json", by_alias=True)))
    yield from references
    if references:
        return
    for li, line in enumerate(scenario.lines):
        yield from _check_line(li, line)
    for pi, product in enumerate(scenario.products):
        yield from _check_product(scenario, pi, product)
    for oi, order in enumerate(scenario.orders):
        yield from _check_order(scenario, oi, order)
    if scenario.run.warmup >= scenario.run.horizon:
        yield Problem("run.warmup", "must be shorter than run.horizon")


def _check_line(li: int, line: Line) -> Iterator[Problem]:
    base = f"lines[{li}]"
    for bi, buffer in enumerate(line.buffers):
        if isinstance(buffer, Accumulator) and buffer.initial_m > buffer.capacity_m:
            yield Problem(f"{base}.buffers[{bi}].initial_m", "must not exceed capacity_m")
    for si, station in enumerate(line.stations):
        path = f"{base}.stations[{si}]"
        before = line.buffer_after(si - 1) if si > 0 else None
        after = line.buffer_after(si)
        inline = isinstance(before, Accumulator) or isinstance(after, Accumulator)
        if station.units > 1 and inline:
            yield Problem(
                f"{path}.units",
                "parallel units need roll stores on both sides; this station is inline",
            )
        equipment = station.equipment
        if inline and isinstance(equipment, GenericStation) and equipment.process_time is not None:
            yield Problem(
                f"{path}.equipment.process_time",
                "an inline station needs a web speed (speed_m_min), not a time per roll",
            )
        for mi, task in enumerate(station.maintenance):
            if isinstance(task, UsageMaintenance):
                counters = type(equipment).usage_counters
                if task.counter not in counters:
                    known = ", ".join(counters) or "none"
                    yield Problem(
                        f"{path}.maintenance[{mi}].counter",
                        f"a {equipment.type} station has no counter {task.counter!r} "
                        f"(its counters: {known})",
                    )
                elif (
                    isinstance(equipment, LithiumEvaporator)
                    and task.limit > equipment.crucible_capacity_kg
                ):
                    yield Problem(
                        f"{path}.maintenance[{mi}].limit",
                        f"a refill after {task.limit:g} kg exceeds the crucibles' "
                        f"{equipment.crucible_capacity_kg:g} kg",
                    )


def _check_product(scenario: Scenario, pi: int, product: Product) -> Iterator[Problem]:
    base = f"products[{pi}]"
    for index, finding in check_recipe(product.recipe):
        yield Problem(f"{base}.recipe[{index}].{finding.field}", finding.message, finding.severity)
    lines = scenario.lines_for(product)
    if not lines:
        types = " → ".join(step.station_type for step in product.recipe)
        yield Problem(
            f"{base}.recipe",
            f"no line can run this recipe ({types}): no line has those station types in that order",
        )
    reported: set[tuple[str, str]] = set()
    for line in lines:
        route = scenario.route(product, line)
        assert route is not None
        for leg in route:
            path = f"{base}.recipe[{leg.step_index}]"
            equipment = leg.station.equipment
            for finding in equipment.check(leg.step):  # type: ignore[arg-type]
                key = (f"{path}.{finding.field}", finding.message)
                if key not in reported:
                    reported.add(key)
                    yield Problem(key[0], finding.message, finding.severity)
            if product.web_width_m > equipment.web_width_m:
                yield Problem(
                    f"{base}.web_width_m",
                    f"{product.web_width_m:g} m is wider than station {leg.station.id!r} "
                    f"takes ({equipment.web_width_m:g} m)",
                )
            if (
                isinstance(leg.step, SlittingStep)
                and leg.step.used_width_mm() > product.web_width_m * 1000 + 1e-6
            ):
                yield Problem(
                    f"{path}.lanes",
                    f"the lanes need {leg.step.used_width_mm():g} mm of a "
                    f"{product.web_width_m * 1000:g} mm web",
                )


def _check_order(scenario: Scenario, oi: int, order: Order) -> Iterator[Problem]:
    base = f"orders[{oi}]"
    if order.line is not None:
        product = scenario.product(order.product)
        if scenario.line(order.line) not in scenario.lines_for(product):
            yield Problem(
                f"{base}.line", f"line {order.line!r} cannot run product {order.product!r}"
            )
    times: dict[str, float] = {}
    for field in ("release", "due"):
        value = getattr(order, field)
        if isinstance(value, dt.date) and scenario.start is None:
            yield Problem(f"{base}.{field}", "a date needs the scenario's start (start: ...)")
        else:
            times[field] = scenario.minutes(value)
    if len(times) == 2 and times["due"] < times["release"]:
        yield Problem(f"{base}.due", "is before the release")


def _path_keys(path: str) -> list[str | int]:
    keys: list[str | int] = []
    for part in path.replace("]", "").split("."):
        name, *indices = part.split("[")
        if name:
            keys.append(name)
        keys += [int(i) for i in indices]
    return keys


def _set_path(document: Any, path: str, value: Any) -> None:
    keys = _path_keys(path)
    target = document
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


def value_at(document: Any, path: str) -> Any:
    """The value at a dotted path such as ``lines[0].buffers[1].capacity_m`` in a document.

    Raises KeyError, IndexError, TypeError or ValueError when the path is not in the document.
    """
    node = document
    for key in _path_keys(path):
        node = node[key]
    return node


# ------------------------------------------------------------------------------------ loading
def _format_loc(loc: Sequence[str | int], document: Any) -> str:
    """A path like ``lines[0].stations[2].speed`` from a pydantic location.

    Tagged unions add their tag to the location; walking the document drops what it lacks.
    """
    parts: list[str] = []
    node = document
    for position, key in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(key, int):
            parts.append(f"[{key}]")
            node = node[key] if isinstance(node, list) and -len(node) <= key < len(node) else None
            continue
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif not last or key.startswith(("function-", "tagged-union")):
            continue
        parts.append(f".{key}" if parts else key)
    return "".join(parts)


_MESSAGES: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "string_pattern_mismatch": (
        "must be an identifier (letters, digits, '_', '.', '-'; at most 64 characters)"
    ),
}


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        shown = {k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()}
        message = _MESSAGES[kind].format(**shown)
    elif kind == "union_tag_invalid":
        expected = [tag.strip("' ") for tag in str(ctx["expected_tags"]).split(",")]
        message = _unknown(str(ctx["discriminator"]).strip("'"), str(ctx["tag"]), expected)
        message += f"; expected one of {', '.join(expected)}"
    elif kind == "union_tag_not_found":
        message = f"needs its {ctx['discriminator'].strip(chr(39))} field"
    else:
        message = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    value = error.get("input")
    if kind not in ("missing", "extra_forbidden") and isinstance(value, int | float | str):
        shown = repr(value) if isinstance(value, str) else f"{value:g}"
        if len(shown) <= 60:
            message += f" (got {shown})"
    return message


def validation_problems(error: ValidationError, document: Any) -> list[Problem]:
    """Pydantic's errors for ``document`` as problems, each by its path in the document."""
    problems = []
    for item in error.errors():
        path = _format_loc(item["loc"], document)
        problems.append(Problem(path, _message(item)))
    return list(dict.fromkeys(problems))


def scenario_from_document(document: Any, source: str | None = None) -> Scenario:
    """Validate a parsed document (dicts and lists) into a :class:`Scenario`."""
    if not isinstance(document, dict):
        raise ScenarioError([Problem("", "a scenario must be a mapping of fields")], source)
    try:
        return Scenario.model_validate(document)
    except ValidationError as error:
        problems = validation_problems(error, document) + list(_reference_problems(document))
        raise ScenarioError(problems, source) from None
    except ScenarioError as error:
        raise ScenarioError(error.problems, source) from None


def _yaml_guard(text: str) -> None:
    """Refuse YAML whose aliases expand too far or nest too deep, before building objects."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep") from None
    if root is None:
        return
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    active: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_DOCUMENT_NODES:
                raise ValueError(
                    f"expands to more than {MAX_DOCUMENT_NODES:,} values (YAML aliases?)"
                )
            continue
        if key in sizes:
            continue
        if key in active:
            raise ValueError("refers to itself (a recursive YAML alias)")
        if depth > MAX_DOCUMENT_DEPTH:
            raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep")
        active.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _depth(document: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DOCUMENT_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def parse_document(text: str | bytes, fmt: Literal["yaml", "json"] = "yaml") -> Any:
    """Parse YAML or JSON safely into dicts and lists; raise ValueError for a hostile document."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"is not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        if fmt == "json":
            document = json.loads(text)
        else:
            _yaml_guard(text)
            document = yaml.load(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"is not valid YAML{where}: {error.problem}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"is not valid YAML: {error}") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"is not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    if _depth(document) > MAX_DOCUMENT_DEPTH:
        raise ValueError(f"nested more than {MAX_DOCUMENT_DEPTH} levels deep")
    return document


def parse_scenario(
    text: str | bytes, fmt: Literal["yaml", "json"] = "yaml", source: str | None = None
) -> Scenario:
    """Parse and validate a scenario from YAML or JSON text."""
    try:
        document = parse_document(text, fmt)
    except ValueError as error:
        raise ScenarioError([Problem("", f"the document {error}")], source) from None
    return scenario_from_document(document, source)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (``.yaml``, ``.yml`` or ``.json``)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise ScenarioError(
                [Problem("", f"the file is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB")],
                str(path),
            )
        data = path.read_bytes()
    except OSError as error:
        problem = Problem("", f"cannot read the file: {error.strerror}")
        raise ScenarioError([problem], str(path)) from None
    fmt: Literal["yaml", "json"] = "json" if path.suffix.lower() == ".json" else "yaml"
    return parse_scenario(data, fmt, str(path))
