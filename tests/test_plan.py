"""Executing a schedule in the twin, and the on-time probabilities it reports."""

from __future__ import annotations

import pytest

from twin.engine import RunOptions, SchedulePlan, SimulationResult, simulate
from twin.engine.plant import Plant
from twin.engine.stats import Probability
from twin.scenario import Scenario, scenario_from_document
from twin.schedule.plant import schedule_plant


def two_tools() -> Scenario:
    """M1 (60 min per roll) then M2 (30 min per roll), fixed times; three one-roll orders."""
    tool = lambda name, minutes: {  # noqa: E731
        "id": name,
        "equipment": {"type": "generic", "process_time": {"dist": "fixed", "value": minutes}},
    }
    return scenario_from_document(
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
                    "stations": [tool("M1", 60), tool("M2", 30)],
                    "buffers": [
                        {"kind": "roll_store", "id": "S", "between": ["M1", "M2"],
                         "capacity_rolls": 5}
                    ],
                }
            ],
            "orders": [
                {"id": "A", "product": "p", "length_m": 1000, "due": 100},
                {"id": "B", "product": "p", "length_m": 1000, "due": 100},
                {"id": "C", "product": "p", "length_m": 1000, "release": 10, "due": 200},
            ],
            "run": {"horizon": "1d", "replications": 2},
        }
    )  # fmt: skip


def test_fifo_without_a_plan() -> None:
    result = simulate(two_tools())
    # FIFO: A 0–60 on M1, 60–90 on M2; B 60–120, 120–150; C 120–180, 180–210
    completions = {k: o.completion_h.mean * 60 for k, o in result.orders.items()}  # type: ignore[union-attr]
    assert completions == pytest.approx({"A": 90, "B": 150, "C": 210})


def test_the_twin_follows_the_planned_sequence_and_releases() -> None:
    plan = SchedulePlan(
        source="hand",
        machines={"M1": ["C/1", "B/1", "A/1"], "M2": ["C/1", "B/1", "A/1"]},
        release_min={"C/1": 30, "B/1": 0, "A/1": 0},
        planned_completion_min={"C/1": 120},
    )
    scenario = two_tools()
    result = simulate(scenario, RunOptions.of(scenario, plan=plan))
    # M1 waits for C, released at its planned 30 min: C 30–90 on M1, 90–120 on M2; then B
    # 90–150, 150–180; A 150–210, 210–240
    completions = {k: o.completion_h.mean * 60 for k, o in result.orders.items()}  # type: ignore[union-attr]
    assert completions == pytest.approx({"A": 240, "B": 180, "C": 120})
    # A and B were due at 100 min: late in every replication; C on time in every one
    assert result.orders["A"].on_time.p == 0.0 and result.orders["C"].on_time.p == 1.0
    # weighted tardiness (weights 1): (240 - 100) + (180 - 100) = 220 min
    assert result.kpis["weighted_tardiness_h"].mean == pytest.approx(220 / 60)


def _started(plan: SchedulePlan | None, minute: float) -> set[tuple[str, str]]:
    scenario = two_tools()
    plant = Plant(scenario, RunOptions.of(scenario, plan=plan), 0)
    plant.begin()
    plant.run_until(minute)
    return plant.started_operations()


def test_a_rolling_run_sees_which_planned_operations_have_started() -> None:
    # A and C planned, B not: M1 runs A 0-60, C 60-120 (released at 10), then B 120-180; M2
    # A 60-90, C 120-150, B 180-210. A plan's operations stay started once its roll is done
    # (a re-planning policy measures the plan's delays by them).
    plan = SchedulePlan(
        source="hand",
        machines={"M1": ["A/1", "C/1"], "M2": ["A/1", "C/1"]},
        release_min={"A/1": 0, "C/1": 10},
    )
    assert _started(plan, 100) == {("M1", "A/1"), ("M2", "A/1"), ("M1", "C/1")}
    # at the end B, which no plan holds, is finished and forgotten; the plan's four stay
    assert _started(plan, 1440) == {("M1", "A/1"), ("M2", "A/1"), ("M1", "C/1"), ("M2", "C/1")}


