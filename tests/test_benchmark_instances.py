"""Published benchmark instances: the solver against proven optima from the literature.

Reference values: ft06 55, ft10 930, la01 666 (JSPLIB ``instances.json``: Fisher & Thompson 1963,
Lawrence 1984; ft10's optimum proven by Carlier & Pinson 1989); ta001 1278 as a permutation flow
shop (Taillard 1993, README of ``benchmarks/flowshop``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twin.schedule import best_dispatch, solve, violations
from twin.schedule.instances import (
    format_benchmark,
    load_benchmark,
    read_jobshop,
    read_taillard,
    solve_benchmark,
)

BENCHMARKS = Path("/work/shared/benchmarks")
JOBSHOP = BENCHMARKS / "jobshop"
FLOWSHOP = BENCHMARKS / "flowshop"

pytestmark = pytest.mark.skipif(not BENCHMARKS.exists(), reason="benchmark files not present")


def test_jobshop_reader_follows_the_jsplib_format() -> None:
    # ft06's first job line is "2 1 0 3 1 6 3 7 5 3 4 6": M2 for 1, M0 for 3, M1 for 6, ...
    problem = read_jobshop(JOBSHOP / "ft06")
    assert (len(problem.jobs), len(problem.machines)) == (6, 6)
    first = problem.jobs[0].operations
    assert [dict(op.eligible) for op in first[:3]] == [{"M2": 1}, {"M0": 3}, {"M1": 6}]
    assert not problem.permutation


def test_taillard_reader_follows_its_format() -> None:
    # ta001: 20 jobs, 5 machines; job 0 is due at 468 and takes 54 79 16 66 58.
    problem = read_taillard(FLOWSHOP / "ta001.txt")
    assert (len(problem.jobs), len(problem.machines), problem.permutation) == (20, 5, True)
    job = problem.jobs[0]
    assert job.due == 468
    assert [op.eligible[f"M{k}"] for k, op in enumerate(job.operations)] == [54, 79, 16, 66, 58]


def test_reference_values_come_from_the_benchmark_files() -> None:
    index = json.loads((JOBSHOP / "instances.json").read_text())
    abz8 = next(entry for entry in index if entry["name"] == "abz8")
    benchmark = load_benchmark(JOBSHOP / "abz8")
    assert benchmark.optimum is None
    assert (benchmark.lower, benchmark.upper) == (abz8["bounds"]["lower"], abz8["bounds"]["upper"])
    assert load_benchmark(FLOWSHOP / "ta011.txt").optimum == 1582


@pytest.mark.parametrize(("name", "optimum"), [("ft06", 55), ("la01", 666)])
def test_small_job_shops_are_solved_to_proven_optimality(name: str, optimum: int) -> None:
    result = solve_benchmark(JOBSHOP / name, time_limit_s=30, workers=2)
    print(format_benchmark(result))
    assert result["status"] == "OPTIMAL"
    assert result["makespan"] == result["bound"] == result["known_optimum"] == optimum
    assert result["gap_to_known"] == 0


def test_ft10_reaches_its_optimum_930() -> None:
    # On this 2-core machine, CP-SAT with 2 workers found 930 within 3-12 s in each of 6 runs
    # (random seeds 1-3, with and without a dispatching hint) and proved it optimal in 23-40 s in
    # 5 of them; the sixth stopped at the 60 s limit with 930 found. So the test demands 930 and
    # prints the status and bound it reached rather than demanding the proof.
    problem = read_jobshop(JOBSHOP / "ft10")
    solution = solve(problem, "makespan", time_limit_s=60, workers=2)
    print(
        f"ft10: {solution.makespan} (bound {solution.bound}, {solution.status}, "
        f"{solution.wall_time_s:.1f} s)"
    )
    assert violations(problem, solution) == []
    assert solution.makespan == 930
    assert solution.bound is not None and solution.bound <= 930


def test_ta001_reaches_1278_as_a_permutation_flow_shop() -> None:
    problem = read_taillard(FLOWSHOP / "ta001.txt")
    solution = solve(problem, time_limit_s=60, workers=2, hint=best_dispatch(problem))
    print(f"ta001: {solution.makespan} ({solution.status}, {solution.wall_time_s:.1f} s)")
    assert violations(problem, solution) == []
    assert solution.makespan == 1278
    orders = {tuple(step.job for step in steps) for steps in solution.machines.values()}
    assert len(orders) == 1  # one job order on all five machines
