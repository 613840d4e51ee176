"""The study command: run a capacity study on local processes or Dask."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from twin.cli.app import StoreFile, err, guarded, out
from twin.cli.outputs import write_outputs
from twin.display import interval, kpi_label
from twin.extras import installed, require
from twin.files import check_output
from twin.scenario import Problem, UsageError
from twin.store import Store

if TYPE_CHECKING:
    from twin.study import Executor, StudyResult


def print_study(result: StudyResult) -> None:
    """The design points × KPIs (mean [95 % CI]) in one table, then the decision."""
    table = Table(title_justify="left")
    for name in ("point", *result.factors):
        table.add_column(name, justify="left")
    for kpi in result.kpis:
        table.add_column(kpi_label(kpi), justify="right")
    table.add_column("n", justify="right")
    table.add_column("bottleneck", justify="left")
    for point, row in result.table.iterrows():
        cells = [str(point), *(str(result.points[int(point)][f]) for f in result.factors)]
        cells += [
            interval(k, row[k], row[f"{k}_low"], row[f"{k}_high"], int(row["n"]))
            for k in result.kpis
        ]
        table.add_row(*cells, str(row["n"]), str(row["bottleneck"]))
    out.print(table)
    if result.tasks_done:
        decision = result.decision()
        labels = {p: result.point_label(p) for p in range(len(result.points))}
        for line in decision.lines(labels, kpi_label(decision.kpi)):
            out.print(line, markup=False)


def _write_plots(result: StudyResult, folder: Path) -> None:
    """An HTML page per factor, beside one copy of plotly's script, in ``folder``."""
    figures = result.figures()
    if not figures:
        return
    from plotly.offline import get_plotlyjs

    pages: list[tuple[str, Path, str | bytes]] = [
        ("--plots", folder / "plotly.min.js", get_plotlyjs())
    ]
    for factor, figure in figures.items():
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", factor).strip("_") or "factor"
        pages.append(
            ("--plots", folder / f"{name}.html", figure.to_html(include_plotlyjs="directory"))
        )
    write_outputs(pages)


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
    from twin.study import StudyInterrupted, load_study, run_study

    check_output(plots or Path("out"), "--plots", inputs=[file], folder=True)

    if executor not in ("local", "dask"):
        raise UsageError([Problem("--executor", f"must be local or dask (got {executor!r})")])
    chosen: Executor = "dask" if executor == "dask" else "local"
    plotting = installed("plotly")
    if plots is not None:
        require("plotly", "plots", "--plots")
    spec = load_study(file)
    changes: dict[str, Any] = {"replications": replications}
    changes |= {"horizon": days * 1440 if days is not None else None}
    changes |= {"warmup": warmup * 1440 if warmup is not None else None}
    spec = spec.with_changes({k: v for k, v in changes.items() if v is not None})
    store = Store(store_file, for_writing=True)
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
    print_study(result)
    out.print(f"study id: {result.study_id} (r2r show {result.study_id})")
    if plotting:
        _write_plots(result, plots or Path("out") / f"study-{result.study_id}")
    elif result.factors:
        err.print(
            "no plots: they need the 'plots' extra (plotly is not installed): "
            "pip install 'r2r-twin[plots]'",
            markup=False,
        )
