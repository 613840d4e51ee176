"""Load against capacity (issue 13): a weekly load table worked out by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from twin.cli import app
from twin.load import load_table
from twin.scenario import scenario_from_document

runner = CliRunner()

# One generic station at 10 m/min (600 m/h, no failures, no load or unload time), staffed
# 08:00-16:00 Monday to Friday: 40 h a week. The run starts on Monday 7 December 2026.
PLANT: dict[str, Any] = {
    "name": "one station",
    "start": "2026-12-07T00:00",
    "roll_length_m": 1000,
    "products": [{"id": "P", "web_width_m": 1.0, "recipe": [{"station_type": "generic"}]}],
    "lines": [
        {
            "id": "L",
            "calendar": "day",
            "stations": [{"id": "M", "equipment": {"type": "generic", "speed_m_min": 10}}],
        }
    ],
    "calendars": [
        {
            "id": "day",
            "shifts": [{"start": "08:00", "end": "16:00"}],
            "working_days": ["mon", "tue", "wed", "thu", "fri"],
        }
    ],
    "orders": [
        # week 0: 12 000 m need 20 h of the 40 h: 50 %
        {"id": "A", "product": "P", "length_m": 12000, "due": "2026-12-10"},
        # week 1: 18 000 + 12 000 m need 50 h of 40 h: 125 %
        {"id": "B", "product": "P", "length_m": 18000, "due": "2026-12-15"},
        {"id": "C", "product": "P", "length_m": 12000, "due": "2026-12-18T12:00"},
    ],
}


def test_each_weeks_load_is_hours_needed_over_hours_staffed() -> None:
    table = load_table(scenario_from_document(PLANT))
    assert table.week_numbers == [0, 1]
    first, second = table.at("L", 0), table.at("L", 1)
    assert (first.due_m, first.needed_h, first.available_h) == (12000, pytest.approx(20), 40)
    assert first.load == pytest.approx(0.5)
    assert (second.due_m, second.needed_h) == (30000, pytest.approx(50))
    assert second.load == pytest.approx(1.25)
    assert [w.week for w in table.overloaded()] == [1]
    assert table.plant(1) == pytest.approx(1.25)


def test_a_holiday_takes_its_hours_from_the_week() -> None:
    document = {**PLANT, "calendars": [{**PLANT["calendars"][0], "holidays": ["2026-12-08"]}]}
    first = load_table(scenario_from_document(document)).at("L", 0)
    assert first.available_h == 32 and first.load == pytest.approx(20 / 32)


def test_describe_prints_the_load_by_week_with_dates(tmp_path: Path) -> None:
    path = tmp_path / "plant.yaml"
    path.write_text(yaml.safe_dump(PLANT))
    result = CliRunner().invoke(app, ["describe", str(path)])
    assert result.exit_code == 0, result.output
    assert "2026-12-07" in result.output and "50 %" in result.output
    assert "125 % ◀ over" in result.output
    assert "above 100 %: L in the week from 2026-12-14" in result.output


def test_an_order_book_run_gives_the_load_against_the_stored_capacity_run(
    tmp_path: Path,
) -> None:
    # Two tools, T2 (5 m/min = 300 m/h) the bottleneck and failing now and then; 40 000 m due
    # in the first week. The order-book report gives the week's load against the line's output
    # in the newest stored capacity run of this plant: 40 000 m / (its m/h x 168 h staffed).
    from tests.state_cases import two_tools
    from twin.store import Store

    document = two_tools().model_dump(mode="json", by_alias=True, exclude_none=True)
    document["lines"][0]["stations"][1]["failures"] = [
        {
            "name": "jam",
            "ttf": {"dist": "exponential", "mean": "10h"},
            "ttr": {"dist": "exponential", "mean": "1h"},
            "needs_crew": False,
        }
    ]
    document["orders"] = [{"id": "O", "product": "web", "length_m": 40000, "due": "6d"}]
    path = tmp_path / "plant.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    store = tmp_path / "r2r.sqlite"
    common = ["--days", "7", "--replications", "2", "--store", str(store)]
    static = runner.invoke(app, ["simulate", str(path), *common])
    assert static.exit_code == 0, static.output
    assert "load against capacity" in static.output and "static bound" in static.output
    capacity = runner.invoke(app, ["simulate", str(path), "--capacity", *common])
    assert capacity.exit_code == 0, capacity.output
    rate = Store(store).simulation("s-0002").lines["L"].output_m_per_h.mean
    again = runner.invoke(app, ["simulate", str(path), *common])
    assert again.exit_code == 0, again.output
    assert "capacity run s-0002" in again.output
    assert f"{40000 / rate / 168 * 100:.0f} %" in again.output
