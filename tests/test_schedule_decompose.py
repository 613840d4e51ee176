"""Decomposition: independent parts, neighbourhoods of a schedule, and the window search.

The properties pinned here do not depend on how well a search does: a neighbourhood's starting
point is the schedule's own stretch (a valid schedule of the sub-problem that merges back to the
same schedule), whatever the sub-problem's solver returns merges into a valid schedule no worse
than before, and the window search only ever returns valid schedules no worse than its start.
"""

from __future__ import annotations

import importlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.schedule import (
    Job,
    Lexicographic,
    Machine,
    Objective,
    Operation,
    Problem,
    SetupTimes,
    Solution,
    Store,
    UsageLimit,
    best_dispatch,
    lns,
    solve,
    violations,
)
from twin.schedule.decompose import components, neighbourhood, restrict
from twin.schedule.problem import Choice
from twin.schedule.solution import build_solution, sequences_of_solution


def line_problem(seed: int, jobs: int = 16) -> Problem:
    """A two-stage line with parallel units, setups, windows, a store, lags and a usage limit."""
    rng = random.Random(seed)
    clean = UsageLimit("deposit", limit=20, duration=6)
    machines = (
        Machine("A", unavailable=((40, 50),)),
        Machine("B1", usage_limits=(clean,)),
        Machine("B2", usage_limits=(clean,)),
    )
    setups = SetupTimes.uniform(["A", "B1", "B2"], {("x", "y"): 3, ("y", "x"): 5})
    made = []
    for j in range(jobs):
        family = rng.choice("xy")
        first = Operation(f"J{j}.0", f"J{j}", {"A": rng.randint(2, 6)}, setup_family=family)
        p = rng.randint(4, 9)
        second = Operation(
            f"J{j}.1", f"J{j}", {"B1": p, "B2": p}, setup_family=family, usage={"deposit": 7}
        )
        release = rng.randint(0, 30)
        made.append(
            Job(
                f"J{j}",
                (first, second),
                release=release,
                due=release + rng.randint(10, 40),
                weight=rng.choice([1.0, 2.0]),
                max_lag=(rng.choice([None, 30]),),
            )
        )
    store = Store("S", 3, tuple((f"J{j}", 0) for j in range(jobs)))
    return Problem(machines, tuple(made), setups, stores=(store,))


def test_independent_lines_are_separate_parts_unless_a_choice_joins_them() -> None:
    a = Job("a", (Operation("a.0", "a", {"M1": 3}),))
    b = Job("b", (Operation("b.0", "b", {"M2": 3}),))
    b_on_1 = Job("b1", (Operation("b1.0", "b1", {"M1": 1}),))
    apart = Problem((Machine("M1"), Machine("M2")), (a, b))
    assert sorted(map(sorted, components(apart))) == [["a"], ["b"]]
    joined = Problem(
        (Machine("M1"), Machine("M2")),
        (a, b, b_on_1),
        choices=(Choice("b", (("b",), ("b1",))),),
    )
    assert components(joined) == [["a", "b", "b1"]]
    part = restrict(apart, ["b"])
    assert [m.id for m in part.machines] == ["M2"] and [j.id for j in part.jobs] == ["b"]


def test_parts_are_solved_one_by_one_to_the_same_optimum() -> None:
    # Two copies of a 3-job weighted tardiness problem on separate machines: J1 (4, due 4, w 1),
    # J2 (2, due 3, w 3), J3 (3, due 9, w 1) have the optimum 2 each (see test_schedule_core),
    # so the whole has 4; the makespan of the last stage is 9 on both.
    def copy(tag: str) -> list[Job]:
        spec = {"J1": (4, 4, 1.0), "J2": (2, 3, 3.0), "J3": (3, 9, 1.0)}
        return [
            Job(
                f"{j}{tag}",
                (Operation(f"{j}{tag}.0", f"{j}{tag}", {f"M{tag}": p}),),
                due=d,
                weight=w,
            )
            for j, (p, d, w) in spec.items()
        ]

    problem = Problem((Machine("Ma"), Machine("Mb")), (*copy("a"), *copy("b")))
    solution = solve(problem, Lexicographic(("weighted_tardiness", "makespan")), time_limit_s=10)
    assert violations(problem, solution) == []
    assert (solution.status, solution.weighted_tardiness, solution.makespan) == ("OPTIMAL", 4, 9)
    assert solution.label == "CP-SAT optimal; 2 independent parts"
    assert [stage.value for stage in solution.stages] == [4.0, 9.0]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), chosen=st.sets(st.integers(0, 15), min_size=1, max_size=8))
def test_a_neighbourhood_starts_from_the_schedules_own_stretch(seed: int, chosen: set[int]) -> None:
    problem = line_problem(seed % 5)
    schedule = best_dispatch(problem, "weighted_tardiness")
    assert violations(problem, schedule) == []
    sub = neighbourhood(problem, schedule, [f"J{j}" for j in chosen])
    assert violations(sub.problem, sub.hint) == []
    merged = sub.merge(schedule, sub.hint)
    assert merged == schedule.machines


@pytest.mark.parametrize("seed", range(3))
def test_a_solved_neighbourhood_merges_into_a_valid_schedule_no_worse(seed: int) -> None:
    problem = line_problem(seed)
    schedule = best_dispatch(problem, "weighted_tardiness")
    free = [f"J{j}" for j in range(4, 10)]
    sub = neighbourhood(problem, schedule, free)
    solved = solve(sub.problem, "weighted_tardiness", time_limit_s=2, hint=sub.hint)
    assert violations(sub.problem, solved) == []
    machines = sub.merge(schedule, solved)
    merged = build_solution(
        problem,
        {m: [(s.operation, s.start) for s in steps] for m, steps in machines.items()},
        maintenance={s.operation: s.maintenance_before for steps in machines.values()
                     for s in steps if s.maintenance_before},
        status="FEASIBLE",
        method="merged",
        objective=schedule_objective(),
    )  # fmt: skip
    assert violations(problem, merged) == []
    assert (merged.weighted_tardiness or 0) <= (schedule.weighted_tardiness or 0)


def schedule_objective() -> Objective:
    return Objective({"weighted_tardiness": 1})


def test_the_window_search_returns_valid_schedules_no_worse_than_its_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Forced onto the window path (as for a book too large for one model) with windows of 5
    # jobs on a 24-job line: the result is valid, no worse than the best rule, labelled so.
    monkeypatch.setattr(importlib.import_module("twin.schedule.solve"), "LNS_ARCS", 0)
    monkeypatch.setattr(lns, "WINDOW_JOBS", 5)
    problem = line_problem(7, jobs=24)
    start = best_dispatch(problem, "weighted_tardiness")
    solution = solve(problem, "weighted_tardiness", time_limit_s=4, hint=start)
    assert violations(problem, solution) == []
    assert (solution.weighted_tardiness or 0) <= (start.weighted_tardiness or 0)
    assert solution.method == "cp-sat+lns"
    assert "LNS over" in solution.label and "bound from each job alone" in solution.label
    assert solution.bound is not None and solution.bound <= (solution.weighted_tardiness or 0)


def test_sequences_round_trip() -> None:
    problem = line_problem(1)
    schedule: Solution = best_dispatch(problem, "weighted_tardiness")
    again = build_solution(
        problem,
        sequences_of_solution(schedule),
        maintenance=schedule.maintenance(),
        status="FEASIBLE",
        method=schedule.method,
        objective=schedule_objective(),
    )
    assert again.machines == schedule.machines
