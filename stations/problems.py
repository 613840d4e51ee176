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
    """One mistake (or warning) at ``path`` (a dotted path into a document, or a field)."""

    path: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message
