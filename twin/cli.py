"""The ``r2r`` command line: validate, describe and (later) simulate and schedule a plant.

Bad input never shows a traceback: a scenario with mistakes prints every problem by its path and
exits with code 2.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from twin.capacity import LineCapacity, static_capacity
from twin.engine import SchedulePlan, SimulationResult, simulate
from twin.engine.stats import Estimate
from twin.report import FORMATS, Format, export
from twin.scenario import MAX_DOCUMENT_BYTES, Problem, Scenario, ScenarioError, load_scenario
from twin.store import STORE_ENV, Store, StoreError
from twin.study import Executor, StudyInterrupted, StudyResult, load_study, run_study
from twin.study_results import TaskOutcome

EXIT_BAD_INPUT = 2
"""Exit code for input the tool cannot use (a scenario with mistakes, a missing file)."""
EXIT_INTERNAL = 1
"""Exit code for a fault of the tool itself."""

app = typer.Typer(
    name="r2r",
    help="Planning tool for roll-to-roll thin-film anode plants: twin, scheduler, studies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (make run, CI logs) is not wrapped at 80 columns; a terminal keeps its width.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

ScenarioFile = Annotated[
    Path, typer.Argument(help="Scenario file, YAML or JSON.", show_default=False)
]
StoreFile = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help=f"Store file (default: ${STORE_ENV}, else r2r-store.sqlite in this folder).",
        show_default=False,
    ),
]
NoStore = Annotated[bool, typer.Option("--no-store", help="Do not keep the run in the store.")]
RunId = Annotated[
    str, typer.Argument(help="A run or study id (s-0001, st-0002), its number or a prefix.")
]


def _print_problems(problems: list[Problem], header: str) -> None:
    err.print(f"[bold red]{header}[/]")
    for problem in problems:
        err.print(f"  {problem}", markup=False)


def guarded(command: F) -> F:
    """Turn bad input into a readable message and exit code 2, and faults into exit code 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ScenarioError as error:
            count = len(error.problems)
            where = f" in {error.source}" if error.source else ""
            _print_problems(error.problems, f"{count} problem{'s' * (count != 1)}{where}:")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except StoreError as error:
            err.print(f"[bold red]store:[/] {error}", markup=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as error:
            if os.environ.get("R2R_DEBUG"):
                raise
            err.print(
                f"[bold red]internal error:[/] {type(error).__name__}: {error}\n"
                "This is a fault of r2r, not of your input; run with R2R_DEBUG=1 for details.",
                markup=True,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def _load(path: Path) -> Scenario:
    scenario = load_scenario(path)
    if scenario.warnings:
        _print_problems(scenario.warnings, f"{len(scenario.warnings)} warning(s) in {path}:")
    return scenario


@app.command()
@guarded
def validate(file: ScenarioFile) -> None:
    """Check a scenario: exit 0 with a summary, or exit 2 with every problem by its path."""
    scenario = _load(file)
    stations = sum(len(line.stations) for line in scenario.lines)
    out.print(
        f"[bold green]OK[/] {file}: {scenario.name!r}: {len(scenario.lines)} line(s), "
        f"{stations} station(s), {len(scenario.products)} product(s), "
        f"{len(scenario.orders)} order(s)"
    )


@app.command()
@guarded
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of the scenario format, for editors that check YAML files."""
    document = json.dumps(Scenario.model_json_schema(by_alias=True), indent=2)
    if output is None:
        sys.stdout.write(document + "\n")
    else:
        output.write_text(document + "\n", encoding="utf-8")
        out.print(f"wrote {output}")


def _capacity_table(capacity: LineCapacity, width_m: float) -> Table:
    table = Table(
        title=f"line {capacity.line} · product {capacity.product} "
        f"({capacity.rolls_per_order:.3g} rolls per order)",
        title_justify="left",
    )
    for name in (
        "station",
        "type",
        "coupling",
        "speed m/min",
        "per roll min",
        "changeover",
        "m/h",
        "m²/h",
        "availability",
        "m/h × avail.",
    ):
        table.add_column(
            name, justify="left" if name in ("station", "type", "coupling") else "right"
        )
    for f in capacity.stations:
        marker = " ◀" if f.station == capacity.bottleneck else ""
        table.add_row(
            f"{f.station}{marker}" + (f" ×{f.units}" if f.units > 1 else ""),
            f.station_type,
            f.coupling,
            f"{f.web_speed_m_min:.3g}",
            f"{f.roll_time_min:.1f}",
            f"{f.changeover_share:.1%}",
            f"{f.capacity_m_h:.1f}",
            f"{f.capacity_m_h * width_m:.1f}",
            f"{f.availability:.1%}",
            f"{f.available_m_h:.1f}",
        )
    table.caption = (
        f"bottleneck {capacity.bottleneck}: {capacity.max_m_h:.1f} m/h, "
        f"{capacity.max_m2_h:.1f} m²/h; with availability at most {capacity.bound_m_h:.1f} m/h, "
        f"{capacity.bound_m2_h:.1f} m²/h"
    )
    table.caption_justify = "left"
    return table


@app.command()
@guarded
def describe(
    file: ScenarioFile,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Static capacity of each line and product, its bottleneck and availability bound.

    For each station: web speed, per-roll time, changeover share and throughput.
    """
    scenario = load_scenario(file) if as_json else _load(file)
    capacities = static_capacity(scenario)
    if as_json:
        document = {
            "scenario": scenario.name,
            "roll_length_m": scenario.roll_length_m,
            "lines": [c.as_dict() for c in capacities],
            "warnings": [str(w) for w in scenario.warnings],
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    out.print(f"[bold]{scenario.name}[/] · roll length {scenario.roll_length_m:g} m")
    for capacity in capacities:
        width = scenario.product(capacity.product).web_width_m
        out.print(_capacity_table(capacity, width))


def _ci(estimate: Estimate, digits: int = 1) -> str:
    half = (estimate.ci_high - estimate.ci_low) / 2
    return f"{estimate.mean:.{digits}f} ± {half:.{digits}f}"


def _print_result(result: SimulationResult) -> None:
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
        _ci(kpis["output_m_per_h"]),
        _ci(kpis["output_m2_per_h"]),
        _ci(kpis["output_rolls_per_h"], 3),
        "",
        "",
        "",
    )
    for line_id, line in result.lines.items():
        plant.add_row(
            line_id,
            _ci(line.output_m_per_h),
            _ci(line.output_m2_per_h),
            _ci(line.output_rolls_per_h, 3),
            _ci(line.wip_rolls),
            _ci(line.lead_time_h),
            _ci(line.scrapped_m, 0),
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
                _ci(buffer.mean_level, 2),
                f"{buffer.max_level:.4g}",
                _ci(buffer.mean_wait_h, 2) if buffer.mean_wait_h else "",
                _ci(buffer.expired, 1) if buffer.expired else "",
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
            f"quality: good {_ci(kpis['good_m2_per_h'])} m²/h, yield {kpis['yield'].mean:.1%} "
            f"(first pass {kpis['first_pass_yield'].mean:.1%}), {_ci(kpis['ah_per_h'], 0)} Ah/h, "
            f"escapes {kpis['escapes_per_1000_m2'].mean:.2f} per 1000 m² "
            f"({kpis['escapes_ppm'].mean:.1f} ppm of area)"
        )
        pareto = Table(title="scrap by cause (m² over the measured period)", title_justify="left")
        pareto.add_column("cause")
        pareto.add_column("m²", justify="right")
        pareto.add_column("share", justify="right")
        total = sum(e.mean for e in result.scrap_m2.values()) or 1.0
        for cause, estimate in result.scrap_m2.items():
            pareto.add_row(
                cause.replace("_", " "), _ci(estimate, 0), f"{estimate.mean / total:.1%}"
            )
        out.print(pareto)
    out.print(
        f"bottleneck (active-period method): [bold]{result.bottleneck.station}[/] "
        f"{result.bottleneck.share:.1%} of the time"
    )


@app.command(name="simulate")
@guarded
def simulate_command(
    file: ScenarioFile,
    days: Annotated[
        float | None, typer.Option(help="Horizon in days (default: the scenario's).", min=0.001)
    ] = None,
    warmup: Annotated[
        float | None, typer.Option(help="Warm-up in days, discarded from statistics.", min=0)
    ] = None,
    replications: Annotated[
        int | None, typer.Option(help="Replications (default: the scenario's).", min=1)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    events: Annotated[
        Path | None, typer.Option(help="Write the first replication's station states here (CSV).")
    ] = None,
    genealogy: Annotated[
        Path | None,
        typer.Option(help="Write the first replication's roll genealogy here (JSON, for trace)."),
    ] = None,
    schedule_file: Annotated[
        Path | None,
        typer.Option("--schedule", help="Execute a schedule written by 'r2r schedule --out'."),
    ] = None,
    store_file: StoreFile = None,
    no_store: NoStore = False,
) -> None:
    """Simulate a scenario: output, time in state, buffers, orders, with 95 % CIs.

    The run is kept in the store (see 'r2r runs') unless --no-store is given: each replication
    as it finishes, so that a run stopped halfway keeps what it finished.
    """
    scenario = load_scenario(file) if as_json else _load(file)
    store = None if no_store else Store(store_file)
    horizon = days * 1440 if days is not None else scenario.run.horizon
    warm = warmup * 1440 if warmup is not None else min(scenario.run.warmup, horizon / 2)
    if warm >= horizon:
        raise ScenarioError([Problem("--warmup", "must be shorter than the horizon")])
    count = replications or scenario.run.replications
    plan = _load_plan(schedule_file, scenario) if schedule_file is not None else None
    run_seed = scenario.run.seed if seed is None else seed
    run_id = None
    if store is not None:
        run_id = store.begin_simulation(scenario, replications=count, seed=run_seed)

    def keep(replication: int, kpis: dict[str, float], shares: dict[str, float]) -> None:
        if store is not None and run_id is not None:
            store.add_replication(run_id, TaskOutcome(0, replication, kpis, shares, 0.0))

    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=count < 2 or not err.is_terminal,
    ) as bar:
        task = bar.add_task("replications", total=count)
        try:
            result = simulate(
                scenario,
                replications=count,
                seed=run_seed,
                horizon_min=horizon,
                warmup_min=warm,
                event_log=events is not None,
                genealogy=genealogy is not None,
                plan=plan,
                progress=lambda done, _total: bar.update(task, completed=done),
                replication_done=keep,
            )
        except KeyboardInterrupt:
            if store is not None and run_id is not None:
                store.set_status(run_id, "partial")
                done = len(store.replication_kpis(run_id))
                err.print(f"interrupted: {run_id} keeps the {done} finished replications' KPIs")
            raise
    if events is not None:
        lines = ["minute,station,state"] + [
            f"{t:.4f},{s},{state}" for t, s, state in result.events or []
        ]
        events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if genealogy is not None:
        document = {"scenario": result.scenario, "seed": result.seed, "rolls": result.rolls}
        genealogy.write_text(json.dumps(document), encoding="utf-8")
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2, exclude={"events", "rolls"}) + "\n")
    else:
        _print_result(result)
        if plan is not None:
            _print_plan_outcome(result)
    if store is not None and run_id is not None:
        store.finish_simulation(run_id, result)
        if not as_json:  # JSON readers get nothing but the document
            err.print(f"stored as {run_id} in {store.path}", markup=False)


