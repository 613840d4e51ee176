"""How to run a scenario: one frozen :class:`RunOptions`, the only home of run defaults.

A scenario carries its own run settings (``run:`` in the file); the CLI, studies and the
dashboard override some of them. :meth:`RunOptions.of` applies the one rule for what an override
implies (the scenario's warm-up, at most half an overridden horizon), so no caller repeats it.
Adding an option is one field here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from twin.engine.plan import SchedulePlan
from twin.scenario import Scenario

Dispatching = Literal["fifo", "group_by_product"]


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

    def __post_init__(self) -> None:
        if not 0 <= self.warmup_min < self.horizon_min:
            raise ValueError("the warm-up must be shorter than the horizon")
        if self.replications < 1:
            raise ValueError("a run needs at least one replication")

    @classmethod
    def of(cls, scenario: Scenario, **overrides: Any) -> RunOptions:
        """The scenario's run settings with ``overrides`` (an override of ``None`` is none).

        An overridden horizon without a warm-up keeps the scenario's warm-up, at most half the
        horizon.
        """
        given = {name: value for name, value in overrides.items() if value is not None}
        run = scenario.run
        horizon = given.get("horizon_min", run.horizon)
        settings: dict[str, Any] = {
            "horizon_min": horizon,
            "warmup_min": min(run.warmup, horizon / 2) if "horizon_min" in given else run.warmup,
            "replications": run.replications,
            "seed": run.seed,
            "quality": run.quality,
            "dispatching": run.dispatching,
        }
        return cls(**(settings | given))

    def replace(self, **changes: Any) -> RunOptions:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)

    def for_replication(self, replication: int) -> RunOptions:
        """The options replication ``replication`` runs under: logs only in the first."""
        if replication == 0 or not (self.event_log or self.genealogy):
            return self
        return self.replace(event_log=False, genealogy=False)
