"""Scheduling what is left from a plant state, on the two-tool line of ``tests.state_cases``.

T1 takes a 100 m roll in 10 min, T2 in 20 min; every figure below is worked out by hand from
those two numbers and the state.
"""

from __future__ import annotations

import pytest

from tests.state_cases import at, state, three_tools_with_a_clean, two_tools
from twin.engine.plan import SchedulePlan
from twin.schedule.plant.from_state import problem_from_state
from twin.schedule.plant.schedule import schedule_plant


def _ops(plan: SchedulePlan) -> dict[tuple[str, str], tuple[float, float]]:
    return {(op.roll, op.machine): (op.start_min, op.end_min) for op in plan.operations}


def test_a_tool_down_until_two_hours_starts_its_operations_after_that() -> None:
    scenario = two_tools()
    down = state(scenario, units=[{"unit": "T1", "status": "down", "until": at(120)}])
    result = schedule_plant(scenario, state=down, time_limit_s=5, workers=1)
    ops = _ops(result.plan)
    assert {roll for roll, _ in ops} == {f"O/{i}" for i in range(1, 6)}
    assert min(start for (_, m), (start, _) in ops.items() if m == "T1") == pytest.approx(120)
    # T1 120-130 for the first roll, then T2 paces: five rolls of 20 min from 130 -> 230
    assert max(end for (_, m), (_, end) in ops.items() if m == "T2") == pytest.approx(230)


def test_a_roll_in_the_store_goes_on_at_the_next_stage_and_a_half_done_roll_keeps_its_tool() -> (
    None
):
    scenario = two_tools()
    plant = state(
        scenario,
        units=[
            {
                "unit": "T1",
                "roll": {"id": "O/2", "order": "O", "product": "web", "step": 0, "done_m": 40},
            }
        ],
        stores=[
            {
                "store": "S",
                "rolls": [
                    {"id": "O/1", "order": "O", "product": "web", "done_step": 0, "entered": at(-5)}
                ],
            }
        ],
        orders=[{"order": "O", "released_rolls": 2}],
    )
    problem = problem_from_state(scenario, plant)
    ops = _ops(schedule_plant(scenario, state=plant, time_limit_s=5, workers=1).plan)
    # O/1 is past T1: only its T2 operation is left, and it can start at once
    assert ("O/1", "T1") not in ops and ops[("O/1", "T2")][0] == pytest.approx(0)
    # O/2 keeps T1 for its 60 m left (6 min): T1 is free for O/3 from 6, O/2 is ready for
    # T2 at 6; O/3-O/5 leave T1 at 16, 26, 36, so T2 (O/1 0-20) never waits: done at 100
    assert ("O/2", "T1") not in ops
    assert min(start for (_, m), (start, _) in ops.items() if m == "T1") == pytest.approx(6)
    assert ops[("O/2", "T2")][0] >= 6
    assert max(end for (_, m), (_, end) in ops.items() if m == "T2") == pytest.approx(100)
    assert len(problem.rolls) == 5


def test_a_finished_order_is_not_scheduled_again() -> None:
    scenario = two_tools()
    done = state(scenario, orders=[{"order": "O", "released_rolls": 5, "finished_rolls": 5}])
    problem = problem_from_state(scenario, done)
    assert problem.rolls == {}


def test_operations_inside_the_frozen_window_keep_their_machine_and_start() -> None:
    scenario = two_tools()
    empty = state(scenario)
    first = schedule_plant(scenario, state=empty, time_limit_s=5, workers=1).plan
    # shift the first plan's T2 operations 7 min later; with 45 min frozen those starting
    # before 45 stay where the (shifted) earlier plan put them, later ones may move
    shifted = first.model_copy(
        update={
            "operations": [
                op.model_copy(update={"start_min": op.start_min + 7, "end_min": op.end_min + 7})
                if op.machine == "T2"
                else op
                for op in first.operations
            ]
        }
    )
    again = schedule_plant(
        scenario, state=empty, previous=shifted, frozen_min=45, time_limit_s=5, workers=1
    ).plan
    before, after = _ops(shifted), _ops(again)
    frozen = [key for key, (start, _) in before.items() if start < 45]
    assert frozen, "the window should hold some operations"
    for key in frozen:
        assert after[key][0] == pytest.approx(before[key][0])


def test_the_bundled_morning_state_plans_pc3_after_its_repair() -> None:
    # scenarios/states/baseline_morning.yaml: 06:00, PC3 down until 12:00 with a roll on it.
    # Nothing may start on PC3 before noon (360 min after 06:00): the rest of its roll first.
    from pathlib import Path

    from twin.scenario import load_scenario
    from twin.state import read_state

    root = Path(__file__).resolve().parent.parent / "scenarios"
    scenario = load_scenario(root / "baseline.yaml")
    plant = read_state(root / "states" / "baseline_morning.yaml", scenario)
    problem = problem_from_state(scenario, plant)
    assert problem.problem.machine["PC3"].available_from > 360
    assert all(roll.order != "SO-A3-01" for roll in problem.rolls.values())  # finished by then


def test_a_frozen_operation_that_would_need_maintenance_first_is_not_kept() -> None:
    # The validation line with a chamber clean on PC at 20 000 µm·m; a roll deposits 4.03 µm·m
    # per metre, far more than the 4000 left when the walls already hold 16 000: the earlier
    # plan's first PC operation (planned on clean walls) cannot run as planned, without the
    # clean, so it must not be frozen; on clean walls it is.
    scenario = three_tools_with_a_clean()
    clean = state(scenario)
    first = schedule_plant(scenario, state=clean, time_limit_s=5, workers=1).plan
    assert first is not None
    (first_pc,) = [
        op
        for op in first.operations
        if op.machine == "PC"
        and op.start_min == min(o.start_min for o in first.operations if o.machine == "PC")
    ]
    window = first_pc.end_min + 1
    kept = problem_from_state(scenario, clean, previous=first, frozen_min=window).problem
    assert f"{first_pc.roll}@1" in kept.frozen
    walls = state(scenario, units=[{"unit": "PC", "counters": {"wall_deposit_um_m": 16000}}])
    moved = problem_from_state(scenario, walls, previous=first, frozen_min=window).problem
    assert f"{first_pc.roll}@1" not in moved.frozen