def _load_plan(path: Path, scenario: Scenario) -> SchedulePlan:
    """The plan in a schedule file, checked against the scenario it will run on."""
    where = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        plan = SchedulePlan.model_validate(document.get("plan", document))
    except OSError as error:
        raise ScenarioError(
            [Problem("", f"cannot read the file: {error.strerror}")], where
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        message = str(error).splitlines()[0]
        raise ScenarioError([Problem("plan", f"not a schedule file: {message}")], where) from None
    from twin.schedule.plant import plan_mismatches

    problems = [Problem(path, message) for path, message in plan_mismatches(scenario, plan)]
    if problems:
        raise ScenarioError(problems, where)
    return plan


def _print_plan_outcome(result: SimulationResult) -> None:
    table = Table(title="planned versus realised completion (hours)", title_justify="left")
    for name in ("order", "due", "planned", "realised", "on-time probability", "tardiness"):
        table.add_column(name, justify="left" if name == "order" else "right")
    rows = sorted(result.orders.items(), key=lambda item: item[1].on_time.p)
    for order_id, order in rows[:15]:
        realised = _ci(order.completion_h) if order.completion_h else "unfinished"
        planned = order.planned_completion_h
        table.add_row(
            order_id,
            f"{order.due_h:.1f}",
            f"{planned:.1f}" if planned is not None else "",
            realised,
            f"{order.on_time.p:.0%} [{order.on_time.low:.0%}, {order.on_time.high:.0%}]",
            _ci(order.tardiness_h),
        )
    out.print(table)
    if "weighted_tardiness_h" in result.kpis:
        out.print(
            f"expected weighted tardiness of the schedule: "
            f"{_ci(result.kpis['weighted_tardiness_h'])} h; orders on time "
            f"{result.kpis['on_time_fraction'].mean:.1%}"
        )


@app.command(name="solve-benchmark")
@guarded
def solve_benchmark_command(
    file: Annotated[
        Path,
        typer.Argument(help="A JSPLIB job-shop or Taillard flow-shop file.", show_default=False),
    ],
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds CP-SAT may search.", min=0.1)
    ] = 60.0,
    workers: Annotated[int, typer.Option(help="CP-SAT search workers.", min=1)] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Minimise the makespan of a published instance; print it, the bound and the status."""
    from twin.schedule.instances import format_benchmark, solve_benchmark

    try:
        result = solve_benchmark(file, time_limit_s=time_limit, workers=workers)
    except OSError as error:
        problem = Problem("", f"cannot read the file: {error.strerror}")
        raise ScenarioError([problem], str(file)) from None
    except ValueError as error:
        raise ScenarioError([Problem("", str(error))], str(file)) from None
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        out.print(format_benchmark(result), markup=False)


def _find_roll(rolls: list[dict[str, Any]], roll_id: str) -> dict[str, Any] | None:
    for roll in rolls:
        if roll["id"] == roll_id or any(lane["id"] == roll_id for lane in roll.get("lanes", [])):
            return roll
    return None


@app.command()
@guarded
def trace(
    roll_id: Annotated[str, typer.Argument(help="A roll id (ORDER/N) or lane roll id (….L2).")],
    source: Annotated[
        Path,
        typer.Argument(
            help="A genealogy file from 'simulate --genealogy', or a scenario to simulate.",
            show_default=False,
        ),
    ],
    days: Annotated[float | None, typer.Option(help="Horizon when simulating.", min=0.001)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the genealogy as JSON.")] = False,
) -> None:
    """Show a roll's genealogy: stations, times, steps, conditions, defects and lanes."""
    rolls: list[dict[str, Any]]
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
        rolls = document["rolls"] if isinstance(document, dict) else []
        if not isinstance(rolls, list):
            raise ValueError
    except (ValueError, KeyError, UnicodeDecodeError, OSError):
        scenario = load_scenario(source)
        horizon = days * 1440 if days is not None else scenario.run.horizon
        result = simulate(
            scenario, replications=1, horizon_min=horizon, warmup_min=0.0, genealogy=True
        )
        rolls = result.rolls or []
    roll = _find_roll(rolls, roll_id)
    if roll is None:
        known = ", ".join(r["id"] for r in rolls[:5])
        raise ScenarioError(
            [Problem("ROLL_ID", f"no finished roll {roll_id!r} (rolls look like: {known}, ...)")]
        )
    if as_json:
        sys.stdout.write(json.dumps(roll, indent=2) + "\n")
        return
    out.print(
        f"[bold]{roll['id']}[/] · order {roll['order']} · product {roll['product']} · line "
        f"{roll['line']} · {roll['length_m']:g} m × {roll['width_m']:g} m · released at "
        f"{roll['released_min'] / 60:.1f} h · reworks {roll['reworks']}"
    )
    steps = Table(title="stations", title_justify="left")
    for name in ("station", "step", "start h", "end h", "condition", "defects laid"):
        steps.add_column(name)
    laid: dict[str, int] = {}
    for defect in roll.get("defects", []):
        if defect["type"] != "false_alarm":
            laid[defect["station"]] = laid.get(defect["station"], 0) + 1
    for stage in roll.get("stations", []):
        condition = ", ".join(f"{k} {v:g}" for k, v in stage["condition"].items())
        steps.add_row(
            stage["station"],
            stage["step"],
            f"{stage['start_min'] / 60:.2f}",
            f"{stage['end_min'] / 60:.2f}",
            condition,
            str(laid.pop(stage["station"], 0)),
        )
    out.print(steps)
    defects = roll.get("defects", [])
    by_type: dict[str, list[int]] = {}
    for defect in defects:
        counts = by_type.setdefault(defect["type"], [0, 0])
        counts[0] += 1
        counts[1] += defect["marked"]
    out.print(
        "defects: "
        + (", ".join(f"{t} {n} ({m} marked)" for t, (n, m) in by_type.items()) or "none")
    )
    lanes = Table(title="lane rolls", title_justify="left")
    for name in ("lane roll", "width mm", "good length m", "cut m", "verdict", "escapes"):
        lanes.add_column(name)
    for lane in roll.get("lanes", []):
        lanes.add_row(
            lane["id"],
            f"{lane['width_mm']:g}",
            f"{lane['length_m']:.1f}",
            f"{lane['cut_m']:.1f}",
            "good" if lane["good"] else "downgraded",
            str(lane["escapes"]),
        )
    out.print(lanes)


@app.command()
@guarded
def schedule(
    file: ScenarioFile,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds CP-SAT may search.", min=0.1)
    ] = 30.0,
    workers: Annotated[int, typer.Option(help="CP-SAT search workers.", min=1)] = 2,
    objective: Annotated[
        str,
        typer.Option(
            help="tardiness-makespan (lexicographic, default), tardiness-setup, tardiness, "
            "makespan, or a weighted sum like 'weighted_tardiness=1,total_setup=0.1'."
        ),
    ] = "tardiness-makespan",
    as_json: Annotated[bool, typer.Option("--json", help="Print the schedule as JSON.")] = False,
    destination: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the schedule and its plan here (JSON, for simulate --schedule)."
        ),
    ] = None,
    store_file: StoreFile = None,
    no_store: NoStore = False,
) -> None:
    """Schedule the order book with CP-SAT; compare with FIFO, EDD, SPT and ATCS.

    The schedule is kept in the store (see 'r2r runs') unless --no-store is given.
    """
    from twin.schedule.plant import parse_objective, schedule_plant

    scenario = load_scenario(file) if as_json else _load(file)
    if not scenario.orders:
        raise ScenarioError([Problem("orders", "there is nothing to schedule")])
    try:
        parse_objective(objective)
    except ValueError as error:
        raise ScenarioError([Problem("--objective", str(error))]) from None
    store = None if no_store else Store(store_file)
    result = schedule_plant(scenario, objective, time_limit_s=time_limit, workers=workers)
    solution, explanation = result.solution, result.explanation
    document = result.document(objective)
    if store is not None:
        run_id = store.save_schedule(scenario, document)
        if not as_json:
            err.print(f"stored as {run_id} in {store.path}", markup=False)
    if destination is not None:
        destination.write_text(json.dumps(document, indent=1), encoding="utf-8")
    if as_json:
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        _print_schedule(scenario, result.plant, solution, result.baselines)
        for sentence in explanation:
            err.print(f"  {sentence}", markup=False)
        if destination is not None:
            out.print(f"wrote {destination} (run it: r2r simulate {file} --schedule {destination})")
    if not solution.has_schedule:
        raise typer.Exit(EXIT_BAD_INPUT if solution.status == "INFEASIBLE" else EXIT_INTERNAL)


