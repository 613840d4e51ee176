"""A problem found in what the user gave: where it is, what is wrong, and whether it stops them.

One type for every check: a station type's check of a recipe step gives the path of the field
within the step (``temperature_c``); the scenario's checks prefix it with the step's place
(``products[0].recipe[2].temperature_c``). :mod:`twin.problems` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Problem:
    """One mistake (or warning) in what the user gave, at ``path``.

    ``path`` counts list items by position (``lines[0].stations[1].units``), so a program can
    follow it; ``named`` is the same path with the ids a person wrote beside the positions
    (``lines[0] (INL1).stations[1] (PC1).units``), and ``line`` and ``column`` say where the
    value stands in the file, when they are known. An empty path is the whole document.
    """

    path: str
    message: str
    severity: Literal["error", "warning"] = "error"
    named: str = ""
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line}, column {self.column})" if self.line is not None else ""
        path = self.named or self.path
        return f"{path}: {self.message}{where}" if path else f"{self.message}{where}"
