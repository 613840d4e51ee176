"""The scheduling core on small problems whose optima are worked out by hand in the comments."""

from __future__ import annotations

import random

import pytest
from ortools.sat.python import cp_model

from twin.schedule import (
    RULES,
    Job,
    Lexicographic,
    Machine,
    Objective,
    Operation,
    Problem,
    SetupTimes,
    Solution,
    best_dispatch,
    dispatch,
    solve,
    violations,
)
from twin.schedule.model import build_model

TIME_LIMIT_S = 10.0


def single(job: str, machine: str, duration: int, family: str | None = None) -> Operation:
    """The one operation of ``job``, on ``machine`` only."""
    return Operation(id=f"{job}.0", job=job, eligible={machine: duration}, setup_family=family)


def one_machine_jobs(
    spec: dict[str, tuple[int, int | None, float, str | None]],
    releases: dict[str, int] | None = None,
) -> tuple[Job, ...]:
    """Single-operation jobs on machine M: ``{job: (duration, due, weight, family)}``."""
    releases = releases or {}
    return tuple(
        Job(
            id=job,
            operations=(single(job, "M", duration, family),),
            release=releases.get(job, 0),
            due=due,
            weight=weight,
        )
        for job, (duration, due, weight, family) in spec.items()
    )


def sequence(solution: Solution, machine: str) -> list[str]:
    """The jobs in the order ``machine`` runs them."""
    return [step.job for step in solution.machines[machine]]


def assert_valid(problem: Problem, solution: Solution) -> None:
    """The solution is a schedule and breaks no rule of the problem."""
    assert solution.has_schedule, solution.message
    assert violations(problem, solution) == []


# ----------------------------------------------------------------------------------- setups
def setup_problem() -> Problem:
    """One machine, three jobs of 5 each, families A, B, A; setups A->B 2, B->A 20, others 0."""
    jobs = one_machine_jobs(
        {"J1": (5, None, 1, "A"), "J2": (5, None, 1, "B"), "J3": (5, None, 1, "A")}
    )
    setups = SetupTimes.uniform(["M"], {("A", "B"): 2, ("B", "A"): 20})
    return Problem(machines=(Machine("M"),), jobs=jobs, setups=setups)


def test_sequence_dependent_setups_group_families_in_the_cheap_direction() -> None:
    # Orders by family: A A B = 5+5+2+5 = 17 (setup 2); A B A = 5+2+5+20+5 = 37;
    # B A A = 5+20+5+5 = 35. The optimum runs both A jobs first, then B: makespan 17, setup 2.
    problem = setup_problem()
    solution = solve(problem, "makespan", time_limit_s=TIME_LIMIT_S)
    assert_valid(problem, solution)
    assert solution.status == "OPTIMAL"
    assert solution.makespan == 17
    assert solution.total_setup == 2
    assert sequence(solution, "M")[-1] == "J2"
    assert solution.machines["M"][-1].setup_before == 2


def test_initial_setup_counts_from_time_zero() -> None:
    # With an initial setup of 4 into either family, every order pays it once: A A B = 4+17 = 21.
    base = setup_problem()
    setups = SetupTimes.uniform(
        ["M"], {("A", "B"): 2, ("B", "A"): 20, (None, "A"): 4, (None, "B"): 4}
    )
    problem = Problem(machines=base.machines, jobs=base.jobs, setups=setups)
    solution = solve(problem, time_limit_s=TIME_LIMIT_S)
    assert_valid(problem, solution)
    assert (solution.status, solution.makespan, solution.total_setup) == ("OPTIMAL", 21, 6)
    assert solution.machines["M"][0].start == 4


# ------------------------------------------------------------------ releases and tardiness
def test_weighted_tardiness_on_one_machine() -> None:
    # (p, d, w): J1 (4, 4, 1), J2 (2, 3, 3), J3 (3, 9, 1). The six orders give weighted tardiness
    # 123: 9, 132: 18, 213: 2, 231: 5, 312: 21, 321: 11, so the optimum is J2 J1 J3 with 2.
    jobs = one_machine_jobs({"J1": (4, 4, 1, None), "J2": (2, 3, 3, None), "J3": (3, 9, 1, None)})
    problem = Problem(machines=(Machine("M"),), jobs=jobs)
    solution = solve(problem, "weighted_tardiness", time_limit_s=TIME_LIMIT_S)
    assert_valid(problem, solution)
    assert (solution.status, solution.objective, solution.bound) == ("OPTIMAL", 2.0, 2.0)
    assert sequence(solution, "M") == ["J2", "J1", "J3"]
    assert solution.jobs["J1"].tardiness == 2