def _print_schedule(
    scenario: Scenario, plant: Any, solution: Any, baselines: dict[str, Any]
) -> None:
    out.print(
        f"[bold]{scenario.name}[/] · {len(plant.problem.jobs)} roll jobs on "
        f"{len(plant.problem.machines)} machines · CP-SAT {solution.status} in "
        f"{solution.wall_time_s:.1f} s"
    )
    if not solution.has_schedule:
        out.print(f"[bold red]no schedule:[/] {solution.message}", markup=True)
        return
    table = Table(title="schedule against the dispatching rules", title_justify="left")
    for name in ("method", "status", "weighted tardiness h", "makespan h", "setup h"):
        table.add_column(name, justify="left" if name in ("method", "status") else "right")

    def row(name: str, s: Any) -> None:
        if not s.has_schedule:
            table.add_row(name, s.status, "", "", "")
            return
        table.add_row(
            name,
            s.status,
            f"{(s.weighted_tardiness or 0) / 60:.1f}",
            f"{(s.makespan or 0) / 60:.1f}",
            f"{(s.total_setup or 0) / 60:.1f}",
        )

    row("CP-SAT", solution)
    for rule, s in baselines.items():
        row(rule, s)
    out.print(table)
    for stage in solution.stages:
        out.print(
            f"  stage {stage.objective}: {stage.status}, value {stage.value}, bound {stage.bound}"
        )
    gantt = Table(title="per machine (hours from the start)", title_justify="left")
    for name in (
        "machine",
        "rolls",
        "busy h",
        "maintenance",
        "first start",
        "last end",
        "sequence",
    ):
        gantt.add_column(name)
    for machine, steps in solution.machines.items():
        if not steps:
            continue
        busy = sum(s.end - s.start for s in steps) / 60
        sequence = " ".join(s.job for s in steps[:6]) + (" …" if len(steps) > 6 else "")
        gantt.add_row(
            machine,
            str(len(steps)),
            f"{busy:.1f}",
            str(sum(len(s.maintenance_before) for s in steps)),
            f"{steps[0].start / 60:.1f}",
            f"{steps[-1].end / 60:.1f}",
            sequence,
        )
    out.print(gantt)
    late = {}
    for roll_id, outcome in solution.jobs.items():
        order = plant.rolls[roll_id].order
        late[order] = max(late.get(order, 0), outcome.tardiness)
    tardy = {o: t for o, t in late.items() if t > 0}
    out.print(
        f"orders: {len(late)}, late: {len(tardy)}"
        + (
            ": " + ", ".join(f"{o} {t / 60:.1f} h" for o, t in sorted(tardy.items()))
            if tardy
            else ""
        )
    )


