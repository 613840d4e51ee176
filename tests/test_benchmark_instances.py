"""Published benchmark instances: the solver against proven optima from the literature.

Reference values: ft06 55, ft10 930, la01 666 (JSPLIB ``instances.json``: Fisher & Thompson 1963,
Lawrence 1984; ft10's optimum proven by Carlier & Pinson 1989); ta001 1278 as a permutation flow
shop (Taillard 1993, README of ``benchmarks/flowshop``), and NEH's 3135 on ta041 and 4082 on ta051
(same README); mk01's optimum 40 (Brandimarte 1993, README of ``benchmarks/fjsp``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.schedule import best_dispatch, solve, violations
from twin.schedule.flowshop import best_insertion, flow_shop_times, iterated_greedy, makespan, neh
from twin.schedule.instances import (
    format_benchmark,
    load_benchmark,
    read_fjsp,
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
    # 5 of them. So the test demands 930 within 30 s and prints the status and bound it reached
    # rather than demanding the proof (a benchmark figure: bench_schedule.py).
    problem = read_jobshop(JOBSHOP / "ft10")
    solution = solve(problem, "makespan", time_limit_s=30, workers=2)
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


# -------------------------------------------------------------- flexible job shops (.fjs)
FJSP = BENCHMARKS / "fjsp"


def test_fjsp_reader_accepts_both_machine_numberings(tmp_path: Path) -> None:
    # mk01's first job (numbered from 0): 6 operations, the first on machine 0 (5) or 2 (4).
    problem, note = read_fjsp(FJSP / "mk01.fjs")
    assert (len(problem.jobs), len(problem.machines)) == (10, 6)
    assert dict(problem.jobs[0].operations[0].eligible) == {"M0": 5, "M2": 4}
    assert note == "machines numbered from 0 (the file names machine 0)"
    # The same file numbered from 1, as other collections write it, reads as the same problem.
    lines = (FJSP / "mk01.fjs").read_text().split("\n")
    shifted = [lines[0]]
    for line in lines[1:]:
        numbers = [int(v) for v in line.split()]
        if not numbers:
            continue
        out, position = [numbers[0]], 1
        for _ in range(numbers[0]):
            k = numbers[position]
            pairs = numbers[position + 1 : position + 1 + 2 * k]
            out += [k] + [v + 1 if i % 2 == 0 else v for i, v in enumerate(pairs)]
            position += 1 + 2 * k
        shifted.append(" ".join(map(str, out)))
    one_based = tmp_path / "mk01.fjs"
    one_based.write_text("\n".join(shifted) + "\n")
    again, note = read_fjsp(one_based)
    assert again == problem
    assert note == "machines numbered from 1 (the file names machine 6)"
    with pytest.raises(ValueError, match="do not fit 6 machines numbered from 0"):
        read_fjsp(one_based, machines_from=0)


def test_an_fjsp_file_naming_neither_end_is_read_from_1(tmp_path: Path) -> None:
    # 1 job, 3 machines, one operation on machine 1 or 2: neither 0 nor 3 is named.
    path = tmp_path / "tiny.fjs"
    path.write_text("1 3\n1 2 1 4 2 5\n")
    problem, note = read_fjsp(path)
    assert dict(problem.jobs[0].operations[0].eligible) == {"M0": 4, "M1": 5}
    assert "from 1, the FJSPLIB convention" in note
    path.write_text("1 3\n2 1 1 4\n")
    with pytest.raises(ValueError, match="fewer operations"):
        read_fjsp(path)


@pytest.mark.parametrize("name", ["mk01", "mk02", "mk03"])
def test_the_flexible_bound_is_as_strong_as_the_master_interval_model(name: str) -> None:
    # One worker and the same deterministic budget for both (so the figures do not depend on
    # the machine's load): the scheduler's model proves at least the bound of the reference
    # model written in tests/reference (a master interval per operation, as PyJobShop builds it).
    from ortools.sat.python import cp_model

    from tests.reference.fjsp_master_interval import master_interval_model
    from twin.schedule.criteria import as_objective
    from twin.schedule.model import build_model

    def bound(model: cp_model.CpModel) -> float:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_deterministic_time = 0.05
        solver.solve(model)
        return solver.best_objective_bound

    problem, _ = read_fjsp(FJSP / f"{name}.fjs")
    ours = build_model(problem, ["makespan"])
    ours.minimise(as_objective("makespan"))
    assert bound(ours.model) >= bound(master_interval_model(problem))


@pytest.mark.parametrize(("name", "optimum"), [("mk01", 40), ("mk02", 26), ("mk03", 204)])
def test_brandimartes_first_three_are_solved_to_their_proven_optima(
    name: str, optimum: int
) -> None:
    # Brandimarte (1993) mk01-mk03, optima 40, 26 and 204 (the folder's README): proven within
    # the 60 s on 2 workers (mk02 took 60 s without a proof under the no-LP searches
    # that suit job shops; with the default portfolio 3-13 s)
    result = solve_benchmark(FJSP / f"{name}.fjs", time_limit_s=60, workers=2)
    print(format_benchmark(result))
    assert (result["status"], result["makespan"], result["bound"]) == ("OPTIMAL", optimum, optimum)
    assert result["kind"] == "fjsp" and result["known_optimum"] == optimum


# ------------------------------------------------------------ permutation flow-shop starts
def reference_makespan(times: list[list[int]], order: list[int]) -> int:
    """C[j][k] = max(C[j-1][k], C[j][k-1]) + p, the textbook recurrence."""
    previous = [0] * len(times[0])
    for job in order:
        current = []
        for k, p in enumerate(times[job]):
            current.append(max(previous[k], current[-1] if current else 0) + p)
        previous = current
    return previous[-1]


def test_neh_gives_its_published_makespans() -> None:
    # The folder's README: plain NEH reaches 3135 on ta041 and 4082 on ta051.
    for name, expected in (("ta041", 3135), ("ta051", 4082)):
        times = flow_shop_times(read_taillard(FLOWSHOP / f"{name}.txt"))
        assert times is not None
        order = neh(times)
        assert sorted(order) == list(range(len(times)))
        assert makespan(times, order) == reference_makespan(times.tolist(), order) == expected


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.lists(st.integers(1, 20), min_size=3, max_size=3), min_size=2, max_size=6),
    job=st.integers(0, 5),
)
def test_best_insertion_finds_the_best_position(rows: list[list[int]], job: int) -> None:
    # Taillard's acceleration against trying every position with the textbook recurrence.
    import numpy as np

    job %= len(rows)
    times = np.array(rows, dtype=np.int64)
    order = [j for j in range(len(rows)) if j != job]
    position, value = best_insertion(times, order, job)
    tried = [reference_makespan(rows, [*order[:i], job, *order[i:]]) for i in range(len(rows))]
    assert value == min(tried) == tried[position]


def test_iterated_greedy_is_never_worse_than_neh() -> None:
    import time

    times = flow_shop_times(read_taillard(FLOWSHOP / "ta011.txt"))
    assert times is not None
    order, value = iterated_greedy(times, stop_at=time.perf_counter() + 1.0)
    assert sorted(order) == list(range(len(times)))
    assert value == reference_makespan(times.tolist(), order) <= makespan(times, neh(times))
