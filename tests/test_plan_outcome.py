"""Where an executed plan lost its time, worked out by hand on the two-tool line.

T1 takes a roll in 10 min, T2 in 20 min. The plan, made for an empty plant, runs O/1..O/5 on
T1 at 0-10, ..., 40-50 and on T2 at 10-30, ..., 90-110: the order is planned complete at 110.
The plant starts with T2 down until 60: T2 then runs 60-80, ..., 140-160, so the order completes
at 160, 50 min after the plan. Its last roll O/5 leaves T1 on plan at 50 and gains all 50 min
at T2, where from its arrival at 50 it waited while T2 was down (50-60, 10 min) and busy with
the four rolls before it (60-140, 80 min).
"""

from __future__ import annotations

import pytest

from tests.state_cases import at, state, two_tools
from twin.engine import RunOptions, simulate
from twin.engine.plan import PlannedOperation, SchedulePlan
from twin.plan_outcome import OTHER_ROLLS, off_plan

ROLLS = [f"O/{k}" for k in range(1, 6)]


def _plan() -> SchedulePlan:
    operations = [
        PlannedOperation(roll=r, machine="T1", start_min=10 * k, end_min=10 * k + 10)
        for k, r in enumerate(ROLLS)
    ]
    operations += [
        PlannedOperation(roll=r, machine="T2", start_min=10 + 20 * k, end_min=30 + 20 * k)
        for k, r in enumerate(ROLLS)
    ]
    return SchedulePlan(
        machines={"T1": ROLLS, "T2": ROLLS},
        release_min=dict.fromkeys(ROLLS, 0.0),
        planned_completion_min={"O": 110.0},
        operations=operations,
    )


def test_an_order_late_against_its_plan_names_the_machine_and_why() -> None:
    scenario = two_tools()
    plan = _plan()
    down = state(scenario, units=[{"unit": "T2", "status": "down", "until": at(60)}])
    options = RunOptions.of(scenario, plan=plan, state=down, event_log=True, replications=1)
    result = simulate(scenario, options)
    [order] = off_plan(result, plan, options.horizon_min)
    assert order.order == "O" and order.late
    assert order.planned_min == pytest.approx(110)
    assert order.realised_low_min == pytest.approx(160)
    [loss] = order.losses
    assert loss.machine == "T2" and loss.gained_min == pytest.approx(50)
    assert loss.states_min == pytest.approx({OTHER_ROLLS: 80.0, "down": 10.0})


def test_an_order_on_its_plan_is_not_flagged() -> None:
    scenario = two_tools()
    plan = _plan()
    options = RunOptions.of(scenario, plan=plan, event_log=True, replications=1)
    assert off_plan(simulate(scenario, options), plan, options.horizon_min) == []
