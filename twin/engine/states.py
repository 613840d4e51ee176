"""The eight states a station's time splits into, and the holds that name them (DESIGN.md).

They sum to the horizon. A stop is a *hold* of one of these kinds on a station; while any hold is
on, the station moves no web, and the highest-priority hold names its state.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

# Final literals: the compiled engine (twin.compiled) puts them in its code, where a plain global
# would be looked up in a dictionary at every use.
WORKING: Final = 0
STARVED: Final = 1
BLOCKED: Final = 2
DOWN: Final = 3
SETUP: Final = 4
MAINTENANCE: Final = 5
OFF_SHIFT: Final = 6
WAITING_CREW: Final = 7
State = Literal[
    "working",
    "starved",
    "blocked",
    "down",
    "setup",
    "maintenance",
    "off_shift",
    "waiting_crew",
]
"""A state's name, as results and event logs give it."""
STATE_NAMES: tuple[State, ...] = get_args(State)
"""The names in the order of the state numbers (WORKING ... WAITING_CREW)."""
HOLD_PRIORITY: Final = (OFF_SHIFT, DOWN, MAINTENANCE, WAITING_CREW, SETUP, BLOCKED, STARVED)
"""Holds in priority order: the first one on names the state."""
