"""The naive metre-by-metre inline model against hand calculations.

Operating time by wall time t of a station that never waits and fails deterministically after
every ttf operating minutes, down ttr each time: k = floor(t / (ttf + ttr)) whole cycles, then
op(t) = k ttf + min(t - k (ttf + ttr), ttf). A station moving v m/min has then finished
floor(v op(t)) metres. All parameters below keep events off the horizon so that the floors are
exact.
"""

from __future__ import annotations

import math

import pytest

from benchmarks.naive_inline import naive_inline_output

INF = float("inf")


def operating_minutes(t: float, ttf: float, ttr: float) -> float:
    """Operating time by wall time t of a never-waiting station with deterministic failures."""
    cycles = math.floor(t / (ttf + ttr))
    return cycles * ttf + min(t - cycles * (ttf + ttr), ttf)


@pytest.mark.parametrize(("v1", "v2"), [(10.0, 8.0), (6.0, 9.0), (7.0, 7.0), (12.5, 3.0)])
@pytest.mark.parametrize("capacity_m", [1.0, 25.0, 100.0])
def test_no_failures_is_the_slower_speed(v1: float, v2: float, capacity_m: float) -> None:
    horizon = 180.0  # three hours
    result = naive_inline_output(v1, v2, capacity_m, INF, 0.0, INF, 0.0, horizon)
    expected = min(v1, v2) * horizon
    # one metre of pipeline fill (the first metre passes through both stations), one of rounding
    assert expected - 2 <= result["output_m"] <= expected
    assert result["events"] > result["output_m"]


def test_no_failures_exact_count() -> None:
    # v1 = 10, v2 = 8: station 2 gets its first metre at 0.1 and then finishes one every 0.125,
    # so by 180 min it has finished floor((180 - 0.1) / 0.125) = 1439 metres
    result = naive_inline_output(10.0, 8.0, 100.0, INF, 0.0, INF, 0.0, 180.0)
    assert result["output_m"] == 1439


def test_coupled_no_failures_runs_at_the_slower_speed() -> None:
    # capacity 0: lockstep at min(v1, v2) = 8 m/min, no pipeline lag
    result = naive_inline_output(10.0, 8.0, 0.0, INF, 0.0, INF, 0.0, 180.05)
    assert result["output_m"] == math.floor(8 * 180.05) == 1440


def test_only_station_2_fails_huge_accumulator() -> None:
    # v1 = v2 = 8: station 2 starts at 1/8 and is never starved again (station 1 keeps pace and
    # the backlog built during each repair never drains), so it finishes floor(8 op(H - 1/8)).
    v, ttf, ttr, horizon = 8.0, 100.0, 20.0, 560.05
    result = naive_inline_output(v, v, 1e9, INF, 0.0, ttf, ttr, horizon)
    expected = math.floor(v * operating_minutes(horizon - 1 / v, ttf, ttr))
    assert expected == 3839  # 4 cycles of 120 min (3200 m), then 79.925 op min (639 m)
    assert result["output_m"] == expected


def test_only_station_2_fails_operating_fraction() -> None:
    # long run: output ≈ v2 × H × ttf / (ttf + ttr), here 8 × 1200 × 100 / 120 = 8000 m
    result = naive_inline_output(8.0, 8.0, 1e9, INF, 0.0, 100.0, 20.0, 1200.0)
    assert result["output_m"] == pytest.approx(8000, abs=2)


def test_only_station_1_fails_huge_accumulator() -> None:
    # station 2 finishes each metre 1/8 after station 1 hands it over, so the output by H is
    # what station 1 has finished by H - 1/8: floor(8 op(H - 1/8)) = 3839 as above
    v, ttf, ttr, horizon = 8.0, 100.0, 20.0, 560.05
    result = naive_inline_output(v, v, 1e9, ttf, ttr, INF, 0.0, horizon)
    assert result["output_m"] == math.floor(v * operating_minutes(horizon - 1 / v, ttf, ttr))


def test_blocked_station_does_not_age() -> None:
    # v1 = 10, v2 = 5, 10 m accumulator, station 1 fails after 50 operating min (500 m), down 10.
    # Station 1 is blocked most of the time, so a cycle is 500 m through station 2 (100 min) plus
    # the starvation during the repair: station 2 still has 0.1 min left on its metre and 10 m
    # queued (2 min), so it idles 10 - 2.1 = 7.9 min. Rate 500 / 107.9 m/min. (If blocked time
    # counted as operating, station 1 would fail every 50 min of wall time instead.)
    horizon = 1079.0  # ten cycles
    result = naive_inline_output(10.0, 5.0, 10.0, 50.0, 10.0, INF, 0.0, horizon)
    assert result["output_m"] == pytest.approx(500 / 107.9 * horizon, abs=3)


def test_coupled_failures_stop_both() -> None:
    # capacity 0, web at 8 m/min; station 1's clock runs whenever the web moves
    result = naive_inline_output(10.0, 8.0, 0.0, 100.0, 20.0, INF, 0.0, 560.05)
    assert result["output_m"] == math.floor(8 * operating_minutes(560.05, 100.0, 20.0)) == 3840
    # both fail together every 100 web-minutes and are repaired side by side: 130 min cycles
    result = naive_inline_output(8.0, 8.0, 0.0, 100.0, 20.0, 100.0, 30.0, 560.05)
    assert result["output_m"] == math.floor(8 * operating_minutes(560.05, 100.0, 30.0)) == 3520


def test_failure_mid_metre_resumes() -> None:
    # v = 3: a metre takes 1/3 min, so ttf = 10.1 falls inside a metre; the metre is finished
    # after the repair. Station 2 alone fails; huge accumulator, v1 = v2 as above.
    v, ttf, ttr, horizon = 3.0, 10.1, 5.0, 100.0
    result = naive_inline_output(v, v, 1e9, INF, 0.0, ttf, ttr, horizon)
    expected = v * operating_minutes(horizon - 1 / v, ttf, ttr)
    assert abs(result["output_m"] - expected) <= 1
