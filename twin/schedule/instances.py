"""Published benchmark instances as problems: JSPLIB job shops, Taillard flow shops, FJSPLIB.

Formats (see the READMEs beside the files in ``benchmarks/``):

- **JSPLIB** job shop: ``#`` comment lines; then ``jobs machines``; then one line per job of
  ``machine duration`` pairs in visiting order, machines numbered from 0. Reference values are in
  ``instances.json`` in the same folder: a proven ``optimum`` or best known ``bounds``.
- **Taillard** flow shop: one value per line, jobs, machines and the generator seed; then per job
  its index, a due date, and a line of processing times on machines 0 .. m−1. Every job visits the
  machines in that order; the problem is a *permutation* flow shop. Reference makespans are in the
  table of the folder's ``README.md``.
- **FJSPLIB** flexible job shop (``.fjs``, Brandimarte's instances): ``jobs machines [average]``;
  then one line per job: its number of operations and, for each operation in route order, the
  number ``k`` of machines that can run it followed by ``k`` pairs ``machine time``. Collections
  number machines from 0 or from 1: a file that names machine 0 counts from 0, one that names
  machine ``m`` counts from 1, and a file that names neither is read as counting from 1 (the
  original convention); the result says which was assumed. Reference makespans are in the table
  of the folder's ``README.md``.

:func:`solve_benchmark` solves one file for makespan and compares with the reference. A flow shop
starts from iterated greedy's permutation (:mod:`twin.schedule.flowshop`), which gets
:data:`FLOWSHOP_SEARCH_SHARE` of the time; other shops from the best dispatching rule. CP-SAT then
improves the start and proves a bound; the start's makespan caps every job's completion, so the
model's domains are no wider than a schedule worth having.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from twin.schedule.dispatch import best_dispatch
from twin.schedule.flowshop import flow_shop_times, iterated_greedy
from twin.schedule.problem import Job, Machine, Operation, Problem
from twin.schedule.solution import Solution
from twin.schedule.solve import solve

Kind = Literal["jobshop", "flowshop", "fjsp"]

FLOWSHOP_SEARCH_SHARE = 0.75
"""Share of a flow shop's time for iterated greedy, before CP-SAT."""


@dataclass(frozen=True)
class Benchmark:
    """A benchmark instance and its reference makespan: a proven optimum or best known bounds.

    ``note`` says what the reader assumed (how an FJSPLIB file numbers its machines).
    """

    name: str
    kind: Kind
    problem: Problem
    optimum: int | None
    lower: int | None
    upper: int | None
    note: str = ""


def _numbers(path: Path) -> list[list[int]]:
    """The non-comment, non-blank lines of ``path`` as lists of integers."""
    lines = path.read_text().splitlines()
    return [[int(v) for v in line.split()] for line in lines if line.strip() and line[0] != "#"]


def _problem(rows: list[list[tuple[int, int]]], machines: int, permutation: bool) -> Problem:
    """Jobs ``J0 ..`` whose operations ``J<j>.<k>`` visit ``rows[j]`` = [(machine, time), ...]."""
    jobs = []
    for j, route in enumerate(rows):
        operations = tuple(
            Operation(id=f"J{j}.{k}", job=f"J{j}", eligible={f"M{machine}": duration})
            for k, (machine, duration) in enumerate(route)
        )
        jobs.append(Job(id=f"J{j}", operations=operations))
    return Problem(
        machines=tuple(Machine(f"M{m}") for m in range(machines)),
        jobs=tuple(jobs),
        permutation=permutation,
    )


def read_jobshop(path: str | Path) -> Problem:
    """The JSPLIB job shop in ``path``: machines ``M0 ..``, jobs ``J0 ..``."""
    path = Path(path)
    numbers = _numbers(path)
    jobs, machines = numbers[0]
    rows = [list(zip(row[0::2], row[1::2], strict=True)) for row in numbers[1 : jobs + 1]]
    if len(rows) != jobs:
        raise ValueError(f"{path}: expected {jobs} job lines, found {len(rows)}")
    return _problem(rows, machines, permutation=False)


