"""The scenario: a plant and its order book, with its run settings and lookups."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, ValidationInfo, model_validator

from stations import Duration, PositiveDuration, RecipeStep
from twin.problems import Problem, ScenarioError
from twin.scenario.calendars import Calendar, Crew
from twin.scenario.checks import check_scenario, partial_problems, reference_problems
from twin.scenario.fields import Identifier, Model
from twin.scenario.lines import Line, Station
from twin.scenario.messages import validation_problems
from twin.scenario.orders import Order, Product
from twin.scenario.paths import PathError, named, set_path


class RunSettings(Model):
    """How to run the twin: which question, horizon, warm-up, seed, replications, dispatching."""

    demand: Literal["orders", "capacity"] = Field(
        default="orders",
        description="The question a run answers: 'orders' runs the order book (will the orders "
        "ship?); 'capacity' keeps every line's input supplied with the product mix (what can "
        "the plant make?).",
    )
    mix: dict[Identifier, Annotated[float, Field(gt=0, le=1e9)]] | None = Field(
        default=None,
        description="A capacity run's product mix, shares by metres (normalised per line over "
        "the products it runs); default: the order book's metres by product.",
    )
    horizon: PositiveDuration = Field(default=30 * 1440.0, description="Simulated time ('30d').")
    warmup: Duration = Field(
        default=0.0,
        description="Time a capacity run discards from its statistics ('2d'); an order-book run "
        "counts everything from the start.",
    )
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
    _found: dict[tuple[str, ...], Any] = PrivateAttr(default_factory=dict)
    """What a run asks often, once worked out (a scenario is immutable): products and lines by
    id, each product's lines, and the route of each (product, line)."""

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Scenario:
        document = (info.context or {}).get("document")
        problems = list(check_scenario(self, document))
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
        return self._by_id("product", product_id, self.products)

    def line(self, line_id: str) -> Line:
        """The line with id ``line_id``."""
        return self._by_id("line", line_id, self.lines)

    def _memo(self) -> dict[tuple[str, ...], Any]:
        # through the private attributes' dict: pydantic reaches ``self._found`` in microseconds
        private = self.__pydantic_private__
        assert private is not None
        found: dict[tuple[str, ...], Any] = private["_found"]
        return found

    def _by_id(self, kind: str, wanted: str, items: list[Any]) -> Any:
        found = self._memo()
        item = found.get((kind, wanted))
        if item is None:
            item = found[(kind, wanted)] = next(i for i in items if i.id == wanted)
        return item

    def calendar(self, calendar_id: str | None) -> Calendar | None:
        """The calendar with id ``calendar_id``; None for around the clock."""
        return next((c for c in self.calendars if c.id == calendar_id), None)

    def route(self, product: Product, line: Line) -> list[RouteStep] | None:
        """The stations of ``line`` that run ``product``'s recipe, or None if it cannot.

        Steps map in order onto stations of the same type; a station with no step is passed by.
        """
        found = self._memo()
        key = ("route", product.id, line.id)
        if key not in found:
            found[key] = self._route(product, line)
        route: list[RouteStep] | None = found[key]
        return route

    def _route(self, product: Product, line: Line) -> list[RouteStep] | None:
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
        found = self._memo()
        key = ("lines for", product.id)
        lines = found.get(key)
        if lines is None:
            lines = found[key] = [
                line
                for line in self.lines
                if (product.lines is None or line.id in product.lines)
                and self.route(product, line) is not None
            ]
        return list(lines)

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
        """Length of web an order needs, m.

        As ordered, its area over the product's web width, or its rolls at the standard length.
        """
        if order.length_m is not None:
            return order.length_m
        if order.rolls is not None:
            return order.rolls * self.roll_length_m
        assert order.area_m2 is not None
        return order.area_m2 / self.product(order.product).web_width_m

    def order_rolls(self, order: Order) -> int:
        """Rolls an order is made in: its length in standard rolls, the last one maybe shorter."""
        return max(1, math.ceil(self.order_length_m(order) / self.roll_length_m - 1e-9))

    def with_changes(self, changes: dict[str, Any]) -> Scenario:
        """A validated copy with values replaced at dotted paths, e.g. ``lines[0].calendar``."""
        document = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        problems = []
        for path, value in changes.items():
            try:
                set_path(document, path, value)
            except PathError as error:
                problems.append(Problem(str(path), str(error).removeprefix(f"{path!r}: ")))
        if problems:
            raise ScenarioError(problems, f"{self.name} (changed)")
        return Scenario.from_document(document, source=f"{self.name} (changed)")

    @classmethod
    def from_document(cls, document: Any, source: str | None = None) -> Scenario:
        """Validate a parsed document (dicts and lists); every mistake in one ScenarioError.

        Each problem names the ids beside the positions in its path (``lines[0] (INL1)``).
        """
        if not isinstance(document, dict):
            raise ScenarioError([Problem("", "a scenario must be a mapping of fields")], source)
        known = cls.model_fields.keys()
        if document and not any(key in known for key in document):
            # Not a scenario at all (another program's file, say): say so without quoting it.
            fields = ", ".join(list(known)[:5])
            message = f"is not a scenario: it has none of a scenario's fields ({fields}, ...)"
            raise ScenarioError([Problem("", message)], source)
        try:
            scenario = cls.model_validate(document, context={"document": document})
        except ValidationError as error:
            problems = validation_problems(error, document, cls)
            problems += reference_problems(document)
            problems += partial_problems(document)
        except ScenarioError as error:
            problems = error.problems
        else:
            scenario._warnings = [_named(p, document) for p in scenario._warnings]
            return scenario
        problems = list(dict.fromkeys(problems))
        raise ScenarioError([_named(p, document) for p in problems], source) from None


def _named(problem: Problem, document: Any) -> Problem:
    """``problem`` with the ids of ``document`` beside the positions in its path."""
    shown = named(document, problem.path)
    return replace(problem, named=shown) if shown != problem.path else problem
