"""Static capacity (``r2r describe``) against hand calculations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import VALIDATION
from twin.capacity import static_capacity
from twin.scenario import load_scenario, scenario_from_document


def test_roll_coupled_line_by_hand(small_plant: dict[str, Any]) -> None:
    (capacity,) = static_capacity(scenario_from_document(small_plant))
    by_id = {f.station: f for f in capacity.stations}
    # OX: 0.95 µm at 700 °C is the calibration point, dwell 30 min; 60 m / 30 min = 2 m/min;
    # per roll 15 load + 10 unload + 1000/2 = 525 min -> 60 × 1000 / 525 = 114.29 m/h
    assert by_id["OX"].web_speed_m_min == pytest.approx(2.0)
    assert by_id["OX"].roll_time_min == pytest.approx(525.0)
    assert by_id["OX"].capacity_m_h == pytest.approx(60_000 / 525)
    # PE: 3000 nm·m/min × 4 / 4000 nm = 3 m/min (cap 400 × 1 / 15 nm = 26.7 is faster);
    # per roll 15 + 45 pump + 20 vent + 10 + 1000/3 = 423.33 min
    assert by_id["PE"].web_speed_m_min == pytest.approx(3.0)
    assert by_id["PE"].roll_time_min == pytest.approx(90 + 1000 / 3)
    # availability 90 h / (90 h + 10 h) = 0.9
    assert by_id["PE"].availability == pytest.approx(0.9)
    assert by_id["PE"].available_m_h == pytest.approx(0.9 * 60_000 / (90 + 1000 / 3))
    # AN: 30 m / 10 min = 3 m/min; 25 + 333.33 min per roll
    assert by_id["AN"].capacity_m_h == pytest.approx(60_000 / (25 + 1000 / 3))
    assert capacity.bottleneck == "OX"
    assert capacity.max_m_h == pytest.approx(60_000 / 525)
    assert capacity.max_m2_h == pytest.approx(60_000 / 525 * 1.0)
    # orders of 3000 m and 1500 m: 3 and 2 rolls of 1000 m
    assert capacity.rolls_per_order == pytest.approx(2.5)


def test_changeover_share_spreads_over_the_rolls_of_an_order(small_plant: dict[str, Any]) -> None:
    hot = dict(small_plant["products"][0], id="hot")
    hot["recipe"] = [dict(s) for s in hot["recipe"]]
    hot["recipe"][2] = {"station_type": "anneal", "temperature_c": 575, "dwell": "10min"}
    small_plant["products"].append(hot)
    small_plant["orders"].append({"id": "O3", "product": "hot", "length_m": 4000, "due": "6d"})
    capacities = {c.product: c for c in static_capacity(scenario_from_document(small_plant))}
    anneal = {f.station: f for f in capacities["hot"].stations}["AN"]
    # 475 -> 575 °C at 10 °C/min = 10 min, once per order of 4 rolls: 2.5 min per roll
    assert anneal.changeover_min == pytest.approx(10.0)
    per_roll = 25 + 1000 / 3 + 10 / 4
    assert anneal.changeover_share == pytest.approx(2.5 / per_roll)
    assert anneal.capacity_m_h == pytest.approx(60_000 / per_roll)
    # into the cooler recipe: 575 -> 475 °C at 5 °C/min = 20 min over 2.5 rolls per order
    cool = {f.station: f for f in capacities["si_ni"].stations}["AN"]
    assert cool.changeover_min == pytest.approx(20.0)


def test_inline_line_stops_only_head_and_tail() -> None:
    (capacity,) = static_capacity(load_scenario(VALIDATION / "two_station_fluid.yaml"))
    # generic stations with no overhead: M1 10 m/min = 600 m/h, M2 8 m/min = 480 m/h
    assert [f.coupling for f in capacity.stations] == ["inline head", "inline tail"]
    assert capacity.bottleneck == "M2"
    assert capacity.max_m_h == pytest.approx(480.0)
