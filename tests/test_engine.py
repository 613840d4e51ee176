"""The twin engine against cases whose answer theory knows, and its bookkeeping invariants."""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SCENARIOS, VALIDATION
from tests.reference.markov_two_machine import exact_throughput
from twin.engine import (
    STATE_NAMES,
    Estimate,
    Plant,
    RunOptions,
    paired_difference,
    run_replication,
    simulate,
)
from twin.scenario import Scenario, load_scenario, scenario_from_document


def fluid_line(
    v1: float,
    v2: float,
    capacity_m: float,
    *,
    failures: tuple[tuple[float, float], tuple[float, float]] | None = None,
    initial_m: float = 0.0,
    horizon: float = 1440.0,
    maintenance: list[dict[str, Any]] | None = None,
) -> Scenario:
    """Two generic inline stations at v1 and v2 m/min joined by an accumulator."""

    def station(name: str, speed: float, k: int) -> dict[str, Any]:
        spec: dict[str, Any] = {"id": name, "equipment": {"type": "generic", "speed_m_min": speed}}
        if failures is not None:
            mtbf, mttr = failures[k]
            spec["failures"] = [
                {
                    "ttf": {"dist": "exponential", "mean": mtbf},
                    "ttr": {"dist": "exponential", "mean": mttr},
                    "needs_crew": False,
                }
            ]
        return spec

    second = station("M2", v2, 1)
    if maintenance:
        second["maintenance"] = maintenance
    return scenario_from_document(
        {
            "name": "fluid two-station line",
            "roll_length_m": 100_000,
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
                    "stations": [station("M1", v1, 0), second],
                    "buffers": [
                        {
                            "kind": "accumulator",
                            "id": "A",
                            "between": ["M1", "M2"],
                            "capacity_m": capacity_m,
                            "initial_m": initial_m,
                        }
                    ],
                }
            ],
            "orders": [{"id": "O", "product": "web", "length_m": 10_000_000, "due": 1}],
            "run": {"horizon": horizon, "seed": 5},
        }
    )


# ------------------------------------------------------------------------ deterministic lines
def test_two_stations_without_failures_give_the_slower_ones_throughput() -> None:
    result = simulate(fluid_line(10, 8, 100))
    # M2 runs at its own 8 m/min from t = 0 (the fluid needs no fill time): 8 × 1440 = 11520 m
    assert result.stations["M2"].metres.mean == pytest.approx(8 * 1440, abs=1e-6)
    # M1 fills the accumulator at 10 - 8 = 2 m/min: full (100 m) at 50 min, then blocked to 8
    assert result.stations["M1"].metres.mean == pytest.approx(8 * 1440 + 100, abs=1e-6)
    assert result.stations["M1"].states["blocked"] == pytest.approx((1440 - 50) * 0.2 / 1440)
    assert result.buffers["A"].max_level == pytest.approx(100)


def test_scripted_stop_fills_the_accumulator_and_blocks_upstream_on_time() -> None:
    stop = {"kind": "calendar", "name": "stop", "every": "30d", "first": 100, "duration": 60}
    stop["needs_crew"] = False
    scenario = fluid_line(8, 10, 100, horizon=300, maintenance=[stop])
    plant = Plant(scenario, RunOptions.of(scenario, event_log=True))
    result = plant.run()
    events = [(e.minute, e.state) for e in result.events or [] if e.unit == "M1"]
    # Before 100 min the accumulator stays empty (M1 is the slower one). M2 stops at 100 min,
    # so M1 fills the 100 m accumulator at 8 m/min: full after 12.5 min, M1 blocked at 112.5 min
    # until M2 restarts at 160 min.
    assert (pytest.approx(112.5), "blocked") in events
    assert (pytest.approx(160.0), "working") in events
    # the stop is logged with its cause and the roll on M2: by then M2 has run 100 min at
    # M1's 8 m/min (the accumulator was empty), 800 m of roll O/1 at recipe step 1
    stop = next(e for e in result.events or [] if e.unit == "M2" and e.state == "maintenance")
    assert (stop.minute, stop.station, stop.cause) == (pytest.approx(100.0), "M2", "stop")
    assert (stop.roll, stop.order, stop.product, stop.step) == ("O/1", "O", "web", 1)
    assert stop.metres == pytest.approx(800.0)
    # M1 made 8 m/min for 300 - 47.5 min = 2020 m; M2 the same (8×100 + 10×50 + 8×90) as the
    # accumulator drains at 2 m/min from 160 to 210 min.
    assert result.flatten()["stations.M1.metres"] == pytest.approx(2020.0)
    assert result.flatten()["stations.M2.metres"] == pytest.approx(2020.0)
    assert result.flatten()["stations.M1.states.blocked"] == pytest.approx(47.5 / 300)
    assert result.flatten()["stations.M2.states.maintenance"] == pytest.approx(60 / 300)


