"""The Calibrate page in Streamlit's AppTest: upload a log, see the fits, download."""

from __future__ import annotations

from pathlib import Path

import yaml
from streamlit.testing.v1 import AppTest

from tests.history_cases import DATA
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def history_page(scenario_file: Path = DATA / "round_trip.yaml") -> AppTest:
    at = AppTest.from_string(
        "from dashboard.views.history_log import page\npage()", default_timeout=60
    )
    at.session_state["document"] = yaml.safe_load(scenario_file.read_text())
    at.session_state["scenario_label"] = scenario_file.name
    at.session_state["scenario"] = load_scenario(scenario_file)
    at.session_state["problems"] = []
    return at.run()


def test_the_page_asks_for_a_log() -> None:
    at = history_page()
    assert not at.exception
    assert at.title[0].value == "Calibrate"
    assert "Upload a log" in at.info[0].value


def test_a_log_made_by_the_twin_shows_fits_and_downloads() -> None:
    at = history_page()
    at.number_input(key="history-days").set_value(120.0)
    at.button(key="history-make").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "twin-log.csv" in at.success[0].value
    assert at.selectbox(key="history-mode").options == ["A · jam", "B · wear"]
    at.selectbox(key="history-mode").set_value("B · wear").run()
    fits = at.dataframe[1].value  # after the table of calibrated values
    # 120 days: about a hundred wear-out failures, which gamma and Weibull both fit
    assert set(fits["family"]) == {"exponential", "weibull", "lognormal", "gamma"}
    assert fits["family"][0] in ("weibull", "gamma")
    assert len(at.get("plotly_chart")) == 4
    labels = [b.label for b in at.get("download_button")]
    assert "Download calibrated scenario (YAML)" in labels
    assert "Download report (HTML)" in labels
    at.button(key="history-validate").click().run()
    assert not at.exception
    verdicts = at.dataframe[-1].value
    assert set(verdicts["subject"]) == {"L", "A", "B"}


def test_an_uploaded_log_with_bad_rows_lists_them_by_row() -> None:
    at = history_page()
    bad = (
        b"time,station,state\n2026-12-07T06:00:00,A,working\n2026-12-07T07:00:00,Q,working\n"
        b"2026-12-07T08:00:00,A,flying\n"
    )
    at.file_uploader(key="history-log").upload("plant.csv", bad, "text/csv")
    at.run()
    assert not at.exception
    assert "2 problems" in at.error[0].value
    shown = at.table[0].value.reset_index()
    assert list(shown["path"]) == ["row 3", "row 4"]
    at.checkbox(key="history-skip").check().run()
    assert not at.exception
    assert "Skipped 2 bad rows" in at.warning[0].value
