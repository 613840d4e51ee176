"""Printing a simulation's results: plant and lines, stations, buffers, orders, quality."""

from __future__ import annotations

from rich.table import Table

from twin.cli.app import out
from twin.engine import SimulationResult
from twin.engine.stats import Estimate


def ci(estimate: Estimate | None, digits: int = 1) -> str:
    """``mean ± half-width`` of an estimate's 95 % interval ("–" when there is no value)."""
    if estimate is None or estimate.mean != estimate.mean:
        return "–"
    half = (estimate.ci_high - estimate.ci_low) / 2
    return f"{estimate.mean:.{digits}f} ± {half:.{digits}f}"


def print_result(result: SimulationResult) -> None:
    """Print a simulation's tables: plant and lines, stations, buffers, orders, quality."""
    out.print(
        f"[bold]{result.scenario}[/] · {result.horizon_days:g} days "
        f"(warm-up {result.warmup_days:g}) · {result.replications} replication(s) · "
        f"seed {result.seed} · mean ± 95 % CI half-width"
    )
    plant = Table(title="plant and lines", title_justify="left")
    for name in ("", "m/h", "m²/h", "rolls/h", "WIP rolls", "lead time h", "scrapped m"):
        plant.add_column(name, justify="left" if not name else "right")
    kpis = result.kpis
    plant.add_row(
        "plant",
        ci(kpis["output_m_per_h"]),
        ci(kpis["output_m2_per_h"]),
        ci(kpis["output_rolls_per_h"], 3),
        "",
        "",
        "",
    )
    for line_id, line in result.lines.items():
        plant.add_row(
            line_id,
            ci(line.output_m_per_h),
            ci(line.output_m2_per_h),
            ci(line.output_rolls_per_h, 3),
            ci(line.wip_rolls),
            ci(line.lead_time_h),
            ci(line.scrapped_m, 0),
        )
    out.print(plant)
    stations = Table(title="stations: share of time in each state", title_justify="left")
    stations.add_column("station")
    states = list(next(iter(result.stations.values())).states) if result.stations else []
    for state in states:
        stations.add_column(state.replace("_", " "), justify="right")
    stations.add_column("OEE", justify="right")
    stations.add_column("bottleneck", justify="right")
    for station_id, station in result.stations.items():
        marker = " ◀" if station_id == result.bottleneck.station else ""
        stations.add_row(
            station_id + marker,
            *(f"{station.states[s]:.1%}" for s in states),
            f"{station.oee.mean:.1%}",
            f"{station.bottleneck_share:.1%}",
        )
    out.print(stations)
    if result.buffers:
        buffers = Table(title="stores and accumulators", title_justify="left")
        for name in ("buffer", "unit", "mean level", "max level", "mean wait h", "expired"):
            buffers.add_column(name, justify="left" if name in ("buffer", "unit") else "right")
        for buffer_id, buffer in result.buffers.items():
            buffers.add_row(
                buffer_id,
                buffer.unit,
                ci(buffer.mean_level, 2),
                f"{buffer.max_level:.4g}",
                ci(buffer.mean_wait_h, 2) if buffer.mean_wait_h else "",
                ci(buffer.expired, 1) if buffer.expired else "",
            )
        out.print(buffers)
    if result.orders:
        late = sum(1 for o in result.orders.values() if o.tardiness_h.mean > 1e-9)
        unfinished = sum(1 for o in result.orders.values() if o.completed_fraction < 1)
        tardiness = sum(o.tardiness_h.mean for o in result.orders.values())
        out.print(
            f"orders: {len(result.orders)}, late on average: {late}, not always finished: "
            f"{unfinished}, total mean tardiness {tardiness:.1f} h"
        )
    if "yield" in result.kpis:
        kpis = result.kpis
        out.print(
            f"quality: good {ci(kpis['good_m2_per_h'])} m²/h, yield {kpis['yield'].mean:.1%} "
            f"(first pass {kpis['first_pass_yield'].mean:.1%}), {ci(kpis['ah_per_h'], 0)} Ah/h, "
            f"escapes {kpis['escapes_per_1000_m2'].mean:.2f} per 1000 m² "
            f"({kpis['escapes_ppm'].mean:.1f} ppm of area)"
        )
        pareto = Table(title="scrap by cause (m² over the measured period)", title_justify="left")
        pareto.add_column("cause")
        pareto.add_column("m²", justify="right")
        pareto.add_column("share", justify="right")
        total = sum(e.mean for e in result.scrap_m2.values()) or 1.0
        for cause, estimate in result.scrap_m2.items():
            pareto.add_row(cause.replace("_", " "), ci(estimate, 0), f"{estimate.mean / total:.1%}")
        out.print(pareto)
    out.print(
        f"bottleneck (active-period method): [bold]{result.bottleneck.station}[/] "
        f"{result.bottleneck.share:.1%} of the time"
    )


def print_plan_outcome(result: SimulationResult) -> None:
    """Print each order's planned against realised completion, least likely on time first."""
    table = Table(title="planned versus realised completion (hours)", title_justify="left")
    for name in ("order", "due", "planned", "realised", "on-time probability", "tardiness"):
        table.add_column(name, justify="left" if name == "order" else "right")
    rows = sorted(result.orders.items(), key=lambda item: item[1].on_time.p)
    for order_id, order in rows[:15]:
        realised = ci(order.completion_h) if order.completion_h else "unfinished"
        planned = order.planned_completion_h
        table.add_row(
            order_id,
            f"{order.due_h:.1f}",
            f"{planned:.1f}" if planned is not None else "",
            realised,
            f"{order.on_time.p:.0%} [{order.on_time.low:.0%}, {order.on_time.high:.0%}]",
            ci(order.tardiness_h),
        )
    out.print(table)
    if "weighted_tardiness_h" in result.kpis:
        out.print(
            f"expected weighted tardiness of the schedule: "
            f"{ci(result.kpis['weighted_tardiness_h'])} h; orders on time "
            f"{result.kpis['on_time_fraction'].mean:.1%}"
        )
