"""Entry script of the dashboard: ``streamlit run dashboard/app.py``, or ``r2r dashboard``.

Every page has its own address (``/scenario``, ``/plant``, ...); the root address opens the
Scenario page. The sidebar names the one current scenario on every page.
"""

from __future__ import annotations

import streamlit as st

from dashboard.common import boundary, scenario_sidebar
from dashboard.navigation import register
from dashboard.views import (
    compare,
    history,
    history_log,
    plant,
    scenario,
    schedule,
    simulate,
    studies,
    variants,
)

st.set_page_config(page_title="R2R plant twin", page_icon="🏭", layout="wide")
scenario_page = st.Page(scenario.page, title="Scenario", url_path="scenario")


def _home() -> None:
    """The root address: the Scenario page, at its own address."""
    st.switch_page(scenario_page)


pages = [
    scenario_page,
    st.Page(variants.page, title="Variants", url_path="variants"),
    st.Page(plant.page, title="Plant", url_path="plant"),
    st.Page(simulate.page, title="Simulate", url_path="simulate"),
    st.Page(schedule.page, title="Schedule", url_path="schedule"),
    st.Page(compare.page, title="Compare", url_path="compare"),
    st.Page(studies.page, title="Studies", url_path="studies"),
    st.Page(history.page, title="History", url_path="history"),
    st.Page(history_log.page, title="Calibrate", url_path="calibrate"),
]
register(pages)
home = st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden")
navigation = st.navigation([home, *pages])
with boundary():
    scenario_sidebar()
with boundary():
    navigation.run()
