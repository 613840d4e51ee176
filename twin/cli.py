"""The ``r2r`` command line: validate, describe and (later) simulate and schedule a plant.

Bad input never shows a traceback: a scenario with mistakes prints every problem by its path and
exits with code 2.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from twin.capacity import LineCapacity, static_capacity
from twin.scenario import Problem, Scenario, ScenarioError, load_scenario

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
    """Static capacity: per line and product, each station's speed, per-roll time, changeover
    share and throughput; the bottleneck; and the bound allowing for availability.
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


def main() -> None:
    """Entry point for ``python -m twin``."""
    app()