def _level_at(trace: list[tuple[float, float]], t: float) -> float:
    """The level a trace gives at ``t``: linear between its entries."""
    for (t0, l0), (t1, l1) in itertools.pairwise(trace):
        if t0 <= t <= t1 and t1 > t0:
            return l0 + (l1 - l0) * (t - t0) / (t1 - t0)
    return trace[-1][1]


def test_the_accumulator_log_follows_the_scripted_stop() -> None:
    stop = {"kind": "calendar", "name": "stop", "every": "30d", "first": 100, "duration": 60}
    stop["needs_crew"] = False
    scenario = fluid_line(8, 10, 100, horizon=300, maintenance=[stop])
    result = Plant(scenario, RunOptions.of(scenario, event_log=True)).run()
    trace = [(b.minute, b.level) for b in result.buffer_events or [] if b.buffer == "A"]
    # empty until M2 stops at 100 min; fills at 8 m/min to 100 m at 112.5 min; full until M2
    # restarts at 160 min; drains at 10 - 8 = 2 m/min, empty at 210 min
    expected = {50: 0, 100: 0, 106.25: 50, 112.5: 100, 140: 100, 160: 100, 185: 50, 210: 0, 299: 0}
    for t, level in expected.items():
        assert _level_at(trace, t) == pytest.approx(level, abs=1e-6), t