def test_release_date_makes_waiting_pay() -> None:
    # J1 (p 3, due 3, w 1) is there at 0; J2 (p 2, due 3, w 2) arrives at 1. Starting J1 at once
    # makes J2 late by 2 (cost 4); idling until 1 for J2 ([1, 3]) makes J1 late by 3 (cost 3).
    jobs = one_machine_jobs({"J1": (3, 3, 1, None), "J2": (2, 3, 2, None)}, releases={"J2": 1})
    problem = Problem(machines=(Machine("M"),), jobs=jobs)
    solution = solve(problem, "weighted_tardiness", time_limit_s=TIME_LIMIT_S)
    assert_valid(problem, solution)
    assert (solution.status, solution.objective) == ("OPTIMAL", 3.0)
    assert solution.machines["M"][0].start == 1


# ----------------------------------------------------------------------------------- windows
def test_unavailable_window_blocks_processing_and_setups() -> None:
    # M is off in [3, 10). J1 (p 4) cannot fit before 3. J2 (p 2, family A, initial setup 2)
    # needs [0, 4) for setup and processing, which also does not fit. So both run after 10: one
    # of J1 [10, 14] / J2 setup [14, 16], run [16, 18], or J2 setup [10, 12], run [12, 14] / J1
    # [14, 18]. Makespan 18. Without the setup J2 would fit before the window (makespan 14).
    jobs = one_machine_jobs({"J1": (4, None, 1, None), "J2": (2, None, 1, "A")})
    machines = (Machine("M", unavailable=((3, 10),)),)
    with_setup = Problem(machines, jobs, SetupTimes.uniform(["M"], {(None, "A"): 2}))
    solution = solve(with_setup, time_limit_s=TIME_LIMIT_S)
    assert_valid(with_setup, solution)
    assert (solution.status, solution.makespan) == ("OPTIMAL", 18)
    without_setup = Problem(machines, jobs)
    solution = solve(without_setup, time_limit_s=TIME_LIMIT_S)
    assert_valid(without_setup, solution)
    assert (solution.status, solution.makespan) == ("OPTIMAL", 14)


def test_overlapping_windows_are_merged() -> None:
    machine = Machine("M", unavailable=((5, 8), (0, 2), (7, 12), (12, 13)))
    assert machine.unavailable == ((0, 2), (5, 13))


# ------------------------------------------------------------------------- flexible machines
def test_flexible_operations_choose_machines() -> None:
    # Three one-operation jobs, each 4 on M1 or 6 on M2. All on M1: 12; two on M1 and one on M2:
    # max(8, 6) = 8; one on M1 and two on M2: 12. Optimum 8.
    jobs = tuple(
        Job(f"J{j}", (Operation(f"J{j}.0", f"J{j}", {"M1": 4, "M2": 6}),)) for j in range(3)
    )
    problem = Problem(machines=(Machine("M1"), Machine("M2")), jobs=jobs)
    solution = solve(problem, time_limit_s=TIME_LIMIT_S)
    assert_valid(problem, solution)
    assert (solution.status, solution.makespan) == ("OPTIMAL", 8)
    assert (len(solution.machines["M1"]), len(solution.machines["M2"])) == (2, 1)


# ---------------------------------------------------------------------------------- max lags
def lag_problem() -> Problem:
    """J1: a on M1 (3) then b on M2 (3), at most 1 apart; J2: c on M2 (5); J3: e on M1 (2)."""
    j1 = Job(
        "J1",
        (
            Operation("a", "J1", {"M1": 3}),
            Operation("b", "J1", {"M2": 3}),
        ),
        max_lag=(1,),
    )
    j2 = Job("J2", (Operation("c", "J2", {"M2": 5}),))
    j3 = Job("J3", (Operation("e", "J3", {"M1": 2}),))
    return Problem(machines=(Machine("M1"), Machine("M2")), jobs=(j1, j2, j3))


def test_max_lag_is_respected() -> None:
    # M2 carries 5 + 3 = 8, a lower bound. b after c starts at 5; the lag asks a to end by 4, so
    # M1 runs e [0, 2] then a [2, 5]: makespan 8 with b waiting 0. (a at [0, 3] would wait 2.)
    problem = lag_problem()
    solution = solve(problem, time_limit_s=TIME_LIMIT_S)
    assert_valid(problem, solution)
    assert (solution.status, solution.makespan) == ("OPTIMAL", 8)
    ends = {step.operation: step for seq in solution.machines.values() for step in seq}
    assert ends["b"].start - ends["a"].end <= 1


