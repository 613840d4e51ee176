"""The trace command: a roll's genealogy from a genealogy file, or from a fresh simulation."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from twin.cli.app import guarded, out
from twin.engine import RunOptions, simulate
from twin.files import read_input
from twin.genealogy import (
    MAX_GENEALOGY_BYTES,
    Genealogy,
    RollRecord,
    genealogy_from_document,
    looks_like_genealogy,
)
from twin.scenario import Problem, UsageError, parse_scenario


def _rolls(source: Path, days: float | None) -> Genealogy:
    """The genealogy in ``source``, or that of one replication of the scenario in it."""
    data = read_input(source, limit=MAX_GENEALOGY_BYTES, what="genealogy file or scenario")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        document = None
    if looks_like_genealogy(document):
        return genealogy_from_document(document, str(source))
    fmt: Literal["yaml", "json"] = "json" if source.suffix.lower() == ".json" else "yaml"
    scenario = parse_scenario(data, fmt, str(source))
    options = RunOptions.of(
        scenario,
        horizon_min=days * 1440 if days is not None else None,
        warmup_min=0.0,
        replications=1,
        genealogy=True,
    )
    result = simulate(scenario, options)
    return genealogy_from_document({"scenario": scenario.name, "rolls": result.rolls or []}, "")


def _print_roll(roll: RollRecord) -> None:
    out.print(
        f"[bold]{roll.id}[/] · order {roll.order} · product {roll.product} · line "
        f"{roll.line} · {roll.length_m:g} m × {roll.width_m:g} m · released at "
        f"{roll.released_min / 60:.1f} h · reworks {roll.reworks}",
        markup=True,
    )
    steps = Table(title="stations", title_justify="left")
    for name in ("station", "step", "start h", "end h", "condition", "defects laid"):
        steps.add_column(name)
    laid: dict[str | None, int] = {}
    for defect in roll.defects:
        if defect.type != "false_alarm":
            laid[defect.station] = laid.get(defect.station, 0) + 1
    for stage in roll.stations:
        condition = ", ".join(f"{k} {v:g}" for k, v in stage.condition.items())
        steps.add_row(
            stage.station,
            stage.step,
            f"{stage.start_min / 60:.2f}",
            f"{stage.end_min / 60:.2f}",
            condition,
            str(laid.pop(stage.station, 0)),
        )
    out.print(steps)
    by_type: dict[str, list[int]] = {}
    for defect in roll.defects:
        counts = by_type.setdefault(defect.type, [0, 0])
        counts[0] += 1
        counts[1] += defect.marked
    listed = ", ".join(f"{t} {n} ({m} marked)" for t, (n, m) in by_type.items())
    out.print("defects: " + (listed or "none"), markup=False)
    lanes = Table(title="lane rolls", title_justify="left")
    for name in ("lane roll", "width mm", "good length m", "cut m", "verdict", "escapes"):
        lanes.add_column(name)
    for lane in roll.lanes:
        lanes.add_row(
            lane.id,
            f"{lane.width_mm:g}",
            f"{lane.length_m:.1f}",
            f"{lane.cut_m:.1f}",
            "good" if lane.good else "downgraded",
            str(lane.escapes),
        )
    out.print(lanes)


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
    genealogy = _rolls(source, days)
    roll = genealogy.find(roll_id)
    if roll is None:
        known = ", ".join(r.id for r in genealogy.rolls[:5]) or "none finished"
        problem = Problem("ROLL_ID", f"no finished roll {roll_id!r} (rolls: {known}, ...)")
        raise UsageError([problem])
    if as_json:
        sys.stdout.write(roll.model_dump_json(indent=2) + "\n")
        return
    _print_roll(roll)
