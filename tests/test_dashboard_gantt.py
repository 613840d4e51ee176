"""Gantts planners read: web order by line, roll ids, blocks, late orders, shading, due dates.

The expected rows, off-shift hours, maintenance blocks and late orders are worked out here from
the scenario file, the schedule document and the event log, not from the Gantt code.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboard import gantt, tables
from tests.conftest import SCENARIOS
from twin import RunOptions, SimulationResult, load_scenario, schedule_plant, simulate

BASELINE = load_scenario(SCENARIOS / "baseline.yaml")
DAY = 1440
UPKEEP_MIN = {"PC1.wall_deposit_um_m": 480, "AL1.precursor_g": 120}
"""INL1's usage-based maintenance, minutes (baseline.yaml)."""


@pytest.fixture(scope="module")
def schedule() -> dict[str, Any]:
    document: dict[str, Any] = schedule_plant(BASELINE, time_limit_s=2).document(
        "tardiness-makespan"
    )
    return document


@pytest.fixture(scope="module")
def month() -> SimulationResult:
    options = RunOptions.of(
        BASELINE, replications=1, horizon_min=30 * DAY, event_log=True, genealogy=True
    )
    return simulate(BASELINE, options)


def test_schedule_rows_are_the_machines_in_web_order_line_by_line(schedule: dict[str, Any]) -> None:
    chart = gantt.schedule_gantt(schedule, BASELINE)
    assert [row.label for row in chart.rows] == [
        "INL1 · OX1+PC1+AL1+AN1",  # the inline segment is one machine
        "INL1 · SL1",
        "RCCU · AL2",
        "RCCU · PC2#1",
        "RCCU · PC2#2",
        "RCCU · AN2",
        "RCCU · SL2",
        "RCLI · OX3",
        "RCLI · PC3",
        "RCLI · AL3",
        "RCLI · LE3",
        "RCLI · AN3",
        "RCLI · SL3",
    ]


def test_schedule_bars_setups_and_maintenance_are_where_the_document_puts_them(
    schedule: dict[str, Any],
) -> None:
    chart = gantt.schedule_gantt(schedule, BASELINE)
    bars = {(b.row.name, b.kind, b.start_min, b.end_min): b for b in chart.bars}
    cleans = 0
    for machine, steps in schedule["solution"]["machines"].items():
        for step in steps:
            roll = bars[(machine, "roll", step["start"], step["end"])]
            assert roll.label == step["job"]
            setup_start = step["start"] - step["setup_before"]
            if step["setup_before"]:
                assert (machine, "setup", setup_start, step["start"]) in bars
            tasks = step["maintenance_before"]
            if "PC1.wall_deposit_um_m" in tasks:
                # the tasks run in their order right before the setup: PC1's chamber clean
                # lasts 8 h, AL1's precursor canister change 2 h (baseline.yaml)
                later = tasks[tasks.index("PC1.wall_deposit_um_m") + 1 :]
                end = setup_start - sum(UPKEEP_MIN[task] for task in later)
                clean = bars[(machine, "maintenance", end - 480, end)]
                assert clean.label == "chamber clean"
                cleans += 1
    assert cleans > 0
    # calendar maintenance: PC1's weekly PM, 4 h every 7 days from day 3 (baseline.yaml)
    weekly = [
        (b.start_min, b.end_min)
        for b in chart.bars
        if b.kind == "maintenance" and b.label == "PC1 weekly PM"
    ]
    assert weekly[:3] == [(3 * DAY, 3 * DAY + 240), (10 * DAY, 10 * DAY + 240),
                          (17 * DAY, 17 * DAY + 240)]  # fmt: skip


def test_late_orders_of_a_schedule_are_marked_on_every_bar(schedule: dict[str, Any]) -> None:
    chart = gantt.schedule_gantt(schedule, BASELINE)
    late = {
        job.rsplit("/", 1)[0]
        for job, outcome in schedule["solution"]["jobs"].items()
        if outcome["tardiness"] > 0
    }
    assert chart.late == late
    for bar in chart.bars:
        if bar.kind == "roll":
            assert bar.late == (bar.order in late)
    frame = tables.schedule_orders_frame(schedule, BASELINE)
    assert set(frame.loc[frame["status"] == "late", "order"]) == late
    assert frame["status"].iloc[: len(late)].eq("late").all()  # the latest first


def test_rcli_is_shaded_off_shift_on_sundays_and_holidays(schedule: dict[str, Any]) -> None:
    chart = gantt.schedule_gantt(schedule, BASELINE)
    # From Monday 7 December 2026 06:00: three shifts Monday to Saturday, the last ending on
    # Sunday at 06:00; holidays 25 and 26 December and 1 January (baseline.yaml).
    assert chart.off_shift["RCLI"][:5] == [
        (6 * DAY, 7 * DAY),  # Sunday 13 December 06:00 to Monday 06:00
        (13 * DAY, 14 * DAY),  # Sunday 20 December
        (18 * DAY, 21 * DAY),  # Friday 25 December to Monday 28 December
        (25 * DAY, 26 * DAY),  # Friday 1 January
        (27 * DAY, 28 * DAY),  # Sunday 3 January
    ]
    assert chart.off_shift["INL1"] == []  # around the clock
    figure = gantt.figure(chart)
    grey = [s for s in figure.layout.shapes if s.fillcolor == gantt.OFF_SHIFT]
    rcli = [i for i, row in enumerate(chart.rows) if row.line == "RCLI"]
    assert grey and all((s.y0, s.y1) == (min(rcli) - 0.5, max(rcli) + 0.5) for s in grey)