@app.command()
@guarded
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8501,
    host: Annotated[
        str, typer.Option(help="Address to bind; the default serves this machine only.")
    ] = "127.0.0.1",
) -> None:
    """Start the planners' dashboard (Streamlit); open the address it prints in a browser."""
    spec = importlib.util.find_spec("dashboard")
    if spec is None or not spec.submodule_search_locations:
        raise ScenarioError([Problem("", "the dashboard package is not installed")])
    script = Path(next(iter(spec.submodule_search_locations))) / "app.py"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--server.maxUploadSize",
        str(MAX_DOCUMENT_BYTES // 1_000_000),
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
    raise typer.Exit(subprocess.call(command))


def _interval(mean: float, low: float, high: float) -> str:
    if mean != mean:  # NaN: no replication gave a value
        return "–"
    return f"{mean:.4g} [{low:.4g}, {high:.4g}]"


def _print_study(result: StudyResult) -> None:
    """The design points × KPIs (mean [95 % CI]) a few KPIs per table, and the best point."""
    table = result.table
    for start in range(0, len(result.kpis), 3):
        kpis = result.kpis[start : start + 3]
        grid = Table(title_justify="left")
        for name in ("point", *result.factors, *kpis):
            grid.add_column(name, justify="left" if name in result.factors else "right")
        if start + 3 >= len(result.kpis):
            for name in ("n", "bottleneck"):
                grid.add_column(name, justify="right")
        for point, row in table.iterrows():
            cells = [str(point), *(str(row[f]) for f in result.factors)]
            cells += [_interval(row[k], row[f"{k}_low"], row[f"{k}_high"]) for k in kpis]
            if start + 3 >= len(result.kpis):
                cells += [str(row["n"]), str(row["bottleneck"])]
            grid.add_row(*cells)
        out.print(grid)
    if result.tasks_done:
        best = result.best_for_objective()
        kpi = result.objective
        at = ", ".join(f"{f}={best[f]}" for f in result.factors) or "the base scenario"
        out.print(
            f"best for {kpi}: point {best.name} ({at}): "
            f"{_interval(best[kpi], best[f'{kpi}_low'], best[f'{kpi}_high'])}"
        )


def _write_plots(result: StudyResult, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for factor, figure in result.figures().items():
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", factor).strip("_") or "factor"
        figure.write_html(folder / f"{name}.html", include_plotlyjs="directory")
    if result.factors:
        out.print(f"plots: {folder}/")


@app.command()
@guarded
def study(
    file: Annotated[Path, typer.Argument(help="Study file, YAML or JSON.", show_default=False)],
    executor: Annotated[
        str, typer.Option(help="Where tasks run: local (process pool) or dask.")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (default: start a LocalCluster)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Workers (default: one per core).", min=1)
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Run only the tasks a stopped study is missing.")
    ] = False,
    replications: Annotated[
        int | None, typer.Option(help="Replications (default: the study's).", min=1)
    ] = None,
    days: Annotated[
        float | None, typer.Option(help="Horizon in days (default: the study's).", min=0.001)
    ] = None,
    warmup: Annotated[
        float | None, typer.Option(help="Warm-up in days (default: the study's).", min=0)
    ] = None,
    plots: Annotated[
        Path | None, typer.Option(help="Folder for the plots (default: out/study-<id>).")
    ] = None,
    store_file: StoreFile = None,
) -> None:
    """Run a capacity study: every design point × replication, kept in the store as it goes.

    Prints design points × KPIs (mean and 95 % CI), the best point for the study's objective,
    and writes a plot of the KPIs against each factor.
    """
    if executor not in ("local", "dask"):
        raise ScenarioError([Problem("--executor", f"must be local or dask (got {executor!r})")])
    chosen: Executor = "dask" if executor == "dask" else "local"
    spec = load_study(file)
    changes: dict[str, Any] = {"replications": replications}
    changes |= {"horizon": days * 1440 if days is not None else None}
    changes |= {"warmup": warmup * 1440 if warmup is not None else None}
    spec = spec.with_changes({k: v for k, v in changes.items() if v is not None})
    store = Store(store_file)
    with Progress(
        TextColumn("study"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        auto_refresh=False,  # no refresh thread, so that local workers may be forked
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("tasks", total=None)
        try:
            result = run_study(
                spec,
                store=store,
                executor=chosen,
                workers=workers,
                address=address,
                resume=resume,
                progress=lambda done, total: bar.update(
                    task, completed=done, total=total, refresh=True
                ),
            )
        except StudyInterrupted as stop:
            bar.stop()
            again = ["r2r", "study", str(file), "--resume"]
            for option, value in (("--replications", replications), ("--days", days)):
                again += [option, f"{value:g}"] if value is not None else []
            again += ["--warmup", f"{warmup:g}"] if warmup is not None else []
            again += ["--store", str(store_file)] if store_file is not None else []
            err.print(
                f"interrupted: {stop.done} of {stop.total} tasks of {stop.study_id} are stored; "
                f"finish them with: {' '.join(again)}",
                markup=False,
            )
            raise typer.Exit(130) from None
    out.print(
        f"[bold]{spec.name}[/] · study {result.study_id} · {len(result.table)} design point(s) × "
        f"{spec.run_replications} replication(s) · {spec.horizon_min / 1440:g} days "
        f"(warm-up {spec.warmup_min / 1440:g}) · seed {spec.run_seed} · mean [95 % CI]"
    )
    _print_study(result)
    _write_plots(result, plots or Path("out") / f"study-{result.study_id}")
    out.print(f"study id: {result.study_id} (r2r show {result.study_id})")


@app.command()
@guarded
def runs(
    kind: Annotated[
        str | None, typer.Option(help="Only this kind: simulation, schedule or study.")
    ] = None,
    store_file: StoreFile = None,
) -> None:
    """List the stored runs and studies, newest first."""
    store = Store(store_file)
    table = Table(title=f"runs in {store.path}", title_justify="left")
    for name in ("id", "kind", "name", "scenario", "created", "status", "tasks"):
        table.add_column(name, justify="right" if name == "tasks" else "left")
    for info in store.runs(kind):
        created = info.created.astimezone().strftime("%Y-%m-%d %H:%M")
        table.add_row(
            info.id,
            info.kind,
            info.name,
            info.scenario,
            created,
            info.status,
            f"{info.tasks_done}/{info.tasks_total}",
        )
    out.print(table)


@app.command()
@guarded
def show(run_id: RunId, store_file: StoreFile = None) -> None:
    """Summary of a stored run or study."""
    store = Store(store_file)
    info = store.info(run_id)
    created = info.created.astimezone().strftime("%Y-%m-%d %H:%M")
    out.print(
        f"[bold]{info.id}[/] · {info.kind} {info.name!r} · scenario {info.scenario!r} · "
        f"{created} · {info.status} · {info.tasks_done}/{info.tasks_total} · "
        f"seed {store.seed(info.id)}"
    )
    if info.kind == "study":
        _print_study(store.study(info.id))
    elif info.kind == "simulation":
        _print_result(store.simulation(info.id))
    else:
        document = store.schedule(info.id)
        solution = document.get("solution", {})
        out.print(
            f"objective {document.get('objective')}: {solution.get('status')}, "
            f"weighted tardiness {solution.get('weighted_tardiness')} min, "
            f"makespan {solution.get('makespan')} min",
            markup=False,
        )


@app.command(name="export")
@guarded
def export_command(
    run_id: RunId,
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or json.")] = "json",
    destination: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: out/<id>.<format>).")
    ] = None,
    store_file: StoreFile = None,
) -> None:
    """Export a stored run or study: CSV (main table), Excel (a sheet per table) or JSON."""
    if fmt not in FORMATS:
        raise ScenarioError([Problem("--format", f"must be csv, xlsx or json (got {fmt!r})")])
    chosen: Format = "csv" if fmt == "csv" else "xlsx" if fmt == "xlsx" else "json"
    try:
        path = export(Store(store_file), run_id, chosen, destination)
    except ValueError as error:
        raise ScenarioError([Problem("--format", str(error))]) from None
    out.print(f"wrote {path}")


def main() -> None:
    """Entry point for ``python -m twin``."""
    app()
