"""The ``r2r`` application: its consoles, exit codes, shared options and the error boundary.

Bad input never shows a traceback: a scenario with mistakes prints every problem by its path and
exits with code 2; a fault of the tool exits 1 (``R2R_DEBUG=1`` shows its traceback).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from twin.scenario import InputError, Problem, Scenario, ScenarioError, UsageError, load_scenario
from twin.store import STORE_ENV

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
StoreFile = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help=f"Store file (default: ${STORE_ENV}, else r2r-store.sqlite in this folder).",
        show_default=False,
    ),
]
NoStore = Annotated[bool, typer.Option("--no-store", help="Do not keep the run in the store.")]
RunId = Annotated[
    str, typer.Argument(help="A run or study id (s-0001, st-0002), its number or a prefix.")
]


def print_problems(problems: list[Problem], header: str) -> None:
    """Print ``header`` and then each problem on its own line, on stderr."""
    err.print(f"[bold red]{header}[/]")
    for problem in problems:
        err.print(f"  {problem}", markup=False)


def _report(error: InputError) -> None:
    single = len(error.problems) == 1 and not error.problems[0].path
    if isinstance(error, ScenarioError | UsageError) or not single:
        count = len(error.problems)
        where = f" in {error.source}" if error.source else ""
        print_problems(error.problems, f"{count} problem{'s' * (count != 1)}{where}:")
        return
    message = error.problems[0].message
    what = error.source or type(error).__name__.removesuffix("Error").lower() or "error"
    err.print(f"[bold red]{escape(what)}:[/] {escape(message)}", markup=True)


def guarded(command: F) -> F:
    """Turn bad input into a readable message and exit code 2, and faults into exit code 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InputError as error:
            _report(error)
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


def load_checked(path: Path) -> Scenario:
    """Load a scenario, printing its warnings on stderr."""
    scenario = load_scenario(path)
    if scenario.warnings:
        print_problems(scenario.warnings, f"{len(scenario.warnings)} warning(s) in {path}:")
    return scenario
