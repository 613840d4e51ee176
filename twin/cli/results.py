"""Printing a simulation's results, led by the question the run answers.

A capacity run says what the plant can make: each line's sustainable output with its product
mix, its bottleneck, and how busy each station was. An order-book run says whether the orders
ship: on-time share, tardiness and lead times first, then every order by its risk, then the
output it delivered (limited by the demand). Times are calendar dates from the scenario's start,
stations are in web order line by line, shares are in per cent.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from twin import Estimate, SimulationResult
from twin.cli.app import out
from twin.display import interval, kpi_label, moment, moment_interval, shown
from twin.engine.results import OrderResult
from twin.plan_outcome import OffPlan

ORDER_ROWS = 20
"""Orders listed by default (the least likely to be on time first); ``--all-orders`` lists all."""


def estimate(kpi: str, value: Estimate | None) -> str:
    """An estimate as ``mean [low, high]`` in the KPI's unit ("–" when there is none)."""
    if value is None:
        return "–"
    return interval(kpi, value.mean, value.ci_low, value.ci_high, value.n)


def _header(result: SimulationResult) -> None:
    start = moment(result.start, 0.0) if result.start else "t = 0 (the scenario gives no start)"
    if result.demand == "capacity":
        question = "capacity run: what can the plant make?"
        deleted = (
            f"the first {result.warmup_days:g} d deleted ({result.warmup_rule})"
            if result.warmup_days
            else "no warm-up deleted"
        )
        detail = f"every line kept supplied with its product mix; {deleted}"
    else:
        question = "order-book run: will the orders ship?"
        detail = "the order book from an empty plant; everything counted from the start"
        state = result.initial_state
        if state is not None:
            in_plant = (
                sum(1 for u in state.units if u.roll is not None)
                + sum(len(s.rolls) for s in state.stores)
                + sum(len(q.rolls) for q in state.queues)
            )
            detail = (
                f"the open orders from the plant as it was at {moment(state.at, 0.0)} "
                f"({in_plant} rolls in it); everything counted from then"
            )
    out.print(
        f"[bold]{result.scenario}[/] · {question}\n{detail} · {result.horizon_days:g} days from "
        f"{start} · {result.replications} replication(s) · seed {result.seed} · mean [95 % CI]"
    )


def _line_bottlenecks(result: SimulationResult) -> dict[str, tuple[str, float]]:
    """Each line's most frequent momentary bottleneck (among its own stations), and its share."""
    found: dict[str, tuple[str, float]] = {}
    for station_id, station in result.stations.items():
        best = found.get(station.line)
        if best is None or station.line_bottleneck_share > best[1]:
            found[station.line] = (station_id, station.line_bottleneck_share)
    return found


def _capacity(result: SimulationResult) -> None:
    mixes = "; ".join(
        f"{line}: " + ", ".join(f"{p} {share:.0%}" for p, share in mix.items())
        for line, mix in result.mix.items()
    )
    out.print(f"product mix by metres: {mixes}", markup=False)
    names = ["output_m_per_h", "output_m2_per_h", "good_m2_per_h", "output_rolls_per_h"]
    table = Table(title="capacity: sustainable output", title_justify="left")
    table.add_column("")
    for name in (*names, "lead_time_h"):
        table.add_column(kpi_label(name), justify="right")
    table.add_column("bottleneck (share of time)", justify="left")
    kpis = result.kpis
    top = result.bottleneck
    table.add_row(
        "plant",
        *(estimate(n, kpis.get(n)) for n in names),
        "",
        f"{top.station} ({top.share:.0%})",
    )
    bottlenecks = _line_bottlenecks(result)
    for line_id, line in result.lines.items():
        station, share = bottlenecks.get(line_id, ("", 0.0))
        table.add_row(
            line_id,
            *(estimate(n, getattr(line, n, None)) for n in names),
            estimate("lead_time_h", line.lead_time_h),
            f"{station} ({share:.0%})" if station else "",
        )
        for product_id, product in line.products.items():
            if result.mix.get(line_id, {}).get(product_id):
                table.add_row(
                    f"  {product_id}",
                    *(estimate(n, getattr(product, n, None)) for n in names),
                    estimate("lead_time_h", product.lead_time_h),
                    "",
                )
    out.print(table)


