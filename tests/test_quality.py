"""Quality along the web: defect counts, detection, the PECVD particle rise, slitting, escapes,
positions through rewinds, and reproducibility, each against an independent calculation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from stations import DefectType
from stations.base import DEFECT_SIZE_MM
from stations.pecvd import PecvdCoater, PecvdStep
from stations.slitting import SlittingStep
from twin.engine import Plant, RunOptions, simulate
from twin.engine.plant.results import trace
from twin.engine.quality import CODE, FALSE_ALARM, Defects, slit
from twin.scenario import Scenario, scenario_from_document

Z999 = 3.29  # two-sided 99.9 % normal quantile


def one_tool(
    equipment: dict[str, Any],
    recipe: list[dict[str, Any]],
    rolls: int,
    *,
    inspection: dict[str, Any] | None = None,
    width: float = 1.0,
    failures: list[dict[str, Any]] | None = None,
) -> Scenario:
    """A single roll-coupled tool processing ``rolls`` rolls of 1000 m."""
    station: dict[str, Any] = {"id": "T", "equipment": equipment}
    if inspection is not None:
        station["inspection"] = inspection
    if failures:
        station["failures"] = failures
    return scenario_from_document(
        {
            "name": "one tool",
            "roll_length_m": 1000,
            "products": [{"id": "p", "web_width_m": width, "recipe": recipe}],
            "lines": [{"id": "L", "stations": [station]}],
            "orders": [{"id": "O", "product": "p", "length_m": 1000 * rolls, "due": 1}],
            "run": {"horizon": "400d", "seed": 17},
        }
    )


def run(scenario: Scenario) -> Plant:
    plant = Plant(scenario, RunOptions.of(scenario, warmup_min=0.0, genealogy=True))
    plant.run()
    return plant


def finished(plant: Plant) -> list[Any]:
    assert plant.orders.finished is not None  # kept for genealogy
    return plant.orders.finished


def roll_defects(roll: Any) -> Defects:
    assert roll.quality.defects is not None  # evaluated when the run ended
    return roll.quality.defects


def all_defects(plant: Plant) -> Defects:
    parts = [roll_defects(roll) for roll in finished(plant)]
    return Defects(*(np.concatenate(c) for c in zip(*(p.arrays() for p in parts), strict=True)))


GENERIC = {"type": "generic", "speed_m_min": 10}


def test_defect_count_is_poisson_with_the_stations_mean() -> None:
    rates = {"particle": 0.02, "pinhole": 0.005}
    plant = run(
        one_tool({**GENERIC, "defect_rates_per_m2": rates}, [{"station_type": "generic"}], 100)
    )
    defects = all_defects(plant)
    assert len(finished(plant)) == 100
    for name, rate in rates.items():
        # 100 rolls × 1000 m × 1 m = 1e5 m²: Poisson mean rate × 1e5, sd sqrt(mean)
        mean = rate * 1e5
        count = int((defects.type == CODE[DefectType(name)]).sum())
        assert abs(count - mean) <= Z999 * math.sqrt(mean), (name, count, mean)
    # uniform over the web: cross-web positions within the width, along-roll within the roll
    assert defects.cross_mm.min() >= 0 and defects.cross_mm.max() <= 1000
    assert defects.pos_m.min() >= 0 and defects.pos_m.max() <= 1000


def test_inspection_detects_with_its_probability_and_raises_false_alarms() -> None:
    inspection = {"detection": {"particle": 0.7, "pinhole": 0.2}, "false_alarms_per_m2": 0.001}
    equipment = {**GENERIC, "defect_rates_per_m2": {"particle": 0.02, "pinhole": 0.02}}
    plant = run(one_tool(equipment, [{"station_type": "generic"}], 100, inspection=inspection))
    defects = all_defects(plant)
    for name, p in (("particle", 0.7), ("pinhole", 0.2)):
        mine = defects.type == CODE[DefectType(name)]
        n = int(mine.sum())
        marked = int(defects.marked[mine].sum())
        # binomial(n, p): within 3.29 standard deviations
        assert abs(marked - n * p) <= Z999 * math.sqrt(n * p * (1 - p)), (name, marked, n)
    alarms = int((defects.type == FALSE_ALARM).sum())
    # false alarms: Poisson with mean 0.001 × 1e5 m² = 100
    assert abs(alarms - 100) <= Z999 * 10
    # sizes, marked or not, are lognormal with the type's mean and a coefficient of variation
    # of 0.5: the mean of size / type size is 1 with a standard error of 0.5 / sqrt(n)
    for name in ("particle", "pinhole"):
        for marked in (True, False):
            mine = (defects.type == CODE[DefectType(name)]) & (defects.marked == marked)
            ratio = defects.size_mm[mine] / DEFECT_SIZE_MM[DefectType(name)]
            assert abs(ratio.mean() - 1) <= Z999 * 0.5 / math.sqrt(len(ratio)), (name, marked)


def test_pecvd_particles_rise_with_the_wall_deposit() -> None:
    coater = PecvdCoater(
        web_width_m=1.2,
        max_speed_m_min=10,
        sources=4,
        dynamic_rate_nm_m_min=3000,
        defect_rates_per_m2={DefectType.PARTICLE: 0.01},
        particle_rise_per_m2=0.005,
    )
    step = PecvdStep(si_thickness_um=4)
    # 0.01 + 0.005 per 1000 µm·m × 20000 µm·m = 0.11 per m²
    rates = coater.defect_rates(step, {"wall_deposit_um_m": 20_000})
    assert rates[DefectType.PARTICLE] == pytest.approx(0.11)
    equipment = coater.model_dump(mode="json")
    plant = run(one_tool(equipment, [{"station_type": "pecvd", "si_thickness_um": 4}], 40))
    defects = all_defects(plant)
    particles = defects.pos_m[defects.type == CODE[DefectType.PARTICLE]]
    # no clean: roll k starts at 4 µm × 1000 m × k = 4000k µm·m and ends at 4000(k + 1);
    # its mean rate is 0.01 + 0.005 × (4000k + 2000) / 1000 = 0.02 + 0.02k per m², on 1000 m²
    expected = sum((0.02 + 0.02 * k) * 1000 for k in range(40))
    assert abs(len(particles) - expected) <= Z999 * math.sqrt(expected)
    # within a roll the intensity rises linearly from a to b along it, so the mean position is
    # L (a + 2b) / (3 (a + b)); for the last roll a = 0.01 + 0.005 × 156, b = a + 0.02
    last_roll = roll_defects(finished(plant)[-1])
    last = last_roll.pos_m[last_roll.type == CODE[DefectType.PARTICLE]]
    a = 0.01 + 0.005 * 156
    b = a + 0.02
    mean_pos = 1000 * (a + 2 * b) / (3 * (a + b))
    sd = 1000 / math.sqrt(12)  # close to uniform
    assert abs(last.mean() - mean_pos) <= Z999 * sd / math.sqrt(len(last))


def defects_of(rows: list[tuple[float, float, str, float, float, bool]]) -> Defects:
    """(pos m, cross mm, type, size mm, length m, marked) rows as defects."""
    pos, cross, kind, size, length, marked = zip(*rows, strict=True)
    return Defects(
        pos_m=np.array(pos),
        cross_mm=np.array(cross),
        type=np.array([CODE[DefectType(k)] for k in kind]),
        size_mm=np.array(size),
        length_m=np.array(length),
        marked=np.array(marked),
        seq=np.zeros(len(rows), dtype=np.int64),
    )


def test_slitting_geometry_and_cut_out_lengths() -> None:
    # 4 lanes of 200 mm with 10 mm trims: lane k spans 10 + 200k to 210 + 200k mm
    step = SlittingStep(lanes=4, lane_width_mm=200, edge_trim_mm=10)
    defects = defects_of(
        [
            (100.0, 15.0, "particle", 0.3, 0.0, True),  # lane 1: cut 99.75–100.25
            (100.3, 100.0, "particle", 0.3, 0.0, True),  # lane 1: 100.05–100.55, merges
            (100.2, 215.0, "particle", 0.3, 0.0, True),  # lane 2: cut 99.95–100.45
            (300.0, 5.0, "particle", 0.3, 0.0, True),  # in the edge trim: no lane cut
            (500.0, 0.0, "thickness_out_of_spec", 0.0, 3.0, True),  # every lane: 500–503
        ]
    )
    lanes = slit(defects, 1000.0, step, 0.5, 10.0, "R")
    # lane 1: 99.75–100.55 (0.8 m) + 3 m; lane 2: 0.5 m + 3 m; lanes 3 and 4: 3 m
    assert [lane.cut_m for lane in lanes] == pytest.approx([3.8, 3.5, 3.0, 3.0])
    assert [lane.length_m for lane in lanes] == pytest.approx([996.2, 996.5, 997.0, 997.0])
    assert [lane.id for lane in lanes] == ["R.L1", "R.L2", "R.L3", "R.L4"]
    assert all(lane.good for lane in lanes)


def test_escapes_are_counted_exactly_and_dense_lanes_downgraded() -> None:
    step = SlittingStep(lanes=3, lane_width_mm=100, edge_trim_mm=0)
    defects = defects_of(
        [
            (10.0, 50.0, "particle", 0.4, 0.0, False),  # lane 1, escapes
            (20.0, 60.0, "pinhole", 0.1, 0.0, False),  # lane 1, escapes
            (100.1, 50.0, "particle", 0.3, 0.0, False),  # lane 1, inside the cut below
            (100.0, 40.0, "particle", 0.3, 0.0, True),  # lane 1, marked: cut 99.75–100.25
            (30.0, 250.0, "wrinkle", 2.0, 0.0, False),  # lane 3, escapes
        ]
    )
    lanes = slit(defects, 200.0, step, 0.5, 1.0, "R")
    assert [lane.escapes for lane in lanes] == [2, 0, 1]
    # escape area: sizes squared, 0.4² + 0.1² in lane 1, 2² in lane 3
    assert lanes[0].escape_area_mm2 == pytest.approx(0.16 + 0.01)
    assert lanes[2].escape_area_mm2 == pytest.approx(4.0)
    assert lanes[0].cut_m == pytest.approx(0.5)
    assert lanes[0].length_m == pytest.approx(199.5)
    # a spec of 0.05 per m²: lane 1 has 2 defects on 199.5 m × 0.1 m = 19.95 m² (0.1 per m²),
    # lane 3 has 1 on 20 m² (0.05 per m², within the spec)
    strict = slit(defects, 200.0, step, 0.5, 0.05, "R")
    assert [lane.good for lane in strict] == [False, True, True]
    assert [lane.escapes for lane in strict] == [0, 0, 1]


def test_positions_follow_the_web_through_rewinds() -> None:
    def tool(name: str, speed: float, ttf: float) -> dict[str, Any]:
        return {
            "id": name,
            "equipment": {"type": "generic", "speed_m_min": speed},
            "failures": [
                {
                    "ttf": {"dist": "fixed", "value": ttf},
                    "ttr": {"dist": "fixed", "value": 10},
                    "needs_crew": False,
                }
            ],
        }

    scenario = scenario_from_document(
        {
            "name": "two tools",
            "roll_length_m": 1000,
            "products": [
                {
                    "id": "p",
                    "web_width_m": 1,
                    "recipe": [{"station_type": "generic"}, {"station_type": "generic"}],
                }
            ],
            "lines": [
                {
                    "id": "L",
                    # A stops every 30 operating minutes at 10 m/min: at 300, 600, 900 m
                    # B stops every 15 minutes at 20 m/min: at 300, 600, 900 m of its unwind
                    "stations": [tool("A", 10, 30), tool("B", 20, 15)],
                    "buffers": [
                        {
                            "kind": "roll_store",
                            "id": "S",
                            "between": ["A", "B"],
                            "capacity_rolls": 2,
                        }
                    ],
                }
            ],
            "orders": [{"id": "O", "product": "p", "length_m": 1000, "due": 1}],
            "run": {"horizon": "1d"},
        }
    )
    plant = run(scenario)
    (roll,) = finished(plant)
    records = trace(plant, roll)["defects"]
    starts = sorted((d["station"], d["pos_m"]) for d in records)
    # A's start-up stretches (2 m) at 300, 600, 900 m from A's leading end. A rewinds the roll,
    # so B unwinds it from the other end: its stops at 300, 600, 900 m are at 1000 - 300 - 2 =
    # 698, 398 and 98 m in A's frame. B rewinds it again: the finished roll's outer end is A's.
    assert starts == [
        ("A", 300.0),
        ("A", 600.0),
        ("A", 900.0),
        ("B", 98.0),
        ("B", 398.0),
        ("B", 698.0),
    ]


def test_same_seed_same_defects() -> None:
    equipment = {**GENERIC, "defect_rates_per_m2": {"particle": 0.01}}
    scenario = one_tool(equipment, [{"station_type": "generic"}], 5)
    plant = run(scenario)
    a, b = all_defects(plant), all_defects(run(scenario))
    assert len(a) > 0
    assert all(np.array_equal(x, y) for x, y in zip(a.arrays(), b.arrays(), strict=True))
    # asking for a roll's defects again gives the same defects, sizes included
    again = all_defects(plant)
    assert all(np.array_equal(x, y) for x, y in zip(a.arrays(), again.arrays(), strict=True))


def test_quality_kpis_by_hand() -> None:
    # one slitting tool: 2 lanes of 450 mm with 50 mm trims on a 1 m web, no defects
    equipment = {
        "type": "slitting",
        "web_width_m": 1.2,
        "max_speed_m_min": 50,
        "line_speed_m_min": 10,
        "load_thread": 0,
        "unload": 0,
        "defect_rates_per_m2": {"wrinkle": 0},
    }
    recipe = [{"station_type": "slitting", "lanes": 2, "lane_width_mm": 450, "edge_trim_mm": 50}]
    scenario = one_tool(equipment, recipe, 3)
    result = simulate(scenario, RunOptions.of(scenario, replications=1, horizon_min=1440))
    # 3 rolls × 1000 m × 1 m started; good 3 × 1000 × 0.9 m²; edge trim 300 m² (web breaks are
    # possible at 5e-6 per m², about 0.015 in all: none with this seed)
    assert result.kpis["yield"].mean == pytest.approx(0.9)
    assert result.kpis["good_m2_per_h"].mean == pytest.approx(2700 / 24)
    assert result.scrap_m2["edge_trim"].mean == pytest.approx(300.0)
    # no PECVD step: no silicon, no Ah
    assert result.kpis["ah_per_h"].mean == 0.0


def test_air_exposed_rolls_are_scrapped_and_counted() -> None:
    slow = {"id": "B", "equipment": {"type": "generic", "speed_m_min": 1}}
    fast = {"id": "A", "equipment": {"type": "generic", "speed_m_min": 100}}
    scenario = scenario_from_document(
        {
            "name": "waiting",
            "roll_length_m": 100,
            "products": [
                {
                    "id": "p",
                    "web_width_m": 1,
                    "recipe": [{"station_type": "generic"}, {"station_type": "generic"}],
                }
            ],
            "lines": [
                {
                    "id": "L",
                    "stations": [fast, slow],
                    "buffers": [
                        {
                            "kind": "roll_store",
                            "id": "S",
                            "between": ["A", "B"],
                            "capacity_rolls": 50,
                            "max_wait": {"p": "2h"},
                        }
                    ],
                }
            ],
            "orders": [{"id": "O", "product": "p", "length_m": 1000, "due": 1}],
            "run": {"horizon": "1d"},
        }
    )
    result = simulate(scenario, RunOptions.of(scenario, replications=1))
    expired = result.buffers["S"].expired
    assert expired is not None and expired.mean > 0
    # each expired roll is 100 m × 1 m of air-exposed scrap
    assert result.scrap_m2["air_exposure"].mean == pytest.approx(100 * expired.mean)
