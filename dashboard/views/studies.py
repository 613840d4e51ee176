"""Studies page: launch a study or open a stored one; KPI-versus-factor plots, best point."""

from __future__ import annotations

import os

import streamlit as st

from dashboard.common import (
    MAX_UPLOAD_BYTES,
    Progress,
    boundary,
    bundled_files,
    export_buttons,
    follow_job,
    open_store,
    run_label,
    running,
    saved_note,
    start_job,
    study_scenarios,
    table,
)
from twin import StudyResult, StudySpec, load_study, parse_study, run_study

JOB = "study-job"


def _spec() -> StudySpec | None:
    """The study to launch: a bundled file or an uploaded one, checked by the twin."""
    bundled = bundled_files("R2R_STUDIES", "studies", "*.yaml")
    choice = st.selectbox("Study file", [*bundled, "upload…"], key="study-file")
    if choice != "upload…":
        return load_study(bundled[choice], study_scenarios())
    uploaded = st.file_uploader("Study (YAML)", type=["yaml", "yml"], key="study-upload")
    if uploaded is None:
        return None
    if uploaded.size > MAX_UPLOAD_BYTES:
        st.error(f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
        return None
    return parse_study(uploaded.getvalue(), uploaded.name, study_scenarios())


def _launch() -> None:
    spec = _spec()
    if spec is None:
        return
    st.caption(
        f"{spec.name}: {len(spec.factors)} factor(s), {spec.run_replications} replication(s) per "
        f"design point, scenario {spec.scenario.name!r}"
    )
    with st.form("study-form"):
        workers = st.number_input("Worker processes", 1, os.cpu_count() or 1, 1, key="workers")
        go = st.form_submit_button("Launch the study", type="primary", disabled=running(JOB))
    if go:

        def work(progress: Progress) -> StudyResult:
            return run_study(spec, store=open_store(), workers=int(workers), progress=progress)

        start_job(JOB, f"study {spec.name!r}", work)


def show_study(result: StudyResult, key: str) -> None:
    """A study's table, its KPI-versus-factor plots, its best design point and exports."""
    st.subheader("Design points (mean and 95 % interval per KPI)")
    table(result.table.reset_index(), f"{key}-table")
    for name, figure in result.figures().items():
        st.plotly_chart(figure, key=f"{key}-{name}")
    st.subheader("Best design point")
    kpi_box, sense_box = st.columns(2)
    kpi = kpi_box.selectbox("KPI", list(result.kpis), key=f"{key}-kpi")
    sense = sense_box.radio(
        "Best is",
        ["the KPI's own sense", "largest", "smallest"],
        horizontal=True,
        key=f"{key}-sense",
    )
    maximise = {"largest": True, "smallest": False}.get(sense)
    best = result.best(kpi, maximise=maximise)
    st.dataframe(best.astype(str).to_frame("value"), width="stretch")
    export_buttons(open_store().info(result.study_id), key)


def page() -> None:
    """The Studies page."""
    st.title("Studies")
    launch, open_tab = st.tabs(["Launch", "Open a stored study"])
    with launch, boundary():
        _launch()
    with open_tab:
        runs = open_store().runs(kind="study")
        labels = {run_label(run): run.id for run in runs}
        chosen = st.selectbox("Stored study", list(labels), key="stored-study")
        if chosen is not None and st.button("Open", key="open-study"):
            st.session_state["study"] = open_store().study(labels[chosen])
        if not runs:
            st.caption("The store holds no studies yet.")

    def finished(result: StudyResult) -> None:
        st.session_state["study"] = result
        st.session_state["saved"] = f"The study is saved in the store as run {result.study_id}."

    follow_job(JOB, finished)
    saved_note()
    if "study" in st.session_state:
        show_study(st.session_state["study"], "study")
