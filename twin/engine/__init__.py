"""The twin engine: a SimPy model of a plant, run for replications with common random numbers.

``simulate(scenario, options)`` runs the replications :class:`RunOptions` asks for and returns a
:class:`SimulationResult`; ``run_replication`` runs one and returns its
:class:`ReplicationRecord`, whose :meth:`~ReplicationRecord.flatten` gives the dotted KPI names
studies and the run store use. An event log is a list of :class:`StateChange` (stations)
and of :class:`BufferChange` (stores and accumulators).
"""

from __future__ import annotations

from collections.abc import Callable

from twin.engine.options import Dispatching, RunOptions
from twin.engine.plan import SchedulePlan
from twin.engine.plant import Plant
from twin.engine.records import (
    BufferChange,
    BufferFigures,
    LineFigures,
    OrderFigures,
    OutputFigures,
    PlantFigures,
    ReplicationRecord,
    StateChange,
    StationFigures,
)
from twin.engine.results import SimulationResult, paired_difference
from twin.engine.states import STATE_NAMES, State
from twin.engine.stats import Estimate, Probability
from twin.engine.summary import summarise
from twin.scenario import Scenario

Progress = Callable[[int, int], None]
"""Called with (replications done, replications in all)."""
ReplicationDone = Callable[[ReplicationRecord], None]
"""Called as each replication finishes, with its record: a caller can keep it at once, so that a
run stopped halfway loses nothing finished."""


def run_replication(
    scenario: Scenario, options: RunOptions | None = None, replication: int = 0
) -> ReplicationRecord:
    """Run replication ``replication`` of ``scenario`` (default: its own run settings)."""
    return Plant(scenario, options or RunOptions.of(scenario), replication).run()


def simulate(
    scenario: Scenario,
    options: RunOptions | None = None,
    *,
    progress: Progress | None = None,
    replication_done: ReplicationDone | None = None,
) -> SimulationResult:
    """Run the replications of ``options`` (default: the scenario's settings) and summarise them.

    With a plan in the options the tools follow its sequences and rolls are released at its
    starts. Event log and genealogy are kept for the first replication only.
    """
    options = options or RunOptions.of(scenario)
    records: list[ReplicationRecord] = []
    for replication in range(options.replications):
        record = run_replication(scenario, options.for_replication(replication), replication)
        records.append(record)
        if replication_done is not None:
            replication_done(record)
        if progress is not None:
            progress(replication + 1, options.replications)
    return summarise(records, options)


__all__ = [
    "STATE_NAMES",
    "BufferChange",
    "BufferFigures",
    "Dispatching",
    "Estimate",
    "LineFigures",
    "OrderFigures",
    "OutputFigures",
    "Plant",
    "PlantFigures",
    "Probability",
    "ReplicationDone",
    "ReplicationRecord",
    "RunOptions",
    "SchedulePlan",
    "SimulationResult",
    "State",
    "StateChange",
    "StationFigures",
    "paired_difference",
    "run_replication",
    "simulate",
    "summarise",
]
