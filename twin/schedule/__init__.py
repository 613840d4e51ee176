"""Scheduling core: plain problem data, a CP-SAT model, dispatching baselines and benchmarks.

Independent of plants: the plant layer turns a scenario and an order book into a :class:`Problem`
and reads back a :class:`Solution`.
"""

from twin.schedule.check import violations
from twin.schedule.criteria import Criterion, Lexicographic, Objective
from twin.schedule.dispatch import RULES, best_dispatch, dispatch
from twin.schedule.explain import explain
from twin.schedule.instances import format_benchmark, load_benchmark, solve_benchmark
from twin.schedule.problem import (
    Job,
    Machine,
    Operation,
    Problem,
    SetupTimes,
    Store,
    UsageLimit,
)
from twin.schedule.solution import JobOutcome, ScheduledOperation, Solution, StageResult
from twin.schedule.solve import solve

__all__ = [
    "RULES",
    "Criterion",
    "Job",
    "JobOutcome",
    "Lexicographic",
    "Machine",
    "Objective",
    "Operation",
    "Problem",
    "ScheduledOperation",
    "SetupTimes",
    "Solution",
    "StageResult",
    "Store",
    "UsageLimit",
    "best_dispatch",
    "dispatch",
    "explain",
    "format_benchmark",
    "load_benchmark",
    "solve",
    "solve_benchmark",
    "violations",
]
