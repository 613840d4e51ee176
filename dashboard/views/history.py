"""History page: every run in the store, to open, export or delete."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.common import export_buttons, open_store, run_label, table
from dashboard.views.schedule import show_schedule
from dashboard.views.simulate import show_simulation
from dashboard.views.studies import show_study
from twin import scenario_from_document


def _open(run_id: str, kind: str) -> None:
    store = open_store()
    if kind == "study":
        show_study(store.study(run_id), "history")
        return
    scenario = scenario_from_document(store.scenario_document(run_id), f"run {run_id}")
    if kind == "simulation":
        show_simulation(store.simulation(run_id), scenario, "history")
    else:
        show_schedule(store.schedule(run_id), scenario, "history")


def page() -> None:
    """The History page."""
    st.title("History")
    runs = open_store().runs()
    if not runs:
        st.info("The store holds no runs yet: every run started from the dashboard lands here.")
        return
    frame = pd.DataFrame(
        [
            {
                "id": run.id,
                "kind": run.kind,
                "name": run.name,
                "scenario": run.scenario,
                "created": f"{run.created:%Y-%m-%d %H:%M}",
                "status": run.status,
                "tasks": f"{run.tasks_done} / {run.tasks_total}" if run.tasks_total else "",
            }
            for run in runs
        ]
    )
    table(frame, "runs")
    labels = {run_label(run): run for run in runs}
    chosen = labels[st.selectbox("Run", list(labels), key="history-run")]
    export_buttons(chosen, "history")
    remove, confirm = st.columns([1, 3])
    sure = confirm.checkbox("Yes, delete it for good", key="history-sure")
    if remove.button("Delete", key="history-delete", disabled=not sure):
        open_store().delete(chosen.id)
        st.session_state.pop("history-sure", None)
        st.rerun()
    if st.toggle("Show it", key="history-show"):
        _open(chosen.id, chosen.kind)
