"""Problem data for a plant already running: machines busy until a time, set up for a family,
with counters part used; frozen operations; store places taken; deadlines; choices of jobs.

Each case is small enough to work out by hand in its comment; CP-SAT and every dispatching rule
must keep to it, and the checker must catch a schedule that does not.
"""

from __future__ import annotations

import pytest

from twin.schedule import (
    RULES,
    Job,
    Machine,
    Objective,
    Operation,
    Problem,
    SetupTimes,
    Solution,
    Store,
    UsageLimit,
    dispatch,
    solve,
    violations,
)
from twin.schedule.problem import Choice, Frozen
from twin.schedule.solution import build_solution

LIMIT_S = 10.0


def op(job: str, k: int, machines: dict[str, int], family: str | None = None) -> Operation:
    return Operation(f"{job}.{k}", job, machines, setup_family=family)


def single(job: str, machine: str, p: int, **kwargs: object) -> Job:
    family = kwargs.pop("family", None)
    return Job(job, (op(job, 0, {machine: p}, family),), **kwargs)  # type: ignore[arg-type]


def valid(problem: Problem, solution: Solution) -> Solution:
    assert solution.has_schedule, solution.message
    assert violations(problem, solution) == []
    return solution


def schedules(problem: Problem, objective: str = "makespan") -> list[Solution]:
    """CP-SAT's schedule and every rule's, each checked."""
    found = [solve(problem, objective, time_limit_s=LIMIT_S)]
    found += [dispatch(problem, rule, objective=objective) for rule in RULES]
    return [valid(problem, s) for s in found]


def test_a_machine_busy_until_a_time_starts_nothing_before() -> None:
    # M is busy until 7 (finishing a roll): J1 (p 3) and J2 (p 2) run from 7, makespan 12.
    problem = Problem(
        (Machine("M", available_from=7),), (single("J1", "M", 3), single("J2", "M", 2))
    )
    assert problem.machine["M"].unavailable == ((0, 7),)
    for solution in schedules(problem):
        assert solution.makespan == 12
        assert min(step.start for step in solution.machines["M"]) == 7


def test_the_initial_family_sets_the_first_setup() -> None:
    # Setups on M: B->A 6, A->B 1, none->A 2 (none->B and same-family: 0). J1 is family A (p 4),
    # J2 family B (p 4). Set up for B: J2 J1 = 0 + 4 + 6 + 4 = 14, J1 J2 = 6 + 4 + 1 + 4 = 15,
    # so J2 first (14). Set up for nothing: J1 J2 = 2 + 4 + 1 + 4 = 11, J2 J1 = 4 + 6 + 4 = 14,
    # so J1 first (11).
    jobs = (single("J1", "M", 4, family="A"), single("J2", "M", 4, family="B"))
    setups = SetupTimes.uniform(["M"], {("B", "A"): 6, ("A", "B"): 1, (None, "A"): 2})
    for initial, makespan, first in (("B", 14, "J2"), (None, 11, "J1")):
        problem = Problem((Machine("M", initial_family=initial),), jobs, setups)
        solution = valid(problem, solve(problem, time_limit_s=LIMIT_S))
        assert (solution.status, solution.makespan) == ("OPTIMAL", makespan)
        assert solution.machines["M"][0].job == first


def test_a_counter_part_used_calls_for_maintenance_sooner() -> None:
    # A clean (5) must come before the counter passes 10; each job (p 3) adds 4. From 0 the
    # counter reads 4, 8, then 12 > 10: one clean, makespan 3 + 3 + 5 + 3 = 14. From 7 the first
    # job already passes (11): a clean before it, then 4, 8, 12: a second, makespan 9 + 10 = 19.
    def problem(level: int) -> Problem:
        limit = UsageLimit("deposit", limit=10, duration=5)
        machine = Machine("M", usage_limits=(limit,), initial_usage={"deposit": level})
        jobs = tuple(
            Job(j, (Operation(f"{j}.0", j, {"M": 3}, usage={"deposit": 4}),))
            for j in ("J1", "J2", "J3")
        )
        return Problem((machine,), jobs)

    for level, cleans, makespan in ((0, 1, 14), (7, 2, 19)):
        for solution in schedules(problem(level)):
            steps = solution.machines["M"]
            assert sum(bool(s.maintenance_before) for s in steps) == cleans
            assert solution.makespan == makespan
            assert bool(steps[0].maintenance_before) == (level == 7)
    with pytest.raises(ValueError, match="past its limit"):
        Machine("M", usage_limits=(UsageLimit("deposit", 10, 5),), initial_usage={"deposit": 11})


