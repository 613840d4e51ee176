"""What a scenario's stations take for its recipe steps, worked out once per scenario.

A station's web speed for a step, its changeovers, overheads and consumption, and what the step
does to a roll's quality follow from the scenario alone, not from the replication; working them
out (the stations' physics) costs a plant-month replication about a third of its time. So they
are kept beside the scenario, for every replication of it in this process (a study worker runs
many), and dropped with it. Recipe steps and equipment live as long as their scenario, so their
ids key the memos.
"""

from __future__ import annotations

import weakref
from typing import Any

_MEMOS: dict[int, dict[Any, Any]] = {}


def scenario_memo(scenario: object) -> dict[Any, Any]:
    """The memo of ``scenario`` (empty at first), kept until the scenario is collected."""
    key = id(scenario)
    memo = _MEMOS.get(key)
    if memo is None:
        memo = _MEMOS[key] = {}
        weakref.finalize(scenario, _MEMOS.pop, key, None)
    return memo


def part(memo: dict[Any, Any], key: Any) -> dict[Any, Any]:
    """The part of ``memo`` under ``key`` (a station's, the quality model's)."""
    found = memo.get(key)
    if found is None:
        found = memo[key] = {}
    return found
