"""Schedule nervousness: how much a new plan moves the work the previous one had planned.

Between two successive plans, the operations both plan and that had not started by the moment
of re-planning are compared, roll by roll and in the order each roll runs them: an operation
*moved* when its machine changed or its start moved by more
than a tolerance. Nervousness is the share of the compared operations that moved (``None`` when
none can be compared). Planners read it as the price of re-planning: every moved operation is
material to re-stage and people to tell.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from twin.engine.plan import SchedulePlan


@dataclass(frozen=True, slots=True)
class Change:
    """How a new plan differs from the one before it, over the operations both plan."""

    compared: int
    """Operations both plans have that had not started at the re-planning moment."""
    machine_changed: int
    start_moved: int
    """Operations on the same machine whose start moved by more than the tolerance."""

    @property
    def moved(self) -> int:
        """Operations whose machine changed or whose start moved."""
        return self.machine_changed + self.start_moved

    @property
    def share(self) -> float | None:
        """Nervousness: the share of compared operations that moved (None: none compared)."""
        return self.moved / self.compared if self.compared else None


def _operations(plan: SchedulePlan) -> dict[str, list[tuple[float, str]]]:
    """Each roll's operations in the order it runs them: (start, machine)."""
    per_roll: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for operation in plan.operations:
        per_roll[operation.roll].append((operation.start_min, operation.machine))
    for operations in per_roll.values():
        operations.sort()
    return per_roll


def plan_change(
    previous: SchedulePlan, new: SchedulePlan, now_min: float, tolerance_min: float
) -> Change:
    """How ``new`` (made at ``now_min``) moves the operations ``previous`` had not started.

    A plan made from a plant state holds only a roll's remaining operations, so the two plans'
    operations of a roll are matched from its last one backwards: the last with the last, and
    so on.
    """
    before = _operations(previous)
    compared = machine_changed = start_moved = 0
    for roll, new_ops in _operations(new).items():
        old_ops = before.get(roll)
        if not old_ops:
            continue  # new work: nothing to move
        for (old_start, old_machine), (new_start, new_machine) in zip(
            reversed(old_ops), reversed(new_ops), strict=False
        ):
            if old_start < now_min:
                continue  # the old plan had it started already
            compared += 1
            if old_machine != new_machine:
                machine_changed += 1
            elif abs(new_start - old_start) > tolerance_min:
                start_moved += 1
    return Change(compared, machine_changed, start_moved)


__all__ = ["Change", "plan_change"]