def test_frozen_operations_stay_where_they_are() -> None:
    # J1 (p 4) is frozen on M at 10; J2 (p 3) and J3 (p 3) are free. Unfrozen the makespan is 10
    # (back to back from 0); frozen, J2 and J3 fit before it ([0,3], [3,6]) and the makespan is
    # 14. The rules place frozen operations first, then the rest after them: 14 + 3 + 3 = 20.
    jobs = (single("J1", "M", 4), single("J2", "M", 3), single("J3", "M", 3))
    problem = Problem((Machine("M"),), jobs, frozen={"J1.0": Frozen("M", 10)})
    solution = valid(problem, solve(problem, time_limit_s=LIMIT_S))
    assert (solution.status, solution.makespan) == ("OPTIMAL", 14)
    assert solution.placements()["J1.0"] == ("M", 10)
    for rule in RULES:
        assert valid(problem, dispatch(problem, rule)).makespan == 20
    moved = build_solution(
        problem,
        {"M": [("J1.0", 0), ("J2.0", 4), ("J3.0", 7)]},
        status="FEASIBLE",
        method="hand",
        objective=Objective({"makespan": 1}),
    )
    assert violations(problem, moved) == ["frozen operation J1.0: runs on M at 0, not on M at 10"]


def test_a_frozen_operation_keeps_its_machine_among_parallel_units() -> None:
    # J1 may run on U1 or U2 (p 5) and is frozen on U2 at 0; J2 (p 5, U1 only) then also starts
    # at 0: makespan 5. Were J1 free to pick U1, nothing would change, but it must stay on U2.
    jobs = (Job("J1", (op("J1", 0, {"U1": 5, "U2": 5}),)), single("J2", "U1", 5))
    problem = Problem((Machine("U1"), Machine("U2")), jobs, frozen={"J1.0": Frozen("U2", 0)})
    for solution in schedules(problem):
        assert solution.placements()["J1.0"] == ("U2", 0)
        assert solution.makespan == 5
    with pytest.raises(ValueError, match="not eligible"):
        Problem((Machine("U1"), Machine("U2")), jobs, frozen={"J2.0": Frozen("U2", 0)})


def test_a_store_place_taken_holds_back_the_next_job() -> None:
    # J1: a on M1 (2) then b on M2 (2); M2 is busy until 12, so the roll waits in the store
    # (capacity 1) from a's end until 12. A roll outside the problem takes the store's place in
    # [0, 10): a may end at 10 at the earliest, so it starts at 8 or later (b: [12, 14]).
    # Without the taken place a may run at once.
    job = Job("J1", (op("J1", 0, {"M1": 2}), op("J1", 1, {"M2": 2})))
    machines = (Machine("M1"), Machine("M2", available_from=12))
    for occupied, earliest in (((0, 10),), 8), ((), 0):
        store = Store("S", 1, (("J1", 0),), occupied=occupied)
        problem = Problem(machines, (job,), stores=(store,))
        for solution in schedules(problem):
            assert solution.makespan == 14
            assert solution.placements()["J1.0"][1] >= earliest
        if occupied:
            early = build_solution(
                problem,
                {"M1": [("J1.0", 0)], "M2": [("J1.1", 12)]},
                status="FEASIBLE",
                method="hand",
                objective=Objective({"makespan": 1}),
            )
            assert violations(problem, early) == ["store S: 2 jobs wait at 2 > 1"]


