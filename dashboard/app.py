"""Entry script of the dashboard: ``streamlit run dashboard/app.py``, or ``r2r dashboard``."""

from __future__ import annotations

import streamlit as st

from dashboard.common import boundary
from dashboard.views import compare, history, history_log, scenario, schedule, simulate, studies

st.set_page_config(page_title="R2R plant twin", page_icon="🏭", layout="wide")
navigation = st.navigation(
    [
        st.Page(scenario.page, title="Scenario", url_path="scenario", default=True),
        st.Page(simulate.page, title="Simulate", url_path="simulate"),
        st.Page(schedule.page, title="Schedule", url_path="schedule"),
        st.Page(compare.page, title="Compare", url_path="compare"),
        st.Page(studies.page, title="Studies", url_path="studies"),
        st.Page(history.page, title="History", url_path="history"),
        st.Page(history_log.page, title="Calibrate", url_path="calibrate"),
    ]
)
with boundary():
    navigation.run()
