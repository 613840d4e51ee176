"""Order books for the plant benchmarks: the baseline's four weeks repeated, and a rush book.

``months(baseline, n)`` repeats the baseline's order book ``n`` times, each copy's releases and
due dates shifted four weeks later than the one before (the baseline's 44 orders over 4 weeks
become 176 orders over 16 weeks for ``n = 4``). ``rush(scenario)`` halves every order's lead time
(due − release), so that the order book is congested.
"""

from __future__ import annotations

from twin.scenario import Scenario, scenario_from_document

FOUR_WEEKS_MIN = 28 * 1440


def _document(scenario: Scenario) -> dict:
    return scenario.model_dump(mode="json", by_alias=True, exclude_none=True)


def months(baseline: Scenario, copies: int) -> Scenario:
    """The baseline's order book repeated ``copies`` times, four weeks apart."""
    document = _document(baseline)
    orders = []
    for copy in range(copies):
        shift = copy * FOUR_WEEKS_MIN
        for order, original in zip(document["orders"], baseline.orders, strict=True):
            repeated = dict(order)
            repeated["id"] = order["id"] if copy == 0 else f"{order['id']}-m{copy + 1}"
            repeated["release"] = baseline.minutes(original.release) + shift
            repeated["due"] = baseline.minutes(original.due) + shift
            orders.append(repeated)
    document["orders"] = orders
    document["run"]["horizon"] = (copies * 28 + 2) * 1440
    document["name"] = f"baseline order book x{copies} ({copies * 4} weeks)"
    return scenario_from_document(document)


def rush(baseline: Scenario) -> Scenario:
    """The scenario with every order's lead time halved."""
    document = _document(baseline)
    for order, original in zip(document["orders"], baseline.orders, strict=True):
        release = baseline.minutes(original.release)
        due = baseline.minutes(original.due)
        order["release"] = release
        order["due"] = release + (due - release) / 2
    document["name"] = f"{baseline.name}, lead times halved"
    return scenario_from_document(document)