def _delivery(result: SimulationResult, all_orders: bool) -> None:
    kpis = result.kpis
    if "on_time_fraction" in kpis:
        on_time = estimate("on_time_fraction", kpis["on_time_fraction"])
        tardiness = estimate("weighted_tardiness_h", kpis["weighted_tardiness_h"])
        out.print(
            f"delivery: orders on time {on_time} · weighted tardiness {tardiness} h", markup=False
        )
    leads = Table(title="lead time, release to finish per roll (h)", title_justify="left")
    leads.add_column("line or product")
    leads.add_column("lead time h", justify="right")
    leads.add_column("WIP rolls", justify="right")
    for line_id, line in result.lines.items():
        leads.add_row(
            line_id,
            estimate("lead_time_h", line.lead_time_h),
            estimate("wip_rolls", line.wip_rolls),
        )
        for product_id, product in line.products.items():
            if product.lead_time_h is not None:
                leads.add_row(f"  {product_id}", estimate("lead_time_h", product.lead_time_h), "")
    out.print(leads)
    print_orders(result, all_orders)
    names = ["output_m_per_h", "output_m2_per_h", "good_m2_per_h", "output_rolls_per_h"]
    table = Table(
        title="output delivered: limited by the order book (not the plant's capacity; see "
        "--capacity)",
        title_justify="left",
    )
    table.add_column("")
    for name in names:
        table.add_column(kpi_label(name), justify="right")
    table.add_row("plant", *(estimate(n, kpis.get(n)) for n in names))
    for line_id, line in result.lines.items():
        table.add_row(line_id, *(estimate(n, getattr(line, n, None)) for n in names))
    out.print(table)


def _on_time(order: OrderResult) -> str:
    """An order's chance of being on time, or that the run cannot tell yet."""
    if not order.judged:
        return "not due within the horizon"
    on_time = order.on_time
    return f"{on_time.p:.0%} [{on_time.low:.0%}, {on_time.high:.0%}]"


def print_orders(result: SimulationResult, all_orders: bool = False) -> None:
    """Every order by its chance of being on time (Wilson interval), the least likely first."""
    if not result.orders:
        return
    start = result.start
    table = Table(title="orders, least likely to be on time first", title_justify="left")
    for name in (
        "order",
        "line",
        "product",
        "due",
        "expected completion [95 % CI]",
        "on time",
        "expected tardiness h",
    ):
        table.add_column(
            name, justify="right" if name in ("on time", "expected tardiness h") else "left"
        )
    rows = sorted(
        result.orders.items(),
        key=lambda item: (not item[1].judged, item[1].on_time.p, item[1].due_h, item[0]),
    )
    shown_rows = rows if all_orders else rows[:ORDER_ROWS]
    for order_id, order in shown_rows:
        if order.completion_h is not None:
            c = order.completion_h
            completion = moment_interval(start, c.mean * 60, c.ci_low * 60, c.ci_high * 60)
        else:
            missed = round((1 - order.completed_fraction) * result.replications)
            completion = f"unfinished in {missed} of {result.replications}"
        table.add_row(
            order_id,
            order.line or "–",
            order.product,
            moment(start, order.due_h * 60),
            completion,
            _on_time(order),
            shown("tardiness_h", order.tardiness_h.mean),
        )
    out.print(table)
    left = len(rows) - len(shown_rows)
    if left:
        last = shown_rows[-1][1]
        rest = (
            "each on time in every replication"
            if last.judged and last.on_time.p >= 1
            else f"each at least {last.on_time.p:.0%} likely on time"
            if last.judged
            else "due after the horizon"
        )
        out.print(
            f"… {left} more order(s), {rest}: --all-orders lists every one (--json has them all)",
            markup=False,
        )


def _stations(result: SimulationResult) -> None:
    counted = "after the warm-up" if result.warmup_days > 0 else "from the start"
    title = f"stations in web order: share of time in each state ({counted})"
    table = Table(title=title, title_justify="left")
    for name in ("line", "station"):
        table.add_column(name)
    states = list(next(iter(result.stations.values())).states) if result.stations else []
    for state in states:
        table.add_column(f"{state.replace('_', ' ')} %", justify="right")
    table.add_column("OEE %", justify="right")
    table.add_column("bottleneck %", justify="right")
    for station_id, station in result.stations.items():
        marker = " ◀" if station_id == result.bottleneck.station else ""
        table.add_row(
            station.line,
            station_id + marker,
            *(f"{station.states[s] * 100:.1f}" for s in states),
            f"{station.oee.mean * 100:.1f}",
            f"{station.bottleneck_share * 100:.1f}",
        )
    out.print(table)


def _buffers(result: SimulationResult) -> None:
    if not result.buffers:
        return
    table = Table(title="stores and accumulators", title_justify="left")
    for name in ("buffer", "mean level", "max level", "mean wait h", "expired rolls"):
        table.add_column(name, justify="left" if name == "buffer" else "right")
    for buffer_id, buffer in result.buffers.items():
        unit = "rolls" if buffer.unit == "rolls" else "m"
        table.add_row(
            buffer_id,
            f"{estimate('mean_level', buffer.mean_level)} {unit}",
            f"{shown('max_level', buffer.max_level)} {unit}",
            estimate("mean_wait_h", buffer.mean_wait_h) if buffer.mean_wait_h else "",
            estimate("expired", buffer.expired) if buffer.expired else "",
        )
    out.print(table)


