"""Re-planning as the plant runs: policies for when to plan again, and what a new plan moves."""

from twin.rolling.nervousness import Change, plan_change
from twin.rolling.policies import DEFAULT_POLICIES, Policy, parse_policy
from twin.rolling.report import FIGURES, PolicyFigures, RollingReport, report
from twin.rolling.run import PlanMade, Planning, PolicyRun, run_policies, run_policy

__all__ = [
    "DEFAULT_POLICIES",
    "FIGURES",
    "Change",
    "PlanMade",
    "Planning",
    "Policy",
    "PolicyFigures",
    "PolicyRun",
    "RollingReport",
    "parse_policy",
    "plan_change",
    "report",
    "run_policies",
    "run_policy",
]
