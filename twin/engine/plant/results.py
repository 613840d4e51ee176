"""A replication's figures, collected from the plant at the horizon into a typed record."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.engine.bottleneck import bottleneck_shares
from twin.engine.entities import Roll, StationUnit
from twin.engine.plant.orders import LineOutput
from twin.engine.records import (
    BufferChange,
    BufferFigures,
    LineFigures,
    OrderFigures,
    PlantFigures,
    ProductFigures,
    ReplicationRecord,
    StationFigures,
)
from twin.engine.states import STATE_NAMES
from twin.state.model import PlantState

if TYPE_CHECKING:
    from twin.engine.plant.core import Plant


def replication_record(plant: Plant, snapshot: PlantState | None = None) -> ReplicationRecord:
    """Everything ``plant`` reports, once it has run to its horizon (and its snapshot)."""
    span_h = (plant.horizon - plant.warmup) / 60.0
    lines = {line.id: _line(plant, line.id, span_h) for line in plant.scenario.lines}
    orders = _orders(plant)
    tardiness = _tardiness(plant, orders)
    quality = plant.quality.tally if plant.quality is not None else None
    totals = [sum(getattr(line, k) for line in lines.values()) for k in ("_m", "_m2", "_rolls")]
    figures = PlantFigures(
        output_m_per_h=totals[0] / span_h,
        output_m2_per_h=totals[1] / span_h,
        output_rolls_per_h=totals[2] / span_h,
        **(quality.figures((None, None), span_h) if quality is not None else {}),
        **tardiness,
    )
    return ReplicationRecord(
        scenario=plant.scenario.name,
        replication=plant.replication,
        plant=figures,
        lines={k: line.figures for k, line in lines.items()},
        stations=_stations(plant),
        buffers=_buffers(plant),
        orders=orders,
        scrap_m2=quality.scrap() if quality is not None else {},
        **_bottlenecks(plant),
        wakeups=sum(s.wakeups for s in plant.segments),
        events=plant.event_log,
        buffer_events=_buffer_events(plant),
        rolls=[trace(plant, r) for r in plant.orders.finished]
        if plant.orders.finished is not None
        else None,
        start=plant.origin,
        snapshot=snapshot,
        mix=plant.orders.mixes(),
    )


def _buffer_events(plant: Plant) -> list[BufferChange] | None:
    """The stores' log and the accumulators' level traces, in time order."""
    if plant.buffer_log is None:
        return None
    changes = list(plant.buffer_log)
    for acc in plant.accumulators:
        changes += [BufferChange(t, acc.id, level) for t, level in acc.level_stat.trace or ()]
    changes.sort(key=lambda change: change.minute)  # stable: a store's own order is kept
    return changes


class _Line:
    """A line's figures, with the sums the plant's total adds up line by line."""

    def __init__(self, figures: LineFigures, output: LineOutput) -> None:
        self.figures = figures
        self._m, self._m2, self._rolls = output.metres, output.area_m2, output.rolls


def _output(output: LineOutput, span_h: float) -> dict[str, float]:
    return {
        "output_m_per_h": output.metres / span_h,
        "output_m2_per_h": output.area_m2 / span_h,
        "output_rolls_per_h": output.rolls / span_h,
    }


def _line(plant: Plant, line_id: str, span_h: float) -> _Line:
    scenario, orders = plant.scenario, plant.orders
    tally = plant.quality.tally if plant.quality is not None else None
    output = orders.output.get((line_id, None), LineOutput())
    line = scenario.line(line_id)
    products: dict[str, ProductFigures] = {}
    for product in scenario.products:
        mine = orders.output.get((line_id, product.id))
        if mine is not None or line in scenario.lines_for(product):
            quality = tally.figures((line_id, product.id), span_h) if tally is not None else {}
            made = mine or LineOutput()
            products[product.id] = ProductFigures(
                **_output(made, span_h),
                **quality,
                lead_time_h=float(np.mean(made.lead_min)) / 60 if made.lead_min else math.nan,
            )
    leads = output.lead_min
    figures = LineFigures(
        **_output(output, span_h),
        **(tally.figures((line_id, None), span_h) if tally is not None else {}),
        wip_rolls=orders.wip[line_id].mean(plant.horizon),
        lead_time_h=float(np.mean(leads)) / 60 if leads else math.nan,
        scrapped_m=orders.scrapped_m[line_id],
        products=products,
    )
    return _Line(figures, output)


def _stations(plant: Plant) -> dict[str, StationFigures]:
    span = plant.horizon - plant.warmup
    tally = plant.quality.tally if plant.quality is not None else None
    by_station: dict[str, list[StationUnit]] = {}
    for unit in plant.units:
        by_station.setdefault(unit.station_id, []).append(unit)
    stations = {}
    for station_id, units in by_station.items():
        states = {
            name: sum(u.state_time[k] for u in units) / (span * len(units))
            for k, name in enumerate(STATE_NAMES)
        }
        planned = 1.0 - states["off_shift"]
        factor = tally.quality_factor(units[0].line_id) if tally is not None else 1.0
        stations[station_id] = StationFigures(
            states=states,
            oee=states["working"] / planned * factor if planned > 0 else 0.0,
            metres=sum(u.metres for u in units),
            line=units[0].line_id,
        )
    return stations


def _buffers(plant: Plant) -> dict[str, BufferFigures]:
    horizon, span_h = plant.horizon, (plant.horizon - plant.warmup) / 60.0
    buffers = {}
    for store in plant.stores.values():
        buffers[store.id] = BufferFigures(
            unit="rolls",
            mean_level=store.level.mean(horizon),
            max_level=store.level.maximum,
            arrivals_per_h=store.arrivals / span_h,
            mean_wait_h=store.wait_total / store.departures / 60 if store.departures else 0.0,
            expired=store.expired,
            series=store.level.series,
        )
    for acc in plant.accumulators:
        if acc.id not in buffers:
            buffers[acc.id] = BufferFigures(
                unit="m",
                mean_level=acc.level_stat.mean(horizon),
                max_level=acc.level_stat.maximum,
                series=acc.level_stat.series,
            )
    return buffers


def _orders(plant: Plant) -> dict[str, OrderFigures]:
    scenario, horizon = plant.scenario, plant.horizon
    orders: dict[str, OrderFigures] = {}
    if plant.orders.capacity_run:
        return orders  # no order book: the lines were kept supplied
    closed, offset = plant.orders.closed, plant.orders.offset
    for order in scenario.orders:
        if order.id in closed:
            continue  # finished before a plant state the run started from
        due = scenario.minutes(order.due) - offset
        done_at = plant.orders.order_done.get(order.id)
        lateness_from = done_at if done_at is not None else horizon
        orders[order.id] = OrderFigures(
            due,
            done_at,
            max(0.0, lateness_from - due),
            plant.orders.order_line.get(order.id),
            order.product,
        )
    return orders


def _tardiness(plant: Plant, orders: dict[str, OrderFigures]) -> dict[str, float]:
    scenario = plant.scenario
    if not scenario.orders or plant.orders.capacity_run:
        return {}
    weighted = on_time = 0.0
    book = [order for order in scenario.orders if order.id in orders]
    if not book:
        return {}  # every order was finished before the run began
    # On time is judged for the orders due within the horizon: one due later is neither on
    # time nor late yet (it counts once it is late, in the tardiness, never before).
    judged = 0
    for order in book:
        figures = orders[order.id]
        weighted += order.weight * figures.tardiness_min
        if figures.due_min <= plant.horizon:
            judged += 1
            on_time += figures.completion_min is not None and figures.tardiness_min == 0
    shares = {"weighted_tardiness_h": weighted / 60}
    if judged:
        shares["on_time_fraction"] = on_time / judged
    return shares


def _bottlenecks(plant: Plant) -> dict[str, dict[str, float]]:
    """Each station's share of time as the momentary bottleneck: of the plant, of its line.

    Keyed ``bottleneck`` and ``line_bottleneck``; a station's units are added.
    """
    units = plant.units
    lines = [[u for u in units if u.line_id == line.id] for line in plant.scenario.lines]
    periods = {unit.name: unit.active_periods for unit in units}
    groups = [units, *lines]
    by_unit = bottleneck_shares(
        periods, plant.warmup, plant.horizon, [[u.name for u in group] for group in groups]
    )
    plant_shares: dict[str, float] = {}
    line_shares: dict[str, float] = {}
    for k, group in enumerate(groups):
        shares = plant_shares if k == 0 else line_shares
        for unit in group:
            share = by_unit[k].get(unit.name, 0.0)
            shares[unit.station_id] = shares.get(unit.station_id, 0.0) + share
    return {"bottleneck": plant_shares, "line_bottleneck": line_shares}


def trace(plant: Plant, roll: Roll) -> dict[str, Any]:
    """A roll's genealogy: stations, times, steps, conditions, defects and lane rolls."""
    record: dict[str, Any] = {
        "id": roll.id,
        "order": roll.order,
        "product": roll.product,
        "line": roll.line,
        "length_m": roll.length_m,
        "width_m": roll.width_m,
        "released_min": roll.released,
        "reworks": roll.reworks,
        "segments": [
            {"exit": station, "start_min": start, "end_min": end}
            for station, start, end in roll.history
        ],
    }
    if plant.quality is not None:
        record["stations"] = plant.quality.genealogy(roll)
        record["lanes"] = [asdict(lane) for lane in roll.quality.lanes()]
        record["defects"] = plant.quality.defects_table(roll)
    return record
