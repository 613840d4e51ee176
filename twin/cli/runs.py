"""Commands on the store of runs: runs, show, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from twin.cli.app import RunId, StoreFile, guarded, out
from twin.cli.results import print_result
from twin.cli.study import print_study
from twin.scenario import Problem, UsageError
from twin.store import Store


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
        print_study(store.study(info.id))
    elif info.kind == "simulation":
        print_result(store.simulation(info.id))
    else:
        document = store.schedule(info.id)
        solution = document.get("solution", {})
        out.print(
            f"objective {document.get('objective')}: {solution.get('status')}, "
            f"weighted tardiness {solution.get('weighted_tardiness')} min, "
            f"makespan {solution.get('makespan')} min",
            markup=False,
        )


@guarded
def export_command(
    run_id: RunId,
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or json.")] = "json",
    destination: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: out/<id>.<format>).")
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(
            help="Only this table (CSV: the main one by default), e.g. order_book, orders, "
            "stations, replications."
        ),
    ] = None,
    store_file: StoreFile = None,
) -> None:
    """Export a stored run or study: CSV (one table), Excel (a sheet per table) or JSON."""
    from twin.report import FORMATS, Format, export

    if fmt not in FORMATS:
        raise UsageError([Problem("--format", f"must be csv, xlsx or json (got {fmt!r})")])
    chosen: Format = "csv" if fmt == "csv" else "xlsx" if fmt == "xlsx" else "json"
    try:
        path = export(Store(store_file), run_id, chosen, destination, table)
    except ValueError as error:
        option = "--table" if table is not None and "no table" in str(error) else "--format"
        raise UsageError([Problem(option, str(error))]) from None
    out.print(f"wrote {path}")