def test_max_lag_shorter_than_a_forced_setup_is_infeasible() -> None:
    # a (family A) and b (family B) run one after the other on M; the setup A->B of 5 must lie
    # between them, but the lag allows only 3.
    job = Job(
        "J",
        (
            Operation("a", "J", {"M": 2}, setup_family="A"),
            Operation("b", "J", {"M": 2}, setup_family="B"),
        ),
        max_lag=(3,),
    )
    problem = Problem((Machine("M"),), (job,), SetupTimes.uniform(["M"], {("A", "B"): 5}))
    solution = solve(problem, time_limit_s=TIME_LIMIT_S)
    assert solution.status == "INFEASIBLE"
    assert not solution.has_schedule and solution.makespan is None
    for rule in RULES:
        failed = dispatch(problem, rule)
        assert failed.status == "UNKNOWN"
        assert "maximum lags" in failed.message


def test_horizon_too_short_is_infeasible() -> None:
    jobs = one_machine_jobs({"J1": (4, None, 1, None), "J2": (4, None, 1, None)})
    problem = Problem((Machine("M"),), jobs, horizon=7)
    assert solve(problem, time_limit_s=TIME_LIMIT_S).status == "INFEASIBLE"
    assert dispatch(problem, "FIFO").status == "UNKNOWN"


# ------------------------------------------------------------------------------ permutation
def two_job_flow_shop(permutation: bool) -> Problem:
    """J0 = (1, 4, 4, 1) and J1 = (4, 1, 1, 4) on M0..M3 in that order."""
    rows = {"J0": (1, 4, 4, 1), "J1": (4, 1, 1, 4)}
    jobs = tuple(
        Job(job, tuple(Operation(f"{job}.{k}", job, {f"M{k}": p}) for k, p in enumerate(times)))
        for job, times in rows.items()
    )
    return Problem(tuple(Machine(f"M{k}") for k in range(4)), jobs, permutation=permutation)


def test_permutation_forces_one_job_order_on_all_machines() -> None:
    # Permutation: J0 then J1 ends at 14 (J1 on M3 [10, 14]); J1 then J0 ends at 14 too (J0 on
    # M3 [13, 14]). Free order: J0 first on M0, M1 and J1 first on M2, M3 gives 12
    # (J1: [1,5] [5,6] [6,7] [7,11]; J0: [0,1] [1,5] [7,11] [11,12]), and 12 is optimal: J0
    # must go first on M0 (else it ends at >= 4 + 10) and J1 first on M3 (else it ends at >= 14),
    # so J1 reaches M3 at >= 5 + 1 + 1 and ends at >= 11, and J0 follows it there: >= 12.
    permutation = two_job_flow_shop(permutation=True)
    solution = solve(permutation, time_limit_s=TIME_LIMIT_S)
    assert_valid(permutation, solution)
    assert (solution.status, solution.makespan) == ("OPTIMAL", 14)
    orders = {tuple(sequence(solution, m.id)) for m in permutation.machines}
    assert len(orders) == 1
    free = two_job_flow_shop(permutation=False)
    solution = solve(free, time_limit_s=TIME_LIMIT_S)
    assert_valid(free, solution)
    assert (solution.status, solution.makespan) == ("OPTIMAL", 12)
    assert violations(permutation, solution) != []  # the free optimum breaks the permutation


# ------------------------------------------------------------------------ mixed objectives
def conflict_problem() -> Problem:
    """One machine: J1 (A, p 2, due 2), J2 (B, p 2, due 4), J3 (A, p 2, due 100); A<->B 3."""
    jobs = one_machine_jobs({"J1": (2, 2, 1, "A"), "J2": (2, 4, 1, "B"), "J3": (2, 100, 1, "A")})
    setups = SetupTimes.uniform(["M"], {("A", "B"): 3, ("B", "A"): 3})
    return Problem((Machine("M"),), jobs, setups)


