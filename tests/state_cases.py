"""A small line for runs from a plant state: two generic tools and a roll store between them.

T1 runs at 10 m/min and T2 at 5 m/min with a roll store S between them and 100 m rolls, no
overheads, failures or crews: a roll takes 10 min on T1 and 20 min on T2, so from an empty plant
the first roll is finished at 30 min.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from tests.conftest import VALIDATION
from twin.engine import RunOptions, run_replication
from twin.engine.records import ReplicationRecord
from twin.scenario import Scenario, load_scenario, scenario_from_document
from twin.state import PlantState, parse_state

START = dt.datetime(2026, 12, 7, 6, 0)


def two_tools(**store: Any) -> Scenario:
    """T1 (10 m/min) -> S -> T2 (5 m/min), one order of five 100 m rolls released at 0."""
    return scenario_from_document(
        {
            "name": "two generic tools",
            "start": START.isoformat(),
            "roll_length_m": 100,
            "products": [
                {
                    "id": "web",
                    "web_width_m": 1.0,
                    "recipe": [{"station_type": "generic"}, {"station_type": "generic"}],
                }
            ],
            "lines": [
                {
                    "id": "L",
                    "stations": [
                        {"id": "T1", "equipment": {"type": "generic", "speed_m_min": 10}},
                        {"id": "T2", "equipment": {"type": "generic", "speed_m_min": 5}},
                    ],
                    "buffers": [
                        {
                            "kind": "roll_store",
                            "id": "S",
                            "between": ["T1", "T2"],
                            "capacity_rolls": 10,
                            "environment": "dry_room",
                            **store,
                        }
                    ],
                }
            ],
            "orders": [{"id": "O", "product": "web", "length_m": 500, "due": "1d"}],
            "run": {"horizon": "1d", "seed": 3},
        }
    )


def three_tools_with_a_clean() -> Scenario:
    """The validation line of three tools from ``START``, with a chamber clean on PC.

    The clean is due at 20 000 µm·m of wall deposit and takes 2 h, with no crew.
    """
    document = load_scenario(VALIDATION / "roll_coupled_three_tools.yaml").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    document["start"] = START.isoformat()
    document["lines"][0]["stations"][1]["maintenance"] = [
        {
            "kind": "usage",
            "name": "chamber clean",
            "counter": "wall_deposit_um_m",
            "limit": 20000,
            "duration": "2h",
            "needs_crew": False,
        }
    ]
    return scenario_from_document(document)


def state(scenario: Scenario, **fields: Any) -> PlantState:
    """A state at the scenario's start (checked as a file would be)."""
    document = {"at": START.isoformat(), **fields}
    return parse_state(yaml.safe_dump(document, sort_keys=False), scenario)


def run(scenario: Scenario, plant: PlantState | None = None, **options: Any) -> ReplicationRecord:
    return run_replication(
        scenario, RunOptions.of(scenario, state=plant, event_log=True, **options), 0
    )


def finished(record: ReplicationRecord) -> dict[str, float]:
    """When each roll left T2, the line's last tool."""
    return {
        e.roll: e.minute
        for e in record.events or []
        if e.unit == "T2" and e.state == "starved" and e.roll is not None and e.metres == 100
    }


def at(minutes: float) -> str:
    return (START + dt.timedelta(minutes=minutes)).isoformat()
