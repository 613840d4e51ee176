"""Simulation results: KPIs over replications with 95 % confidence intervals, as pydantic models.

The JSON form (``SimulationResult.model_dump_json``) is what ``r2r simulate --json`` prints.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from twin.engine.records import BufferChange, StateChange
from twin.engine.stats import Estimate, Probability
from twin.state.model import PlantState


class QualityKpis(BaseModel):
    """Quality figures (present when the quality model is on)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    good_m2_per_h: Estimate | None = Field(default=None, description="Good lane area per hour.")
    yield_: Estimate | None = Field(
        default=None, alias="yield", description="Good m² / m² of foil started."
    )
    first_pass_yield: Estimate | None = Field(
        default=None, description="Good m² from rolls never reworked / m² started."
    )
    escapes_ppm: Estimate | None = Field(
        default=None, description="Area of unmarked defects in good lane rolls, ppm of good area."
    )
    escapes_per_1000_m2: Estimate | None = Field(
        default=None, description="Unmarked defects in good lane rolls per 1000 m² good."
    )
    ah_per_h: Estimate | None = Field(
        default=None, description="Rated capacity of the good area made per hour, Ah/h."
    )


class ProductOutput(QualityKpis):
    """A product's output on a line, and its rolls' lead time."""

    output_m_per_h: Estimate
    output_m2_per_h: Estimate
    output_rolls_per_h: Estimate
    lead_time_h: Estimate | None = Field(
        default=None, description="Release to finish per finished roll of the product, hours."
    )


class LineResult(QualityKpis):
    """A line's output, WIP, lead time, scrap and quality."""

    output_m_per_h: Estimate
    output_m2_per_h: Estimate
    output_rolls_per_h: Estimate
    wip_rolls: Estimate = Field(description="Time-weighted rolls released and not finished.")
    lead_time_h: Estimate | None = Field(
        default=None, description="Release to finish per finished roll, hours."
    )
    scrapped_m: Estimate = Field(description="Metres scrapped for waiting too long.")
    products: dict[str, ProductOutput] = {}


class StationResult(BaseModel):
    """A station's time in each state (fractions of the time after warm-up) and OEE."""

    states: dict[str, float] = Field(description="Mean fraction of time in each state.")
    state_ci: dict[str, Estimate] = Field(description="The same with confidence intervals.")
    oee: Estimate = Field(description="Working time at full speed / planned (on-shift) time.")
    metres: Estimate = Field(description="Web processed, m (whole run).")
    bottleneck_share: float = Field(description="Share of time it was the momentary bottleneck.")
    line: str = Field(default="", description="The line the station is on.")
    line_bottleneck_share: float = Field(
        default=0.0, description="Share of time it was its own line's momentary bottleneck."
    )


class BufferResult(BaseModel):
    """A roll store (unit 'rolls') or accumulator (unit 'm')."""

    unit: Literal["rolls", "m"]
    mean_level: Estimate
    max_level: float
    arrivals_per_h: Estimate | None = None
    mean_wait_h: Estimate | None = None
    expired: Estimate | None = None
    series: list[tuple[float, float]] = Field(
        default=[], description="(minute, level) at evenly spaced times, first replication."
    )


class OrderResult(BaseModel):
    """An order's completion and tardiness over replications."""

    due_h: float
    line: str | None = Field(
        default=None, description="The line it ran on most often over the replications."
    )
    product: str = ""
    completed_fraction: float = Field(description="Share of replications that completed it.")
    completion_h: Estimate | None = Field(
        default=None, description="Completion time, when every replication completed it."
    )
    tardiness_h: Estimate = Field(
        description="Hours late (an unfinished order counts as late until the horizon)."
    )
    on_time: Probability = Field(description="Share of replications that finished it by its due.")
    planned_completion_h: float | None = Field(
        default=None, description="Completion in the executed schedule, when there is one."
    )
    due_in_horizon: bool = Field(
        default=True,
        description="Whether it is due within the run's horizon (if not, an unfinished order is "
        "not late yet and is left out of the on-time share).",
    )

    @property
    def judged(self) -> bool:
        """Whether the run can say if it was on time: due within the horizon, or finished."""
        return self.due_in_horizon or self.completed_fraction == 1


class Bottleneck(BaseModel):
    """The station that most often was the momentary bottleneck (active-period method)."""

    station: str
    share: float
    shares: dict[str, float] = {}


class SimulationResult(BaseModel):
    """Everything a simulation run reports, and which question it answers.

    ``demand`` says which: ``capacity`` (every line kept supplied with ``mix``: what the plant
    can make, steady-state rates after ``warmup_days``) or ``orders`` (the order book from an
    empty plant: will the orders ship; output counts what was delivered and is limited by the
    demand).
    """

    scenario: str
    demand: Literal["orders", "capacity"] = "orders"
    start: datetime.datetime | None = Field(
        default=None, description="Date-time of t = 0, for showing dates (the scenario's start)."
    )
    horizon_days: float
    warmup_days: float
    warmup_rule: str = Field(default="", description="How the warm-up was chosen.")
    mix: dict[str, dict[str, float]] = Field(
        default={}, description="A capacity run's product mix of each line, shares by metres."
    )
    replications: int
    seed: int
    kpis: dict[str, Estimate]
    replication_kpis: list[dict[str, float]] = Field(
        default=[],
        description="Each replication's plant KPIs (by their short names) and line KPIs (as "
        "'lines.<line>.<kpi>'), in replication order: two runs with the same "
        "seed share their random numbers, so their KPIs can be compared replication by "
        "replication (see :func:`paired_difference`).",
    )
    lines: dict[str, LineResult]
    stations: dict[str, StationResult]
    buffers: dict[str, BufferResult]
    orders: dict[str, OrderResult]
    bottleneck: Bottleneck
    scrap_m2: dict[str, Estimate] = Field(
        default={}, description="Scrap area by cause over the measured period, largest first."
    )
    rolls: list[dict[str, Any]] | None = Field(
        default=None, description="Genealogy of every finished roll, first replication."
    )
    events_processed: int = Field(description="Fluid updates over all replications.")
    events: list[StateChange] | None = Field(
        default=None, description="Every station unit's state changes, first replication."
    )
    initial_state: PlantState | None = Field(
        default=None, description="The plant state the run started from (None: empty plant)."
    )
    snapshot: PlantState | None = Field(
        default=None, description="The plant's state at the moment asked for, first replication."
    )
    buffer_events: list[BufferChange] | None = Field(
        default=None,
        description="Every roll store's and accumulator's changes, first replication.",
    )


def paired_difference(
    first: SimulationResult, second: SimulationResult, kpi: str
) -> Estimate | None:
    """The second run's ``kpi`` minus the first's, replication by replication, with its 95 % CI.

    Runs with the same seed and replications see the same failures where their stations are
    the same (common random numbers), so the paired interval is narrower than one made from the
    two runs' own intervals. ``None`` when the runs cannot be paired (other seeds or counts, or
    KPIs not kept per replication).
    """
    if (first.seed, first.replications) != (second.seed, second.replications):
        return None
    pairs = list(zip(first.replication_kpis, second.replication_kpis, strict=False))
    if len(pairs) != first.replications or not all(kpi in a and kpi in b for a, b in pairs):
        return None
    return Estimate.of([b[kpi] - a[kpi] for a, b in pairs], signed=True)
