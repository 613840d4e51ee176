"""Load against capacity: the order book's metres due per line and week against what it can make.

For each line and each week of the order book (weeks from the scenario's start), the load is the
hours of capacity the metres due that week need, Σ metres / rate over the products, against the
hours the line is staffed that week (its shift calendar, less holidays), as a percentage. The
rate of a (line, product) is a capacity run's sustainable output where one is given, else the
static availability-adjusted bound of ``r2r describe``. An order that may run on several lines is
counted on the one whose week is least loaded so far, taking orders by due date (as the twin
sends each order to its least-loaded line). A line above 100 % in a week cannot make what is due
that week from that week's time alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from twin.capacity import static_capacity
from twin.engine.calendar import off_shift_intervals
from twin.engine.results import SimulationResult
from twin.scenario import Scenario

WEEK_MIN = 7 * 1440.0


@dataclass(frozen=True)
class WeekLoad:
    """One line's load in one week of the order book."""

    line: str
    week: int
    """Week number from the scenario's start, 0 first."""
    due_m: float
    """Metres of the orders due that week counted on this line."""
    needed_h: float
    """Hours of capacity those metres need at the line's rates."""
    available_h: float
    """Hours the line is staffed that week."""

    @property
    def start_min(self) -> float:
        """Start of the week, minutes after the scenario's start."""
        return self.week * WEEK_MIN

    @property
    def load(self) -> float:
        """Needed over available hours (infinite when metres are due in a week with no shift)."""
        if self.available_h > 0:
            return self.needed_h / self.available_h
        return math.inf if self.needed_h > 0 else 0.0


@dataclass(frozen=True)
class LoadTable:
    """Every line's load in every week of the order book, and where the rates came from."""

    source: str
    """How the capacity was obtained: the static bound, or a capacity run."""
    weeks: list[WeekLoad]

    @property
    def lines(self) -> list[str]:
        """The lines, in the scenario's order."""
        return list(dict.fromkeys(w.line for w in self.weeks))

    @property
    def week_numbers(self) -> list[int]:
        """The weeks of the order book, in order."""
        return sorted({w.week for w in self.weeks})

    def at(self, line: str, week: int) -> WeekLoad:
        """The load of ``line`` in ``week``."""
        return next(w for w in self.weeks if w.line == line and w.week == week)

    def plant(self, week: int) -> float:
        """The plant's load in ``week``: all lines' needed hours over all their available hours."""
        rows = [w for w in self.weeks if w.week == week]
        available = sum(w.available_h for w in rows)
        needed = sum(w.needed_h for w in rows)
        return needed / available if available > 0 else (math.inf if needed else 0.0)

    def overloaded(self) -> list[WeekLoad]:
        """Every (line, week) above 100 %."""
        return [w for w in self.weeks if w.load > 1.0 + 1e-9]


def static_rates(scenario: Scenario) -> dict[tuple[str, str], float]:
    """Each (line, product)'s availability-adjusted static bound, m/h (``r2r describe``)."""
    return {(c.line, c.product): c.bound_m_h for c in static_capacity(scenario)}


def capacity_rates(scenario: Scenario, result: SimulationResult) -> dict[tuple[str, str], float]:
    """Each (line, product)'s rate from a capacity run: the line's sustainable output, m/h.

    A capacity run keeps a line supplied with its product mix; the line's output in that mix is
    the rate each of its products is loaded at.
    """
    return {
        (line.id, product.id): result.lines[line.id].output_m_per_h.mean
        for product in scenario.products
        for line in scenario.lines_for(product)
        if line.id in result.lines and result.lines[line.id].output_m_per_h.mean > 0
    }


def load_table(
    scenario: Scenario,
    rates: Mapping[tuple[str, str], float] | None = None,
    source: str = "static bound (r2r describe)",
) -> LoadTable:
    """The load of every line in every week of ``scenario``'s order book.

    ``rates`` gives m/h by (line, product), for example from a capacity run; missing pairs, or no
    ``rates`` at all, fall back to the static bound.
    """
    bound = static_rates(scenario)
    rate = {**bound, **(rates or {})}
    dues = [scenario.minutes(order.due) for order in scenario.orders]
    weeks = range(int(max(dues, default=0.0) // WEEK_MIN) + 1)
    available = {
        (line.id, week): _staffed_h(scenario, line.id, week)
        for line in scenario.lines
        for week in weeks
    }
    needed = dict.fromkeys(available, 0.0)
    due_m = dict.fromkeys(available, 0.0)
    for order, due in sorted(zip(scenario.orders, dues, strict=True), key=lambda item: item[1]):
        week = max(0, int(due // WEEK_MIN))
        product = scenario.product(order.product)
        eligible = [order.line] if order.line else [ln.id for ln in scenario.lines_for(product)]
        eligible = [ln for ln in eligible if rate.get((ln, product.id), 0) > 0]
        if not eligible:
            continue

        def share(line: str, week: int = week) -> float:
            hours = available[(line, week)]
            return needed[(line, week)] / hours if hours > 0 else math.inf

        line = min(eligible, key=share)
        metres = scenario.order_length_m(order)
        due_m[(line, week)] += metres
        needed[(line, week)] += metres / rate[(line, product.id)]
    rows = [
        WeekLoad(line, week, due_m[(line, week)], needed[(line, week)], available[(line, week)])
        for line, week in available
    ]
    return LoadTable(source=source, weeks=rows)


def _staffed_h(scenario: Scenario, line_id: str, week: int) -> float:
    """Hours ``line_id`` is on shift in ``week`` (its calendar, holidays off)."""
    line = scenario.line(line_id)
    end = (week + 1) * WEEK_MIN
    off = off_shift_intervals(scenario.calendar(line.calendar), scenario.start, end)
    begin = week * WEEK_MIN
    off_min = sum(max(0.0, min(b, end) - max(a, begin)) for a, b in off)
    return (WEEK_MIN - off_min) / 60.0


__all__ = ["WEEK_MIN", "LoadTable", "WeekLoad", "load_table", "static_rates"]
