"""Re-planning as the plant runs: the twin plays the plant, the scheduler plans from its state.

One replication of one policy is one continuous run of the twin (its failures, repairs and
speeds are the truth). At each re-planning moment the twin's state is taken as a plant state,
the scheduler plans the remaining work from it (:func:`~twin.schedule.plant.schedule_plant`
with the plan before as ``previous`` and a frozen window), and the new plan replaces the old
one in the running twin. All policies of a replication run with the same random numbers, so
their differences are paired.

What the planner is told is what a plant's systems know: the state of every roll, store and
counter, and which tools are down, but not when a repair will end (the scheduler expects the
failure mode's mean repair time).

Triggers of event-driven policies are checked every :data:`POLL_MIN` minutes of plant time:
a tool down for at least the policy's time (once per failure), or an order whose *risk* (its
delay against the plan over its planned slack) reaches the threshold.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from twin.engine import Plant, RunOptions
from twin.engine.plan import SchedulePlan
from twin.engine.records import ReplicationRecord
from twin.rolling.nervousness import Change, plan_change
from twin.rolling.policies import Policy
from twin.scenario import Scenario
from twin.schedule.plant.schedule import PlantSchedule, schedule_plant, to_plan
from twin.state.model import PlantState

POLL_MIN = 15.0
"""How often (plant minutes) event-driven policies look at the plant."""


@dataclass(frozen=True, slots=True)
class Planning:
    """How re-plans are made: the scheduler's time limit, workers, frozen window, tolerance."""

    time_limit_s: float = 5.0
    workers: int = 2
    frozen_min: float = 240.0
    """Operations of the plan before that start within this window keep machine and start."""
    tolerance_min: float = 60.0
    """A start that moves by more than this counts as moved (nervousness)."""
    objective: str = "tardiness-makespan"


@dataclass(slots=True)
class PlanMade:
    """One plan a policy made: when, by what, in how long, and what it moved."""

    minute: float
    """Plant minutes from the run's start."""
    label: str
    """How it was made ('CP-SAT optimal', 'dispatching rule EDD', ...)."""
    seconds: float
    """Wall-clock time spent planning."""
    reason: str
    """Why it was made ('start', 'every 1d', 'IN1 down 2h', 'SO-7 risk 0.62')."""
    change: Change | None = None
    """What it moved of the plan before (None for the first)."""


@dataclass(slots=True)
class PolicyRun:
    """One replication of one policy: the twin's figures and the plans made."""

    policy: Policy
    replication: int
    record: ReplicationRecord
    horizon_min: float
    plans: list[PlanMade] = field(default_factory=list)

    @property
    def planning_s(self) -> float:
        """Wall-clock time spent planning."""
        return sum(plan.seconds for plan in self.plans)

    @property
    def nervousness(self) -> float | None:
        """Share of compared operations that moved over all re-plans (None: no re-plan)."""
        changes = [p.change for p in self.plans if p.change is not None]
        compared = sum(c.compared for c in changes)
        return sum(c.moved for c in changes) / compared if compared else None


def planner_view(state: PlantState) -> PlantState:
    """The state as the plant's systems know it: a tool down, but not when it is back."""
    units = [
        unit.model_copy(update={"until": None}) if unit.status == "down" else unit
        for unit in state.units
    ]
    return state.model_copy(update={"units": units})


def plan_of(result: PlantSchedule) -> tuple[SchedulePlan | None, str]:
    """The plan of a schedule, or the best rule's when CP-SAT found none, and its label."""
    if result.plan is not None:
        return result.plan, result.label
    made = [s for s in result.baselines.values() if s.has_schedule]
    if not made:
        return None, "no schedule: each tool takes its next roll by the dispatching rule"
    best = min(made, key=lambda s: math.inf if s.objective is None else s.objective)
    return to_plan(result.plant, best), f"{best.label} (CP-SAT found none in time)"