def test_the_store_log_replays_each_store_exactly() -> None:
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    options = RunOptions.of(scenario, horizon_min=20 * 1440)
    logged = run_replication(scenario, options.replace(event_log=True), 0)
    assert (
        logged.flatten() == run_replication(scenario, options, 0).flatten()
    )  # logs change nothing
    changes = logged.buffer_events or []
    assert [c.minute for c in changes] == sorted(c.minute for c in changes)
    for name, figures in logged.buffers.items():
        mine = [c for c in changes if c.buffer == name]
        if figures.unit == "rolls":
            inside: set[str] = set()
            for change in mine:
                assert change.roll is not None
                if change.change == "in":
                    inside.add(change.roll)
                else:
                    inside.remove(change.roll)
                assert change.level == len(inside)
        trace = [(0.0, 0.0)] if figures.unit == "rolls" else []  # stores start empty
        trace += [(c.minute, c.level) for c in mine]  # an accumulator's starts at minute 0
        trace.append((options.horizon_min, trace[-1][1]))
        if figures.unit == "rolls":  # a step function: each level holds until the next change
            area = sum(l0 * (t1 - t0) for (t0, l0), (t1, _) in itertools.pairwise(trace))
        else:
            area = sum(
                (l0 + l1) / 2 * (t1 - t0) for (t0, l0), (t1, l1) in itertools.pairwise(trace)
            )
        assert area / options.horizon_min == pytest.approx(figures.mean_level, rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------- exponential two-machine line
def roll_line(
    mu1: float, mu2: float, p1: float, r1: float, p2: float, r2: float, capacity: int
) -> Scenario:
    document = load_scenario(VALIDATION / "two_station_rolls.yaml").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    line = document["lines"][0]
    for station, mu, p, r in (
        (line["stations"][0], mu1, p1, r1),
        (line["stations"][1], mu2, p2, r2),
    ):
        station["equipment"]["process_time"] = {"dist": "exponential", "mean": 1 / mu}
        station["failures"][0]["ttf"] = {"dist": "exponential", "mean": 1 / p}
        station["failures"][0]["ttr"] = {"dist": "exponential", "mean": 1 / r}
    line["buffers"][0]["capacity_rolls"] = capacity
    return scenario_from_document(document)


@pytest.mark.parametrize(
    ("mu1", "mu2", "p1", "r1", "p2", "r2", "capacity"),
    [
        (1 / 60, 1 / 50, 1 / 600, 1 / 60, 1 / 800, 1 / 40, 3),
        (1 / 50, 1 / 50, 1 / 400, 1 / 80, 1 / 400, 1 / 80, 1),
        (1 / 40, 1 / 60, 1 / 1000, 1 / 30, 1 / 300, 1 / 90, 5),
    ],
)
def test_exponential_two_machine_line_matches_its_markov_chain(
    mu1: float, mu2: float, p1: float, r1: float, p2: float, r2: float, capacity: int
) -> None:
    scenario = roll_line(mu1, mu2, p1, r1, p2, r2, capacity)
    result = simulate(
        scenario,
        RunOptions.of(
            scenario, demand="capacity", replications=20, horizon_min=30 * 1440, warmup_min=1440
        ),
    )
    rolls_per_h = result.kpis["output_rolls_per_h"]
    exact_per_h = 60 * exact_throughput(mu1, mu2, p1, r1, p2, r2, capacity)
    assert rolls_per_h.ci_low <= exact_per_h <= rolls_per_h.ci_high, (rolls_per_h, exact_per_h)
    # and the interval is tight enough to mean something: within 3 % of the exact value
    assert rolls_per_h.ci_high - rolls_per_h.ci_low < 0.06 * exact_per_h


# --------------------------------------------------------------------- fluid two-machine line
FAILURES = ((300.0, 30.0), (500.0, 60.0))  # (MTBF, MTTR) in operating minutes and minutes


def fluid_throughput(capacity_m: float, replications: int = 10, initial_m: float = 0.0) -> Any:
    scenario = fluid_line(
        10, 10, capacity_m, failures=FAILURES, horizon=20 * 1440, initial_m=initial_m
    )
    result = simulate(
        scenario,
        RunOptions.of(scenario, demand="capacity", replications=replications, warmup_min=1440),
    )
    return result.stations["M2"].metres, result


def test_fluid_line_without_accumulator() -> None:
    metres, _ = fluid_throughput(0.0)
    # equal speeds, no buffer: mu / (1 + p1/r1 + p2/r2) = 10 / (1 + 30/300 + 60/500) m/min
    exact = 10 / (1 + 30 / 300 + 60 / 500)
    minutes = 20 * 1440  # metres are counted over the whole run
    assert metres.ci_low / minutes <= exact <= metres.ci_high / minutes


def test_fluid_line_with_a_huge_accumulator_tends_to_the_slowest_efficiency() -> None:
    metres, _ = fluid_throughput(1e5, initial_m=5e4)
    # min(e_i mu_i) with e_i = 1 / (1 + p_i / r_i): min(10/1.1, 10/1.12) = 8.929 m/min
    limit = min(10 / 1.1, 10 / 1.12)
    rate = metres.mean / (20 * 1440)
    assert rate == pytest.approx(limit, rel=0.015)


def test_fluid_throughput_never_decreases_as_the_accumulator_grows() -> None:
    rates = [fluid_throughput(c, replications=4)[0].mean for c in (0, 20, 100, 500, 2000)]
    # common random numbers: the same failures in operating time for every size
    assert all(b >= a * (1 - 1e-9) for a, b in itertools.pairwise(rates)), rates
    assert rates[-1] > rates[0]


# ----------------------------------------------------------------------------- invariants
def test_littles_law_on_a_roll_store() -> None:
    scenario = load_scenario(VALIDATION / "two_station_rolls.yaml")
    result = simulate(
        scenario,
        RunOptions.of(
            scenario, demand="capacity", replications=1, horizon_min=200 * 1440, warmup_min=1440
        ),
    )
    store = result.buffers["B"]
    assert store.arrivals_per_h is not None and store.mean_wait_h is not None
    # L = λ W
    assert store.mean_level.mean == pytest.approx(
        store.arrivals_per_h.mean * store.mean_wait_h.mean, rel=0.02
    )


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(SCENARIOS / "baseline.yaml")


def test_time_in_state_sums_to_the_horizon(baseline: Scenario) -> None:
    result = run_replication(baseline, RunOptions.of(baseline, horizon_min=10 * 1440), 0)
    names = {key.split(".")[1] for key in result.flatten() if key.startswith("stations.")}
    assert len(names) == sum(len(line.stations) for line in baseline.lines)
    for name in names:
        states = [
            v for k, v in result.flatten().items() if k.startswith(f"stations.{name}.states.")
        ]
        assert len(states) == 8
        assert sum(states) == pytest.approx(1.0, abs=1e-9), name


def test_same_seed_same_numbers_and_replications_stand_alone(baseline: Scenario) -> None:
    first = simulate(
        baseline, RunOptions.of(baseline, replications=2, horizon_min=7 * 1440, warmup_min=0)
    )
    again = simulate(
        baseline, RunOptions.of(baseline, replications=2, horizon_min=7 * 1440, warmup_min=0)
    )
    assert first.model_dump() == again.model_dump()
    # replication 1 alone equals replication 1 of the pair: no hidden shared state
    alone = run_replication(
        baseline, RunOptions.of(baseline, horizon_min=7 * 1440, warmup_min=0), 1
    )
    paired = run_replication(
        baseline, RunOptions.of(baseline, horizon_min=7 * 1440, warmup_min=0), 1
    )
    assert alone.flatten() == paired.flatten()
    other = simulate(
        baseline,
        RunOptions.of(baseline, replications=2, seed=99, horizon_min=7 * 1440, warmup_min=0),
    )
    assert other.kpis != first.kpis


def test_common_random_numbers_across_scenarios(baseline: Scenario) -> None:
    # A change on one line leaves the failures of the other lines' stations exactly as they were.
    document = baseline.model_dump(mode="json", by_alias=True, exclude_none=True)
    changed = copy.deepcopy(document)
    changed["lines"][2]["stations"][0]["equipment"]["max_speed_m_min"] *= 0.9
    a = run_replication(baseline, RunOptions.of(baseline, horizon_min=7 * 1440, warmup_min=0), 0)
    b = run_replication(
        scenario_from_document(changed),
        RunOptions.of(scenario_from_document(changed), horizon_min=7 * 1440, warmup_min=0),
        0,
    )
    untouched = [line.id for line in baseline.lines[:2]]
    for key, value in a.flatten().items():
        if any(key.startswith(f"lines.{line}.") for line in untouched):
            other = b.flatten()[key]
            assert other == value or (math.isnan(other) and math.isnan(value)), key


def test_orders_complete_and_output_matches_the_order_book(baseline: Scenario) -> None:
    result = run_replication(
        baseline, RunOptions.of(baseline, horizon_min=60 * 1440, warmup_min=0), 0
    )
    ordered = sum(baseline.order_length_m(o) for o in baseline.orders)
    made = result.flatten()["kpis.output_m_per_h"] * 60 * 1440 / 60
    assert all(o.completion_min is not None for o in result.orders.values())
    assert made == pytest.approx(ordered)


@given(
    v1=st.floats(1, 50),
    v2=st.floats(1, 50),
    capacity=st.sampled_from([0.0, 1.0, 25.0, 400.0]),
    ttf=st.floats(20, 2000),
    ttr=st.floats(1, 200),
    seed=st.integers(0, 1000),
)
@settings(max_examples=40, deadline=None)
def test_fluid_line_conserves_web(
    v1: float, v2: float, capacity: float, ttf: float, ttr: float, seed: int
) -> None:
    scenario = fluid_line(v1, v2, capacity, failures=((ttf, ttr), (ttf * 1.3, ttr)), horizon=2880)
    result = run_replication(scenario, RunOptions.of(scenario, seed=seed), 0)
    m = result.flatten()
    level = m["stations.M1.metres"] - m["stations.M2.metres"]
    # what M1 made and M2 has not taken is in the accumulator, which never overflows
    assert -1e-6 <= level <= capacity + 1e-6
    assert m["stations.M2.metres"] <= min(v1, v2) * 2880 + 1e-6
    for name in ("M1", "M2"):
        total = sum(m[f"stations.{name}.states.{s}"] for s in STATE_NAMES)
        assert total == pytest.approx(1.0, abs=1e-9)


def test_estimates_are_student_t_intervals_kept_above_zero_for_non_negative_data() -> None:
    # 1, 2, 3, 4: mean 2.5, s = sqrt(5/3) = 1.291, t(0.975, 3) = 3.182 -> half 2.054
    estimate = Estimate.of([1, 2, 3, 4])
    assert (estimate.mean, estimate.n) == (2.5, 4)
    assert estimate.ci_low == pytest.approx(2.5 - 3.182 * math.sqrt(5 / 3) / 2, abs=1e-9)
    # 0, 0, 0, 4: mean 1, s = 2, half 3.182 -> [-2.18, 4.18], but no value is below zero
    rare = Estimate.of([0, 0, 0, 4])
    assert rare.ci_low == 0.0 and rare.ci_high == pytest.approx(1 + 3.182)
    # a quantity that can be negative keeps its interval
    signed = Estimate.of([-1, 0, 0, 5])
    assert signed.ci_low == pytest.approx(1 - 3.182 * math.sqrt(22 / 3) / 2)


def test_paired_differences_use_common_random_numbers() -> None:
    # the baseline, and the same plant with a third PC2 coater (its bottleneck)
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    faster = scenario.with_changes({"lines[1].stations[1].units": 3})
    a = simulate(
        scenario, RunOptions.of(scenario, replications=8, seed=5, horizon_min=4320, warmup_min=0)
    )
    b = simulate(
        faster, RunOptions.of(faster, replications=8, seed=5, horizon_min=4320, warmup_min=0)
    )
    assert len(a.replication_kpis) == 8
    # by hand: the mean and t-interval of the eight replication-by-replication differences
    d = [
        y["output_m_per_h"] - x["output_m_per_h"]
        for x, y in zip(a.replication_kpis, b.replication_kpis, strict=True)
    ]
    mean = sum(d) / 8
    s = math.sqrt(sum((v - mean) ** 2 for v in d) / 7)
    paired = paired_difference(a, b, "output_m_per_h")
    assert paired is not None
    assert paired.mean == pytest.approx(mean)
    assert paired.ci_high - paired.mean == pytest.approx(2.365 * s / math.sqrt(8))
    # the same failures hit both runs, so pairing gives a narrower interval than treating the
    # runs as independent (half-widths combined in quadrature)
    ka, kb = a.kpis["output_m_per_h"], b.kpis["output_m_per_h"]
    independent = math.hypot(ka.ci_high - ka.mean, kb.ci_high - kb.mean)
    assert paired.ci_high - paired.mean < independent
    # a run compared with itself differs by exactly nothing; other seeds cannot be paired
    assert paired_difference(a, a, "output_m_per_h") == Estimate(mean=0, ci_low=0, ci_high=0, n=8)
    other = simulate(
        faster, RunOptions.of(faster, replications=8, seed=6, horizon_min=4320, warmup_min=0)
    )
    assert paired_difference(a, other, "output_m_per_h") is None
