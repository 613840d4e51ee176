"""Re-planning's parts: policies as planners write them, and nervousness between two plans."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.engine.plan import PlannedOperation, SchedulePlan
from twin.rolling.nervousness import plan_change
from twin.rolling.policies import parse_policy


def plan(*operations: tuple[str, str, float]) -> SchedulePlan:
    """A plan of (roll, machine, start) operations, each 60 min long."""
    ops = [
        PlannedOperation(roll=r, machine=m, start_min=s, end_min=s + 60) for r, m, s in operations
    ]
    machines: dict[str, list[str]] = {}
    for op in sorted(ops, key=lambda o: o.start_min):
        machines.setdefault(op.machine, []).append(op.roll)
    return SchedulePlan(machines=machines, release_min={}, operations=ops)


def test_policies_read_as_written() -> None:
    assert parse_policy("every:shift").every_min == 480
    assert parse_policy("every:8h").name == "every:8h"
    event = parse_policy("event:failure=2h,risk=0.5")
    assert (event.failure_min, event.risk, event.name) == (120, 0.5, "event:failure=2h,risk=0.5")
    assert not parse_policy("rules").plans and parse_policy("static").plans
    for bad, says in [
        ("every:0", "positive"),
        ("every:soon", "not a duration"),
        ("event:fail=2h", "unknown trigger 'fail'"),
        ("weekly", "not a policy"),
        ("event:risk=x", "not a number"),
    ]:
        with pytest.raises(ValueError, match=says):
            parse_policy(bad)


def test_nervousness_counts_moved_and_retooled_operations_not_yet_started() -> None:
    before = plan(
        ("A/1", "PC1", 0),  # started before the re-plan at 100: not compared
        ("A/1", "AN1", 120),
        ("B/1", "PC1", 200),
        ("B/1", "AN1", 300),
        ("C/1", "PC2#1", 150),
    )
    after = plan(
        ("A/1", "AN1", 125),  # moved 5 min: within a 30 min tolerance
        ("B/1", "PC1", 260),  # moved 60 min
        ("B/1", "AN1", 360),  # moved 60 min
        ("C/1", "PC2#2", 150),  # another unit: retooled
        ("D/1", "PC1", 400),  # new work: not compared
    )
    change = plan_change(before, after, now_min=100, tolerance_min=30)
    assert (change.compared, change.machine_changed, change.start_moved) == (4, 1, 2)
    assert change.share == pytest.approx(3 / 4)


@given(
    st.lists(
        st.tuples(st.sampled_from("ABCDE"), st.sampled_from(["M1", "M2"]), st.floats(0, 1e4)),
        min_size=1,
        max_size=12,
    )
)
def test_a_plan_made_again_unchanged_is_not_nervous(
    operations: list[tuple[str, str, float]],
) -> None:
    ops = [(f"{r}/1", m, s) for r, m, s in operations]
    change = plan_change(plan(*ops), plan(*ops), now_min=0, tolerance_min=0)
    assert change.moved == 0 and change.compared == len(ops)
