"""Calibration from event logs: known distributions come back, censoring and operating time count.

The logs are the twin's own (``r2r simulate --events`` writes the same format), so the truth is
known: the scenario that made the log.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.history_cases import (
    DATA,
    censoring_experiment,
    one_station_lines,
    recorded_run,
    twin_log,
)
from twin.history import calibrate, calibrated_yaml, calibration_html, records_log
from twin.history.episodes import station_histories
from twin.history.fitting import Sample, fit_durations
from twin.scenario import load_scenario, parse_scenario, scenario_from_document

ROUND_TRIP = DATA / "round_trip.yaml"


@pytest.fixture(scope="module")
def round_trip() -> tuple:
    scenario = load_scenario(ROUND_TRIP)
    log = twin_log(scenario)
    return scenario, log, calibrate(log, scenario)


def test_round_trip_intervals_contain_every_true_parameter(round_trip: tuple) -> None:
    _, _, calibration = round_trip
    modes = {m.station: m for m in calibration.modes}
    a, b = modes["A"], modes["B"]
    assert a.failures > 200 and b.failures > 250  # a year: hundreds of failures each
    truths = {
        ("A", "ttf", "exponential"): {"mean": 30 * 60},
        ("A", "ttr", "lognormal"): {"mean": 120, "cv": 0.5},
        ("B", "ttf", "weibull"): {"shape": 2.0, "scale": 24 * 60},
        ("B", "ttr", "lognormal"): {"mean": 90, "cv": 0.6},
    }
    for (station, what, family), parameters in truths.items():
        fit = getattr(modes[station], what).family(family)
        assert fit is not None
        for name, true in parameters.items():
            parameter = fit.parameter(name)
            assert parameter.covers(true), (station, what, parameter, true)
    # AIC picks the Weibull for B's wear-out; the repairs' lognormal beats the exponential
    assert b.ttf.best is not None and b.ttf.best.family == "weibull"
    assert b.ttf.akaike_weight(b.ttf.best) > 0.9
    assert b.ttr.best is not None and b.ttr.best.family == "lognormal"
    # the exponential A fails by: any family within 2 AIC of the best, Weibull shape near 1
    weibull = a.ttf.family("weibull")
    assert weibull is not None and weibull.parameter("shape").covers(1.0)
    for fit in (a.ttf, a.ttr, b.ttf, b.ttr):
        assert fit.best is not None and fit.best.ks_distance < 0.1


def test_calibrated_yaml_changes_only_fitted_values_and_keeps_comments(round_trip: tuple) -> None:
    _, _, calibration = round_trip
    original = ROUND_TRIP.read_text()
    text = calibrated_yaml(original, calibration)
    before, after = original.splitlines(), text.splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 4  # ttf and ttr of A and B; every comment line is as it was
    for old, new in changed:
        assert old.split(":")[0] == new.split(":")[0]  # the same key on the same line
        assert "calibrated from the twin" in new and "n=" in new and "by AIC" in new
        assert "was: true value" in new  # the comment that was there is kept
    assert "weibull" in next(n for o, n in changed if "wear-out" in o)
    calibrated = parse_scenario(text)
    assert calibrated.line("L").stations[1].failures[0].ttf.dist == "weibull"
    assert yaml.safe_load(text)["run"] == yaml.safe_load(original)["run"]


def test_report_shows_fits_censored_points_and_differences(round_trip: tuple) -> None:
    _, _, calibration = round_trip
    page = calibration_html(calibration)
    assert page.count("plotly-graph-div") >= 9  # states + 2 plots x 4 fitted durations
    assert "Differences from the input scenario" in page and "Q-Q" in page
    assert "censored" in page and "AIC" in page and "weight" in page


def test_censoring_matters_naive_estimate_is_biased_ours_covers() -> None:
    """Mean time to failure 200 h, two-month logs: about seven failures per station and log.

    Ignoring the up-period the log's end cuts off biases the mean down (here about -15 %); the
    censored estimate is centred on the truth and its 95 % interval covers it at about its
    nominal rate. A quick form of the run in benchmarks/bench_history.py (600 estimates).
    """
    outcome = censoring_experiment(seeds=4, stations=20)
    assert len(outcome.ours) >= 70 and outcome.too_few <= 10
    assert all(n <= o for n, o in zip(outcome.naive, outcome.ours, strict=True))
    assert outcome.naive_ratio < 0.92
    assert 0.9 < outcome.ours_ratio < 1.12
    assert outcome.ours_coverage >= 0.88


def test_operating_time_not_calendar_time() -> None:
    """M2 is twice as fast as M1 that feeds it, so it is starved about half the time."""
    document = {
        "name": "half-starved",
        "roll_length_m": 10_000,
        "products": [{"id": "P", "web_width_m": 1.0, "recipe": [{"station_type": "generic"}] * 2}],
        "lines": [
            {
                "id": "L",
                "stations": [
                    {"id": "M1", "equipment": {"type": "generic", "speed_m_min": 5}},
                    {
                        "id": "M2",
                        "equipment": {"type": "generic", "speed_m_min": 10},
                        "failures": [
                            {
                                "name": "fault",
                                "ttf": {"dist": "exponential", "mean": "20h"},
                                "ttr": {"dist": "fixed", "value": 30},
                                "needs_crew": False,
                            }
                        ],
                    },
                ],
                "buffers": [
                    {"kind": "roll_store", "id": "S", "between": ["M1", "M2"], "capacity_rolls": 3}
                ],
            }
        ],
        "orders": [{"id": "O", "product": "P", "length_m": 1_500_000, "due": "300d"}],
        "run": {"horizon": "200d", "seed": 5, "quality": False},
    }
    scenario = scenario_from_document(document)
    log = twin_log(scenario)
    history = station_histories(log, scenario)["M2"]
    assert 0.4 < history.share("starved") < 0.6
    calibration = calibrate(log, scenario)
    (mode,) = [m for m in calibration.modes if m.station == "M2"]
    mean = mode.ttf.family("exponential").parameter("mean")
    assert mean.covers(20 * 60)
    up_calendar = history.known_min - history.state_min["down"]
    calendar_mttf = up_calendar / history.all_failures()
    # calendar time would double it: the same failures over twice the time
    assert 1.8 < calendar_mttf / mean.value < 2.2
    assert not mean.covers(calendar_mttf)


def test_too_few_failures_keep_the_scenarios_value() -> None:
    scenario = one_station_lines(
        1, {"dist": "exponential", "mean": "2000h"}, {"dist": "fixed", "value": 60}, "30d"
    )
    calibration = calibrate(twin_log(scenario), scenario)
    (mode,) = calibration.modes
    assert mode.ttf.best is None and "too few" in mode.ttf.note
    assert any("kept the scenario's" in note for note in mode.notes)
    assert not [c for c in calibration.changes() if c.path[-1] == "ttf"]


def test_interval_censored_repairs_and_fit_limits() -> None:
    rng = np.random.default_rng(4)
    exact = rng.lognormal(np.log(100), 0.5, 60)
    low = np.concatenate([exact, [50.0, 80.0]])
    high = np.concatenate([exact, [150.0, math.inf]])
    fit = fit_durations(Sample.of(low, high))
    assert fit.best is not None and fit.family("lognormal") is not None
    few = fit_durations(Sample.of([10.0, 20.0, 30.0, 40.0], [10.0, 20.0, 30.0, 40.0]))
    assert [f.family for f in few.fits] == ["exponential"] and "exponential only" in few.note


def test_baseline_log_without_causes_keeps_multi_mode_stations() -> None:
    root = Path(__file__).resolve().parent.parent
    scenario = load_scenario(root / "scenarios" / "baseline.yaml")
    log = twin_log(scenario.with_changes({"run.horizon": 28 * 1440}))
    calibration = calibrate(log, scenario)
    oven = [m for m in calibration.modes if m.station == "OX1"]
    assert any(m.mode == "" for m in oven) or all(m.new_ttf is None for m in oven)
    for change in calibration.changes():
        assert change.path[:2] == ("lines", change.path[1])
    text = calibrated_yaml((root / "scenarios" / "baseline.yaml").read_text(), calibration)
    assert text.count("\n") == (root / "scenarios" / "baseline.yaml").read_text().count("\n")


def test_a_slowed_inline_station_fails_by_operating_time_in_proportion_to_speed() -> None:
    """U runs 10 m/min into an accumulator that D empties at 5 m/min: U works at half speed.

    Its failure clock runs at half rate, so calendar working time between failures is twice
    the 5 h it takes at full speed; the log's metres turn it back into operating time.
    """
    document = {
        "name": "inline, slowed",
        "roll_length_m": 20_000,
        "products": [{"id": "P", "web_width_m": 1.0, "recipe": [{"station_type": "generic"}] * 2}],
        "lines": [
            {
                "id": "L",
                "stations": [
                    {
                        "id": "U",
                        "equipment": {"type": "generic", "speed_m_min": 10},
                        "failures": [
                            {
                                "name": "fault",
                                "ttf": {"dist": "exponential", "mean": "5h"},
                                "ttr": {"dist": "fixed", "value": 10},
                                "needs_crew": False,
                            }
                        ],
                    },
                    {"id": "D", "equipment": {"type": "generic", "speed_m_min": 5}},
                ],
                "buffers": [
                    {"kind": "accumulator", "id": "A", "between": ["U", "D"], "capacity_m": 100}
                ],
            }
        ],
        "orders": [{"id": "O", "product": "P", "length_m": 500_000, "due": "300d"}],
        "run": {"horizon": "40d", "seed": 2, "quality": False},
    }
    scenario = scenario_from_document(document)
    records, _ = recorded_run(scenario)
    calibration = calibrate(records_log(records, scenario.run.horizon), scenario)
    (mode,) = [m for m in calibration.modes if m.station == "U"]
    assert mode.failures > 80
    assert mode.ttf.family("exponential").parameter("mean").covers(5 * 60)
    (speed,) = [s for s in calibration.speeds if s.station == "U"]
    assert speed.modelled_m_min == 10 and 4.5 < speed.speed_m_min < 5.5  # slowed to D's pace
    # a log without metres (an MES that does not record them): the station is only reported
    bare = [dataclasses.replace(r, metres=None) for r in records]
    tuples = calibrate(records_log(bare, scenario.run.horizon), scenario)
    (plain,) = [m for m in tuples.modes if m.station == "U"]
    assert plain.new_ttf is None and any("inline" in note for note in plain.notes)
    assert plain.ttf.family("exponential").parameter("mean").value > 1.7 * 5 * 60


def test_full_records_give_causes_speeds_and_changeovers_of_the_baseline() -> None:
    root = Path(__file__).resolve().parent.parent
    scenario = load_scenario(root / "scenarios" / "baseline.yaml")
    records, _ = recorded_run(scenario, horizon_min=28 * 1440)
    calibration = calibrate(records_log(records, 28 * 1440), scenario)
    by_station = {(s.station, s.product): s for s in calibration.speeds}
    coater = by_station[("PC2", "CuSi-A11-475")]  # roll-coupled: full speed while working
    assert coater.speed_m_min == pytest.approx(coater.modelled_m_min, rel=1e-3)
    assert coater.mean_roll_min == pytest.approx(1500 / coater.modelled_m_min, rel=1e-3)
    assert calibration.changeovers and all(
        c.mean_min == pytest.approx(c.modelled_min) for c in calibration.changeovers
    )
    modes = {(m.station, m.mode) for m in calibration.modes}
    assert ("PC1", "plasma source arc-out") in modes and ("PC1", "vacuum pump or leak") in modes
    assert not [m for m in calibration.modes if m.mode == ""]  # every failure names its mode