def test_a_run_keeps_which_machines_took_only_the_rolls_still_in_the_plant() -> None:
    # FIFO: A 0-60 on M1, 60-90 on M2; B 60-120 on M1. At 100 min A is finished, B on M1.
    assert _started(None, 100) == {("M1", "B/1")}
    assert _started(None, 1440) == set()  # every roll finished: a long run's memory stays flat


def test_wilson_score_interval() -> None:
    # z = 1.96: 0 of 10 gives [0, 0.2775]; 5 of 10 gives [0.2366, 0.7634] (standard tables)
    none = Probability.wilson(0, 10)
    assert (none.low, none.high) == pytest.approx((0.0, 0.2775), abs=1e-4)
    half = Probability.wilson(5, 10)
    assert (half.low, half.high) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert Probability.wilson(10, 10).high == pytest.approx(1.0)


def coater_with_cleans() -> Scenario:
    """One PECVD tool, 4 µm silicon on 1000 m rolls: 4000 µm·m of wall deposit per roll, a clean
    due at 10,000 µm·m; five one-roll orders."""
    coater = {
        "type": "pecvd",
        "web_width_m": 1.0,
        "max_speed_m_min": 10,
        "sources": 4,
        "dynamic_rate_nm_m_min": 3000,
    }
    return scenario_from_document(
        {
            "name": "coater",
            "roll_length_m": 1000,
            "products": [
                {"id": "p", "web_width_m": 1,
                 "recipe": [{"station_type": "pecvd", "si_thickness_um": 4}]}
            ],
            "lines": [
                {
                    "id": "L",
                    "stations": [
                        {"id": "PE", "equipment": coater,
                         "maintenance": [{"kind": "usage", "name": "chamber clean",
                                          "counter": "wall_deposit_um_m", "limit": 10000,
                                          "duration": "2h"}]}
                    ],
                }
            ],
            "orders": [
                {"id": f"O{i}", "product": "p", "length_m": 1000, "due": "10d"} for i in range(5)
            ],
            "run": {"horizon": "10d", "replications": 1, "quality": True},
        }
    )  # fmt: skip


def deposit_at_coating(result: SimulationResult) -> dict[str, float]:
    assert result.rolls is not None
    return {
        roll["id"]: stage["condition"]["wall_deposit_um_m"]
        for roll in result.rolls
        for stage in roll["stations"]
        if stage["station"] == "PE"
    }


def test_the_twin_cleans_where_the_schedule_plans_it() -> None:
    scenario = coater_with_cleans()
    # Left to itself the tool cleans when the deposit reaches 10,000 µm·m, half-way through the
    # third roll, which starts coating at 8000.
    reactive = deposit_at_coating(simulate(scenario, RunOptions.of(scenario, genealogy=True)))
    assert sorted(reactive.values())[-1] == pytest.approx(8000)
    # The schedule cleans before the third and the fifth roll (8000 + 4000 would pass 10,000),
    # and the twin does so too: every roll starts coating at 0 or 4000.
    schedule = schedule_plant(scenario, "makespan", time_limit_s=10, workers=1)
    assert schedule.plan is not None
    cleans = schedule.plan.maintenance["PE"]
    assert len(cleans) == 2 and all(c == ["PE.wall_deposit_um_m"] for c in cleans.values())
    planned = deposit_at_coating(
        simulate(scenario, RunOptions.of(scenario, genealogy=True, plan=schedule.plan))
    )
    assert sorted(planned.values()) == pytest.approx([0, 0, 0, 4000, 4000])
    assert {roll for roll, deposit in planned.items() if deposit == 0} == {
        schedule.plan.machines["PE"][0],
        *cleans,
    }