# (weighted tardiness, total setup) of the six orders of conflict_problem:
# 123: J1 [0,2], J2 [5,7] late 3, J3 [10,12] -> (3, 6)    132: J2 [7,9] late 5 -> (5, 3)
# 213: J1 [5,7] late 5 -> (5, 3)                           231: J1 [7,9] late 7 -> (7, 3)
# 312: J1 [2,4] late 2, J2 [7,9] late 5 -> (7, 3)          321: J2 late 3, J1 late 10 -> (13, 6)
@pytest.mark.parametrize(
    ("objective", "expected"),
    [
        (Lexicographic(("weighted_tardiness", "total_setup")), (3, 6)),
        (Lexicographic(("total_setup", "weighted_tardiness")), (5, 3)),
        # WT + setup: 9, 8, 8, 10, 10, 19 -> 8.
        (Objective({"weighted_tardiness": 1, "total_setup": 1}), (5, 3)),
        # WT + 0.5 setup: 6, 6.5, 6.5, 8.5, 8.5, 16 -> 6 (order 123).
        (Objective({"weighted_tardiness": 1, "total_setup": 0.5}), (3, 6)),
    ],
)
def test_lexicographic_and_weighted_objectives(
    objective: Lexicographic | Objective, expected: tuple[int, int]
) -> None:
    problem = conflict_problem()
    solution = solve(problem, objective, time_limit_s=TIME_LIMIT_S)
    assert_valid(problem, solution)
    assert solution.status == "OPTIMAL"
    assert (solution.weighted_tardiness, solution.total_setup) == expected
    # the top-level objective, bound and gap are the first criterion's
    first = objective.stages[0] if isinstance(objective, Lexicographic) else objective
    assert solution.objective == pytest.approx(first.value(solution.measures()))
    assert solution.bound == pytest.approx(solution.objective)


def test_lexicographic_stages_are_reported() -> None:
    problem = conflict_problem()
    objective = Lexicographic(("weighted_tardiness", "total_setup"))
    solution = solve(problem, objective, time_limit_s=TIME_LIMIT_S)
    assert [(s.objective, s.status, s.value) for s in solution.stages] == [
        ("weighted_tardiness", "OPTIMAL", 3.0),
        ("total_setup", "OPTIMAL", 6.0),
    ]


# ---------------------------------------------------------------------------- dispatching
def test_dispatching_rules_pick_in_their_order() -> None:
    # Jobs of test_weighted_tardiness_on_one_machine: (p, d, w) J1 (4, 4, 1), J2 (2, 3, 3),
    # J3 (3, 9, 1), all released at 0. FIFO keeps job order; EDD by due 3 < 4 < 9; SPT by
    # p 2 < 3 < 4. ATCS (k1 = 2, no setups) at t = 0, p̄ = 3: J1 1/4·e^0 = 0.25,
    # J2 3/2·e^(−1/6) = 1.27, J3 1/3·e^(−6/6) = 0.12 -> J2; at t = 2, p̄ = 3.5:
    # J1 1/4·e^0 = 0.25, J3 1/3·e^(−4/7) = 0.19 -> J1; then J3.
    jobs = one_machine_jobs({"J1": (4, 4, 1, None), "J2": (2, 3, 3, None), "J3": (3, 9, 1, None)})
    problem = Problem((Machine("M"),), jobs)
    expected = {
        "FIFO": ["J1", "J2", "J3"],
        "EDD": ["J2", "J1", "J3"],
        "SPT": ["J2", "J3", "J1"],
        "ATCS": ["J2", "J1", "J3"],
    }
    for rule in RULES:
        solution = dispatch(problem, rule, objective="weighted_tardiness")
        assert_valid(problem, solution)
        assert sequence(solution, "M") == expected[rule], rule
    best = best_dispatch(problem, "weighted_tardiness")
    assert best.weighted_tardiness == 2.0  # EDD and ATCS both find the optimum


def test_dispatch_respects_releases_setups_windows_and_lags() -> None:
    # Dispatching waits for J2's release, pays setups, skips the window and, for the lag, delays a.
    for problem in (setup_problem(), lag_problem(), two_job_flow_shop(permutation=True)):
        for rule in RULES:
            assert_valid(problem, dispatch(problem, rule))
    jobs = one_machine_jobs({"J1": (4, None, 1, None), "J2": (2, None, 1, "A")}, {"J2": 1})
    windows = Problem(
        (Machine("M", unavailable=((3, 10),)),),
        jobs,
        SetupTimes.uniform(["M"], {(None, "A"): 2}),
    )
    for rule in RULES:
        solution = dispatch(windows, rule)
        assert_valid(windows, solution)
        assert solution.makespan == 18  # as in test_unavailable_window_blocks_processing_and_setups


