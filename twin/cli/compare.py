"""The compare command: scenarios (or stored runs) side by side under common random numbers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from twin.cli.app import StoreFile, guarded, load_checked, out
from twin.display import shown
from twin.engine import SimulationResult
from twin.scenario import Problem, Scenario, UsageError, load_scenario
from twin.store import Store


def _is_run_id(text: str) -> bool:
    return not Path(text).exists() and text.split("-", 1)[0] in ("s", "st", "sc")


@guarded
def compare_command(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Scenario files (YAML or JSON) or stored simulation ids (s-0003): the first is "
            "the base the others are compared with.",
            show_default=False,
        ),
    ],
    capacity: Annotated[
        bool,
        typer.Option("--capacity", help="Compare capacity runs (what the plants can make)."),
    ] = False,
    replications: Annotated[
        int | None, typer.Option(help="Replications for all (default: the first's).", min=1)
    ] = None,
    days: Annotated[
        float | None, typer.Option(help="Horizon in days for all (default: each one's).", min=0.001)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for all (default: the first's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    store_file: StoreFile = None,
) -> None:
    """Compare scenarios side by side: headline KPIs of the plant and each line.

    Each difference to the first has a paired 95 % interval (common random numbers;
    Bonferroni-corrected when more than two are compared).
    """
    from twin.comparison import compare, run_with_common_seeds

    if len(sources) < 2:
        raise UsageError([Problem("SOURCES", "give at least two scenarios or stored runs")])
    stored = [s for s in sources if _is_run_id(s)]
    files = [s for s in sources if s not in stored]
    if stored and files:
        raise UsageError(
            [
                Problem(
                    "SOURCES",
                    "compare scenario files with each other, or stored runs with "
                    "each other: a stored run keeps the settings it ran with",
                )
            ]
        )
    names: list[str]
    results: list[SimulationResult]
    if stored:
        store = Store(store_file)
        infos = [store.info(s) for s in stored]
        results = [store.simulation(info.id) for info in infos]
        names = [f"{info.id} {info.name}" for info in infos]
        notes = ["stored runs, each with the seed and replications it ran with"]
    else:
        scenarios: list[Scenario] = [
            load_scenario(Path(f)) if as_json else load_checked(Path(f)) for f in files
        ]
        results, notes = run_with_common_seeds(
            scenarios, capacity=capacity, replications=replications, days=days, seed=seed
        )
        names = [Path(f).stem for f in files]
    comparison = compare(results, names, notes)
    if as_json:
        sys.stdout.write(json.dumps(comparison.document(), indent=2) + "\n")
        return
    question = (
        "capacity runs: what can each plant make?"
        if comparison.demand == "capacity"
        else "order-book runs: will the orders ship?"
    )
    out.print(f"[bold]compare[/] · {question} · mean [95 % CI]; differences to {names[0]}")
    scopes = list(dict.fromkeys(r.scope for r in comparison.rows))
    for scope in scopes:
        table = Table(title="plant" if scope == "plant" else f"line {scope}", title_justify="left")
        table.add_column("KPI")
        table.add_column(names[0], justify="right")
        for name in names[1:]:
            table.add_column(name, justify="right")
            table.add_column(f"{name} − {names[0]}", justify="right")
        for row in (r for r in comparison.rows if r.scope == scope):
            key = row.kpi.rsplit(".", 1)[-1]
            cells = [row.label]
            for index, value in enumerate(row.values):
                cells.append(_value(key, value))
                if index == 0:
                    continue
                difference = row.differences[index - 1]
                if difference is None:
                    cells.append("–")
                    continue
                verdict = row.verdict(index)
                mark = {"better": " better", "worse": " WORSE"}.get(verdict, "")
                if difference.high - difference.low <= 1e-9 * max(abs(difference.mean), 1.0):
                    cells.append(f"{_signed(key, difference.mean)} {SAME}{mark}")
                    continue
                cells.append(
                    f"{_signed(key, difference.mean)} [{_signed(key, difference.low)}, "
                    f"{_signed(key, difference.high)}]{mark}"
                )
            table.add_row(*cells)
        out.print(table)
    for note in comparison.notes:
        out.print(f"note: {note}", markup=False)
    out.print(
        f"note: {SAME} marks a figure that was the same in every replication (a deterministic "
        "part of the plant, or an order book that caps it), so it has no interval",
        markup=False,
    )


def _value(kpi: str, value: tuple[float, float, float] | None) -> str:
    if value is None:
        return "–"
    mean, low, high = value
    if high - low <= 1e-9 * max(abs(mean), 1.0):
        return f"{shown(kpi, mean)} {SAME}"
    return f"{shown(kpi, mean)} [{shown(kpi, low)}, {shown(kpi, high)}]"


SAME = "(same in all)"
"""Marks a figure that was the same in every replication, so it has no interval."""


def _signed(kpi: str, value: float) -> str:
    text = shown(kpi, value)
    return text if text.startswith("-") or value == 0 else f"+{text}"
