"""The twin engine: a SimPy model of a plant, run for replications with common random numbers.

``simulate(scenario)`` runs the scenario's replications and returns a
:class:`~twin.engine.results.SimulationResult`; ``run_replication`` runs one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from twin.engine.plan import SchedulePlan
from twin.engine.plant import Plant, ReplicationResult
from twin.engine.results import (
    SimulationResult,
    bottleneck_shares,
    paired_difference,
    summarise,
)
from twin.engine.stats import Estimate
from twin.scenario import Accumulator, RollStore, Scenario

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in all)."""
ReplicationDone = Callable[[int, dict[str, float], dict[str, float]], None]
"""Called as each replication finishes, with its number, its KPIs and its stations' bottleneck
shares: a caller can keep it at once, so that a run stopped halfway loses nothing finished."""


def run_replication(
    scenario: Scenario,
    replication: int = 0,
    *,
    seed: int | None = None,
    horizon_min: float | None = None,
    warmup_min: float | None = None,
    event_log: bool = False,
    genealogy: bool = False,
    plan: SchedulePlan | None = None,
) -> tuple[ReplicationResult, dict[str, float]]:
    """Run one replication; return its numbers and each station's bottleneck share."""
    plant = Plant(scenario, replication, seed, horizon_min, warmup_min, event_log, genealogy, plan)
    result = plant.run()
    periods: dict[str, list[tuple[float, float]]] = {}
    for unit in plant.units:
        periods[unit.name] = unit.active_periods
    shares_by_unit = bottleneck_shares(periods, plant.warmup, plant.horizon)
    shares: dict[str, float] = {}
    for unit in plant.units:
        shares[unit.station_id] = shares.get(unit.station_id, 0.0) + shares_by_unit.get(
            unit.name, 0.0
        )
    return result, shares


def simulate(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    horizon_min: float | None = None,
    warmup_min: float | None = None,
    event_log: bool = False,
    genealogy: bool = False,
    plan: SchedulePlan | None = None,
    progress: Progress | None = None,
    replication_done: ReplicationDone | None = None,
) -> SimulationResult:
    """Run ``replications`` replications (default: the scenario's) and summarise them.

    With a ``plan`` the tools follow its sequences and rolls are released at its starts.
    """
    count = scenario.run.replications if replications is None else replications
    seed = scenario.run.seed if seed is None else seed
    horizon = scenario.run.horizon if horizon_min is None else horizon_min
    warmup = scenario.run.warmup if warmup_min is None else warmup_min
    if not 0 <= warmup < horizon:
        raise ValueError("the warm-up must be shorter than the horizon")
    results: list[ReplicationResult] = []
    shares: list[dict[str, float]] = []
    for replication in range(count):
        result, share = run_replication(
            scenario,
            replication,
            seed=seed,
            horizon_min=horizon,
            warmup_min=warmup,
            event_log=event_log and replication == 0,
            genealogy=genealogy and replication == 0,
            plan=plan,
        )
        results.append(result)
        shares.append(share)
        if replication_done is not None:
            replication_done(replication, result.metrics, share)
        if progress is not None:
            progress(replication + 1, count)
    units: dict[str, Literal["rolls", "m"]] = {}
    for line in scenario.lines:
        for buffer in line.buffers:
            units[buffer.id] = "rolls" if isinstance(buffer, RollStore) else "m"
            assert isinstance(buffer, RollStore | Accumulator)
    return summarise(
        scenario.name,
        seed,
        horizon,
        warmup,
        [r.metrics for r in results],
        [r.orders for r in results],
        results[0].series,
        units,
        shares,
        sum(r.wakeups for r in results),
        results[0].events,
        results[0].rolls if genealogy else None,
        plan.planned_completion_min if plan else None,
    )


__all__ = [
    "Estimate",
    "Plant",
    "SchedulePlan",
    "SimulationResult",
    "paired_difference",
    "run_replication",
    "simulate",
]
