"""Replications combined: every figure's mean and 95 % interval over the replications."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from typing import TypeVar

from twin.engine.options import RunOptions
from twin.engine.records import OutputFigures, ReplicationRecord
from twin.engine.results import (
    Bottleneck,
    BufferResult,
    LineResult,
    OrderResult,
    ProductOutput,
    SimulationResult,
    StationResult,
)
from twin.engine.states import STATE_NAMES
from twin.engine.stats import Estimate, Probability

T = TypeVar("T")


def estimate(values: Iterable[float | None]) -> Estimate | None:
    """The estimate over the replications that have a value (``None`` when none has)."""
    kept = [v for v in values if v is not None and not math.isnan(v)]
    return Estimate.of(kept) if kept else None


def _each(records: Sequence[T], figure: Callable[[T], float | None]) -> Estimate | None:
    return estimate(figure(r) for r in records)


def _output_estimates(figures: Sequence[OutputFigures]) -> dict[str, Estimate]:
    """Every figure of :class:`OutputFigures` (and subclasses) that some replication has."""
    found: dict[str, Estimate] = {}
    for spec in fields(figures[0]):
        if spec.name == "products":
            continue
        value = estimate(getattr(f, spec.name) for f in figures)
        if value is not None:
            found[spec.name] = value
    return found


def _lines(records: Sequence[ReplicationRecord]) -> dict[str, LineResult]:
    lines = {}
    for name in records[0].lines:  # in the scenario's order
        figures = [r.lines[name] for r in records]
        products = {
            product: ProductOutput(
                **_output_estimates([f.products[product] for f in figures if product in f.products])
            )
            for product in sorted({p for f in figures for p in f.products})
        }
        lines[name] = LineResult(**_output_estimates(figures), products=products)
    return lines


def _bottleneck(records: Sequence[ReplicationRecord]) -> dict[str, float]:
    mean_shares: dict[str, float] = {}
    for record in records:
        for name, share in record.bottleneck.items():
            mean_shares[name] = mean_shares.get(name, 0.0) + share / len(records)
    return mean_shares


def _stations(
    records: Sequence[ReplicationRecord], shares: dict[str, float]
) -> dict[str, StationResult]:
    stations = {}
    for name in records[0].stations:  # in web order, line by line
        figures = [r.stations[name] for r in records]
        state_ci = {s: Estimate.of([f.states[s] for f in figures]) for s in STATE_NAMES}
        stations[name] = StationResult(
            states={state: est.mean for state, est in state_ci.items()},
            state_ci=state_ci,
            oee=Estimate.of([f.oee for f in figures]),
            metres=Estimate.of([f.metres for f in figures]),
            bottleneck_share=shares.get(name, 0.0),
            line=figures[0].line,
            line_bottleneck_share=sum(r.line_bottleneck.get(name, 0.0) for r in records)
            / len(records),
        )
    return stations


def _buffers(records: Sequence[ReplicationRecord]) -> dict[str, BufferResult]:
    buffers = {}
    for name in records[0].buffers:  # in web order, line by line
        figures = [r.buffers[name] for r in records]
        buffers[name] = BufferResult(
            unit=figures[0].unit,
            mean_level=Estimate.of([f.mean_level for f in figures]),
            max_level=max(f.max_level for f in figures),
            arrivals_per_h=_each(figures, lambda f: f.arrivals_per_h),
            mean_wait_h=_each(figures, lambda f: f.mean_wait_h),
            expired=_each(figures, lambda f: f.expired),
            series=figures[0].series,
        )
    return buffers


def _orders(records: Sequence[ReplicationRecord], options: RunOptions) -> dict[str, OrderResult]:
    planned_completion = options.plan.planned_completion_min if options.plan else {}
    orders = {}
    for order_id in records[0].orders:
        runs = [r.orders[order_id] for r in records]
        done = [r.completion_min for r in runs if r.completion_min is not None]
        planned = planned_completion.get(order_id)
        on_time = sum(1 for r in runs if r.completion_min is not None and not r.tardiness_min)
        lines = [r.line for r in runs if r.line is not None]
        orders[order_id] = OrderResult(
            due_h=runs[0].due_min / 60,
            line=max(sorted(set(lines)), key=lines.count) if lines else None,
            product=runs[0].product,
            completed_fraction=len(done) / len(runs),
            completion_h=Estimate.of([c / 60 for c in done]) if len(done) == len(runs) else None,
            tardiness_h=Estimate.of([r.tardiness_min / 60 for r in runs]),
            on_time=Probability.wilson(on_time, len(runs)),
            planned_completion_h=planned / 60 if planned is not None else None,
            due_in_horizon=runs[0].due_min <= options.horizon_min,
        )
    return orders


def _scrap(records: Sequence[ReplicationRecord]) -> dict[str, Estimate]:
    causes = sorted({cause for r in records for cause in r.scrap_m2})
    # every replication that had no scrap of a cause had zero of it
    scrap = {c: Estimate.of([r.scrap_m2.get(c, 0.0) for r in records]) for c in causes}
    return dict(sorted(scrap.items(), key=lambda item: -item[1].mean))


def summarise(records: Sequence[ReplicationRecord], options: RunOptions) -> SimulationResult:
    """Combine replications run under ``options`` into a :class:`SimulationResult`."""
    shares = _bottleneck(records)
    top = max(shares.items(), key=lambda item: item[1], default=("", 0.0))
    kpis = _output_estimates([r.plant for r in records])
    first = records[0]
    return SimulationResult(
        scenario=first.scenario,
        demand=options.demand,
        start=first.start,
        horizon_days=options.horizon_min / 1440,
        warmup_days=options.warmup_min / 1440,
        warmup_rule=options.warmup_rule,
        mix=first.mix,
        replications=len(records),
        seed=options.seed,
        kpis={
            k.removesuffix("_"): kpis[k] for k in sorted(kpis, key=lambda k: k.removesuffix("_"))
        },
        replication_kpis=[r.headline_kpis() for r in records],
        lines=_lines(records),
        stations=_stations(records, shares),
        buffers=_buffers(records),
        orders=_orders(records, options),
        bottleneck=Bottleneck(station=top[0], share=top[1], shares=shares),
        scrap_m2=_scrap(records),
        rolls=first.rolls,
        events_processed=sum(r.wakeups for r in records),
        events=first.events,
        buffer_events=first.buffer_events,
        initial_state=options.state,
        snapshot=first.snapshot,
    )