def read_taillard(path: str | Path, *, permutation: bool = True) -> Problem:
    """The Taillard flow shop in ``path``, a permutation flow shop unless ``permutation=False``.

    Each job keeps its due date from the file (for weighted tardiness; makespan ignores it).
    """
    path = Path(path)
    numbers = _numbers(path)
    jobs, machines = numbers[0][0], numbers[1][0]
    rows, dues = [], []
    for j in range(jobs):
        index, due, times = numbers[3 + 3 * j], numbers[4 + 3 * j], numbers[5 + 3 * j]
        if index != [j] or len(times) != machines:
            raise ValueError(f"{path}: job {j} is not as the Taillard format describes")
        rows.append(list(enumerate(times)))
        dues.append(due[0])
    problem = _problem(rows, machines, permutation)
    jobs_with_dues = tuple(
        Job(id=job.id, operations=job.operations, due=due)
        for job, due in zip(problem.jobs, dues, strict=True)
    )
    return Problem(machines=problem.machines, jobs=jobs_with_dues, permutation=permutation)


def read_fjsp(path: str | Path, machines_from: int | None = None) -> tuple[Problem, str]:
    """The FJSPLIB flexible job shop in ``path`` and how its machines were numbered.

    ``machines_from`` (0 or 1) says how the file numbers machines; by default it is recognised
    (see the module docstring). Machines are ``M0 ..``, jobs ``J0 ..``.
    """
    path = Path(path)
    numbers = _numbers(path)
    jobs, machines = numbers[0][0], numbers[0][1]
    rows = numbers[1 : jobs + 1]
    if len(rows) != jobs:
        raise ValueError(f"{path}: expected {jobs} job lines, found {len(rows)}")
    routes = [_fjsp_route(path, j, row) for j, row in enumerate(rows)]
    named = {machine for route in routes for op in route for machine, _ in op}
    if machines_from is None:
        machines_from = 0 if 0 in named else 1
        how = (
            "machines numbered from 0 (the file names machine 0)"
            if 0 in named
            else f"machines numbered from 1 (the file names machine {machines})"
            if machines in named
            else "machines numbered from 1, the FJSPLIB convention (the file names neither 0 "
            f"nor {machines})"
        )
    else:
        how = f"machines numbered from {machines_from}, as asked"
    if not named <= set(range(machines_from, machines_from + machines)):
        raise ValueError(
            f"{path}: machine numbers {min(named)}..{max(named)} do not fit {machines} machines "
            f"numbered from {machines_from}"
        )
    problem_jobs = []
    for j, route in enumerate(routes):
        operations = tuple(
            Operation(
                id=f"J{j}.{k}",
                job=f"J{j}",
                eligible={f"M{m - machines_from}": t for m, t in op},
            )
            for k, op in enumerate(route)
        )
        problem_jobs.append(Job(id=f"J{j}", operations=operations))
    problem = Problem(
        machines=tuple(Machine(f"M{m}") for m in range(machines)), jobs=tuple(problem_jobs)
    )
    return problem, how


def _fjsp_route(path: Path, job: int, row: list[int]) -> list[list[tuple[int, int]]]:
    """A job line of an FJSPLIB file: its operations, each a list of (machine, time)."""
    count, position, route = row[0], 1, []
    for _ in range(count):
        if position >= len(row):
            raise ValueError(f"{path}: job {job} has fewer operations than its {count}")
        k = row[position]
        pairs = row[position + 1 : position + 1 + 2 * k]
        if k < 1 or len(pairs) != 2 * k:
            raise ValueError(f"{path}: job {job} lists an operation without its {k} machines")
        route.append(list(zip(pairs[0::2], pairs[1::2], strict=True)))
        position += 1 + 2 * k
    if position != len(row):
        raise ValueError(f"{path}: job {job} has more numbers than its {count} operations")
    return route


def load_benchmark(path: str | Path, machines_from: int | None = None) -> Benchmark:
    """The instance in ``path`` (format recognised from its first line) and its reference values.

    An FJSPLIB file is recognised by its ``.fjs`` suffix; ``machines_from`` is passed to
    :func:`read_fjsp`.
    """
    path = Path(path)
    first = _numbers(path)[0]
    name = path.stem
    if path.suffix == ".fjs":
        problem, note = read_fjsp(path, machines_from)
        optimum, upper = _readme_reference(path.parent / "README.md", name)
        return Benchmark(name, "fjsp", problem, optimum, optimum, upper, note)
    if len(first) == 2:
        problem = read_jobshop(path)
        kind: Kind = "jobshop"
        optimum, lower, upper = _jsplib_reference(path.parent / "instances.json", name)
    else:
        problem = read_taillard(path)
        kind = "flowshop"
        optimum, upper = _readme_reference(path.parent / "README.md", name)
        lower = optimum
    return Benchmark(name, kind, problem, optimum, lower, upper)


