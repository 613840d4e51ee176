"""Plant state files (issue 15, part 1): checked against their scenario, every problem by path."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.conftest import SCENARIOS
from twin.cli import app
from twin.scenario import load_scenario
from twin.state import StateError, parse_state

BASELINE = load_scenario(SCENARIOS / "baseline.yaml")

GOOD: dict[str, Any] = {
    "at": "2026-12-09T06:00",
    "units": [
        # PC1 on INL1 half-way through SO-A3-02's first roll at step 1 (PECVD), 3 µm·m to clean
        {
            "unit": "PC1",
            "roll": {
                "id": "SO-A3-02/1",
                "order": "SO-A3-02",
                "product": "NiSi-A3",
                "step": 1,
                "done_m": 750,
            },
            "counters": {"wall_deposit_um_m": 60000},
        },
        {
            "unit": "PC2#1",
            "status": "down",
            "until": "2026-12-09T12:00",
            "failure": "plasma source arc-out",
        },
        {"unit": "PC2#2", "status": "down", "failure": "plasma source arc-out"},
        {"unit": "AL2", "status": "off"},
    ],
    "stores": [
        {
            "store": "RS21",
            "rolls": [
                {
                    "id": "SO-C4-01/2",
                    "order": "SO-C4-01",
                    "product": "CuSi-A11-475",
                    "done_step": 0,
                    "entered": "2026-12-09T03:00",
                },
            ],
        }
    ],
    "accumulators": [{"accumulator": "ACC1", "level_m": 30}],
    "orders": [
        {"order": "SO-A3-02", "released_rolls": 1},
        {"order": "SO-C4-01", "finished_rolls": 0, "released_rolls": 2},
    ],
}


def _problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(StateError) as caught:
        parse_state(yaml.safe_dump(document, sort_keys=False), BASELINE, source="state.yaml")
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def test_a_consistent_state_is_accepted() -> None:
    state = parse_state(yaml.safe_dump(GOOD, sort_keys=False), BASELINE)
    assert state.units[0].roll is not None and state.units[0].roll.done_m == 750


def test_every_inconsistency_is_named_by_its_path() -> None:
    bad = yaml.safe_load(yaml.safe_dump(GOOD))
    bad["units"][0]["roll"]["step"] = 2  # ALD's step: not PC1's
    bad["units"][0]["counters"]["wall_deposit_um_m"] = 90000  # past its 80 000 limit
    bad["units"][1]["until"] = "2026-12-09T05:00"  # before the state's moment
    bad["units"].append({"unit": "PC9"})
    bad["stores"][0]["rolls"][0]["done_step"] = 1  # RS21 follows AL2 (step 0), not PC2
    bad["stores"][0]["rolls"] *= 9  # RS21 holds 8 (and now one roll sits there 9 times)
    bad["accumulators"][0]["level_m"] = 80  # ACC1 holds 50 m
    bad["orders"][1]["released_rolls"] = 9  # SO-C4-01 has 4 rolls
    problems = _problems(bad)
    expected = [
        "units[0].roll.step: step 2 of NiSi-A3 (ald) runs on AL1, not on PC1 (pecvd)",
        "units[0].counters.wall_deposit_um_m: 90000 is past its maintenance limit of 80000",
        "units[1].until: is not after the state's moment (2026-12-09 06:00:00)",
        "units[4].unit: unknown station unit 'PC9' (did you mean 'PC3'?)",
        "stores[0].rolls: 9 rolls are more than RS21 holds (8)",
        "stores[0].rolls[1].id: SO-C4-01/2 is also in store RS21",
        "accumulators[0].level_m: 80 m is more than ACC1 holds (50 m)",
        "orders[1].released_rolls: order SO-C4-01 has 4 rolls",
    ]
    for line in expected:
        assert line in problems, (line, problems)
    assert any(
        p.startswith("stores[0].rolls[0].done_step: step 1 of CuSi-A11-475") for p in problems
    )


def test_a_state_file_names_ids_and_lines(tmp_path: Any) -> None:
    bad = yaml.safe_load(yaml.safe_dump(GOOD))
    bad["units"][3]["status"] = "sleeping"
    path = tmp_path / "state.yaml"
    path.write_text(yaml.safe_dump(bad, sort_keys=False))
    result = CliRunner().invoke(app, ["schema", "--state"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "PlantState"
    assert {"at", "units", "stores", "accumulators", "orders"} <= set(schema["properties"])
    with pytest.raises(StateError) as caught:
        parse_state(path.read_text(), BASELINE, source=str(path))
    [problem] = caught.value.problems
    assert problem.path == "units[3].status" and problem.line is not None
