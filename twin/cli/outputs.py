"""Writing a command's output files once its results are kept: each one tried, all failures told."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from twin.cli.app import err
from twin.files import OutputError, write_output
from twin.problems import Problem


def write_outputs(outputs: Iterable[tuple[str, Path, str | bytes]]) -> None:
    """Write each (option, path, content); raise one :class:`OutputError` naming every failure.

    Callers keep their results (in the store) first, so a failed write loses no work: the user
    fixes the path and exports again.
    """
    failed: list[Problem] = []
    for option, path, content in outputs:
        try:
            write_output(path, content, option)
        except OutputError as error:
            failed += error.problems
        else:
            err.print(f"wrote {path}", markup=False)
    if failed:
        raise OutputError(failed)
