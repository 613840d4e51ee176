"""The ``r2r`` command line: exit codes, messages, and output a user reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
    assert "lines[0].stations[2].equipment.max_speed_m_min: must be > 0 (got 0)" in result.output
    assert "orders[0].product: unknown product 'nope'" in result.output
    assert "Traceback" not in result.output


def test_missing_file_and_garbage_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "cannot read the file" in result.output
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
    assert "products[0].recipe[2].role: prelithiated silicon wound without a supplemental" in (
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