def test_a_deadline_is_kept_or_the_problem_has_no_schedule() -> None:
    # J1 (p 4, due 4, weight 1) and J2 (p 4, due 8, weight 5) on M. Weighted tardiness alone
    # puts J1 first (0 late). J2's deadline of 4 forces J2 first: J1 ends at 8, 4 late.
    # A deadline of 3 cannot be met at all.
    def problem(deadline: int) -> Problem:
        return Problem(
            (Machine("M"),),
            (single("J1", "M", 4, due=4), single("J2", "M", 4, due=8, weight=5, deadline=deadline)),
        )

    free = valid(problem(8), solve(problem(8), "weighted_tardiness", time_limit_s=LIMIT_S))
    assert free.weighted_tardiness == 0
    forced = valid(problem(4), solve(problem(4), "weighted_tardiness", time_limit_s=LIMIT_S))
    assert (forced.status, forced.weighted_tardiness) == ("OPTIMAL", 4)
    assert solve(problem(3), time_limit_s=LIMIT_S).status == "INFEASIBLE"


def test_a_choice_runs_exactly_one_option() -> None:
    # Order X is one job on line A (M_A, p 10) or on line B (M_B, p 4); line B also carries Y
    # (p 8). On A: makespan max(10, 8) = 10; on B: 8 + 4 = 12. So A is the better line, though B
    # is faster for X.
    x_a, x_b = single("X@A", "MA", 10), single("X@B", "MB", 4)
    problem = Problem(
        (Machine("MA"), Machine("MB")),
        (x_a, x_b, single("Y", "MB", 8)),
        choices=(Choice("X", (("X@A",), ("X@B",))),),
    )
    solution = valid(problem, solve(problem, time_limit_s=LIMIT_S))
    assert (solution.status, solution.makespan) == ("OPTIMAL", 10)
    assert set(solution.jobs) == {"X@A", "Y"}
    both = build_solution(
        problem,
        {"MA": [("X@A.0", 0)], "MB": [("Y.0", 0), ("X@B.0", 8)]},
        status="FEASIBLE",
        method="hand",
        objective=Objective({"makespan": 1}),
    )
    assert "choice X: runs 2 of its options, not one" in violations(problem, both)
    for rule in RULES:
        assert valid(problem, dispatch(problem, rule)).makespan in (10, 12)


def test_a_complete_schedule_hints_every_variable() -> None:
    # The hint of a whole schedule covers every variable of the model (CP-SAT then takes it as
    # its first solution at once), and fixing them all leaves exactly that schedule: here with a
    # choice, a frozen operation, a taken store place, a usage limit and parallel units.
    from ortools.sat.python import cp_model

    from twin.schedule.model import build_model

    clean = UsageLimit("deposit", limit=8, duration=2)
    machines = (Machine("A"), Machine("U1", usage_limits=(clean,)), Machine("U2"))
    jobs = []
    for j in range(4):
        first = op(f"J{j}", 0, {"A": 2 + j}, "x" if j % 2 else "y")
        second = Operation(f"J{j}.1", f"J{j}", {"U1": 3, "U2": 4}, usage={"deposit": 3})
        jobs.append(Job(f"J{j}", (first, second), due=10, weight=1.0))
    jobs.append(Job("K", (op("K", 0, {"U2": 2}),), due=5))
    problem = Problem(
        machines,
        tuple(jobs),
        SetupTimes.uniform(["A"], {("x", "y"): 1}),
        stores=(Store("S", 2, tuple((f"J{j}", 0) for j in range(4)), occupied=((0, 3),)),),
        frozen={"J0.0": Frozen("A", 0)},
        choices=(Choice("JK", (("J3",), ("K",))),),
    )
    start = dispatch(problem, "EDD", objective="weighted_tardiness")
    valid(problem, start)
    built = build_model(problem, ["weighted_tardiness", "makespan"])
    built.add_hint(start.placements(), start.maintenance())
    proto = built.model.proto
    assert sorted(proto.solution_hint.vars) == list(range(len(proto.variables)))
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    assert solver.solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assert built.sequences(solver) == {
        m: [(s.operation, s.start) for s in steps] for m, steps in start.machines.items()
    }
