"""Benchmark targets printed in one format, so that ``make bench`` can gather them in a table.

Each target line reads ``TARGET <issue> | <what> | target <goal> | measured <figure> | met`` (or
``MISSED``); :mod:`benchmarks.run` prints every such line of a run again at its end.
"""

from __future__ import annotations

PREFIX = "TARGET "


def target(issue: str, what: str, goal: str, measured: str, met: bool) -> None:
    """Print one target with what was measured and whether it is met."""
    verdict = "met" if met else "MISSED"
    print(f"{PREFIX}{issue} | {what} | target {goal} | measured {measured} | {verdict}")
