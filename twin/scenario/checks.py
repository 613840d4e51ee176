"""Checks across the parts of a scenario: ids, references, process windows, orders.

Reference checks work on the plain document rather than on validated models, so they are reported
together with the structural problems of the same document.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stations import check_recipe
from stations.generic import GenericStation
from stations.li_evaporation import LithiumEvaporator
from stations.slitting import SlittingStep
from twin.problems import Problem, did_you_mean
from twin.scenario.lines import Accumulator, Line, Station
from twin.scenario.orders import Order, Product
from twin.scenario.upkeep import UsageMaintenance

if TYPE_CHECKING:
    from twin.scenario.model import Scenario


def _items(node: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    """The mappings in list ``node[key]`` with their indices (nothing when malformed)."""
    value = node.get(key) if isinstance(node, dict) else None
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _ids(node: Any, key: str) -> list[tuple[int, str]]:
    return [(i, item["id"]) for i, item in _items(node, key) if isinstance(item.get("id"), str)]


def reference_problems(document: dict[str, Any]) -> Iterator[Problem]:
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
            yield Problem(path, did_you_mean(kind, value, known[kind]))

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
    run = document.get("run")
    mix = run.get("mix") if isinstance(run, dict) else None
    for product_id in mix if isinstance(mix, dict) else {}:
        yield from refer(f"run.mix.{product_id}", "product", product_id)


def check_scenario(scenario: Scenario, document: Any = None) -> Iterator[Problem]:
    """Every reference and process-window problem of a structurally valid scenario, with paths.

    ``document`` is the one the scenario was validated from, when there is one: its references
    are the scenario's, and it need not be made again.
    """
    if not isinstance(document, dict):
        document = scenario.model_dump(mode="json", by_alias=True)
    references = list(reference_problems(document))
    yield from references
    if references:
        return
    for li, line in enumerate(scenario.lines):
        yield from _check_line(li, line)
    for pi, product in enumerate(scenario.products):
        yield from _check_product(scenario, pi, product)
    for oi, order in enumerate(scenario.orders):
        yield from _check_order(scenario, oi, order)
    yield from _check_book_size(scenario)
    if scenario.run.warmup >= scenario.run.horizon:
        yield Problem("run.warmup", "must be shorter than run.horizon")


@dataclass(frozen=True)
class _Unchecked:
    """A station of a broken document that did not validate: only its type is known."""

    type: str
    web_width_m: float = math.inf

    def check(self, step: Any) -> list[Any]:
        """Nothing can be checked against equipment that is not sound."""
        return []


def _sound(model: type[Any], nodes: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, Any]]:
    """The parts that validate on their own, with their positions in the document."""
    from pydantic import ValidationError

    items = []
    for index, node in nodes:
        try:
            items.append((index, model.model_validate(node)))
        except (ValidationError, ValueError):
            continue
    return items


def _line_as_far_as_sound(node: dict[str, Any]) -> Line:
    """A line of a broken document with its stations in order, the broken ones by type only."""
    stations: list[Station] = []
    for si, station in _items(node, "stations"):
        [(_, sound)] = _sound(Station, [(si, station)]) or [(si, None)]
        if sound is None:
            equipment = station.get("equipment")
            kind = equipment.get("type") if isinstance(equipment, dict) else None
            unchecked: Any = _Unchecked(str(kind))  # stands in for equipment that did not validate
            sound = Station.model_construct(id=str(station.get("id")), equipment=unchecked)
        stations.append(sound)
    return Line.model_construct(id=str(node.get("id")), stations=stations, buffers=[])


def partial_problems(document: dict[str, Any]) -> list[Problem]:
    """The checks of :func:`check_scenario` on every part of a broken document that is sound.

    A document with a structural mistake cannot become a scenario, but its other lines,
    products and orders may be sound: their process windows and line rules are checked too, so
    that one pass lists every problem (a typo in one station must not hide a 700 °C anneal).
    """
    from twin.scenario.model import RunSettings, Scenario

    sound_lines = _sound(Line, _items(document, "lines"))
    found = [p for li, line in sound_lines for p in _check_line(li, line)]
    products = _sound(Product, _items(document, "products"))
    whole = Scenario.model_construct(  # type: ignore[call-arg]  # no roll length: not needed
        name="",
        start=None,
        products=[p for _, p in products],
        lines=[_line_as_far_as_sound(node) for _, node in _items(document, "lines")],
        orders=[],
        run=RunSettings(),
    )
    for pi, product in products:
        found += [
            p for p in _check_product(whole, pi, product) if not p.message.startswith("no line")
        ]
    known = {p.id for _, p in products}
    lines = {line.id for _, line in sound_lines}
    for oi, order in _sound(Order, _items(document, "orders")):
        if order.product in known and (order.line is None or order.line in lines):
            found += [p for p in _check_order(whole, oi, order) if "start" not in p.message]
    return found


MAX_BOOK_ROLLS = 100_000
"""Most rolls an order book may need (a plant-year of the baseline book is about 1 700)."""


def _check_book_size(scenario: Scenario) -> Iterator[Problem]:
    rolls = sum(scenario.order_rolls(order) for order in scenario.orders)
    if rolls > MAX_BOOK_ROLLS:
        yield Problem(
            "roll_length_m",
            f"the order book needs {rolls:,} rolls of {scenario.roll_length_m:g} m, more than "
            f"the {MAX_BOOK_ROLLS:,} accepted: make the rolls longer or the book smaller",
        )


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
        yield Problem(f"{base}.recipe[{index}].{finding.path}", finding.message, finding.severity)
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
            for finding in equipment.check(leg.step):
                key = (f"{path}.{finding.path}", finding.message)
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
