"""Commands that run the twin: simulate and trace."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from twin.cli.app import NoStore, ScenarioFile, StoreFile, err, guarded, load_checked
from twin.cli.outputs import write_outputs
from twin.cli.results import print_plan_outcome, print_result
from twin.engine import ReplicationRecord, RunOptions, SchedulePlan, SimulationResult, simulate
from twin.files import check_output, read_input
from twin.scenario import (
    InputError,
    Problem,
    Scenario,
    ScenarioError,
    UsageError,
    load_scenario,
    validation_problems,
)
from twin.state import read_state, state_text
from twin.store import Store, TaskOutcome

MAX_SCHEDULE_BYTES = 50_000_000
"""Largest schedule file read by --schedule, bytes."""


@guarded
def simulate_command(
    file: ScenarioFile,
    days: Annotated[
        float | None, typer.Option(help="Horizon in days (default: the scenario's).", min=0.001)
    ] = None,
    capacity: Annotated[
        bool,
        typer.Option(
            "--capacity",
            help="A capacity run: every line kept supplied with the product mix (what can the "
            "plant make?) instead of the order book (will the orders ship?).",
        ),
    ] = False,
    warmup: Annotated[
        float | None,
        typer.Option(
            help="Warm-up in days, discarded from a capacity run's statistics (default: the "
            "scenario's; an order-book run has none).",
            min=0,
        ),
    ] = None,
    replications: Annotated[
        int | None, typer.Option(help="Replications (default: the scenario's).", min=1)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    events: Annotated[
        Path | None,
        typer.Option(
            help="Write the first replication's station states here as an event log (CSV, or "
            "Parquet for .parquet), the input of calibrate and validate-history."
        ),
    ] = None,
    genealogy: Annotated[
        Path | None,
        typer.Option(help="Write the first replication's roll genealogy here (JSON, for trace)."),
    ] = None,
    schedule_file: Annotated[
        Path | None,
        typer.Option("--schedule", help="Execute a schedule written by 'r2r schedule --out'."),
    ] = None,
    all_orders: Annotated[
        bool, typer.Option("--all-orders", help="List every order, not only the riskiest.")
    ] = False,
    state_file: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help="Start from this plant state (YAML or JSON, 'r2r schema --state'): the run "
            "begins at its moment, the horizon counts from it.",
        ),
    ] = None,
    snapshot_at: Annotated[
        str | None,
        typer.Option(
            "--snapshot-at",
            help="Take the first replication's plant state at this date-time "
            "(2026-12-17T06:00), written to --snapshot-out.",
        ),
    ] = None,
    snapshot_out: Annotated[
        Path | None,
        typer.Option("--snapshot-out", help="Where --snapshot-at writes the state (YAML or JSON)."),
    ] = None,
    store_file: StoreFile = None,
    no_store: NoStore = False,
) -> None:
    """Simulate a scenario: delivery of its order book, or its capacity, with 95 % CIs.

    The run is kept in the store (see 'r2r runs') unless --no-store is given: each replication
    as it finishes, so that a run stopped halfway keeps what it finished.
    """
    store = None if no_store else Store(store_file, for_writing=True)
    inputs = [file, *(p for p in (schedule_file, state_file) if p is not None)]
    where = store.path if store is not None else None
    if (snapshot_at is None) != (snapshot_out is None):
        given, missing = ("--snapshot-at", "--snapshot-out")[:: 1 if snapshot_at else -1]
        raise UsageError([Problem(missing, f"{given} needs {missing}")])
    outputs_given = (("--events", events), ("--genealogy", genealogy))
    for option, path in (*outputs_given, ("--snapshot-out", snapshot_out)):
        if path is not None:
            check_output(path, option, inputs=inputs, store=where)
    named = [(option, path.resolve()) for option, path in outputs_given if path is not None]
    if snapshot_out is not None:
        named.append(("--snapshot-out", snapshot_out.resolve()))
    for k, (option, path) in enumerate(named):
        for other, earlier in named[:k]:
            if path == earlier:
                raise UsageError([Problem(option, f"{path}: is also the {other} file")])
    scenario = load_scenario(file) if as_json else load_checked(file)
    plan = _load_plan(schedule_file, scenario) if schedule_file is not None else None
    initial = read_state(state_file, scenario) if state_file is not None else None
    try:
        options = RunOptions.of(
            scenario,
            demand="capacity" if capacity else None,
            horizon_min=days * 1440 if days is not None else None,
            warmup_min=warmup * 1440 if warmup is not None else None,
            replications=replications,
            seed=seed,
            event_log=events is not None or plan is not None,  # a plan's losses read it
            genealogy=genealogy is not None,
            plan=plan,
            state=initial,
        )
    except ValueError as error:
        question = "capacity" if capacity else scenario.run.demand
        option = "--state" if initial is not None and question == "capacity" else "--warmup"
        raise UsageError([Problem(option, str(error))]) from None
    if snapshot_at is not None:
        origin = initial.at if initial is not None else scenario.start
        try:
            minute = _snapshot_minute(snapshot_at, origin, options.horizon_min)
        except ValueError as error:
            raise UsageError([Problem("--snapshot-at", str(error))]) from None
        options = options.replace(snapshot_at_min=minute)
    count = options.replications
    run_id = None
    if store is not None:
        run_id = store.begin_simulation(scenario, replications=count, seed=options.seed)

    def keep(record: ReplicationRecord) -> None:
        if store is not None and run_id is not None:
            outcome = TaskOutcome(0, record.replication, record.flatten(), record.bottleneck, 0.0)
            store.add_replication(run_id, outcome)

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
                options,
                progress=lambda done, _total: bar.update(task, completed=done),
                replication_done=keep,
            )
        except KeyboardInterrupt:
            if store is not None and run_id is not None:
                store.set_status(run_id, "partial")
                done = len(store.replication_kpis(run_id))
                err.print(f"interrupted: {run_id} keeps the {done} finished replications' KPIs")
            raise
    if store is not None and run_id is not None:  # kept before any file is written
        store.finish_simulation(run_id, result)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2, exclude={"events", "rolls"}) + "\n")
    else:
        print_result(result, all_orders)
        if plan is not None:
            from twin.plan_outcome import off_plan

            print_plan_outcome(result, off_plan(result, plan, options.horizon_min))
        if store is not None:  # JSON readers get nothing but the document
            err.print(f"stored as {run_id} in {store.path}", markup=False)
    outputs: list[tuple[str, Path, str | bytes]] = []
    if events is not None:
        outputs.append(("--events", events, _events(events, result, options)))
    if genealogy is not None:
        document = {
            "scenario": result.scenario,
            "seed": result.seed,
            "start": result.start.isoformat() if result.start else None,
            "rolls": result.rolls,
        }
        outputs.append(("--genealogy", genealogy, json.dumps(document)))
    if snapshot_out is not None and result.snapshot is not None:
        outputs.append(("--snapshot-out", snapshot_out, state_text(result.snapshot, snapshot_out)))
    write_outputs(outputs)


def _events(path: Path, result: SimulationResult, options: RunOptions) -> bytes:
    """The first replication's state changes in the event-log format, for ``r2r calibrate``.

    Parquet for a ``.parquet`` or ``.pq`` file, else CSV: the twin's own logs are valid input.
    """
    from twin.history import event_log_bytes

    parquet = path.suffix.lower() in (".parquet", ".pq")
    return event_log_bytes(result.events or [], result.start, options.horizon_min, parquet=parquet)


def _snapshot_minute(text: str, origin: dt.datetime | None, horizon_min: float) -> float:
    """Minutes from the run's start to the date-time ``text``; ValueError says what is wrong."""
    if origin is None:
        raise ValueError("a snapshot is dated: give the scenario a start (or start from --state)")
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        message = f"the snapshot moment {text!r} is not a date-time (2026-12-17T06:00)"
        raise ValueError(message) from None
    if (when.tzinfo is None) != (origin.tzinfo is None):
        when, origin = when.replace(tzinfo=None), origin.replace(tzinfo=None)
    minute = (when - origin).total_seconds() / 60
    end = origin + dt.timedelta(minutes=horizon_min)
    if not 0 < minute <= horizon_min:
        raise ValueError(
            f"the snapshot moment {when:%Y-%m-%d %H:%M} is not within the run "
            f"({origin:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M})"
        )
    return minute


def _load_plan(path: Path, scenario: Scenario) -> SchedulePlan:
    """The plan in a schedule file, checked against the scenario it will run on."""
    where = str(path)
    data = read_input(path, limit=MAX_SCHEDULE_BYTES, what="schedule file")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise InputError([Problem("", "is not a schedule file (not JSON)")], where) from None
    node = document.get("plan", document) if isinstance(document, dict) else document
    try:
        plan = SchedulePlan.model_validate(node)
    except ValidationError as error:
        problems = [
            Problem(f"plan.{p.path}" if p.path else "plan", p.message)
            for p in validation_problems(error, node)
        ]
        raise InputError(problems, where) from None
    from twin.schedule.plant import plan_mismatches

    problems = [Problem(path, message) for path, message in plan_mismatches(scenario, plan)]
    if problems:
        raise ScenarioError(problems, where)
    return plan
