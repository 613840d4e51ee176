"""Commands that run the twin: simulate and trace."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from twin.cli.app import NoStore, ScenarioFile, StoreFile, err, guarded, load_checked, out
from twin.cli.results import print_plan_outcome, print_result
from twin.engine import SchedulePlan, simulate
from twin.scenario import Problem, Scenario, ScenarioError, UsageError, load_scenario
from twin.store import Store, TaskOutcome


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
    scenario = load_scenario(file) if as_json else load_checked(file)
    store = None if no_store else Store(store_file)
    horizon = days * 1440 if days is not None else scenario.run.horizon
    warm = warmup * 1440 if warmup is not None else min(scenario.run.warmup, horizon / 2)
    if warm >= horizon:
        raise UsageError([Problem("--warmup", "must be shorter than the horizon")])
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
        _write_events(events, result.events or [], scenario, horizon)
    if genealogy is not None:
        document = {"scenario": result.scenario, "seed": result.seed, "rolls": result.rolls}
        genealogy.write_text(json.dumps(document), encoding="utf-8")
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2, exclude={"events", "rolls"}) + "\n")
    else:
        print_result(result)
        if plan is not None:
            print_plan_outcome(result)
    if store is not None and run_id is not None:
        store.finish_simulation(run_id, result)
        if not as_json:  # JSON readers get nothing but the document
            err.print(f"stored as {run_id} in {store.path}", markup=False)


def _write_events(path: Path, events: list[Any], scenario: Scenario, horizon: float) -> None:
    """The first replication's state changes in the event-log format (CSV, or Parquet by suffix).

    Until the engine yields typed state records, its ``(minute, unit, state)`` tuples are adapted
    with causes, rolls and metres unknown.
    """
    from twin.history import records_from_events, write_event_log

    write_event_log(records_from_events(events), path, scenario.start, horizon)


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


def _find_roll(rolls: list[dict[str, Any]], roll_id: str) -> dict[str, Any] | None:
    for roll in rolls:
        if roll["id"] == roll_id or any(lane["id"] == roll_id for lane in roll.get("lanes", [])):
            return roll
    return None


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