Planner = Callable[[PlantState | None, SchedulePlan | None], tuple[SchedulePlan | None, str]]
"""Makes a plan from a state (None: the scenario's start) and the plan before (times from the
state's moment)."""


def scheduler(scenario: Scenario, planning: Planning) -> Planner:
    """The planner that runs the scheduler with ``planning``'s limits."""

    def plan(
        state: PlantState | None, previous: SchedulePlan | None
    ) -> tuple[SchedulePlan | None, str]:
        def attempt(frozen: float) -> PlantSchedule:
            return schedule_plant(
                scenario,
                planning.objective,
                time_limit_s=planning.time_limit_s,
                workers=planning.workers,
                state=state,
                previous=previous if frozen > 0 else None,
                frozen_min=frozen,
            )

        frozen = planning.frozen_min if previous is not None else 0.0
        result = attempt(frozen)
        if result.plan is None and frozen > 0:
            # what the frozen window keeps no longer fits the plant as it is: plan without it
            plan, label = plan_of(attempt(0.0))
            return plan, f"{label} (without the frozen window, which no longer fitted)"
        return plan_of(result)

    return plan


@dataclass(slots=True)
class _Watch:
    """What event-driven triggers remember between looks at the plant."""

    down_seen: dict[str, float] = field(default_factory=dict)
    """Each unit down at the last look: since when it has been seen down."""
    replanned_for: set[str] = field(default_factory=set)
    """Units whose current failure has had its re-plan."""
    risky: set[str] = field(default_factory=set)
    """Orders whose risk has crossed the threshold under the current plan."""


class _Driver:
    """Runs one replication of one policy."""

    def __init__(
        self,
        scenario: Scenario,
        options: RunOptions,
        policy: Policy,
        replication: int,
        planner: Planner,
        planning: Planning,
        first: PlanMade | None,
        first_plan: SchedulePlan | None,
    ) -> None:
        self.scenario = scenario
        self.policy = policy
        self.planner = planner
        self.planning = planning
        self.horizon = options.horizon_min
        self.plant = Plant(scenario, options.replace(plan=first_plan), replication)
        self.current = first_plan
        """The plan the plant runs by, times from the run's start."""
        self.replication = replication
        self.plans: list[PlanMade] = [first] if first is not None else []
        offset = scenario.minutes(options.state.at) if options.state is not None else 0.0
        self.due = {
            order.id: scenario.minutes(order.due) - offset
            for order in scenario.orders
            if order.due is not None
        }
        self.watch = _Watch()

    def drive(self) -> PolicyRun:
        self.plant.begin()
        policy = self.policy
        if policy.kind in ("every", "event"):
            # a periodic policy re-plans at each period; an event-driven one looks every POLL_MIN
            step = policy.every_min if policy.every_min is not None else POLL_MIN
            moment = step
            while moment < self.horizon:
                self.plant.run_until(moment)
                reason = (
                    f"every {policy.name.removeprefix('every:')}"
                    if policy.kind == "every"
                    else self.trigger(moment)
                )
                if reason is not None:
                    self.replan(moment, reason)
                moment += step
        record = self.plant.finish()
        return PolicyRun(self.policy, self.replication, record, self.horizon, self.plans)

    # ------------------------------------------------------------------ re-planning
    def replan(self, now: float, reason: str) -> None:
        state = planner_view(self.plant.snapshot())
        previous = self.current.shifted(-now) if self.current is not None else None
        began = time.perf_counter()
        plan, label = self.planner(state, previous)
        seconds = time.perf_counter() - began
        placed = plan.shifted(now) if plan is not None else None
        change = (
            plan_change(self.current, placed, now, self.planning.tolerance_min)
            if self.current is not None and placed is not None
            else None
        )
        self.plant.replace_plan(plan)
        self.current = placed
        self.watch.risky.clear()
        self.plans.append(PlanMade(now, label, seconds, reason, change))

    # ------------------------------------------------------------------ triggers
    def trigger(self, now: float) -> str | None:
        """Why to re-plan now (None: no reason)."""
        policy, watch = self.policy, self.watch
        reason = None
        down = self.plant.down_units()
        for unit in list(watch.down_seen):
            if unit not in down:
                del watch.down_seen[unit]
                watch.replanned_for.discard(unit)
        for unit in down:
            since = watch.down_seen.setdefault(unit, now - POLL_MIN / 2)
            if (
                policy.failure_min is not None
                and unit not in watch.replanned_for
                and now - since >= policy.failure_min
            ):
                watch.replanned_for.add(unit)
                reason = reason or f"{unit} down {_hours(now - since)}"
        if reason is None and policy.risk is not None and self.current is not None:
            for order, risk in self.risks(now).items():
                if risk >= policy.risk and order not in watch.risky:
                    watch.risky.add(order)
                    reason = reason or f"{order} risk {risk:.2f}"
        return reason

    def risks(self, now: float) -> dict[str, float]:
        """Each planned order's risk: its delay against the plan over its planned slack.

        The delay is how long the order's oldest planned operation that should have started by
        now is overdue; the slack, the time between its planned completion and its due date.
        """
        assert self.current is not None
        started = self.plant.started_operations()
        overdue: dict[str, float] = {}
        for op in self.current.operations:
            if op.start_min < now and (op.machine, op.roll) not in started:
                order = op.roll.rpartition("/")[0]
                overdue[order] = max(overdue.get(order, 0.0), now - op.start_min)
        risks = {}
        for order, delay in overdue.items():
            planned = self.current.planned_completion_min.get(order)
            due = self.due.get(order)
            if planned is None or due is None:
                continue
            slack = due - planned
            risks[order] = delay / slack if slack > 0 else math.inf
        return risks