def _jsplib_reference(index: Path, name: str) -> tuple[int | None, int | None, int | None]:
    """(optimum, lower, upper) of ``name`` in JSPLIB's ``instances.json``, if listed."""
    if not index.exists():
        return None, None, None
    for entry in json.loads(index.read_text()):
        if entry["name"] == name:
            optimum = entry.get("optimum")
            if optimum is not None:
                return optimum, optimum, optimum
            bounds = entry.get("bounds") or {}
            return None, bounds.get("lower"), bounds.get("upper")
    return None, None, None


def _readme_reference(readme: Path, name: str) -> tuple[int | None, int | None]:
    """(optimum, best known upper bound) of ``name`` in the README's table of values.

    The table's rows read ``| name | n x m | value |``: a bare value is a proven optimum; one
    followed by words (``2991 (best known upper bound, ...)``) only the best known upper bound.
    """
    if not readme.exists():
        return None, None
    match = re.search(
        rf"^\|\s*{re.escape(name)}\s*\|[^|]*\|\s*(\d+)\s*([^|]*)\|", readme.read_text(), re.M
    )
    if match is None:
        return None, None
    value = int(match.group(1))
    return (value if not match.group(2).strip() else None), value


def solve_benchmark(
    path: str | Path,
    *,
    time_limit_s: float = 60.0,
    workers: int = 2,
    machines_from: int | None = None,
) -> dict[str, Any]:
    """Minimise the makespan of the instance in ``path`` and compare with its reference.

    Returns a JSON-ready dict: ``name, kind, jobs, machines, makespan, bound, status, label,
    wall_time_s`` (reading and solving), ``known_optimum, known_bounds`` (``[lower, upper]``),
    ``gap_to_known`` = (makespan − best known upper bound) / best known upper bound, and
    ``note`` (what the reader assumed, e.g. the machine numbering of an FJSPLIB file).
    """
    began = time.perf_counter()
    benchmark = load_benchmark(path, machines_from)
    problem = benchmark.problem
    times = flow_shop_times(problem)
    if times is not None:
        search_s = FLOWSHOP_SEARCH_SHARE * time_limit_s
        order, _ = iterated_greedy(times, stop_at=began + search_s)
        hint: Solution | dict[str, tuple[str, int]] = _permutation_placements(problem, times, order)
    else:
        hint = best_dispatch(problem, "makespan")
    left = time_limit_s - (time.perf_counter() - began)
    solution = solve(problem, "makespan", time_limit_s=max(0.0, left), workers=workers, hint=hint)
    upper = benchmark.upper
    makespan = solution.makespan
    return {
        "name": benchmark.name,
        "kind": benchmark.kind,
        "jobs": len(problem.jobs),
        "machines": len(problem.machines),
        "makespan": makespan,
        "bound": solution.bound,
        "status": solution.status,
        "label": solution.label,
        "wall_time_s": time.perf_counter() - began,
        "known_optimum": benchmark.optimum,
        "known_bounds": [benchmark.lower, benchmark.upper],
        "gap_to_known": None if upper is None or makespan is None else (makespan - upper) / upper,
        "note": benchmark.note,
    }


def _permutation_placements(
    problem: Problem, times: Any, order: list[int]
) -> dict[str, tuple[str, int]]:
    """Each operation's (machine, start) when the jobs run in ``order`` as early as they can."""
    finish = [0] * times.shape[1]
    placements = {}
    for index in order:
        job = problem.jobs[index]
        ready = 0
        for k, op in enumerate(job.operations):
            start = max(ready, finish[k])
            machine = next(iter(op.eligible))
            placements[op.id] = (machine, start)
            ready = finish[k] = start + int(times[index][k])
    return placements


def format_benchmark(result: dict[str, Any]) -> str:
    """A one-line summary of a :func:`solve_benchmark` result."""
    known = result["known_optimum"]
    lower, upper = result["known_bounds"]
    reference = (
        f"optimum {known}"
        if known is not None
        else f"best known [{lower}, {upper}]"
        if upper is not None
        else "no reference"
    )
    gap = result["gap_to_known"]
    versus = "" if gap is None else f", {gap:+.2%} vs best known"
    note = f" [{result['note']}]" if result.get("note") else ""
    bound = "-" if result["bound"] is None else f"{result['bound']:g}"
    return (
        f"{result['name']} ({result['kind']} {result['jobs']}x{result['machines']}): makespan "
        f"{result['makespan']} (bound {bound}, {result['status']}, {result['wall_time_s']:.1f} s)"
        f"; {reference}{versus}{note}"
    )
