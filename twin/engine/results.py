"""Simulation results: KPIs over replications with 95 % confidence intervals, as pydantic models.

The JSON form (``SimulationResult.model_dump_json``) is what ``r2r simulate --json`` prints.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from twin.engine.flow import STATE_NAMES
from twin.engine.stats import Estimate, Probability, downsample

ReplicationMetrics = dict[str, float]


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
    """A product's output on a line."""

    output_m_per_h: Estimate
    output_m2_per_h: Estimate
    output_rolls_per_h: Estimate


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


class Bottleneck(BaseModel):
    """The station that most often was the momentary bottleneck (active-period method)."""

    station: str
    share: float
    shares: dict[str, float] = {}


class SimulationResult(BaseModel):
    """Everything a simulation run reports."""

    scenario: str
    horizon_days: float
    warmup_days: float
    replications: int
    seed: int
    kpis: dict[str, Estimate]
    replication_kpis: list[dict[str, float]] = Field(
        default=[],
        description="Each replication's plant KPIs, in replication order: two runs with the same "
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
    events: list[tuple[float, str, str]] | None = Field(
        default=None, description="(minute, station, state) changes, first replication."
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


def bottleneck_shares(
    periods: dict[str, list[tuple[float, float]]], warmup: float, horizon: float
) -> dict[str, float]:
    """Share of [warm-up, horizon] each station is the momentary bottleneck.

    Active-period method (Roser et al.): at each moment the bottleneck is the station whose
    current active period is the longest. Periods are (start, end) per station.
    """
    names = sorted(periods)
    if not names or horizon <= warmup:
        return {}
    cuts = {warmup, horizon}
    for spans in periods.values():
        for start, end in spans:
            cuts.add(min(max(start, warmup), horizon))
            cuts.add(min(max(end, warmup), horizon))
    grid = np.array(sorted(cuts))
    mids = (grid[:-1] + grid[1:]) / 2
    widths = np.diff(grid)
    lengths = np.zeros((len(names), len(mids)))
    for row, name in enumerate(names):
        spans = sorted(periods[name])
        if not spans:
            continue
        starts = np.array([s for s, _ in spans])
        ends = np.array([e for _, e in spans])
        index = np.searchsorted(starts, mids, side="right") - 1
        valid = index >= 0
        covered = np.zeros(len(mids), dtype=bool)
        covered[valid] = ends[index[valid]] > mids[valid]
        lengths[row, covered] = (ends - starts)[index[covered]]
    best = lengths.max(axis=0)
    winners = (lengths == best) & (best > 0)
    counts = winners.sum(axis=0)
    shares = (winners * np.where(counts > 0, widths / np.maximum(counts, 1), 0.0)).sum(axis=1)
    total = horizon - warmup
    return {name: float(share / total) for name, share in zip(names, shares, strict=True)}


def _estimates(replications: Sequence[ReplicationMetrics]) -> dict[str, Estimate]:
    keys = {key for metrics in replications for key in metrics}
    result = {}
    for key in sorted(keys):
        values = [m[key] for m in replications if key in m and not math.isnan(m[key])]
        if values:
            result[key] = Estimate.of(values)
    return result


def summarise(
    scenario_name: str,
    seed: int,
    horizon: float,
    warmup: float,
    replications: Sequence[ReplicationMetrics],
    orders: Sequence[dict[str, dict[str, float | None]]],
    series: dict[str, list[tuple[float, float]]],
    buffer_units: dict[str, Literal["rolls", "m"]],
    shares: Sequence[dict[str, float]],
    events_processed: int,
    events: list[tuple[float, str, str]] | None,
    rolls: list[dict[str, Any]] | None = None,
    planned_completion_min: dict[str, float] | None = None,
) -> SimulationResult:
    """Combine replications into a :class:`SimulationResult`."""
    estimates = _estimates(replications)
    nested: dict[str, dict[str, Estimate]] = defaultdict(dict)
    for key, estimate in estimates.items():
        section, rest = key.split(".", 1)
        nested[section][rest] = estimate

    def group(section: str) -> dict[str, dict[str, Estimate]]:
        grouped: dict[str, dict[str, Estimate]] = defaultdict(dict)
        for rest, estimate in nested[section].items():
            name, field = rest.split(".", 1)
            grouped[name][field] = estimate
        return grouped

    lines = {}
    for name, fields in group("lines").items():
        products: dict[str, dict[str, Estimate]] = defaultdict(dict)
        for field, estimate in fields.items():
            if field.startswith("products."):
                _, product, kpi = field.split(".", 2)
                products[product][kpi] = estimate
        own = {k: v for k, v in fields.items() if not k.startswith("products.")}
        lines[name] = LineResult.model_validate(
            {**own, "products": {p: ProductOutput.model_validate(k) for p, k in products.items()}}
        )
    mean_shares: dict[str, float] = defaultdict(float)
    for replication_shares in shares:
        for name, share in replication_shares.items():
            mean_shares[name] += share / len(shares)
    stations = {}
    for name, fields in group("stations").items():
        state_ci = {state: fields[f"states.{state}"] for state in STATE_NAMES}
        stations[name] = StationResult(
            states={state: est.mean for state, est in state_ci.items()},
            state_ci=state_ci,
            oee=fields["oee"],
            metres=fields["metres"],
            bottleneck_share=mean_shares.get(name, 0.0),
        )
    buffers = {}
    for name, fields in group("buffers").items():
        max_levels = [m[f"buffers.{name}.max_level"] for m in replications]
        buffers[name] = BufferResult(
            unit=buffer_units[name],
            mean_level=fields["mean_level"],
            max_level=max(max_levels),
            arrivals_per_h=fields.get("arrivals_per_h"),
            mean_wait_h=fields.get("mean_wait_h"),
            expired=fields.get("expired"),
            series=downsample(series.get(name, []), horizon),
        )
    order_results = {}
    for order_id in orders[0] if orders else {}:
        runs = [o[order_id] for o in orders]
        completions = [r["completion_min"] for r in runs]
        done = [c for c in completions if c is not None]
        planned = (planned_completion_min or {}).get(order_id)
        on_time = sum(1 for r in runs if r["completion_min"] is not None and not r["tardiness_min"])
        order_results[order_id] = OrderResult(
            due_h=float(runs[0]["due_min"] or 0.0) / 60,
            completed_fraction=len(done) / len(runs),
            completion_h=Estimate.of([c / 60 for c in done]) if len(done) == len(runs) else None,
            tardiness_h=Estimate.of([float(r["tardiness_min"] or 0.0) / 60 for r in runs]),
            on_time=Probability.wilson(on_time, len(runs)),
            planned_completion_h=planned / 60 if planned is not None else None,
        )
    top = max(mean_shares.items(), key=lambda item: item[1], default=("", 0.0))
    scrap = {cause: est for cause, est in nested["scrap"].items()}
    # every replication that had no scrap of a cause had zero of it
    scrap = {
        cause: Estimate.of([m.get(f"scrap.{cause}", 0.0) for m in replications]) for cause in scrap
    }
    scrap = dict(sorted(scrap.items(), key=lambda item: -item[1].mean))
    return SimulationResult(
        scenario=scenario_name,
        horizon_days=horizon / 1440,
        warmup_days=warmup / 1440,
        replications=len(replications),
        seed=seed,
        kpis=nested["kpis"],
        replication_kpis=[
            {k.removeprefix("kpis."): v for k, v in metrics.items() if k.startswith("kpis.")}
            for metrics in replications
        ],
        lines=lines,
        stations=stations,
        buffers=buffers,
        orders=order_results,
        bottleneck=Bottleneck(station=top[0], share=top[1], shares=dict(mean_shares)),
        scrap_m2=scrap,
        rolls=rolls,
        events_processed=events_processed,
        events=events,
    )