def test_due_dates_of_a_line_are_marked_and_the_view_zooms_to_a_day(
    schedule: dict[str, Any],
) -> None:
    chart = gantt.schedule_gantt(schedule, BASELINE)
    document = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text())
    inl1 = {o["id"] for o in document["orders"] if o["product"] == "NiSi-A3"}  # INL1's only
    assert set(chart.orders_of("line INL1")) == inl1
    figure = gantt.figure(chart, due_for="line INL1", zoom="day", first_day=dt.date(2026, 12, 9))
    marks = [s for s in figure.layout.shapes if s.line.dash == "dash"]
    assert len(marks) == len(inl1)
    dues = [o.due for o in BASELINE.orders if o.id in inl1]
    first = min(_datetime(d) for d in dues)
    assert min(dt.datetime.fromisoformat(str(s.x0)) for s in marks) == first
    assert [str(x) for x in figure.layout.xaxis.range] == [
        "2026-12-09 00:00:00",
        "2026-12-10 00:00:00",
    ]


def _datetime(due: Any) -> dt.datetime:
    """A due date as a date-time: a date is its midnight, a duration counts from the start."""
    if isinstance(due, dt.datetime):
        return due
    if isinstance(due, dt.date):
        return dt.datetime.combine(due, dt.time())
    assert BASELINE.start is not None
    return BASELINE.start + dt.timedelta(minutes=due)


def test_a_simulated_roll_s_bar_runs_from_its_setup_to_its_last_metre(
    month: SimulationResult,
) -> None:
    chart = gantt.simulation_gantt(month, BASELINE)
    labels = [row.label for row in chart.rows]
    assert labels[:6] == ["INL1 · OX1", "INL1 · PC1", "INL1 · AL1", "INL1 · AN1", "INL1 · SL1",
                          "RCCU · AL2"]  # fmt: skip
    assert labels[6:8] == ["RCCU · PC2#1", "RCCU · PC2#2"]
    records = [e for e in month.events or [] if e.unit == "SL1"]
    lengths = {roll["id"]: roll["length_m"] for roll in month.rolls or []}
    bars = [b for b in chart.bars if b.row.name == "SL1" and b.kind == "roll"]
    assert len(bars) > 20
    for bar in bars:
        mine = [i for i, r in enumerate(records) if r.roll == bar.label]
        working = next(i for i in mine if records[i].state == "working")
        loads = [i for i in mine if i < working and records[i].state == "setup"]
        # from the end of the roll's load (or its first record, loaded without one) ...
        start = records[loads[-1] + 1].minute if loads else records[mine[0]].minute
        # ... to the moment the log gives its whole length done
        length = lengths[bar.label]
        done = next(
            records[i].minute
            for i in mine
            if records[i].metres is not None and records[i].metres >= length - 1e-6
        )
        assert (bar.start_min, bar.end_min) == pytest.approx((start, done))
        assert bar.order == records[mine[0]].order


def test_orders_late_in_the_simulated_replication_are_marked(month: SimulationResult) -> None:
    chart = gantt.simulation_gantt(month, BASELINE)
    finished: dict[str, list[float]] = {}
    for roll in month.rolls or []:
        for segment in roll["segments"]:
            if segment["exit"] == "finished":
                finished.setdefault(roll["order"], []).append(segment["end_min"])
    expected = set()
    for order in BASELINE.orders:
        due = BASELINE.minutes(order.due)
        ends = finished.get(order.id, [])
        if len(ends) < BASELINE.order_rolls(order) or max(ends) > due:
            expected.add(order.id)
    assert chart.late == expected
    assert expected  # the baseline's month has some late orders to show
    figure = gantt.figure(chart)
    outlined = {
        order
        for trace in figure.data
        if trace.customdata is not None
        for order, colour in zip(trace.customdata, trace.marker.line.color, strict=True)
        if colour == gantt.LATE_OUTLINE
    }
    assert outlined == expected


def test_the_schedule_page_marks_an_order_s_due_date() -> None:
    at = AppTest.from_string(
        "from dashboard.views.schedule import page\npage()", default_timeout=60
    )
    three = SCENARIOS / "validation" / "roll_coupled_three_tools.yaml"
    at.session_state["document"] = yaml.safe_load(three.read_text())
    at.session_state["scenario_label"] = three.name
    at.session_state["scenario"] = load_scenario(three)
    at.run()
    at.number_input(key="time-limit").set_value(2.0)
    at.button[0].click().run()
    deadline = time.monotonic() + 60
    while not at.get("plotly_chart"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
        at.run()
    at.selectbox(key="schedule-gantt-due").set_value("order O1").run()
    assert not at.exception, [e.value for e in at.exception]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    marks = [s for s in spec["layout"]["shapes"] if s.get("line", {}).get("dash") == "dash"]
    assert len(marks) == 1
    due = load_scenario(three).minutes(load_scenario(three).orders[0].due)
    start = load_scenario(three).start or dt.datetime(2000, 1, 1)
    assert dt.datetime.fromisoformat(marks[0]["x0"]) == start + dt.timedelta(minutes=due)
    assert any(a["text"] == "O1 due" for a in spec["layout"]["annotations"])
