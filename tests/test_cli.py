"""The ``r2r`` command line: exit codes, messages, and output a user reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.conftest import VALIDATION
from twin.cli import app

runner = CliRunner()


def write(tmp_path: Path, document: dict[str, Any], name: str = "plant.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_validate_ok(tmp_path: Path, small_plant: dict[str, Any]) -> None:
    result = runner.invoke(app, ["validate", str(write(tmp_path, small_plant))])
    assert result.exit_code == 0
    assert "1 line(s), 3 station(s), 1 product(s), 2 order(s)" in result.output


def test_validate_lists_every_problem_and_exits_2(
    tmp_path: Path, small_plant: dict[str, Any]
) -> None:
    small_plant["lines"][0]["stations"][2]["equipment"]["max_speed_m_min"] = 0
    small_plant["orders"][0]["product"] = "nope"
    result = runner.invoke(app, ["validate", str(write(tmp_path, small_plant))])
    assert result.exit_code == 2
    assert "2 problems in" in result.output
    assert (
        "lines[0] (A).stations[2] (AN).equipment.max_speed_m_min: must be > 0 (got 0) "
        "(line 40, column 7)" in result.output
    )
    assert "orders[0] (O1).product: unknown product 'nope' (line 49, column 3)" in result.output
    assert "Traceback" not in result.output


def test_missing_file_and_garbage_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "cannot read the scenario: no such file" in result.output
    garbage = tmp_path / "garbage.yaml"
    garbage.write_text("name: [unclosed\n", encoding="utf-8")
    result = runner.invoke(app, ["describe", str(garbage)])
    assert result.exit_code == 2
    assert "is not valid YAML" in result.output
    assert "Traceback" not in result.output


def test_warnings_are_shown_but_do_not_fail(tmp_path: Path, small_plant: dict[str, Any]) -> None:
    small_plant["products"][0]["recipe"].insert(
        2, {"station_type": "li_evaporation", "prelithiation_fraction": 0.3}
    )
    small_plant["products"][0]["recipe"][1].pop("cap")
    small_plant["lines"][0]["stations"].insert(
        2,
        {
            "id": "LI",
            "equipment": {
                "type": "li_evaporation",
                "web_width_m": 1.2,
                "max_speed_m_min": 10,
                "dynamic_rate_um_m_min": 20,
                "crucible_capacity_kg": 5,
            },
        },
    )
    small_plant["lines"][0]["buffers"][1]["between"] = ["PE", "LI"]
    small_plant["lines"][0]["buffers"].append(
        {"kind": "roll_store", "id": "S3", "between": ["LI", "AN"], "capacity_rolls": 2}
    )
    result = runner.invoke(app, ["validate", str(write(tmp_path, small_plant))])
    assert result.exit_code == 0, result.output
    assert "products[0] (si_ni).recipe[2].role: prelithiated silicon wound without a" in (
        result.output
    )


def test_schema_is_json_schema_of_the_format() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert {"name", "roll_length_m", "products", "lines", "orders", "run"} <= set(
        schema["properties"]
    )
    assert set(schema["required"]) == {"name", "roll_length_m", "products", "lines"}


def test_describe_json_gives_the_bottleneck() -> None:
    result = runner.invoke(app, ["describe", str(VALIDATION / "two_station_fluid.yaml"), "--json"])
    assert result.exit_code == 0
    document = json.loads(result.output)
    (line,) = document["lines"]
    # M2 runs 8 m/min = 480 m/h, slower than M1's 600 m/h
    assert line["bottleneck"] == "M2"
    assert line["max_m_h"] == 480.0


def test_describe_table() -> None:
    result = runner.invoke(app, ["describe", str(VALIDATION / "two_station_fluid.yaml")])
    assert result.exit_code == 0
    assert "bottleneck M2: 480.0 m/h" in result.output


def test_every_command_has_help() -> None:
    for command in ("validate", "schema", "describe"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Usage" in result.output


def test_simulate_json_has_the_documented_shape() -> None:
    path = VALIDATION / "two_station_fluid.yaml"
    result = runner.invoke(app, ["simulate", str(path), "--json", "--replications", "3"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["scenario"] == "Two-station fluid line"
    assert document["horizon_days"] == 1.0 and document["replications"] == 3
    kpi = document["kpis"]["output_m_per_h"]
    assert set(kpi) >= {"mean", "ci_low", "ci_high"}
    assert set(document["lines"]["L"]) >= {"output_m_per_h", "output_rolls_per_h"}
    states = document["stations"]["M2"]["states"]
    assert set(states) == {
        "working",
        "starved",
        "blocked",
        "down",
        "setup",
        "maintenance",
        "off_shift",
        "waiting_crew",
    }
    assert sum(states.values()) == pytest.approx(1.0)
    assert document["buffers"]["A"]["unit"] == "m"
    assert document["bottleneck"]["station"] == "M2"


def test_simulate_bad_options_exit_2(tmp_path: Path) -> None:
    path = VALIDATION / "two_station_fluid.yaml"
    result = runner.invoke(
        app, ["simulate", str(path), "--capacity", "--days", "1", "--warmup", "2"]
    )
    assert result.exit_code == 2
    assert "--warmup: the warm-up must be shorter than the horizon" in result.output
    # an order-book run counts everything from the start: a warm-up is refused with the reason
    result = runner.invoke(app, ["simulate", str(path), "--warmup", "0.1"])
    assert result.exit_code == 2
    assert "--warmup: a warm-up applies to capacity runs only" in result.output
    result = runner.invoke(app, ["simulate", str(path), "--replications", "0"])
    assert result.exit_code == 2


def test_trace_a_lane_roll_from_a_genealogy_file(tmp_path: Path) -> None:
    genealogy = tmp_path / "rolls.json"
    scenario = VALIDATION / "roll_coupled_three_tools.yaml"
    result = runner.invoke(
        app, ["simulate", str(scenario), "--replications", "1", "--genealogy", str(genealogy)]
    )
    assert result.exit_code == 0, result.output
    rolls = json.loads(genealogy.read_text())["rolls"]
    first = rolls[0]
    lane = first["lanes"][0]["id"]
    result = runner.invoke(app, ["trace", lane, str(genealogy)])
    assert result.exit_code == 0, result.output
    for stage in first["stations"]:
        assert stage["station"] in result.output
    result = runner.invoke(app, ["trace", "no-such-roll", str(genealogy)])
    assert result.exit_code == 2
    assert "no finished roll 'no-such-roll'" in result.output


def test_simulate_writes_the_event_log_with_causes_and_rolls(tmp_path: Path) -> None:
    # one tool at 10 m/min on a 1000 m roll, stopped for 'clean' at 30 min: by then it has run
    # 300 m of roll O/1 (recipe step 0); it works again at 50 min and finishes at 120 min
    tool = {
        "id": "T",
        "equipment": {"type": "generic", "speed_m_min": 10},
        "maintenance": [
            {"kind": "calendar", "name": "clean", "every": "30d", "first": 30, "duration": 20}
            | {"needs_crew": False}
        ],
    }
    document = {
        "name": "one tool",
        "roll_length_m": 1000,
        "products": [{"id": "p", "web_width_m": 1, "recipe": [{"station_type": "generic"}]}],
        "lines": [{"id": "L", "stations": [tool]}],
        "orders": [{"id": "O", "product": "p", "length_m": 1000, "due": 1}],
        "run": {"horizon": "1d", "quality": False},
    }
    events = tmp_path / "events.csv"
    result = runner.invoke(
        app, ["simulate", str(write(tmp_path, document)), "--events", str(events), "--no-store"]
    )
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in events.read_text().splitlines()]
    assert rows[0] == [
        "time", "end", "station", "unit", "state", "cause", "roll", "order", "product", "step",
        "metres",
    ]  # fmt: skip
    # no start in the scenario: the log's date-times count from 2000-01-01 00:00
    day = "2000-01-01T"
    maintenance = [f"{day}00:30:00.000", f"{day}00:50:00.000", "T", "T", "maintenance", "clean"]
    assert [*maintenance, "O/1", "O", "p", "0", "300.0"] in rows
    working = [f"{day}00:50:00.000", f"{day}02:00:00.000", "T", "T", "working", ""]
    assert [*working, "O/1", "O", "p", "0", "300.0"] in rows
    starved = [f"{day}02:00:00.000", "2000-01-02T00:00:00.000", "T", "T", "starved", ""]
    assert [*starved, "O/1", "O", "p", "0", "1000.0"] in rows
