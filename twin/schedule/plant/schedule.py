"""Schedule a plant's order book: the dispatching rules, then CP-SAT from the best of them.

:func:`schedule_plant` keeps to its time limit as a whole: building the problem, the rules (a
rule that has not finished by :data:`RULES_SHARE` of the limit is dropped), the search and the
explanations all fit in it. The result, a :class:`PlantSchedule`, says what made the schedule
(:attr:`PlantSchedule.label`), how it compares with the rules, and why orders are late or why
there is no schedule; the CLI and the dashboard print it as it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from twin.engine.plan import PlannedOperation, SchedulePlan
from twin.scenario import Scenario
from twin.schedule.criteria import Criterion, Lexicographic, Objective
from twin.schedule.dispatch import RULES, best_of, dispatch
from twin.schedule.explain import explain
from twin.schedule.plant.from_state import problem_from_state
from twin.schedule.plant.lateness import explain_lateness
from twin.schedule.plant.problem import PlantProblem, build_problem
from twin.schedule.solution import Solution
from twin.schedule.solve import solve
from twin.state.model import PlantState

OBJECTIVES: dict[str, tuple[str, ...]] = {
    "tardiness-makespan": ("weighted_tardiness", "makespan"),
    "tardiness-setup": ("weighted_tardiness", "total_setup"),
    "tardiness": ("weighted_tardiness",),
    "makespan": ("makespan",),
}
"""Named objectives: lexicographic stages of criteria."""

RULES_SHARE = 0.25
"""The dispatching rules must finish within this share of the time limit (the first may take
:data:`FIRST_RULE_S` at least, so that a short limit still gets a schedule)."""

FIRST_RULE_S = 3.0
"""Seconds the first dispatching rule may take whatever the limit (about 0.2 s on the baseline;
thousands of roll jobs take it longer, and then the rule is cut short like the others)."""

EARLY_MAINTENANCE = 0.5
"""Besides the four rules, the search may start from each rule run with maintenance of counters
this full done early, in idle time (:func:`~twin.schedule.dispatch.dispatch`): a better start,
never reported as one of the rules."""

RESERVE_S = 0.3
"""Seconds kept from the search for the explanations and the plan."""


def parse_objective(text: str) -> Lexicographic | Objective:
    """A named objective (:data:`OBJECTIVES`) or a weighted sum ``'weighted_tardiness=1,...'``.

    Raises ValueError with a readable message for anything else.
    """
    if text in OBJECTIVES:
        return Lexicographic(tuple(Objective({Criterion(n): 1.0}) for n in OBJECTIVES[text]))
    try:
        pairs = [part.split("=") for part in text.split(",")]
        return Objective({Criterion(name.strip()): float(value) for name, value in pairs})
    except ValueError as error:
        names = ", ".join(OBJECTIVES)
        raise ValueError(
            f"{text!r} is not an objective ({names}, or weights like "
            f"'weighted_tardiness=1,total_setup=0.1'): {error}"
        ) from None


def to_plan(plant: PlantProblem, solution: Solution) -> SchedulePlan:
    """The twin's plan for a solved schedule: sequences, planned releases, lines, completions.

    Jobs are named by their rolls (``ORDER/k``), and each roll runs on the line chosen for it.
    """
    if not solution.has_schedule:
        raise ValueError(f"a solution with status {solution.status} has no schedule")
    roll = {job_id: plant.rolls[job_id].id for job_id in solution.jobs}
    machines = {
        machine: [roll[step.job] for step in sorted(steps, key=lambda s: s.start)]
        for machine, steps in solution.machines.items()
    }
    first_start: dict[str, int] = {}
    for steps in solution.machines.values():
        for step in steps:
            name = roll[step.job]
            first_start[name] = min(first_start.get(name, step.start), step.start)
    maintenance = {
        machine: {
            roll[step.job]: list(step.maintenance_before)
            for step in steps
            if step.maintenance_before
        }
        for machine, steps in solution.machines.items()
    }
    completion: dict[str, float] = {}
    for job_id, outcome in solution.jobs.items():
        order = plant.rolls[job_id].order
        completion[order] = max(completion.get(order, 0.0), float(outcome.completion))
    return SchedulePlan(
        source=solution.method,
        machines=machines,
        release_min={name: float(start) for name, start in first_start.items()},
        line={roll[job_id]: plant.rolls[job_id].line for job_id in solution.jobs},
        maintenance={machine: planned for machine, planned in maintenance.items() if planned},
        planned_completion_min=completion,
        operations=[
            PlannedOperation(
                roll=roll[step.job], machine=machine, start_min=step.start, end_min=step.end
            )
            for machine, steps in solution.machines.items()
            for step in sorted(steps, key=lambda s: s.start)
        ],
    )


@dataclass
class PlantSchedule:
    """A plant's schedule, the dispatching rules it was compared with, its plan, and why.

    ``best_rule`` is the best of the four rules (the one the schedule is compared with),
    ``start`` the label of the schedule the search started from (that rule, or a rule with early
    maintenance); ``explanation`` says why orders are late (or, without a schedule, why there is
    none).
    """

    plant: PlantProblem
    solution: Solution
    baselines: dict[str, Solution]
    plan: SchedulePlan | None
    explanation: list[str] = field(default_factory=list)
    best_rule: str | None = None
    start: str | None = None
    time_limit_s: float = 0.0

    @property
    def label(self) -> str:
        """Which method made the schedule and how far it got, in words."""
        if self.solution.has_schedule:
            return self.solution.label
        return f"no schedule: {self.solution.message}"

    def summary(self) -> list[str]:
        """A few lines a person reads first.

        The label; the first criterion against the best rule, with its bound and gap; whether
        the time limit cut the search short.
        """
        lines = [self.label]
        solution = self.solution
        if not solution.has_schedule:
            return [*lines, *self.explanation]
        first = solution.stages[0] if solution.stages else None
        name = first.objective.replace("_", " ") if first else "objective"
        value = solution.objective
        rule = self.baselines.get(self.best_rule or "")
        text = f"{name}: {_figure(name, value)}"
        if rule is not None and rule.objective is not None and value is not None:
            below = (rule.objective - value) / rule.objective if rule.objective else 0.0
            text += (
                f" against {_figure(name, rule.objective)} for the best rule "
                f"{self.best_rule} ({below:.0%} below)"
            )
        if solution.bound is not None:
            gap = "" if solution.gap is None else f", gap {solution.gap:.1%}"
            text += f"; bound {_figure(name, solution.bound)}{gap}"
        lines.append(text)
        if self.start:
            lines.append(f"the search started from the schedule of the {self.start}")
        if solution.cut_short:
            lines.append(f"the search stopped at its time limit of {self.time_limit_s:g} s")
        return lines

    def document(self, objective: str) -> dict[str, Any]:
        """The JSON form: what ``r2r schedule --out`` writes and ``simulate --schedule`` reads."""
        return {
            "scenario": self.plant.scenario.name,
            "objective": objective,
            "label": self.label,
            "summary": self.summary(),
            "best_rule": self.best_rule,
            "start": self.start,
            "time_limit_s": self.time_limit_s,
            "solution": self.solution.model_dump(mode="json"),
            "baselines": {
                rule: {
                    "status": s.status,
                    "label": s.label or s.message,
                    "weighted_tardiness_min": s.weighted_tardiness,
                    "makespan_min": s.makespan,
                    "total_setup_min": s.total_setup,
                }
                for rule, s in self.baselines.items()
            },
            "plan": self.plan.model_dump(mode="json") if self.plan else None,
            "explanation": self.explanation,
        }


def _figure(name: str, value: float | None) -> str:
    """A criterion's value as people read it: hours for times (minutes inside)."""
    if value is None:
        return "-"
    if name in ("weighted tardiness", "makespan", "total setup"):
        return f"{value / 60:,.1f} h"
    return f"{value:,.0f}"


