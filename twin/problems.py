"""Problems in what the user gave (a document, a file, an option): each by its path, all at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
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


class InputError(Exception):
    """Input the user can put right: every problem by its path (exit code 2 in the CLI).

    :attr:`problems` lists every mistake found, :attr:`source` names the file or option they are
    in. Subclasses say what kind of input it was.
    """

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''}{where}:"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


class ScenarioError(InputError):
    """A scenario (or study) document that cannot be used."""


class UsageError(InputError):
    """Command-line options or call arguments that cannot be used together or at all."""


def did_you_mean(kind: str, value: str, known: Iterable[str]) -> str:
    """``unknown <kind> '<value>'``, with the closest known name when one is close."""
    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {kind} {value!r}{hint}"