def random_problem(seed: int, permutation: bool = False) -> Problem:
    """A random flexible shop with families, setups, windows, releases, dues and lags."""
    rng = random.Random(seed)
    machines = tuple(
        Machine(f"M{m}", unavailable=((rng.randint(20, 60), rng.randint(61, 90)),))
        for m in range(4)
    )
    families = ["A", "B", "C"]
    setups = SetupTimes(
        {
            (m.id, before, after): rng.randint(0, 6)
            for m in machines
            for before in [None, *families]
            for after in families
            if before != after
        }
    )
    jobs = []
    for j in range(8):
        operations = []
        for k in range(rng.randint(2, 4)):
            eligible = rng.sample([m.id for m in machines], rng.randint(1, 2))
            operations.append(
                Operation(
                    f"J{j}.{k}",
                    f"J{j}",
                    {m: rng.randint(1, 12) for m in eligible},
                    setup_family=rng.choice([*families, None]),
                )
            )
        lags = tuple(rng.choice([None, None, 30]) for _ in operations[1:])
        jobs.append(
            Job(
                f"J{j}",
                tuple(operations),
                release=rng.randint(0, 30),
                due=rng.randint(30, 120),
                weight=rng.choice([1.0, 2.0, 0.5]),
                max_lag=lags,
            )
        )
    return Problem(machines, tuple(jobs), setups, permutation=permutation)


@pytest.mark.parametrize("seed", range(6))
def test_every_rule_gives_a_valid_schedule_on_random_shops(seed: int) -> None:
    problem = random_problem(seed, permutation=seed % 3 == 0)
    for rule in RULES:
        assert_valid(problem, dispatch(problem, rule))


@pytest.mark.parametrize("seed", range(3))
def test_solver_schedules_random_shops_no_worse_than_dispatching(seed: int) -> None:
    problem = random_problem(seed, permutation=seed == 0)
    baseline = best_dispatch(problem, "weighted_tardiness")
    solution = solve(problem, "weighted_tardiness", time_limit_s=5, hint=baseline)
    assert_valid(problem, solution)
    assert solution.objective is not None and baseline.objective is not None
    assert solution.objective <= baseline.objective + 1e-9
    assert solution.bound is not None and solution.bound <= solution.objective + 1e-9


# ------------------------------------------------------------------------------------ hints
@pytest.mark.parametrize("seed", range(3))
def test_hint_is_complete_enough_to_fix_a_schedule(seed: int) -> None:
    # Fixing every hinted variable to its hint must leave exactly the hinted schedule feasible:
    # the hint covers machines, starts, sequencing arcs, setups and job order consistently.
    problem = random_problem(seed, permutation=seed == 0)
    baseline = dispatch(problem, "ATCS")
    built = build_model(problem)
    built.add_hint(baseline.placements())
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    assert solver.solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assert built.sequences(solver) == {
        machine: [(step.operation, step.start) for step in steps]
        for machine, steps in baseline.machines.items()
    }


def test_a_valid_hint_is_returned_when_cp_sat_finds_nothing_in_time() -> None:
    # With no time at all, CP-SAT stops before any solution: without a hint the result is UNKNOWN,
    # with one it is the hint itself.
    problem = random_problem(1)
    baseline = best_dispatch(problem, "weighted_tardiness")
    nothing = solve(problem, "weighted_tardiness", time_limit_s=0)
    assert (nothing.status, nothing.has_schedule) == ("UNKNOWN", False)
    fallback = solve(problem, "weighted_tardiness", time_limit_s=0, hint=baseline)
    assert_valid(problem, fallback)
    # labelled as what it is: the rule's schedule, CP-SAT having found nothing
    assert (fallback.status, fallback.method) == ("FEASIBLE", baseline.method)
    rule = baseline.method.removeprefix("dispatch:")
    assert fallback.label == f"dispatching rule {rule}: CP-SAT found nothing in 0 s"
    assert fallback.cut_short
    assert fallback.placements() == baseline.placements()
    assert fallback.objective == baseline.objective


def test_hint_naming_an_unknown_operation_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of its eligible machines"):
        solve(setup_problem(), hint={"J1.0": ("elsewhere", 0)})


