"""The Plant page: the diagram of a run, its playback over the event log, a plant state file.

Store counts and accumulator levels at a moment are counted here from the engine's BufferChange
log by hand (ins minus outs up to the moment; levels interpolated between entries) and compared
with what the page shows; a frame of the playback of a 30-day baseline run is timed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import diagram
from dashboard.layout import PlantLayout
from dashboard.playback import Replay, moment_of_state
from tests.conftest import SCENARIOS
from twin import BufferChange, RunOptions, SimulationResult, Store, load_scenario, simulate
from twin.state import read_state

BASELINE = load_scenario(SCENARIOS / "baseline.yaml")
STATE = Path(__file__).parent / "data" / "state" / "baseline_state.yaml"
FRAME_BUDGET_S = 0.25
"""A playback frame (the moment, its picture and the figure as JSON) must take less."""


@pytest.fixture(scope="module")
def month() -> SimulationResult:
    """The baseline's order book over 30 days, one replication with its logs."""
    options = RunOptions.of(
        BASELINE, replications=1, horizon_min=30 * 1440, event_log=True, genealogy=True
    )
    return simulate(BASELINE, options)


def replay_of(result: SimulationResult) -> Replay:
    return Replay(
        result.events or [],
        result.buffer_events or [],
        PlantLayout.of(BASELINE),
        start=BASELINE.start,
        horizon_min=30 * 1440,
        roll_length_m=BASELINE.roll_length_m,
        roll_lengths={roll["id"]: roll["length_m"] for roll in result.rolls or []},
    )


def rolls_in(log: list[BufferChange], store: str, minute: float) -> set[str]:
    """The rolls in ``store`` just after ``minute``, counted entry by entry."""
    inside: set[str] = set()
    for change in log:
        if change.buffer != store or change.minute > minute or change.roll is None:
            continue
        if change.change == "in":
            inside.add(change.roll)
        else:
            inside.discard(change.roll)
    return inside


def level_at(log: list[BufferChange], accumulator: str, minute: float) -> float:
    """An accumulator's level at ``minute``: on the straight line between its two entries."""
    points = [(c.minute, c.level) for c in log if c.buffer == accumulator]
    before = [p for p in points if p[0] <= minute][-1]
    after = next((p for p in points if p[0] > minute), None)
    if after is None:
        return before[1]
    return before[1] + (after[1] - before[1]) * (minute - before[0]) / (after[0] - before[0])


