"""Usage-based maintenance in schedules (a chamber clean after a wall deposit), by hand.

A machine with a usage limit may run operations until their usage adds up to the limit; its
maintenance then takes its duration, before the next operation's setup, and resets the counter.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from twin.schedule import (
    RULES,
    Job,
    Machine,
    Objective,
    Operation,
    Problem,
    Solution,
    UsageLimit,
    dispatch,
    explain,
    solve,
    violations,
)
from twin.schedule.solution import build_solution

MAKESPAN = Objective({"makespan": 1.0})
CLEAN = UsageLimit(counter="deposit", limit=10, duration=5, name="chamber clean")


def rolls(count: int, duration: int, usage: int, machines: tuple[str, ...] = ("M",)) -> list[Job]:
    """``count`` one-step jobs, each adding ``usage`` to the deposit."""
    return [
        Job(
            f"J{i}",
            (
                Operation(
                    f"J{i}.0", f"J{i}", dict.fromkeys(machines, duration), usage={"deposit": usage}
                ),
            ),
        )
        for i in range(count)
    ]


def cleans(solution: Solution) -> dict[str, tuple[str, ...]]:
    return solution.maintenance()


def assert_valid(problem: Problem, solution: Solution) -> None:
    assert solution.has_schedule, solution.message
    assert violations(problem, solution) == []


def test_a_clean_runs_before_the_operation_that_would_pass_the_limit() -> None:
    # Usage 4 per roll, limit 10: two rolls reach 8, a third would reach 12, so a 5-minute clean
    # runs before it. Makespan 4 + 4 + 5 + 4 = 17 whatever the order; both solvers reach it.
    problem = Problem((Machine("M", usage_limits=(CLEAN,)),), tuple(rolls(3, 4, 4)))
    for solution in (solve(problem, "makespan", time_limit_s=10), dispatch(problem, "FIFO")):
        assert_valid(problem, solution)
        assert solution.makespan == 17
        (cleaned,) = cleans(solution).values()
        assert cleaned == ("deposit",)
        third = solution.machines["M"][2]
        assert list(cleans(solution)) == [third.operation]
    assert solve(problem, "makespan", time_limit_s=10).status == "OPTIMAL"


def test_a_clean_waits_out_an_unavailable_window() -> None:
    # As above with the machine off in [8, 12): the clean cannot start at 8, so it runs 12–17 and
    # the third roll 17–21 (cleaning earlier helps nothing: the counter starts at zero).
    problem = Problem((Machine("M", ((8, 12),), (CLEAN,)),), tuple(rolls(3, 4, 4)))
    solution = solve(problem, "makespan", time_limit_s=10)
    assert_valid(problem, solution)
    assert (solution.status, solution.makespan) == ("OPTIMAL", 21)
    assert solution.machines["M"][2].start == 17


def test_every_roll_after_the_first_needs_a_clean_when_two_pass_the_limit() -> None:
    # Usage 6, limit 10: no two rolls fit between cleans. 4 + (5 + 4) + (5 + 4) = 22.
    problem = Problem((Machine("M", usage_limits=(CLEAN,)),), tuple(rolls(3, 4, 6)))
    solution = solve(problem, "makespan", time_limit_s=10)
    assert_valid(problem, solution)
    assert (solution.status, solution.makespan) == ("OPTIMAL", 22)
    assert len(cleans(solution)) == 2


def test_parallel_machines_spread_the_deposit_instead_of_cleaning() -> None:
    # Four rolls of usage 4 on two coaters: two each (8 <= 10) needs no clean. Makespan 8.
    problem = Problem(
        (Machine("A", usage_limits=(CLEAN,)), Machine("B", usage_limits=(CLEAN,))),
        tuple(rolls(4, 4, 4, ("A", "B"))),
    )
    solution = solve(problem, "makespan", time_limit_s=10)
    assert_valid(problem, solution)
    assert (solution.makespan, cleans(solution)) == (8, {})


def test_solver_keeps_no_needless_clean() -> None:
    # Minimising weighted tardiness leaves idle time in which CP-SAT could clean at will; the
    # schedule it returns keeps only the clean the limit calls for.
    jobs = [
        Job(job.id, job.operations, release=10 * i, due=10 * i + 4)
        for i, job in enumerate(rolls(3, 4, 4))
    ]
    problem = Problem((Machine("M", usage_limits=(CLEAN,)),), tuple(jobs))
    solution = solve(problem, "weighted_tardiness", time_limit_s=10)
    assert_valid(problem, solution)
    assert solution.weighted_tardiness == 0
    assert list(cleans(solution).values()) == [("deposit",)]


def test_checker_catches_an_overrun_and_a_clean_without_room() -> None:
    problem = Problem((Machine("M", usage_limits=(CLEAN,)),), tuple(rolls(3, 4, 4)))
    back_to_back = {"M": [("J0.0", 0), ("J1.0", 4), ("J2.0", 8)]}
    overrun = build_solution(
        problem, back_to_back, status="FEASIBLE", method="test", objective=MAKESPAN
    )
    assert any("reaches 12, past its limit" in v for v in violations(problem, overrun))
    no_room = build_solution(
        problem,
        back_to_back,
        maintenance={"J2.0": ("deposit",)},
        status="FEASIBLE",
        method="test",
        objective=MAKESPAN,
    )
    assert any("maintenance 5 from 3 overlaps" in v for v in violations(problem, no_room))


def test_an_operation_that_alone_passes_the_limit_is_explained() -> None:
    problem = Problem((Machine("M", usage_limits=(CLEAN,)),), tuple(rolls(1, 4, 11)))
    assert solve(problem, "makespan", time_limit_s=5).status == "INFEASIBLE"
    failed = dispatch(problem, "EDD")
    assert not failed.has_schedule and "past its limit" in failed.message
    (message,) = explain(problem)
    assert "J0.0" in message and "11 to deposit on M (limit 10)" in message


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    limit=st.integers(5, 30),
    duration=st.integers(0, 8),
)
def test_schedules_never_pass_a_limit_without_maintenance(
    seed: int, limit: int, duration: int
) -> None:
    # Random two-step shops whose first machines have usage limits: every dispatching rule and
    # CP-SAT give schedules the independent checker accepts (counters, clean times, windows).
    rng = random.Random(seed)
    clean = UsageLimit("c", limit, duration)
    machines = (
        Machine("A", ((20, 26),), (clean,)),
        Machine("B", (), (clean,)),
        Machine("C", ((30, 33),)),
    )
    jobs = []
    for j in range(5):
        first = Operation(
            f"J{j}.0",
            f"J{j}",
            {m: rng.randint(1, 6) for m in rng.sample(["A", "B"], rng.randint(1, 2))},
            usage={"c": rng.randint(0, limit)},
        )
        second = Operation(f"J{j}.1", f"J{j}", {"C": rng.randint(1, 5)})
        jobs.append(
            Job(f"J{j}", (first, second), release=rng.randint(0, 10), due=rng.randint(10, 40))
        )
    problem = Problem(machines, tuple(jobs))
    for rule in RULES:
        assert_valid(problem, dispatch(problem, rule, objective="weighted_tardiness"))
    solution = solve(
        problem, "weighted_tardiness", time_limit_s=2, workers=1, hint=dispatch(problem, "ATCS")
    )
    assert_valid(problem, solution)