def schedule_plant(
    scenario: Scenario,
    objective: str = "tardiness-makespan",
    *,
    time_limit_s: float = 30.0,
    workers: int = 2,
    state: PlantState | None = None,
    previous: SchedulePlan | None = None,
    frozen_min: float = 0.0,
) -> PlantSchedule:
    """Schedule the order book: every dispatching rule, then CP-SAT from the best of them.

    From a plant ``state`` it schedules what is left, times from the state's moment, keeping
    the operations of a ``previous`` plan that start within ``frozen_min`` where they were
    (:func:`~twin.schedule.plant.from_state.problem_from_state`).

    Everything together keeps to ``time_limit_s``. Raises
    :class:`~twin.schedule.plant.problem.ScheduleTooLarge` for an order book too large to take
    on, and ValueError for an unknown objective.
    """
    began = time.perf_counter()
    stop_at = began + time_limit_s
    spec = parse_objective(objective)
    plant = (
        build_problem(scenario)
        if state is None
        else problem_from_state(scenario, state, previous=previous, frozen_min=frozen_min)
    )
    rules_stop = began + RULES_SHARE * time_limit_s
    # The first rule gets at least FIRST_RULE_S (a plant's book takes it a fraction of a
    # second): however short the limit and loaded the machine, there is a schedule to return.
    first_stop = max(rules_stop, began + FIRST_RULE_S)
    baselines: dict[str, Solution] = {
        rule: dispatch(
            plant.problem, rule, objective=spec, stop_at=first_stop if k == 0 else rules_stop
        )
        for k, rule in enumerate(RULES)
    }
    rule = best_of(list(baselines.values()), spec)
    best_rule = None if rule is None else rule.method.removeprefix("dispatch:")
    variants = [
        dispatch(plant.problem, r, objective=spec, stop_at=rules_stop, early_maintenance=share)
        for r in RULES
        for share in (EARLY_MAINTENANCE,)
    ]
    best = best_of([*baselines.values(), *variants], spec)
    left = stop_at - time.perf_counter() - min(RESERVE_S, 0.1 * time_limit_s)
    solution = solve(plant.problem, spec, time_limit_s=max(0.0, left), workers=workers, hint=best)
    if solution.has_schedule:
        explanation = explain_lateness(
            plant, solution, state.at if state is not None else scenario.start
        )
    elif solution.status == "INFEASIBLE":
        explanation = explain(plant.problem, stop_at=stop_at)
    else:
        explanation = [
            f"no dispatching rule made a schedule ({_failures(baselines)}), and CP-SAT found "
            f"none in {time_limit_s:g} s"
        ]
    return PlantSchedule(
        plant=plant,
        solution=solution,
        baselines=baselines,
        plan=to_plan(plant, solution) if solution.has_schedule else None,
        explanation=explanation,
        best_rule=best_rule,
        start=None if best is None else best.label,
        time_limit_s=time_limit_s,
    )


def _failures(baselines: dict[str, Solution]) -> str:
    """The rules' failure messages, each once."""
    return "; ".join(dict.fromkeys(f"{rule}: {s.message}" for rule, s in baselines.items()))


def plan_mismatches(scenario: Scenario, plan: SchedulePlan) -> list[tuple[str, str]]:
    """(path, message) for each part of ``plan`` that does not fit ``scenario``."""
    expected = build_problem(scenario)
    found = [
        (f"plan.machines.{m}", "is not a machine of this scenario")
        for m in plan.machines
        if m not in expected.machines
    ]
    rolls = {roll.id for roll in expected.rolls.values()}
    unknown = sorted(set(plan.release_min) - rolls)
    if unknown:
        found.append(
            ("plan.release_min", f"rolls not in this order book: {', '.join(unknown[:5])}")
        )
    return found
