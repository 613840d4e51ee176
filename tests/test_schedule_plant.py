"""Scheduling a plant: the problem made from a scenario, and its schedule executed in the twin."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest

from twin.display import moment
from twin.engine import RunOptions, simulate
from twin.scenario import load_scenario, scenario_from_document
from twin.schedule import Lexicographic, Objective, dispatch, solve, violations
from twin.schedule.decompose import restrict
from twin.schedule.plant import build_problem, to_plan

ROOT = Path(__file__).resolve().parent.parent


def plant(small_plant: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(small_plant)
    for station in document["lines"][0]["stations"]:
        station.pop("failures", None)  # a deterministic plant
    for buffer in document["lines"][0]["buffers"]:
        buffer["capacity_rolls"] = 50
    document["run"]["quality"] = False
    return document


def test_processing_times_are_the_stations_figures(small_plant: dict[str, Any]) -> None:
    problem = build_problem(scenario_from_document(plant(small_plant))).problem
    op = problem.job["O1/1"].operations
    # OX 15 + 10 + 1000 m / 2 m/min = 525 min; PE 15 + 45 + 20 + 10 + 1000/3 = 423.3 -> 424;
    # AN 25 + 1000/3 = 358.3 -> 359 (rounded up to whole minutes)
    assert [o.eligible for o in op] == [{"OX": 525}, {"PE": 424}, {"AN": 359}]
    # O1 is 3000 m: three rolls; O2 (1500 m) is a full roll and a half roll: 25 + 500/2 = 275
    assert sorted(problem.job) == ["O1/1", "O1/2", "O1/3", "O2/1", "O2/2"]
    assert problem.job["O2/2"].operations[0].eligible == {"OX": 275}
    assert problem.job["O2/1"].release == 1440 and problem.job["O2/1"].due == 6 * 1440


def test_calendar_maintenance_and_waiting_limits(small_plant: dict[str, Any]) -> None:
    document = plant(small_plant)
    document["lines"][0]["stations"][1]["maintenance"] = [
        {"kind": "calendar", "every": "7d", "first": "2d", "duration": "8h"}
    ]
    document["lines"][0]["buffers"][1]["max_wait"] = {"si_ni": "3h"}
    problem = build_problem(scenario_from_document(document)).problem
    # every 7 days from day 2 for 8 h
    assert problem.machine["PE"].unavailable[:2] == ((2880, 3360), (12960, 13440))
    # the roll may wait 180 min between PE and AN, no limit between OX and PE
    assert problem.job["O1/1"].max_lag == (None, 180)


def test_changeovers_become_setups(small_plant: dict[str, Any]) -> None:
    document = plant(small_plant)
    hot = copy.deepcopy(document["products"][0])
    hot["id"] = "hot"
    hot["recipe"][2]["temperature_c"] = 575
    document["products"].append(hot)
    document["orders"].append({"id": "O3", "product": "hot", "length_m": 1000, "due": "6d"})
    setups = build_problem(scenario_from_document(document)).problem.setups
    # anneal 475 -> 575 °C at 10 °C/min = 10 min; back at 5 °C/min = 20 min; others need none
    assert setups.time("AN", "si_ni", "hot") == 10
    assert setups.time("AN", "hot", "si_ni") == 20
    assert setups.time("PE", "si_ni", "hot") == 0


def test_the_twin_realises_a_schedule_no_later_than_planned(small_plant: dict[str, Any]) -> None:
    scenario = scenario_from_document(plant(small_plant))
    built = build_problem(scenario)
    objective = Lexicographic((Objective({"weighted_tardiness": 1}), Objective({"makespan": 1})))
    hint = dispatch(built.problem, "EDD", objective=objective)
    solution = solve(built.problem, objective, time_limit_s=10, hint=hint)
    assert solution.status == "OPTIMAL"
    assert violations(built.problem, solution) == []
    plan = to_plan(built, solution)
    result = simulate(
        scenario, RunOptions.of(scenario, plan=plan, replications=1, horizon_min=7 * 1440)
    )
    for order_id, planned in plan.planned_completion_min.items():
        realised = result.orders[order_id].completion_h
        assert realised is not None
        # the plan rounds each time up to a whole minute; the twin runs the exact times
        assert realised.mean * 60 <= planned + 1e-6
        assert realised.mean * 60 >= planned - 3 * len(
            built.problem.job[f"{order_id}/1"].operations
        )


def test_every_dispatching_rule_gives_a_feasible_plant_schedule(
    small_plant: dict[str, Any],
) -> None:
    built = build_problem(scenario_from_document(plant(small_plant)))
    for rule in ("FIFO", "EDD", "SPT", "ATCS"):
        solution = dispatch(built.problem, rule, objective="weighted_tardiness")
        assert solution.has_schedule
        assert violations(built.problem, solution) == []
        assert not math.isnan(solution.weighted_tardiness or 0.0)


def test_an_infeasible_problem_is_explained() -> None:
    from twin.schedule import Job, Machine, Operation, Problem
    from twin.schedule.explain import explain

    # M is free only in [0, 50) and [60, 100): a 70-unit operation fits in neither gap
    machine = Machine("M", unavailable=((50, 60), (100, 1000)))
    slow = Job("slow", (Operation("slow@0", "slow", {"M": 70}),))
    quick = Job("quick", (Operation("quick@0", "quick", {"M": 10}),))
    problem = Problem(machines=(machine,), jobs=(slow, quick), horizon=1000)
    assert solve(problem, "makespan", time_limit_s=5).status == "INFEASIBLE"
    (message,) = explain(problem)
    assert message.startswith("job 'slow': operation 'slow@0' needs 70 time units")

    # A (30 units) then B (5 units) with at most 5 units between them; A is down from 960,
    # B from 20 to 1000: A ends by 960 at the latest and B starts at 1000 at the earliest
    a, b = Machine("A", unavailable=((960, 2000),)), Machine("B", unavailable=((20, 1000),))
    job = Job(
        "lagged",
        (Operation("l@0", "lagged", {"A": 30}), Operation("l@1", "lagged", {"B": 5})),
        max_lag=(5,),
    )
    (message,) = explain(Problem(machines=(a, b), jobs=(job,), horizon=2000))
    # without the wait limit B simply runs at 1000; with it, no placement works
    assert message == (
        "job 'lagged': its maximum waits between steps (5 time units) cannot be met together "
        "with its machines' unavailable windows"
    )


def test_a_store_never_holds_more_than_its_capacity() -> None:
    from twin.schedule import Job, Machine, Operation, Problem, Store

    # three jobs, M1 (10) then M2 (30). Unconstrained, M1 runs 0–10, 10–20, 20–30 and M2
    # 10–40, 40–70, 70–100: jobs 2 and 3 would both wait in the store during [30, 40).
    # With room for one, job 3 may not leave M1 before job 2 leaves the store at 40.
    jobs = tuple(
        Job(f"J{i}", (Operation(f"J{i}@0", f"J{i}", {"M1": 10}),
                      Operation(f"J{i}@1", f"J{i}", {"M2": 30})))
        for i in (1, 2, 3)
    )  # fmt: skip
    store = Store("S", 1, tuple((job.id, 0) for job in jobs))
    problem = Problem(machines=(Machine("M1"), Machine("M2")), jobs=jobs, stores=(store,))
    solution = solve(problem, "makespan", time_limit_s=10)
    assert solution.status == "OPTIMAL"
    assert solution.makespan == 100  # M2 is busy 10–100 either way
    assert violations(problem, solution) == []
    # and the checker sees the over-full store in the unconstrained schedule
    from twin.schedule import Objective
    from twin.schedule.solution import build_solution

    crowded = build_solution(
        problem,
        {"M1": [("J1@0", 0), ("J2@0", 10), ("J3@0", 20)],
         "M2": [("J1@1", 10), ("J2@1", 40), ("J3@1", 70)]},
        status="FEASIBLE",
        method="hand",
        objective=Objective({"makespan": 1}),
    )  # fmt: skip
    assert violations(problem, crowded) == ["store S: 2 jobs wait at 30 > 1"]


def test_the_plants_roll_stores_are_in_the_problem(small_plant: dict[str, Any]) -> None:
    problem = build_problem(scenario_from_document(plant(small_plant))).problem
    stores = {store.id: store for store in problem.stores}
    # every roll waits in S1 after its first step (OX) and in S2 after its second (PE)
    assert stores["S1"].capacity == 50 and len(stores["S1"].waits) == 5
    assert sorted(stores["S2"].waits)[0] == ("O1/1", 1)


def test_chamber_cleans_are_usage_limits_the_schedule_respects() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    problem = build_problem(scenario).problem
    machine = problem.machine["OX1+PC1+AL1+AN1"]
    clean = next(u for u in machine.usage_limits if u.counter == "PC1.wall_deposit_um_m")
    # baseline PC1: clean after 80,000 µm·m of wall deposit, 8 h; counters in thousandths
    assert (clean.limit, clean.duration) == (80_000_000, 480)
    # a full NiSi-A3 roll deposits (4 µm Si + 15 nm SiNx cap) × 1500 m = 6022.5 µm·m on PC1
    first = problem.job["SO-A3-01/1"].operations[0]
    assert first.usage["PC1.wall_deposit_um_m"] == 6_022_500
    solution = dispatch(problem, "EDD", objective="weighted_tardiness")
    assert violations(problem, solution) == []
    # The rule cleans as late as the limit allows: between cleans the deposit stays within
    # 80,000 µm·m, and the roll before which it cleans would have passed it.
    deposit, cleans = 0, 0
    for step in solution.machines[machine.id]:
        usage = problem.operations[step.operation].usage.get(clean.counter, 0)
        if clean.counter in step.maintenance_before:
            assert deposit + usage > clean.limit
            deposit, cleans = 0, cleans + 1
        deposit += usage
        assert deposit <= clean.limit
    total = sum(
        problem.operations[s.operation].usage.get(clean.counter, 0)
        for s in solution.machines[machine.id]
    )
    assert cleans >= math.ceil(total / clean.limit) - 1 > 0


# ------------------------------------------------------------------ the line is chosen
def two_lines(small_plant: dict[str, Any]) -> dict[str, Any]:
    """Line A as in the small plant; line B the same but for a PECVD of one slow source.

    A roll of si_ni (1000 m) takes 525 min on OX, 424 on PE, 359 on AN on line A; on line B
    the PECVD runs at 1000 nm·m/min / 4 µm = 0.25 m/min, so PE alone takes 4000 min and more.
    """
    document = plant(small_plant)
    line_b = copy.deepcopy(document["lines"][0])
    line_b["id"] = "B"
    for station in line_b["stations"]:
        station["id"] += "b"
    line_b["stations"][1]["equipment"].update(sources=1, dynamic_rate_nm_m_min=1000)
    for buffer in line_b["buffers"]:
        buffer["id"] += "b"
        buffer["between"] = [s + "b" for s in buffer["between"]]
    document["lines"].append(line_b)
    for order in document["orders"]:
        order["line"] = "A"  # line A carries the existing orders: it is the busier line
    document["orders"].append(
        {"id": "Z", "product": "si_ni", "length_m": 1000, "due": "2d", "weight": 5}
    )
    return document


def test_the_optimiser_chooses_the_faster_busier_line(small_plant: dict[str, Any]) -> None:
    # Line A already carries O1 and O2 (five rolls, 525 min each on OX); B carries nothing, so
    # the least-loaded rule of old sent Z there: 525 + 4000 + 359 > 4800 min, late past its due
    # at 2880 (weight 5). On A, Z run first ends at 525 + 424 + 359 = 1308 and O1's rolls are
    # still on time (due 5 d): CP-SAT puts Z on A with no tardiness at all.
    from twin.schedule.plant import schedule_plant

    scenario = scenario_from_document(two_lines(small_plant))
    built = build_problem(scenario)
    (choice,) = built.problem.choices
    assert choice.options == (("Z/1@A",), ("Z/1@B",))
    result = schedule_plant(scenario, "tardiness", time_limit_s=10)
    assert violations(built.problem, result.solution) == []
    assert result.plan is not None and result.plan.line["Z/1"] == "A"
    assert result.solution.weighted_tardiness == 0
    # Started from a schedule with Z on the slow line, CP-SAT moves it.
    on_b = restrict(built.problem, [j.id for j in built.problem.jobs if j.id != "Z/1@A"])
    assert on_b.choices == ()
    slow = dispatch(on_b, "EDD", objective="weighted_tardiness")
    assert slow.jobs["Z/1@B"].tardiness > 1900  # 4884 - 2880 with the calendar-free line
    moved = solve(built.problem, "weighted_tardiness", time_limit_s=10, hint=slow.placements())
    assert violations(built.problem, moved) == []
    assert "Z/1@A" in moved.jobs and "Z/1@B" not in moved.jobs
    assert moved.weighted_tardiness == 0


def test_an_order_book_nobody_can_meet_gets_the_best_schedule_and_why(
    small_plant: dict[str, Any],
) -> None:
    # Every order due at its release: none can be on time, whatever the schedule. The result is
    # still a schedule (never none), and each late order's sentence says it cannot be on time:
    # O1's three rolls need 3 x 525 min on OX and its last one 424 + 359 after: 2358 min, 39.3 h,
    # which the schedule reaches.
    from twin.schedule.plant import schedule_plant

    document = plant(small_plant)
    for order in document["orders"]:
        order["due"] = order.get("release", 0)
    scenario = scenario_from_document(document)
    result = schedule_plant(scenario, time_limit_s=5)
    assert result.solution.has_schedule and result.plan is not None
    assert violations(result.plant.problem, result.solution) == []
    assert result.explanation and all("cannot be on time" in s for s in result.explanation)
    (o1,) = [s for s in result.explanation if s.startswith("order O1 ")]
    # the moment reads as a date (or day and time, without a start); the lateness in hours
    assert f"cannot be complete before {moment(scenario.start, 2358)}" in o1
    assert o1.endswith("it is 39.3 h late")


def test_a_book_of_too_many_rolls_is_refused_at_once() -> None:
    # 40 m rolls make the baseline's 190,900 m into about 4,800 roll jobs (the scenario itself
    # refuses more than 100,000 rolls): refused before anything is built, saying how many and
    # the limit.
    import time

    from twin.schedule.plant import MAX_ROLL_JOBS, ScheduleTooLarge

    document = load_scenario(ROOT / "scenarios" / "baseline.yaml").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    document["roll_length_m"] = 40
    scenario = scenario_from_document(document)
    began = time.perf_counter()
    with pytest.raises(ScheduleTooLarge, match=f"at most {MAX_ROLL_JOBS:,}"):
        build_problem(scenario)
    assert time.perf_counter() - began < 1.0
