"""Commands about a plant description: validate, schema, describe."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from twin.capacity import LineCapacity, static_capacity
from twin.cli.app import ScenarioFile, guarded, load_checked, out
from twin.cli.outputs import write_outputs
from twin.display import moment
from twin.files import check_output
from twin.load import WEEK_MIN, LoadTable, load_table
from twin.scenario import Scenario, load_scenario


@guarded
def validate(file: ScenarioFile) -> None:
    """Check a scenario: exit 0 with a summary, or exit 2 with every problem by its path."""
    scenario = load_checked(file)
    stations = sum(len(line.stations) for line in scenario.lines)
    out.print(
        f"[bold green]OK[/] {file}: {scenario.name!r}: {len(scenario.lines)} line(s), "
        f"{stations} station(s), {len(scenario.products)} product(s), "
        f"{len(scenario.orders)} order(s)"
    )


@guarded
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    state: Annotated[
        bool, typer.Option("--state", help="The plant-state format instead of the scenario's.")
    ] = False,
) -> None:
    """Print the JSON Schema of the scenario (or plant-state) format, for editors."""
    if output is not None:
        check_output(output, "--output")
    if state:
        from twin.state import PlantState

        document = json.dumps(PlantState.model_json_schema(by_alias=True), indent=2)
    else:
        document = json.dumps(Scenario.model_json_schema(by_alias=True), indent=2)
    if output is None:
        sys.stdout.write(document + "\n")
    else:
        write_outputs([("--output", output, document + "\n")])


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


@guarded
def describe(
    file: ScenarioFile,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Static capacity of each line and product, its bottleneck and availability bound.

    For each station: web speed, per-roll time, changeover share and throughput; then the order
    book's load against that capacity, per line and week.
    """
    scenario = load_scenario(file) if as_json else load_checked(file)
    capacities = static_capacity(scenario)
    load = load_table(scenario)
    if as_json:
        document = {
            "scenario": scenario.name,
            "roll_length_m": scenario.roll_length_m,
            "lines": [c.as_dict() for c in capacities],
            "load": load_document(scenario, load),
            "warnings": [str(w) for w in scenario.warnings],
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    out.print(f"[bold]{scenario.name}[/] · roll length {scenario.roll_length_m:g} m")
    for capacity in capacities:
        width = scenario.product(capacity.product).web_width_m
        out.print(_capacity_table(capacity, width))
    if scenario.orders:
        print_load(scenario, load)


def load_document(scenario: Scenario, load: LoadTable) -> dict[str, object]:
    """A load table as plain data: per line and week, dates, hours and the load share."""
    return {
        "source": load.source,
        "weeks": [
            {
                "line": w.line,
                "week": w.week,
                "from": moment(scenario.start, w.start_min, time=False),
                "from_h": w.start_min / 60,
                "due_m": w.due_m,
                "needed_h": w.needed_h,
                "available_h": w.available_h,
                "load": w.load if math.isfinite(w.load) else None,
            }
            for w in load.weeks
        ],
    }


def print_load(scenario: Scenario, load: LoadTable) -> None:
    """The load table: one row per week of the order book, one column per line and the plant."""
    table = Table(
        title=f"load against capacity: metres due each week over what the line can make "
        f"({load.source})",
        title_justify="left",
    )
    table.add_column("week from", justify="left")
    for line in load.lines:
        table.add_column(f"{line} load", justify="right")
    table.add_column("plant load", justify="right")
    for week in load.week_numbers:
        cells = [moment(scenario.start, week * WEEK_MIN, time=False)]
        for line in load.lines:
            row = load.at(line, week)
            mark = " ◀ over" if row.load > 1 + 1e-9 else ""
            cells.append(f"{_percent(row.load)}{mark}" if row.due_m else "–")
        cells.append(_percent(load.plant(week)))
        table.add_row(*cells)
    out.print(table)
    over = load.overloaded()
    if over:
        names = ", ".join(
            f"{w.line} in the week from {moment(scenario.start, w.start_min, time=False)}"
            for w in over
        )
        out.print(f"above 100 %: {names}", markup=False)


def _percent(share: float) -> str:
    return "no shift" if math.isinf(share) else f"{share * 100:.0f} %"
