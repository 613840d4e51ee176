"""The criteria as CP-SAT expressions, and an objective as one integer expression to minimise.

Each criterion's variables are made when the model is built for it or the first time an objective
asks for it. CP-SAT minimises integers, so a weighted objective is multiplied by the smallest power
of ten (up to 10⁶) that makes every coefficient whole; weights finer than 10⁻⁶ are rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ortools.sat.python import cp_model

from twin.schedule.criteria import Criterion, Objective
from twin.schedule.model.variables import Variables
from twin.schedule.problem import Problem

Term = tuple[float, cp_model.LinearExprT]
"""A coefficient and the integer expression it multiplies."""

_SCALES = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000)


@dataclass(frozen=True)
class ScaledObjective:
    """``expression`` = ``scale`` × the objective's value (an integer expression for CP-SAT)."""

    expression: cp_model.LinearExprT
    scale: int


class CriterionTerms:
    """Each criterion as weighted terms over the model's variables, built on first use.

    Makespan and tardiness variables are bounded from below only (``makespan >= every end``,
    ``tardiness >= end − due``): minimising them, or capping them in a lexicographic stage, makes
    them exact.
    """

    def __init__(self, model: cp_model.CpModel, problem: Problem, variables: Variables) -> None:
        self._model = model
        self._problem = problem
        self._variables = variables
        self._terms: dict[Criterion, list[Term]] = {}
        self._makespan: cp_model.IntVar | None = None
        self._tardiness: dict[str, cp_model.IntVar] = {}

    def terms(self, criterion: Criterion) -> list[Term]:
        """The weighted terms whose sum is ``criterion``."""
        if criterion not in self._terms:
            build = {
                Criterion.MAKESPAN: self._make_makespan,
                Criterion.WEIGHTED_TARDINESS: self._make_weighted_tardiness,
                Criterion.TOTAL_SETUP: self._make_total_setup,
            }[criterion]
            self._terms[criterion] = build()
        return self._terms[criterion]

    def add_hint(self, completions: Mapping[str, int], complete: bool) -> None:
        """Hint the makespan and tardiness variables made so far from the jobs' completions.

        The makespan is hinted only from a ``complete`` schedule.

        (Setup variables are hinted with the machine sequences.)
        """
        if self._makespan is not None and complete and completions:
            self._model.add_hint(self._makespan, max(completions.values()))
        for job_id, tardiness in self._tardiness.items():
            due = self._problem.job[job_id].due
            if due is not None:
                late = max(0, completions[job_id] - due) if job_id in completions else 0
                self._model.add_hint(tardiness, late)

    def _last_end(self, job_id: str) -> cp_model.LinearExprT:
        """The end of the job's last operation."""
        return self._variables.operations[self._problem.job[job_id].operations[-1].id].end

    def _make_makespan(self) -> list[Term]:
        self._makespan = self._model.new_int_var(0, self._variables.horizon, "makespan")
        for job in self._problem.jobs:
            present = self._variables.present(job.id)
            self._model.add(self._makespan >= self._last_end(job.id)).only_enforce_if(present)
        self._add_energy(self._makespan)
        return [(1.0, self._makespan)]

    def _add_energy(self, makespan: cp_model.IntVar) -> None:
        """Redundant: the machines of each set that operations may use hold their work by then.

        For every set ``S`` of machines some operation may choose among, the operations that
        can only run within ``S`` take no more than ``|S| × makespan`` together (setups only add
        to it). The LP relaxation sees the work shared among machines (e.g. ⌈151 / 6⌉ = 26 on
        Brandimarte's mk02, where the machines' own bounds give 25).
        """
        operations = self._variables.operations
        sets = {frozenset(m.machine for m in var.modes) for var in operations.values()}
        work: dict[str, cp_model.LinearExpr | int] = {}
        for op_id, var in operations.items():
            if isinstance(var.duration, cp_model.IntVar) or var.present is None:
                work[op_id] = var.duration
            else:
                work[op_id] = var.duration * var.present
        for machines in sets:
            inside = [
                work[op_id]
                for op_id, var in operations.items()
                if {m.machine for m in var.modes} <= machines
            ]
            if len(machines) > 1 and len(inside) > 1:
                self._model.add(sum(inside) <= len(machines) * makespan)

    def _make_weighted_tardiness(self) -> list[Term]:
        terms: list[Term] = []
        for job in self._problem.jobs:
            if job.due is None or job.weight == 0:
                continue
            late = max(0, self._variables.horizon - job.due)
            tardiness = self._model.new_int_var(0, late, f"tardiness[{job.id}]")
            present = self._variables.present(job.id)
            self._model.add(tardiness >= self._last_end(job.id) - job.due).only_enforce_if(present)
            self._tardiness[job.id] = tardiness
            terms.append((job.weight, tardiness))
        return terms

    def _make_total_setup(self) -> list[Term]:
        return [
            (1.0, mode.setup.duration)
            for modes in self._variables.on_machine.values()
            for mode in modes
            if mode.setup is not None
        ]


def scaled_objective(objective: Objective, criteria: CriterionTerms) -> ScaledObjective:
    """``objective`` as one integer expression, and the factor it was multiplied by."""
    terms = [
        (weight * coefficient, expression)
        for criterion, weight in objective.weights.items()
        if weight > 0
        for coefficient, expression in criteria.terms(criterion)
    ]
    scale = next(
        (s for s in _SCALES if all(_whole(c * s) for c, _ in terms)),
        _SCALES[-1],
    )
    expression = sum(round(c * scale) * e for c, e in terms if round(c * scale))
    return ScaledObjective(expression, scale)


def _whole(value: float) -> bool:
    """Whether ``value`` is an integer up to floating-point noise."""
    return abs(value - round(value)) <= 1e-9 * max(1.0, abs(value))
