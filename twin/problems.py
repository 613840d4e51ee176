"""Problems in what the user gave (a document, a file, an option): each by its path, all at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from stations.problems import Problem


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
