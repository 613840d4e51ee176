"""How to run a scenario: one frozen :class:`RunOptions`, the only home of run defaults.

A scenario carries its own run settings (``run:`` in the file); the CLI, studies and the
dashboard override some of them. :meth:`RunOptions.of` applies the rules for what a run's
question and an override imply, so no caller repeats them:

- An order-book run (``demand: orders``: will the orders ship?) starts from an empty plant and
  counts everything from the start: it has no warm-up.
- A capacity run (``demand: capacity``: what can the plant make?) keeps every line's input
  supplied and estimates steady-state rates, so the start-up transient is deleted: the
  scenario's warm-up (at most half an overridden horizon), or, when the scenario gives none, a
  tenth of the horizon, at most a day.

Adding an option is one field here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from twin.engine.plan import SchedulePlan
from twin.scenario import Scenario
from twin.state.model import PlantState

Dispatching = Literal["fifo", "group_by_product"]
Demand = Literal["orders", "capacity"]
"""The question a run answers: the order book's delivery, or the plant's capacity."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Everything a run needs besides the scenario (times in minutes)."""

    horizon_min: float
    """Simulated time of each replication."""
    warmup_min: float = 0.0
    """Time at the start discarded from statistics."""
    replications: int = 1
    seed: int = 1
    """Replication ``r`` draws from streams seeded by (seed, r, stream name)."""
    quality: bool = True
    """Model defects, inspection, slitting yield and genealogy."""
    dispatching: Dispatching = "fifo"
    """How a tool picks its next roll: first in, or the same product first."""
    event_log: bool = False
    """Keep every station state change of the first replication."""
    genealogy: bool = False
    """Keep every finished roll's genealogy of the first replication."""
    plan: SchedulePlan | None = None
    """A schedule to execute instead of a dispatching rule."""
    demand: Demand = "orders"
    """Run the order book, or keep every line's input supplied (a capacity run)."""
    mix: tuple[tuple[str, float], ...] | None = None
    """A capacity run's product mix, (product, share by metres); None: the order book's."""
    warmup_rule: str = ""
    """How the warm-up was chosen, in words (for reports)."""
    state: PlantState | None = None
    """The plant at t = 0 (checked against the scenario): the run starts from it, at its
    moment, instead of from an empty plant at the scenario's start."""
    snapshot_at_min: float | None = None
    """Take the plant's state at this time of the first replication (its record's
    ``snapshot``)."""

    def __post_init__(self) -> None:
        if not 0 <= self.warmup_min < self.horizon_min:
            raise ValueError("the warm-up must be shorter than the horizon")
        if self.replications < 1:
            raise ValueError("a run needs at least one replication")
        if self.demand == "orders" and self.warmup_min > 0:
            raise ValueError(
                "a warm-up applies to capacity runs only: an order-book run counts every order "
                "delivered from the start"
            )
        if self.demand == "capacity" and self.plan is not None:
            raise ValueError("a schedule executes an order book, not a capacity run")
        if self.demand == "capacity" and self.state is not None:
            raise ValueError(
                "a plant state starts an order-book run: a capacity run keeps every line "
                "supplied from an empty plant"
            )
        if self.snapshot_at_min is not None and not 0 < self.snapshot_at_min <= self.horizon_min:
            raise ValueError("the snapshot must be taken within the horizon")

    @classmethod
    def of(cls, scenario: Scenario, **overrides: Any) -> RunOptions:
        """The scenario's run settings with ``overrides`` (an override of ``None`` is none).

        The warm-up follows from the run's question (module docstring); an explicit
        ``warmup_min`` override is used as given.
        """
        given = {name: value for name, value in overrides.items() if value is not None}
        run = scenario.run
        demand = given.get("demand", run.demand)
        horizon = given.get("horizon_min", run.horizon)
        if "warmup_min" in given:
            warmup, rule = given["warmup_min"], "as asked"
        elif demand == "orders":
            warmup, rule = 0.0, "none: an order-book run counts everything from the start"
        elif run.warmup > 0:
            warmup = min(run.warmup, horizon / 2) if "horizon_min" in given else run.warmup
            rule = "the scenario's run.warmup" + (
                " (at most half the horizon)" if warmup < run.warmup else ""
            )
        else:
            warmup = min(1440.0, horizon / 10)
            rule = "a tenth of the horizon, at most a day (the scenario gives none)"
        mix = given.pop("mix", None) or run.mix
        settings: dict[str, Any] = {
            "horizon_min": horizon,
            "warmup_min": warmup,
            "replications": run.replications,
            "seed": run.seed,
            "quality": run.quality,
            "dispatching": run.dispatching,
            "demand": demand,
            "mix": tuple(sorted(mix.items())) if isinstance(mix, dict) else mix,
            "warmup_rule": rule,
        }
        return cls(**(settings | given))

    def replace(self, **changes: Any) -> RunOptions:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)

    def for_replication(self, replication: int) -> RunOptions:
        """The options replication ``replication`` runs under: logs and snapshots in the first."""
        if replication == 0 or not (
            self.event_log or self.genealogy or self.snapshot_at_min is not None
        ):
            return self
        return self.replace(event_log=False, genealogy=False, snapshot_at_min=None)
