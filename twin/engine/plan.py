"""A schedule for the twin to execute: each machine's roll sequence and each roll's release.

The scheduler writes one (``r2r schedule --out``); the engine then dispatches by it instead of by
a rule: each tool takes the rolls in its planned order, and each roll is released at its planned
start; before a roll, a tool does the usage-based maintenance the plan puts there (a chamber
clean planned between rolls rather than when the counter runs out mid-roll). Machines are named
as the engine names them: a roll-coupled tool by its station (``PC3``,
or ``PC2#1`` for the first of parallel units), an inline segment by its stations joined with
``+`` (``OX1+PC1+AL1+AN1``). Rolls are ``ORDER/k``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PlannedOperation(BaseModel):
    """One operation of a plan: a roll on a machine, from its planned start to its end."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    roll: str
    machine: str
    start_min: float = Field(description="Planned start, minutes after the start.")
    end_min: float = Field(description="Planned end, minutes after the start.")


class SchedulePlan(BaseModel):
    """What the twin needs of a schedule."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    source: str = Field(default="", description="What made it: 'cp-sat', 'edd', ...")
    machines: dict[str, list[str]] = Field(
        description="Roll ids in planned order, by machine (tool or inline segment)."
    )
    release_min: dict[str, float] = Field(
        description="Planned start of each roll's first operation, minutes after the start."
    )
    line: dict[str, str] = Field(default={}, description="The line each roll runs on.")
    maintenance: dict[str, dict[str, list[str]]] = Field(
        default={},
        description="Usage-based maintenance planned right before a roll: by machine, by roll "
        "id, the counters maintained ('PC1.wall_deposit_um_m': station and counter).",
    )
    planned_completion_min: dict[str, float] = Field(
        default={}, description="Planned completion of each order, minutes after the start."
    )
    operations: list[PlannedOperation] = Field(
        default=[],
        description="Every planned operation with its times (machines' sequences in detail).",
    )

    def shifted(self, minutes: float) -> SchedulePlan:
        """The same plan with every time ``minutes`` later (a plan made at a later moment)."""
        if minutes == 0:
            return self

        def later(operation: PlannedOperation) -> PlannedOperation:
            start, end = operation.start_min + minutes, operation.end_min + minutes
            return operation.model_copy(update={"start_min": start, "end_min": end})

        completions = self.planned_completion_min
        return self.model_copy(
            update={
                "release_min": {r: t + minutes for r, t in self.release_min.items()},
                "planned_completion_min": {o: t + minutes for o, t in completions.items()},
                "operations": [later(operation) for operation in self.operations],
            }
        )
