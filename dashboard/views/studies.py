"""Studies page: define a study here or pick a file, launch it, open a stored one.

A study's page leads with its decision, then the design points and KPI-versus-factor plots.

A study defined here varies the current scenario: each factor sets its values at one path, or at
several paths at once (linked: the three accumulators of a line take the same size). It is
written as a study document and read by the same checks as a study file, so every mistake is
named by its path (``factors[1].values``). Progress gives the time left from the pace so far.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import streamlit as st
import yaml

from dashboard.common import (
    MAX_UPLOAD_BYTES,
    Progress,
    boundary,
    bundled_files,
    export_buttons,
    follow_job,
    open_store,
    require_scenario,
    run_label,
    running,
    saved_note,
    start_job,
    study_scenarios,
    table,
)
from dashboard.variants import scenario_document
from twin import (
    StudyResult,
    StudySpec,
    load_study,
    parse_document,
    parse_study,
    run_study,
)
from twin.display import kpi_label
from twin.study import StudyPlan, available_kpis, default_kpis

JOB = "study-job"
DEFINE, FROM_FILE = "Define it here", "From a study file"
QUESTIONS = {"capacity": "what can the plant make?", "orders": "will the orders ship?"}
DESIGNS = {"every combination": "full_factorial", "one factor at a time": "one_at_a_time"}
FACTORS = pd.DataFrame(
    [
        {"name": "PC2_units", "paths": "lines[RCCU].stations[PC2].units", "values": "2, 3"},
        {"name": "", "paths": "", "values": ""},
    ]
)
"""The factor table a study defined here starts from (a third PECVD coater on RCCU)."""


def _values(text: str) -> Any:
    """A factor's values as written: ``2, 3`` or ``[50, 200]`` (YAML), as a list."""
    text = text.strip()
    flow = text if text.startswith("[") else f"[{text}]"
    try:
        return parse_document(flow, "yaml")
    except ValueError:
        return text  # the study's own check says what is wrong with it


def study_document(
    scenario_doc: dict[str, Any], factors: pd.DataFrame, settings: dict[str, Any]
) -> dict[str, Any]:
    """A study document from the table of factors and the settings, the scenario inline.

    A factor's ``paths`` are separated by commas or new lines: one path, or several linked.
    """
    rows = []
    for _, row in factors.iterrows():
        name = str(row.get("name") or "").strip()
        paths = [p.strip() for p in str(row.get("paths") or "").replace("\n", ",").split(",")]
        paths = [p for p in paths if p]
        values = str(row.get("values") or "")
        if not (name or paths or values.strip()):
            continue
        factor: dict[str, Any] = {"values": _values(values)}
        if name:
            factor["name"] = name
        if len(paths) == 1:
            factor["path"] = paths[0]
        elif paths:
            factor["paths"] = paths
        rows.append(factor)
    return {**settings, "scenario": scenario_doc, "factors": rows}


def _define() -> StudySpec | None:
    scenario = require_scenario()
    st.caption(
        f"A study of the current scenario, {scenario.name!r}. Each factor sets its values at a "
        "path, or at several paths at once (linked), separated by commas."
    )
    version = st.session_state.get("document_version", 0)
    factors = st.data_editor(
        FACTORS,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=f"study-factors-{version}",
        column_config={
            "name": st.column_config.TextColumn("name"),
            "paths": st.column_config.TextColumn("path(s)", width="large"),
            "values": st.column_config.TextColumn("values (YAML, comma-separated)"),
        },
    )
    name_box, design_box, demand_box = st.columns(3)
    name = name_box.text_input("Study name", f"{scenario.name} study", key="study-name")
    design = design_box.selectbox("Design", list(DESIGNS), key="study-design")
    demand = demand_box.radio(
        "Question", list(QUESTIONS), horizontal=True, key="study-demand", format_func=QUESTIONS.get
    )
    reps_box, days_box, warmup_box, objective_box = st.columns(4)
    replications = reps_box.number_input("Replications", 1, 10_000, 5, key="study-replications")
    days = days_box.number_input(
        "Horizon, days", 0.1, 3650.0, scenario.run.horizon / 1440, key="study-days"
    )
    warmup = warmup_box.number_input(
        "Warm-up, days", 0.0, 3650.0, 1.0 if demand == "capacity" else 0.0, key="study-warmup"
    )
    kpis = default_kpis(scenario)
    objective = objective_box.selectbox(
        "Objective", available_kpis(scenario), key="study-objective", format_func=kpi_label
    )
    settings: dict[str, Any] = {
        "name": name,
        "design": DESIGNS[design],
        "demand": demand,
        "replications": int(replications),
        "horizon": days * 1440,
        "warmup": warmup * 1440,
        "kpis": list(dict.fromkeys([objective, *kpis])),
        "objective": objective,
    }
    document = study_document(scenario_document(scenario), factors, settings)
    with st.expander("The study as a file (YAML)"):
        shown = {**document, "scenario": f"<{scenario.name}, inline>"}
        text = yaml.safe_dump(shown, sort_keys=False, allow_unicode=True)
        st.code(text, language="yaml")
    return parse_study(yaml.safe_dump(document, sort_keys=False), "the study defined here")


def _from_file() -> StudySpec | None:
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
    how = st.radio("The study", [DEFINE, FROM_FILE], horizontal=True, key="study-how")
    spec = _define() if how == DEFINE else _from_file()
    if spec is None:
        return
    plan = StudyPlan.of(spec)  # every design point checked as a scenario before the launch
    points, tasks = len(plan.points), plan.tasks_total
    st.caption(
        f"{spec.name}: {len(spec.factors)} factor(s), {points} design point(s) × "
        f"{spec.run_replications} replication(s) = {tasks} runs of {spec.horizon_min / 1440:g} "
        f"days, scenario {spec.scenario.name!r}"
    )
    with st.form("study-form"):
        workers = st.number_input("Worker processes", 1, os.cpu_count() or 1, 1, key="workers")
        go = st.form_submit_button("Launch the study", type="primary", disabled=running(JOB))
    if go:

        def work(progress: Progress) -> StudyResult:
            return run_study(spec, store=open_store(), workers=int(workers), progress=progress)

        start_job(JOB, f"study {spec.name!r}", work, total=tasks)


def show_decision(result: StudyResult) -> None:
    """The decision first: the set of points that may be best, with its confidence."""
    objective = result.objective
    labels = {point: result.point_label(point) for point in range(len(result.points))}
    try:
        decision = result.decision()
    except ValueError as error:
        st.warning(f"No decision yet: {error}")
        return
    words = decision.lines(labels, kpi_label(objective))
    text = "\n".join(f"- {line.strip()}" if line.startswith("  ") else line for line in words)
    if decision.decided:
        st.success(f"**Decision:** {text}")
    else:
        st.warning(f"**No single best point yet:** {text}")
    if not result.complete:
        st.caption(
            f"{result.tasks_done} of {result.tasks_total} runs are done: the decision may change."
        )


def show_study(result: StudyResult, key: str) -> None:
    """A study: its decision, its table, its KPI-versus-factor plots, the best point and exports."""
    st.subheader(f"{result.name} ({result.study_id})")
    show_decision(result)
    st.subheader("Design points (mean and 95 % interval per KPI)")
    table(result.table.reset_index(), f"{key}-table")
    for name, figure in result.figures().items():
        st.plotly_chart(figure, key=f"{key}-{name}")
    st.subheader("Best mean of another KPI")
    kpi_box, sense_box = st.columns(2)
    kpi = kpi_box.selectbox("KPI", list(result.kpis), key=f"{key}-kpi", format_func=kpi_label)
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
