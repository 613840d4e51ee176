"""Re-planning's parts: policies as planners write them, and nervousness between two plans."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.state_cases import finished, two_tools
from twin.engine import Plant, RunOptions
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


# ------------------------------------------------------------------ a new plan as the plant runs
def test_a_new_plan_takes_over_from_the_moment_it_is_made() -> None:
    scenario = two_tools()  # T1 10 min a roll, T2 20 min a roll, five rolls O/1..O/5
    order = ["O/1", "O/2", "O/3", "O/4", "O/5"]
    first = SchedulePlan(
        machines={"T1": order, "T2": order},
        release_min={"O/1": 0, "O/2": 0, "O/3": 0, "O/4": 200, "O/5": 200},
    )
    plant = Plant(scenario, RunOptions.of(scenario, plan=first, event_log=True))
    plant.begin()
    plant.run_until(15)  # T1 has O/1 done and O/2 on it; T2 is on O/1
    again = ["O/1", "O/2", "O/4", "O/5", "O/3"]  # what the machines took stays as it was
    plant.replace_plan(
        SchedulePlan(
            machines={"T1": again, "T2": again},
            release_min={"O/4": 0, "O/5": 5},  # from now: O/4 at 15, O/5 at 20
        )
    )
    times = finished(plant.finish())
    # T1: O/1 0-10, O/2 10-20, O/4 20-30, O/5 30-40, O/3 40-50
    # T2: O/1 10-30, O/2 30-50, O/4 50-70, O/5 70-90, O/3 90-110
    assert times == {
        "O/1": pytest.approx(30),
        "O/2": pytest.approx(50),
        "O/4": pytest.approx(70),
        "O/5": pytest.approx(90),
        "O/3": pytest.approx(110),
    }
    # the first plan alone: O/4 and O/5 released at 200
    alone = Plant(scenario, RunOptions.of(scenario, plan=first, event_log=True)).run()
    assert finished(alone)["O/4"] == pytest.approx(200 + 10 + 20)


@pytest.mark.parametrize("new_plan", [True, False])
def test_an_order_half_done_when_the_plan_changes_completes_when_its_last_roll_does(
    new_plan: bool,
) -> None:
    # T2 paces: O/1..O/5 leave T2 at 30, 50, 70, 90, 110. At 60, O/1 and O/2 are finished;
    # the new plan (the same sequences, or none: the dispatching rule) must leave the order
    # with three rolls to go, complete at 110 (it once counted five again and never closed).
    scenario = two_tools()
    order = ["O/1", "O/2", "O/3", "O/4", "O/5"]
    first = SchedulePlan(machines={"T1": order, "T2": order}, release_min=dict.fromkeys(order, 0.0))
    plant = Plant(scenario, RunOptions.of(scenario, plan=first))
    plant.begin()
    plant.run_until(60)
    rest = order[2:]
    plant.replace_plan(
        SchedulePlan(machines={"T1": rest, "T2": rest}, release_min={}) if new_plan else None
    )
    record = plant.finish()
    assert record.orders["O"].completion_min == pytest.approx(110)