# ------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Operation("o", "J", {}), "job 'J', operation 'o': needs at least one"),
        (lambda: Operation("o", "J", {"M": -1}), "job 'J', operation 'o'.*must be >= 0"),
        (lambda: Operation("o", "J", {"M": 1.5}), "job 'J', operation 'o'.*integer time"),
        (
            lambda: Problem((Machine("M"),), (Job("J", (Operation("o", "J", {"X": 1}),)),)),
            "job 'J', operation 'o': eligible machine.*'X' do not exist",
        ),
        (
            lambda: Job("J", (Operation("o", "K", {"M": 1}),)),
            "job 'J', operation 'o': belongs to job 'K'",
        ),
        (
            lambda: Job("J", (Operation("o", "J", {"M": 1}),), max_lag=(1,)),
            "job 'J': max_lag has 1 entries",
        ),
        (
            lambda: Problem(
                (Machine("M"),),
                (Job("J", (Operation("o", "J", {"M": 1}),)), Job("J", ())),
            ),
            "job 'J': has no operations",
        ),
        (
            lambda: Problem(
                (Machine("M"),),
                (
                    Job("J", (Operation("o", "J", {"M": 1}),)),
                    Job("K", (Operation("o", "K", {"M": 1}),)),
                ),
            ),
            "operation id 'o' is used more than once",
        ),
        (lambda: Machine("M", unavailable=((5, 5),)), "machine 'M'.*must end after it starts"),
        (lambda: SetupTimes({("M", "A", "B"): -2}), "setup time on machine 'M'"),
    ],
)
def test_invalid_problems_are_refused_by_name(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_solution_round_trips_through_json() -> None:
    problem = conflict_problem()
    solution = solve(problem, Lexicographic(("weighted_tardiness", "total_setup")))
    again = Solution.model_validate_json(solution.model_dump_json())
    assert again == solution
    assert again.placements() == solution.placements()


def test_checker_catches_broken_schedules() -> None:
    problem = setup_problem()
    solution = solve(problem, time_limit_s=TIME_LIMIT_S)
    steps = solution.machines["M"]
    # Pull the last operation forward onto the one before it (overlap and a missing setup).
    moved = steps[-1].model_copy(update={"start": steps[-2].start, "end": steps[-2].end})
    broken = solution.model_copy(update={"machines": {"M": [*steps[:-1], moved]}})
    found = violations(problem, broken)
    assert any("overlaps the previous operation" in v for v in found)
    assert any("makespan reported" in v for v in found)


# ------------------------------------------------------------------------ labels and time
def test_labels_say_how_the_schedule_was_found() -> None:
    # Proven: "CP-SAT optimal". Not proven in time (a permutation shop whose weighted tardiness
    # bound CP-SAT cannot close in 1.5 s): "CP-SAT feasible" with the first criterion's gap, which
    # is also the top-level gap, and the search was cut short.
    proven = solve(conflict_problem(), Lexicographic(("weighted_tardiness", "total_setup")))
    assert (proven.label, proven.cut_short) == ("CP-SAT optimal", False)
    problem = random_problem(0, permutation=True)
    start = best_dispatch(problem, "weighted_tardiness")
    open_ended = solve(
        problem, Lexicographic(("weighted_tardiness", "makespan")), time_limit_s=1.5, hint=start
    )
    assert_valid(problem, open_ended)
    first = open_ended.stages[0]
    assert first.status == "FEASIBLE" and first.gap is not None and first.gap > 0
    assert open_ended.gap == first.gap and open_ended.bound == first.bound
    assert open_ended.objective == open_ended.weighted_tardiness
    shown = f"{first.gap:.1%}".replace("%", " %")
    assert open_ended.label == f"CP-SAT feasible, gap {shown} on weighted tardiness"
    assert open_ended.cut_short


def test_the_first_criterion_gets_most_of_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Of a 10 s lexicographic solve the first stage is offered 90 %; proven at once, it leaves
    # the rest to the second, which is then offered nearly all 10 s.
    import importlib

    cpsat = importlib.import_module("twin.schedule.cpsat")
    offered: list[tuple[str, float]] = []
    real = cpsat._solve_stage

    def recording(built, name, scale, seconds, *rest):  # type: ignore[no-untyped-def]
        offered.append((name, seconds))
        return real(built, name, scale, seconds, *rest)

    monkeypatch.setattr(cpsat, "_solve_stage", recording)
    solution = solve(conflict_problem(), Lexicographic(("weighted_tardiness", "total_setup")))
    assert solution.status == "OPTIMAL"
    (first, first_s), (second, second_s) = offered
    assert (first, second) == ("weighted_tardiness", "total_setup")
    assert first_s == pytest.approx(0.9 * 60.0, rel=0.02)  # solve's default limit is 60 s
    assert second_s > 0.9 * 60.0