def _hours(minutes: float) -> str:
    return f"{minutes / 60:.1f} h"


def run_policy(
    scenario: Scenario,
    options: RunOptions,
    policy: Policy,
    replication: int,
    planner: Planner,
    planning: Planning,
    first: tuple[SchedulePlan | None, PlanMade] | None = None,
) -> PolicyRun:
    """One replication of ``policy``: the twin runs, re-planned as the policy says.

    ``first`` is the plan made at the start with how it was made (made here when not given;
    the same for every planning policy, so it may be made once and shared).
    """
    options = options.for_replication(replication)
    plan: SchedulePlan | None = None
    made: PlanMade | None = None
    if policy.plans:
        plan, made = first if first is not None else first_plan(options, planner)
    return _Driver(scenario, options, policy, replication, planner, planning, made, plan).drive()


def first_plan(options: RunOptions, planner: Planner) -> tuple[SchedulePlan | None, PlanMade]:
    """The plan made at the start (from the options' state, or the scenario's start)."""
    began = time.perf_counter()
    plan, label = planner(options.state, None)
    return plan, PlanMade(0.0, label, time.perf_counter() - began, "start")


RunDone = Callable[["PolicyRun"], None]
"""Called with each finished replication of a policy (for progress)."""


def run_policies(
    scenario: Scenario,
    options: RunOptions,
    policies: list[Policy],
    planning: Planning,
    *,
    planner: Planner | None = None,
    done: RunDone | None = None,
) -> list[PolicyRun]:
    """Every policy over ``options``' replications, with common random numbers.

    The plan made at the start is the same for every planning policy and replication (the same
    state, the same order book): it is made once and its time counted for each.
    """
    planner = planner or scheduler(scenario, planning)
    first = first_plan(options, planner) if any(p.plans for p in policies) else None
    runs = []
    for replication in range(options.replications):
        for policy in policies:
            run = run_policy(scenario, options, policy, replication, planner, planning, first)
            runs.append(run)
            if done is not None:
                done(run)
    return runs


__all__ = [
    "POLL_MIN",
    "PlanMade",
    "Planner",
    "Planning",
    "PolicyRun",
    "RunDone",
    "first_plan",
    "plan_of",
    "planner_view",
    "run_policies",
    "run_policy",
    "scheduler",
]
