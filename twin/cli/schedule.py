"""Commands that schedule: schedule an order book, solve a published benchmark instance."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from twin.cli.app import (
    EXIT_BAD_INPUT,
    NoStore,
    ScenarioFile,
    StoreFile,
    err,
    guarded,
    load_checked,
    out,
)
from twin.cli.outputs import write_outputs
from twin.display import moment
from twin.files import check_output
from twin.scenario import Problem, Scenario, ScenarioError, UsageError, load_scenario
from twin.state import read_state
from twin.store import Store

_LOADED = [time.perf_counter()]
"""When the command line started (this module loads with it), until its first command takes it:
the first command's time limit counts from here, and any later one's (a process that runs
several, as tests and scripts do) from its own start."""


def _command_start() -> float:
    """When this command started: for the process's first, when the command line loaded."""
    return _LOADED.pop() if _LOADED else time.perf_counter()


@guarded
def solve_benchmark_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="A JSPLIB job-shop, Taillard flow-shop or FJSPLIB (.fjs) flexible job-shop file.",
            show_default=False,
        ),
    ],
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds the search may take.", min=0.1)
    ] = 60.0,
    workers: Annotated[int, typer.Option(help="CP-SAT search workers.", min=1)] = 2,
    machines_from: Annotated[
        int | None,
        typer.Option(
            "--machines-from",
            help="How an .fjs file numbers its machines (0 or 1; default: recognised).",
            min=0,
            max=1,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Minimise the makespan of a published instance; print it, the bound and the status."""
    from twin.schedule.instances import format_benchmark, solve_benchmark

    try:
        result = solve_benchmark(
            file, time_limit_s=time_limit, workers=workers, machines_from=machines_from
        )
    except OSError as error:
        problem = Problem("", f"cannot read the file: {error.strerror}")
        raise ScenarioError([problem], str(file)) from None
    except ValueError as error:
        raise ScenarioError([Problem("", str(error))], str(file)) from None
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        out.print(format_benchmark(result), markup=False)


@guarded
def schedule(
    file: ScenarioFile,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit", help="Seconds the scheduling may take, building included.", min=0.1
        ),
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
    state_file: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help="Schedule what is left from this plant state (YAML or JSON, 'r2r schema "
            "--state'); times count from its moment.",
        ),
    ] = None,
    store_file: StoreFile = None,
    no_store: NoStore = False,
) -> None:
    """Schedule the order book with CP-SAT; compare with FIFO, EDD, SPT and ATCS.

    The schedule is kept in the store (see 'r2r runs') unless --no-store is given.
    """
    started = _command_start()
    from twin.schedule.plant import parse_objective, schedule_plant

    store = None if no_store else Store(store_file, for_writing=True)
    inputs = [file, *([state_file] if state_file is not None else [])]
    if destination is not None:
        check_output(destination, "--out", inputs=inputs, store=store.path if store else None)
    scenario = load_scenario(file) if as_json else load_checked(file)
    state = read_state(state_file, scenario) if state_file is not None else None
    if not scenario.orders:
        raise ScenarioError([Problem("orders", "there is nothing to schedule")])
    try:
        parse_objective(objective)
    except ValueError as error:
        raise UsageError([Problem("--objective", str(error))]) from None
    left = max(time_limit - (time.perf_counter() - started), 0.1 * time_limit)
    result = schedule_plant(scenario, objective, time_limit_s=left, workers=workers, state=state)
    solution, explanation = result.solution, result.explanation
    document = result.document(objective)
    origin = state.at if state is not None else scenario.start
    document["origin"] = origin.isoformat() if origin is not None else None
    document["from_state"] = state_file is not None
    if store is not None:
        run_id = store.save_schedule(scenario, document)
        if not as_json:
            err.print(f"stored as {run_id} in {store.path}", markup=False)
    if as_json:
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        _print_schedule(scenario, result, solution, result.baselines, origin, state is not None)
        for sentence in explanation:
            err.print(f"  {sentence}", markup=False)
    if destination is not None:
        write_outputs([("--out", destination, json.dumps(document, indent=1))])
        if not as_json:
            out.print(f"run it: r2r simulate {file} --schedule {destination}", markup=False)
    if not solution.has_schedule:
        raise typer.Exit(EXIT_BAD_INPUT)  # the order book admits no schedule: said why above


def _print_schedule(
    scenario: Scenario,
    result: Any,
    solution: Any,
    baselines: dict[str, Any],
    origin: dt.datetime | None,
    from_state: bool,
) -> None:
    plant = result.plant
    since = (
        f"what is left from the plant as it was at {moment(origin, 0.0)}"
        if from_state
        else f"the order book from {moment(origin, 0.0)}"
        if origin is not None
        else "the order book from t = 0 (the scenario gives no start)"
    )
    out.print(
        f"[bold]{scenario.name}[/] · {since} · {len(plant.problem.jobs)} roll jobs on "
        f"{len(plant.problem.machines)} machines · {solution.wall_time_s:.1f} s"
    )
    for line in result.summary():
        out.print(f"  {line}", markup=False)
    if not solution.has_schedule:
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

    row("schedule", solution)
    for rule, s in baselines.items():
        row(rule, s)
    out.print(table)
    for stage in solution.stages:
        gap = "" if stage.gap is None else f", gap {stage.gap:.1%}"
        out.print(
            f"  stage {stage.objective}: {stage.status}, value {stage.value}, bound "
            f"{stage.bound}{gap}"
        )
    gantt = Table(title="per machine", title_justify="left")
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
            moment(origin, steps[0].start),
            moment(origin, steps[-1].end),
            sequence,
        )
    out.print(gantt)
    late: dict[str, int] = {}
    for job_id, outcome in solution.jobs.items():
        order = plant.rolls[job_id].order
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
