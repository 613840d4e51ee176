"""The orders commands: check an order book exported from the plant's systems."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from twin.cli.app import guarded, out
from twin.display import moment
from twin.files import read_input
from twin.scenario import (
    MAX_DOCUMENT_BYTES,
    OrderFile,
    Problem,
    ScenarioError,
    parse_document,
    scenario_from_document,
)

orders_app = typer.Typer(
    name="orders", help="Order books from the plant's systems (CSV or Excel).", no_args_is_help=True
)


@orders_app.command("check")
@guarded
def check(
    file: Annotated[Path, typer.Argument(help="The order book, CSV or .xlsx.", show_default=False)],
    scenario_file: Annotated[
        Path,
        typer.Option(
            "--scenario", help="The scenario it is for (its column map, if it has one, is used)."
        ),
    ],
) -> None:
    """Check an order book against a scenario: every problem by row and column, or a summary."""
    data = read_input(scenario_file, limit=MAX_DOCUMENT_BYTES, what="scenario")
    fmt: Literal["yaml", "json"] = "json" if scenario_file.suffix.lower() == ".json" else "yaml"
    try:
        document = parse_document(data, fmt)
    except ValueError as error:
        raise ScenarioError([Problem("", f"the document {error}")], str(scenario_file)) from None
    if not isinstance(document, dict):
        raise ScenarioError([Problem("", "a scenario must be a mapping")], str(scenario_file))
    given = document.get("orders")
    spec = dict(given) if isinstance(given, dict) else {}
    spec["file"] = str(file.resolve())
    OrderFile.model_validate(spec)  # a column map that is no map is the scenario's problem
    scenario = scenario_from_document({**document, "orders": spec}, str(file))
    orders = scenario.orders
    rolls = sum(scenario.order_rolls(o) for o in orders)
    metres = sum(scenario.order_length_m(o) for o in orders)
    dues = sorted(scenario.minutes(o.due) for o in orders)
    products = sorted({o.product for o in orders})
    span = (
        f"due from {moment(scenario.start, dues[0])} to {moment(scenario.start, dues[-1])}"
        if dues
        else "no orders"
    )
    out.print(
        f"[bold green]OK[/] {file}: {len(orders)} order(s), {rolls} roll(s), {metres:,.0f} m of "
        f"{len(products)} product(s) ({', '.join(products)}); {span}",
        markup=True,
    )
