"""Issue 13: each question asked the right way (what can the plant make? will my orders ship?)
and answered plainly, with hand-worked numbers and the extra-source variant's verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import SCENARIOS
from twin import (
    RunOptions,
    load_scenario,
    run_study,
    scenario_from_document,
    simulate,
    static_capacity,
)
from twin.cli import app
from twin.comparison import compare, run_with_common_seeds
from twin.study import load_study

runner = CliRunner()

# Two roll-coupled generic stations, 10 and 8 m/min, a store of 2 rolls between them, 1000 m
# rolls, no failures, no load or unload time. Fed without end, M2 is the bottleneck: M1 needs
# 100 min a roll and M2 125 min, so M2 finishes roll k at 100 + 125 k min.
TWO_TOOLS: dict[str, Any] = {
    "name": "two tools",
    "roll_length_m": 1000,
    "products": [{"id": "P", "web_width_m": 1.0, "recipe": [{"station_type": "generic"}] * 2}],
    "lines": [
        {
            "id": "L",
            "stations": [
                {"id": "M1", "equipment": {"type": "generic", "speed_m_min": 10}},
                {"id": "M2", "equipment": {"type": "generic", "speed_m_min": 8}},
            ],
            "buffers": [
                {"kind": "roll_store", "id": "B", "between": ["M1", "M2"], "capacity_rolls": 2}
            ],
        }
    ],
    "orders": [{"id": "O", "product": "P", "length_m": 3000, "due": "1d"}],
    # warm-up 1 d; horizon 1440 + 104 x 125 min: rolls 11 to 114 finish after the warm-up
    "run": {"demand": "capacity", "horizon": 14440, "warmup": "1d", "quality": False},
}


def _speeds(*speeds: float) -> list[Any]:
    documents = []
    for speed in speeds:
        document = json.loads(json.dumps(TWO_TOOLS))
        document["lines"][0]["stations"][1]["equipment"]["speed_m_min"] = speed
        documents.append(scenario_from_document(document))
    return documents


def test_a_capacity_run_of_two_tools_gives_the_bottleneck_rate_exactly() -> None:
    scenario = scenario_from_document(TWO_TOOLS)
    result = simulate(scenario)
    # 104 rolls of 1000 m over (14440 - 1440) / 60 h = 480 m/h, M2's 8 m/min
    assert result.demand == "capacity"
    assert result.kpis["output_m_per_h"].mean == pytest.approx(480.0)
    assert result.lines["L"].output_rolls_per_h.mean == pytest.approx(104 / (13000 / 60))
    assert result.stations["M2"].states["working"] == pytest.approx(1.0)
    assert result.stations["M2"].line_bottleneck_share > 0.99
    [bound] = static_capacity(scenario)
    assert bound.bound_m_h == pytest.approx(480.0) and bound.bottleneck == "M2"
    # the same plant asked about its order book: three rolls, counted from the start
    orders = simulate(scenario, RunOptions.of(scenario, demand="orders"))
    assert orders.warmup_days == 0
    assert orders.kpis["output_rolls_per_h"].mean == pytest.approx(3 / (14440 / 60))


def test_each_line_of_the_baseline_stays_below_its_availability_bound() -> None:
    baseline = load_scenario(SCENARIOS / "baseline.yaml")
    result = simulate(baseline, RunOptions.of(baseline, demand="capacity", replications=3))
    bounds = {(c.line, c.product): c.bound_m_h for c in static_capacity(baseline)}
    for line_id, line in result.lines.items():
        mix = result.mix[line_id]
        # hours per metre of the mix at each product's bound: the mix's bound is its inverse
        bound = 1 / sum(share / bounds[(line_id, p)] for p, share in mix.items())
        assert line.output_m_per_h.mean <= bound, (line_id, line.output_m_per_h, bound)


def test_a_compare_of_three_scenarios_gives_their_known_differences() -> None:
    # M2 at 8, 10 and 12 m/min: bottleneck 480, then M1's 600 (twice 10 m/min), then 600 still
    results, notes = run_with_common_seeds(_speeds(8, 10, 12))
    comparison = compare(results, ["slow", "equal", "fast"], notes)
    row = comparison.row("plant", "output_m_per_h")
    assert [v[0] for v in row.values if v] == pytest.approx([480, 600, 600], rel=2e-3)
    first, second = row.differences
    assert first is not None and second is not None
    assert first.paired and first.mean == pytest.approx(120, rel=2e-2) and first.significant
    assert row.verdict(1) == "better" and row.verdict(2) == "better"
    assert comparison.confidence == pytest.approx(0.975)  # two comparisons: Bonferroni
    assert any("Bonferroni" in note for note in comparison.notes)


def test_r2r_compare_prints_the_variant_per_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "compare",
            str(SCENARIOS / "baseline.yaml"),
            str(SCENARIOS / "baseline_extra_pecvd_source.yaml"),
            "--capacity",
            "--replications",
            "3",
            "--days",
            "10",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "line INL1" in result.output and "better" in result.output
    assert "WORSE" not in result.output


@pytest.fixture(scope="module")
def variant() -> tuple[Any, Any, Any, Any]:
    base = load_scenario(SCENARIOS / "baseline.yaml")
    extra = load_scenario(SCENARIOS / "baseline_extra_pecvd_source.yaml")
    capacity = compare(run_with_common_seeds([base, extra], capacity=True, replications=5)[0])
    orders = compare(run_with_common_seeds([base, extra], replications=5)[0])
    return base, extra, capacity, orders


def test_the_extra_source_reads_as_more_capacity_and_shorter_lead_times(variant: Any) -> None:
    _, _, capacity, orders = variant
    inl1 = capacity.row("INL1", "output_m2_per_h").differences[0]
    assert inl1.low > 0, inl1  # INL1 capacity up, the interval excludes zero
    assert orders.row("INL1", "lead_time_h").differences[0].high < 0  # its lead time down
    for comparison in (capacity, orders):  # no headline figure of either run gets worse
        for row in comparison.rows:
            assert row.verdict(1) != "worse", (row.scope, row.kpi, row.differences)


def test_the_bundled_study_adds_the_third_pc2_coater() -> None:
    spec = load_study(Path(__file__).resolve().parents[1] / "studies" / "pecvd_accumulator.yaml")
    spec = spec.with_changes({"replications": 3, "horizon": "10d", "warmup": "1d"})
    result = run_study(spec, workers=1)
    decision = result.decision("lines.RCCU.output_m2_per_h")
    units = {result.points[p]["PC2_units"] for p in decision.subset}
    assert units == {3}, decision.lines()


def test_an_order_book_run_names_every_order_with_dates(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    path = SCENARIOS / "baseline.yaml"
    result = runner.invoke(
        app, ["simulate", str(path), "--replications", "2", "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    assert "order-book run: will the orders ship?" in result.output
    assert "delivery: orders on time" in result.output
    assert "2026-12-12 14:00" in result.output  # SO-A3-01's due date, as a date
    assert (
        "more order(s)" in result.output and "--all-orders" in result.output
    )  # nothing cut silently
    # the rows left out are on time in every replication: said so, not as "at least 100 %"
    assert "each on time in every replication" in result.output
    assert "100% likely" not in result.output
    # an order-book run deletes no warm-up: its time in state is counted from the start
    assert "share of time in each state (from the start)" in result.output
    every = runner.invoke(
        app, ["simulate", str(path), "--replications", "2", "--all-orders", "--no-store"]
    )
    assert every.output.count("SO-") >= 44
    exported = tmp_path / "run.json"
    assert (
        runner.invoke(app, ["export", "1", "--out", str(exported), "--store", str(store)]).exit_code
        == 0
    )
    orders = json.loads(exported.read_text())["tables"]["orders"]
    assert len(orders) == 44
    first = orders[0]
    assert {
        "order",
        "line",
        "product",
        "due",
        "expected_completion",
        "on_time_probability",
        "on_time_low",
        "on_time_high",
        "expected_tardiness_h",
        "due_h",
    } <= set(first)
    assert first["due"].startswith("2026-") or first["due"].startswith("2027-")
    probabilities = [o["on_time_probability"] for o in orders]
    assert probabilities == sorted(probabilities)  # the riskiest first


def test_a_figure_the_same_in_every_replication_says_so_rather_than_look_exact() -> None:
    # the baseline against itself with common seeds: every paired difference is exactly zero,
    # which must read as "the same in every replication", not as an interval [+0, +0]
    baseline = str(SCENARIOS / "baseline.yaml")
    args = ["compare", baseline, baseline, "--replications", "3", "--days", "5"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "0 (same in all)" in result.output
    assert "[+0, +0]" not in result.output and "[0, 0]" not in result.output
    assert "marks a figure that was the same in every replication" in result.output
