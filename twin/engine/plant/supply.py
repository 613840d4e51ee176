"""A capacity run's input: each line kept supplied with its product mix, a roll whenever asked.

Instead of the order book, each line's queue makes a roll of the line's mix whenever a head
station asks for one and none waits, so the line is never starved at its input and no roll
waits there (lead times are flow times through the line). Products come in campaigns of an
order's mean number of rolls, as the order book would bring them (so changeovers are as frequent
as with real orders), chosen so that the metres made of each product keep to its share of the
mix: the next campaign is of the product furthest below its share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from twin.capacity import rolls_per_order
from twin.engine.entities import Roll, RollQueue, Then
from twin.scenario import Line, Scenario


def line_mix(scenario: Scenario, line: Line, mix: Mapping[str, float] | None) -> dict[str, float]:
    """The shares by metres of the products ``line`` runs: of ``mix``, else the order book's.

    Shares are normalised over the products the line may run. A line none of whose products has
    a share runs every product it may, in equal shares.
    """
    runnable = [p.id for p in scenario.products if line in scenario.lines_for(p)]
    if mix is None:
        weights: dict[str, float] = {}
        for order in scenario.orders:
            weights[order.product] = weights.get(order.product, 0.0) + scenario.order_length_m(
                order
            )
    else:
        weights = dict(mix)
    shares = {p: weights[p] for p in runnable if weights.get(p, 0.0) > 0}
    if not shares:
        shares = dict.fromkeys(runnable, 1.0)
    total = sum(shares.values())
    return {p: share / total for p, share in shares.items()}


class Campaigns:
    """The products a line's supply makes, campaign after campaign, keeping to the mix."""

    def __init__(self, scenario: Scenario, line: Line, mix: Mapping[str, float] | None) -> None:
        self.shares = line_mix(scenario, line, mix)
        self.sizes = {
            p: max(1, round(rolls_per_order(scenario, scenario.product(p)))) for p in self.shares
        }
        self.made_m = dict.fromkeys(self.shares, 0.0)
        self.left = 0
        self.product = ""
        self.count = 0

    def next(self, roll_length_m: float) -> tuple[str, int]:
        """The product of the next roll, and the number of its campaign."""
        if self.left == 0:
            total = sum(self.made_m.values()) + roll_length_m
            self.product = max(
                self.shares, key=lambda p: self.shares[p] * total - self.made_m[p]
            )  # furthest below its share; ties go to the first in the scenario's order
            self.left = self.sizes[self.product]
            self.count += 1
        self.left -= 1
        self.made_m[self.product] += roll_length_m
        return self.product, self.count


class SupplyQueue(RollQueue):
    """A line's input in a capacity run: a roll of the line's mix whenever a head asks."""

    make: Callable[[], Roll]

    def get(self, taker: Any, then: Then) -> None:
        """Make a roll when none waits, then hand it out by the dispatching rule."""
        if not self.rolls:
            self.put(self.make(), reserved=False)
        super().get(taker, then)


__all__ = ["Campaigns", "SupplyQueue", "line_mix"]