def busy_moments(log: list[BufferChange], store: str, count: int) -> list[float]:
    """Moments half-way between a store's entries, where it holds at least one roll."""
    times = [c.minute for c in log if c.buffer == store and c.change == "in"]
    middles = [(a + b) / 2 for a, b in itertools.pairwise(times) if b > a]
    return middles[:: max(1, len(middles) // count)][:count]


def test_stores_and_accumulators_at_a_moment_are_those_of_the_log(month: SimulationResult) -> None:
    log = month.buffer_events or []
    replay = replay_of(month)
    checked = 0
    for store in ("RS1", "RS21", "RS22", "RS31"):
        for minute in busy_moments(log, store, 6):
            moment = replay.at(minute)
            assert {r.roll for r in moment.stores[store]} == rolls_in(log, store, minute)
            checked += len(moment.stores[store])
            for accumulator in ("ACC1", "ACC2", "ACC3"):
                expected = level_at(log, accumulator, minute)
                assert moment.accumulators[accumulator] == pytest.approx(expected, abs=1e-6)
    assert checked > 10  # the moments chose had rolls waiting, not empty stores only


def test_a_roll_leaves_a_store_at_the_minute_the_log_says(month: SimulationResult) -> None:
    log = month.buffer_events or []
    out = next(c for c in log if c.buffer == "RS21" and c.change == "out" and c.minute > 1000)
    replay = replay_of(month)
    waiting = {r.roll: r for r in replay.at(out.minute - 1e-6).stores["RS21"]}
    assert out.roll in waiting
    entered = next(c.minute for c in log if c.roll == out.roll and c.buffer == "RS21")
    assert waiting[out.roll].waited_min == pytest.approx(out.minute - 1e-6 - entered)
    assert out.roll not in {r.roll for r in replay.at(out.minute).stores["RS21"]}


def test_a_roll_s_progress_runs_between_the_logged_metres(month: SimulationResult) -> None:
    records = [e for e in month.events or [] if e.unit == "PC2#1"]
    index = next(
        i
        for i, r in enumerate(records[:-1])
        if r.state == "working" and records[i + 1].minute > r.minute + 60
    )
    start, end = records[index], records[index + 1]
    assert start.metres is not None and end.metres is not None and end.roll == start.roll
    middle = (start.minute + end.minute) / 2
    unit = replay_of(month).at(middle).units["PC2#1"]
    assert unit.roll == start.roll and unit.state == "working"
    assert unit.done_m == pytest.approx((start.metres + end.metres) / 2)
    assert unit.progress == pytest.approx((start.metres + end.metres) / 2 / 1500)


def test_a_frame_of_a_30_day_baseline_run_draws_quickly(month: SimulationResult) -> None:
    replay = replay_of(month)
    layout = replay.layout
    seconds = []
    for step in range(40):
        began = time.perf_counter()
        moment = replay.at(step * 30 * 1440 / 40)
        json.dumps(diagram.figure(layout, diagram.moment_picture(layout, moment, "")).to_dict(),
                   default=str)  # fmt: skip
        seconds.append(time.perf_counter() - began)
    median = statistics.median(seconds)
    print(f"playback frame on a 30-day baseline run: median {median * 1000:.0f} ms, "
          f"slowest {max(seconds) * 1000:.0f} ms")  # fmt: skip
    assert median < FRAME_BUDGET_S


def test_a_run_picture_marks_each_line_s_bottleneck_and_each_buffer_s_mean_fill(
    month: SimulationResult,
) -> None:
    layout = PlantLayout.of(BASELINE)
    picture = diagram.run_picture(layout, month, "working")
    marked = {station for station, look in picture.stations.items() if look.mark}
    for line in BASELINE.lines:
        shares = {s.id: month.stations[s.id].line_bottleneck_share for s in line.stations}
        assert max(shares, key=lambda s: shares[s]) in marked
    assert "plant bottleneck" in picture.stations[month.bottleneck.station].mark
    rs21 = month.buffers["RS21"]
    assert picture.buffers["RS21"].share == pytest.approx(rs21.mean_level.mean / 8)
    pc1 = month.stations["PC1"].states["working"]
    assert f"working {pc1 * 100:.0f} %" in picture.stations["PC1"].text


def test_a_state_file_is_drawn_as_the_plant_now() -> None:
    state = read_state(STATE, BASELINE)
    layout = PlantLayout.of(BASELINE)
    moment = moment_of_state(state, layout, BASELINE.start, BASELINE.roll_length_m)
    assert moment.when == "2026-12-09 06:00"
    assert moment.minute == 2 * 1440  # two days after the start, 2026-12-07 06:00
    pc1 = moment.units["PC1"]
    assert (pc1.state, pc1.roll, pc1.progress) == ("working", "SO-A3-02/1", 0.5)  # 750 of 1500 m
    assert moment.units["PC2#1"].status == "down (plasma source arc-out) until 2026-12-09 12:00"
    assert moment.units["AL2"].state == "off_shift"
    assert moment.units["OX1"].state == "unknown"  # the file does not say
    [waiting] = moment.stores["RS21"]
    assert (waiting.roll, waiting.waited_min) == ("SO-C4-01/2", 180)  # since 03:00
    assert moment.accumulators == {"ACC1": 30.0, "ACC2": 0.0, "ACC3": 0.0}
    picture = diagram.moment_picture(layout, moment, "now")
    assert "SO-A3-02/1 50 %" in picture.stations["PC1"].text
    assert picture.buffers["RS21"].text == "RS21<br>1 / 8"


# ------------------------------------------------------------------------- the page itself
def plant_page() -> AppTest:
    return AppTest.from_string("from dashboard.views.plant import page\npage()", default_timeout=60)


def shown_tables(at: AppTest) -> dict[str, Any]:
    """The page's static tables by their index name (store, accumulator, ...)."""
    return {t.value.index.name: t.value for t in at.table}


def test_playback_shows_the_store_counts_and_levels_of_the_log(month: SimulationResult) -> None:
    at = plant_page()
    at.session_state["simulation"] = (month, BASELINE, 0)
    at.session_state["document_version"] = 0
    at.run()
    at.radio(key="plant-view").set_value("Playback of replication 1").run()
    assert not at.exception, [e.value for e in at.exception]
    log = month.buffer_events or []
    minute = busy_moments(log, "RS21", 3)[1]
    step = 10  # the slider's step, minutes
    minute = step * round(minute / step)
    assert BASELINE.start is not None
    when = BASELINE.start + dt.timedelta(minutes=minute)
    at.slider(key="plant-at").set_value(when).run()
    assert not at.exception, [e.value for e in at.exception]
    tables = shown_tables(at)
    stores, levels = tables["store"], tables["accumulator"]
    assert stores.loc["RS21", "rolls"] == len(rolls_in(log, "RS21", minute))
    assert float(levels.loc["ACC1", "level m"]) == pytest.approx(
        level_at(log, "ACC1", minute), abs=0.05
    )
    assert any(f"The plant at {when:%Y-%m-%d %H:%M}" in m.value for m in at.markdown)


def test_the_run_view_details_a_station(month: SimulationResult) -> None:
    at = plant_page()
    at.session_state["simulation"] = (month, BASELINE, 0)
    at.session_state["document_version"] = 0
    at.run()
    at.selectbox(key="plant-detail").set_value("PC1").run()
    assert not at.exception, [e.value for e in at.exception]
    [oee] = [m for m in at.metric if m.label == "OEE"]
    assert oee.value == f"{month.stations['PC1'].oee.mean * 100:.1f} %"
    counts = shown_tables(at)["what"]
    downs = [e for e in month.events or [] if e.unit == "PC1" and e.state == "down"]
    assert counts.loc["down"]["times"].sum() == len(downs)


def test_a_stored_run_is_replayed_and_says_so(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "validation" / "roll_coupled_three_tools.yaml")
    options = RunOptions.of(scenario, replications=3, seed=11, horizon_min=2 * 1440)
    run_id = Store().save_simulation(scenario, simulate(scenario, options))
    at = plant_page().run()
    at.radio(key="plant-source").set_value("A stored run, replayed").run()
    at.button(key="plant-replay").click().run()
    deadline = time.monotonic() + 60
    while not any("stored runs keep no event log" in c.value for c in at.caption):
        assert time.monotonic() < deadline, "the replay did not finish"
        time.sleep(0.2)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    [note] = [c.value for c in at.caption if "stored runs keep no event log" in c.value]
    assert f"run {run_id}, replication 1 of 3" in note and "seed 11" in note
    assert "its KPIs are the stored replication's" in note


def test_a_state_file_uploaded_shows_the_plant_now() -> None:
    at = plant_page()
    at.session_state["scenario"] = BASELINE
    at.session_state["document"] = {}
    at.session_state["scenario_label"] = "baseline.yaml"
    at.run()
    at.radio(key="plant-source").set_value("A plant state file").run()
    at.file_uploader(key="plant-state").upload("state.yaml", STATE.read_bytes()).run()
    assert not at.exception, [e.value for e in at.exception]
    stores = shown_tables(at)["store"]
    assert stores.loc["RS21", "rolls"] == 1 and stores.loc["RS21", "rolls in it"] == "SO-C4-01/2"
    assert any("the plant at 2026-12-09 06:00" in c.value for c in at.caption)


def test_a_state_file_with_mistakes_lists_them_by_path() -> None:
    at = plant_page()
    at.session_state["scenario"] = BASELINE
    at.session_state["document"] = {}
    at.session_state["scenario_label"] = "baseline.yaml"
    at.run()
    at.radio(key="plant-source").set_value("A plant state file").run()
    bad = STATE.read_text().replace("unit: PC1", "unit: PC9")
    at.file_uploader(key="plant-state").upload("state.yaml", bad.encode()).run()
    assert not at.exception, [e.value for e in at.exception]
    problems = at.table[0].value.reset_index()
    assert list(problems["path"]) == ["units[0].unit"]
    assert "unknown station unit 'PC9'" in problems["message"][0]
