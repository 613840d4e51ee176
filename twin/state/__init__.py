"""The plant at a moment (issue 15): a state file, checked against its scenario.

:class:`PlantState` is the document; :func:`state_problems` checks it against a scenario, and
:func:`read_state` / :func:`parse_state` read a file (YAML or JSON) safely and raise one
:class:`StateError` with every problem by its path.
"""

from twin.state.checks import state_problems
from twin.state.loading import (
    MAX_STATE_BYTES,
    StateError,
    parse_state,
    read_state,
    state_document,
    state_text,
)
from twin.state.model import (
    AccumulatorState,
    LastRun,
    OrderProgress,
    PlantState,
    RollOnTool,
    StoredRoll,
    StoreState,
    UnitState,
)

__all__ = [
    "MAX_STATE_BYTES",
    "AccumulatorState",
    "LastRun",
    "OrderProgress",
    "PlantState",
    "RollOnTool",
    "StateError",
    "StoreState",
    "StoredRoll",
    "UnitState",
    "parse_state",
    "read_state",
    "state_document",
    "state_problems",
    "state_text",
]
