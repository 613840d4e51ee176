"""Re-planning as the plant runs: policies for when to plan again, and what a new plan moves."""

from twin.rolling.nervousness import Change, plan_change
from twin.rolling.policies import DEFAULT_POLICIES, Policy, parse_policy

__all__ = ["DEFAULT_POLICIES", "Change", "Policy", "parse_policy", "plan_change"]
