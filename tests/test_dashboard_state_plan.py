"""The Schedule page's plan from a plant state: a state and an order file in, dates out.

The figures checked come from the files themselves: a tool the state says is down until X
starts its first roll at or after X (and, free from then with work waiting, within hours of
it); an order file's quantities in rolls of the scenario's roll length; its due dates as the
file writes them; each problem of either file by its path, never a traceback.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboard import gantt
from tests.conftest import SCENARIOS
from twin import load_scenario, schedule_plant
from twin.state import parse_state

BASELINE = load_scenario(SCENARIOS / "baseline.yaml")
AT = dt.datetime(2026, 12, 9, 6, 0)
OX3_UP = dt.datetime(2026, 12, 10, 6, 0)
STATE = f"""
at: {AT:%Y-%m-%dT%H:%M}
units:
  - {{unit: OX3, status: down, until: {OX3_UP:%Y-%m-%dT%H:%M}, failure: heater zone fault}}
"""
ORDERS = """id,product,length_m,release,due
SO-X1,NiSi-PreLi,3000,2026-12-09,2026-12-20T14:00
SO-X2,NiSi-PreLi,1500,2026-12-09,2026-12-11T14:00
"""


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store.sqlite"
    monkeypatch.setenv("R2R_STORE", str(path))
    return path


def schedule_page() -> AppTest:
    """The Schedule page on the baseline, switched to planning from a plant state."""
    at = AppTest.from_string(
        "from dashboard.views.schedule import page\npage()", default_timeout=60
    )
    at.session_state["document"] = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text())
    at.session_state["scenario_label"] = "baseline.yaml"
    at.session_state["scenario"] = BASELINE
    at.session_state["problems"] = []
    at.session_state["document_version"] = 1
    at.run()
    return at.radio(key="schedule-from").set_value("From a plant state: the plan from now").run()


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a column {column!r}"
    return frames[0]


def plan(at: AppTest, seconds: float = 60.0) -> AppTest:
    """Press the button and rerun until the plan (its machines table) is shown."""
    import time

    next(b for b in at.button if b.label == "Plan from the state").click().run()
    deadline = time.monotonic() + seconds
    while not any("first start" in d.value.columns for d in at.dataframe):
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        assert time.monotonic() < deadline, "the plan did not finish"
        time.sleep(0.3)
        at.run()
    return at


def test_a_state_and_an_order_file_give_the_plan_from_the_state_s_moment() -> None:
    at = schedule_page()
    at.file_uploader(key="plan-state").upload("now.yaml", STATE.encode()).run()
    at.file_uploader(key="plan-orders").upload("orders.csv", ORDERS.encode()).run()
    assert not at.exception
    assert any("orders from orders.csv (2)" in s.value for s in at.success)
    next(n for n in at.number_input if n.label == "Time limit, s").set_value(3.0)
    plan(at)
    assert any("The plan from 2026-12-09 06:00" in h.value for h in at.subheader)
    machines = frame_with(at, "first start")
    ox3 = machines[machines["machine"] == "OX3"].iloc[0]
    first = dt.datetime.strptime(ox3["first start"], "%Y-%m-%d %H:%M")
    # the state: OX3 down until 10 Dec 06:00; the three rolls wait for it, nothing else does
    assert OX3_UP <= first < OX3_UP + dt.timedelta(hours=6)
    assert ox3["rolls"] == 3  # 3000 m + 1500 m in 1500 m rolls
    orders = frame_with(at, "tardiness h").set_index("order")
    assert list(orders.index) != [] and set(orders.index) == {"SO-X1", "SO-X2"}
    assert orders.loc["SO-X1", "rolls"] == 2 and orders.loc["SO-X2", "rolls"] == 1
    assert orders.loc["SO-X2", "due"] == "2026-12-11 14:00"  # as the file has it
    done = dt.datetime.strptime(orders.loc["SO-X2", "completion"], "%Y-%m-%d %H:%M")
    assert done > first


def test_the_gantt_of_a_plan_from_a_state_counts_from_the_state_s_moment() -> None:
    state = parse_state(STATE, BASELINE)
    document = schedule_plant(BASELINE, time_limit_s=3, state=state).document("tardiness")
    chart = gantt.schedule_gantt(document, BASELINE, state.at)
    assert chart.start == AT
    # SO-A3-01 is due 2026-12-12 14:00: 3 days 8 hours after the state's moment
    assert chart.due_min["SO-A3-01"] == (3 * 24 + 8) * 60
    ox3 = [b for b in chart.bars if b.row.name == "OX3" and b.kind == "roll"]
    assert min(b.start_min for b in ox3) >= 24 * 60  # down for 24 h from the state's moment
    # calendar maintenance over before the moment is left out, none starts before it
    assert all(b.start_min >= 0 for b in chart.bars if b.kind == "maintenance")


def test_a_state_with_mistakes_lists_them_by_path() -> None:
    at = schedule_page()
    bad = STATE.replace("unit: OX3", "unit: OX9")
    at.file_uploader(key="plan-state").upload("now.yaml", bad.encode()).run()
    assert not at.exception
    problems = pd.concat([t.value.reset_index() for t in at.table])
    assert "units[0].unit" in " ".join(problems["path"])
    assert "OX9" in " ".join(problems["message"])
    assert not [b for b in at.button if b.label == "Plan from the state"]


def test_an_order_file_with_mistakes_lists_them_by_row_and_column() -> None:
    at = schedule_page()
    at.file_uploader(key="plan-state").upload("now.yaml", STATE.encode()).run()
    bad = ORDERS.replace("2026-12-11T14:00", "31/02/2027")
    at.file_uploader(key="plan-orders").upload("orders.csv", bad.encode()).run()
    assert not at.exception
    problems = pd.concat([t.value.reset_index() for t in at.table])
    paths = " ".join(problems["path"])
    assert "orders.csv row 3" in paths and "due" in paths  # row 1 is the header


def test_a_new_state_file_hides_the_plan_of_the_previous_one() -> None:
    at = schedule_page()
    at.file_uploader(key="plan-state").upload("now.yaml", STATE.encode()).run()
    at.file_uploader(key="plan-orders").upload("orders.csv", ORDERS.encode()).run()
    next(n for n in at.number_input if n.label == "Time limit, s").set_value(2.0)
    plan(at)
    later = STATE.replace(f"at: {AT:%Y-%m-%dT%H:%M}", "at: 2026-12-09T08:00")
    at.file_uploader(key="plan-state").upload("later.yaml", later.encode()).run()
    assert not any("first start" in d.value.columns for d in at.dataframe)
    assert any("plan again" in i.value for i in at.info)


def test_an_order_the_state_has_finished_is_not_planned_again() -> None:
    at = schedule_page()
    done = STATE + "orders:\n  - {order: SO-X2, finished_rolls: 1, released_rolls: 1}\n"
    at.file_uploader(key="plan-state").upload("now.yaml", done.encode()).run()
    at.file_uploader(key="plan-orders").upload("orders.csv", ORDERS.encode()).run()
    # SO-X2 is one 1500 m roll: finished, so one order of two is left to plan
    assert any("1 order finished by then, 1 to plan" in s.value for s in at.success)
    next(n for n in at.number_input if n.label == "Time limit, s").set_value(2.0)
    plan(at)
    orders = frame_with(at, "tardiness h").set_index("order")
    assert orders.loc["SO-X2", "status"] == "finished by then"
    assert orders.loc["SO-X2", "rolls"] == 0
    assert list(orders.index) == ["SO-X1", "SO-X2"]  # the finished one last
    machines = frame_with(at, "first start").set_index("machine")
    assert machines.loc["OX3", "rolls"] == 2  # SO-X1's two rolls only