def _quality(result: SimulationResult) -> None:
    kpis = result.kpis
    if "yield" not in kpis:
        return
    out.print(
        f"quality: yield {estimate('yield', kpis['yield'])} (first pass "
        f"{estimate('first_pass_yield', kpis['first_pass_yield'])}), "
        f"{estimate('ah_per_h', kpis['ah_per_h'])} Ah/h, escapes "
        f"{estimate('escapes_per_1000_m2', kpis['escapes_per_1000_m2'])} per 1000 m² "
        f"({estimate('escapes_ppm', kpis['escapes_ppm'])} ppm of area)",
        markup=False,
    )
    pareto = Table(title="scrap by cause (m² over the measured period)", title_justify="left")
    pareto.add_column("cause")
    pareto.add_column("m²", justify="right")
    pareto.add_column("share %", justify="right")
    total = sum(e.mean for e in result.scrap_m2.values()) or 1.0
    for cause, value in result.scrap_m2.items():
        pareto.add_row(
            cause.replace("_", " "), estimate("m2", value), f"{value.mean / total * 100:.1f}"
        )
    out.print(pareto)


def print_result(result: SimulationResult, all_orders: bool = False) -> None:
    """Print a simulation, led by its question: capacity, or the delivery of its order book."""
    _header(result)
    if result.demand == "capacity":
        _capacity(result)
    else:
        _delivery(result, all_orders)
    _stations(result)
    _buffers(result)
    _quality(result)


def print_plan_outcome(result: SimulationResult, off: Sequence[OffPlan] = ()) -> None:
    """Each order's planned against realised completion, the least likely on time first.

    ``off`` are the orders whose realised completion is outside their plan: each is named with
    the machines where its rolls lost (or gained) the time, and why.
    """
    start = result.start
    table = Table(
        title="the schedule in the twin: planned against realised completion", title_justify="left"
    )
    for name in ("order", "due", "planned", "realised [95 % CI]", "on time", "tardiness h"):
        table.add_column(name, justify="left" if name == "order" else "right")
    rows = sorted(result.orders.items(), key=lambda item: (not item[1].judged, item[1].on_time.p))
    for order_id, order in rows[:ORDER_ROWS]:
        c = order.completion_h
        realised = (
            moment_interval(start, c.mean * 60, c.ci_low * 60, c.ci_high * 60)
            if c is not None
            else "unfinished"
        )
        planned = order.planned_completion_h
        table.add_row(
            order_id,
            moment(start, order.due_h * 60),
            moment(start, planned * 60) if planned is not None else "",
            realised,
            _on_time(order),
            shown("tardiness_h", order.tardiness_h.mean),
        )
    out.print(table)
    if "weighted_tardiness_h" in result.kpis:
        wt = estimate("weighted_tardiness_h", result.kpis["weighted_tardiness_h"])
        on_time = estimate("on_time_fraction", result.kpis.get("on_time_fraction"))
        out.print(
            f"the schedule's expected weighted tardiness {wt} h; orders on time {on_time}",
            markup=False,
        )
    _print_off_plan(result, off)


def _print_off_plan(result: SimulationResult, off: Sequence[OffPlan]) -> None:
    start = result.start
    if not off:
        out.print("every order's planned completion is inside its realised interval", markup=False)
        return
    out.print(
        f"{len(off)} order(s) off their plan (the planned completion outside the realised "
        "interval); where the first replication's rolls lost the time:",
        markup=False,
    )
    for order in off[:ORDER_ROWS]:
        word = "later" if order.late else "earlier"
        realised = moment_interval(
            start,
            (order.realised_low_min + order.realised_high_min) / 2,
            order.realised_low_min,
            order.realised_high_min,
        )
        where = "; ".join(
            f"{loss.machine} {loss.gained_min / 60:+.1f} h"
            + (
                " ("
                + ", ".join(
                    f"{STATE_WORDS.get(state, state)} {minutes / 60:.1f} h"
                    for state, minutes in loss.states_min.items()
                )
                + ")"
                if loss.states_min
                else ""
            )
            for loss in order.losses[:3]
        )
        out.print(
            f"  {order.order}: planned {moment(start, order.planned_min)}, realised {realised} "
            f"({word}); " + (where or "no machine stands out in the first replication"),
            markup=False,
        )
    if len(off) > ORDER_ROWS:
        out.print(f"  … {len(off) - ORDER_ROWS} more", markup=False)


STATE_WORDS = {"waiting_crew": "waiting for crew", "off_shift": "off shift"}
"""States as sentences name them."""
