"""Schedule page: CP-SAT against the dispatching rules, and the schedule executed in the twin."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import gantt, tables
from dashboard.common import (
    Progress,
    belongs_to_current,
    follow_job,
    require_scenario,
    running,
    save_schedule,
    save_simulation,
    saved_note,
    start_job,
    table,
)
from dashboard.views.gantt_panel import show_gantt
from twin import (
    OBJECTIVES,
    RunOptions,
    Scenario,
    SchedulePlan,
    SimulationResult,
    schedule_plant,
    simulate,
)

JOB = "schedule-job"
TWIN_JOB = "schedule-twin-job"


def _settings(scenario: Scenario) -> None:
    with st.form("schedule-form"):
        objective_box, limit_box = st.columns(2)
        objective = objective_box.selectbox("Objective", list(OBJECTIVES), key="objective")
        limit = limit_box.number_input("Time limit, s", 1.0, 3600.0, 10.0, key="time-limit")
        go = st.form_submit_button("Run the optimiser", type="primary", disabled=running(JOB))
    if not go:
        return
    if not scenario.orders:
        st.warning("The scenario has no orders: there is nothing to schedule.")
        return
    st.session_state["schedule-limit"] = limit
    version = st.session_state.get("document_version", 0)

    def work(_progress: Progress) -> dict[str, Any]:
        return schedule_plant(scenario, objective, time_limit_s=limit).document(objective)

    def finished(document: dict[str, Any]) -> None:
        st.session_state["schedule"] = (document, scenario, version)
        st.session_state.pop("schedule-twin", None)
        save_schedule(scenario, document)

    st.session_state["schedule-finished"] = finished

    start_job(JOB, "optimising", work)


def show_schedule(document: dict[str, Any], scenario: Scenario, key: str) -> None:
    """A schedule's Gantt per tool, its orders and its comparison with the dispatching rules."""
    solution = document["solution"]
    label = document.get("label") or f"CP-SAT {solution['status']}"
    st.markdown(
        f"**{label}** · {solution['wall_time_s']:.1f} s · objective {document['objective']}"
    )
    for line in document.get("summary", [])[1:]:
        st.caption(line)
    if document.get("explanation"):
        st.warning(" ".join(document["explanation"]))
    if not solution["machines"] or not any(solution["machines"].values()):
        st.error(f"No schedule: {solution.get('message') or solution['status']}")
        return
    orders = tables.schedule_orders_frame(document, scenario)
    late = tables.late_rows(orders)
    show_gantt(gantt.schedule_gantt(document, scenario), orders, late, f"{key}-gantt")
    st.subheader("Orders, the latest first")
    table(orders, f"{key}-orders", late)
    st.subheader("Against the dispatching rules")
    table(tables.rules_frame(document), f"{key}-rules")


def _execute(document: dict[str, Any], scenario: Scenario) -> None:
    """Run the schedule in the twin: the probability that each order is on time."""
    st.subheader("Executed in the twin")
    with st.form("execute-form"):
        replications = st.number_input("Replications", 1, 1000, 10, key="twin-replications")
        go = st.form_submit_button("Execute in the twin", disabled=running(TWIN_JOB))
    if go:
        plan = SchedulePlan.model_validate(document["plan"])

        def work(progress: Progress) -> SimulationResult:
            options = RunOptions.of(scenario, replications=int(replications), plan=plan)
            return simulate(scenario, options, progress=progress)

        count = int(replications)
        start_job(TWIN_JOB, "executing the schedule", work, total=count)

    def finished(result: SimulationResult) -> None:
        st.session_state["schedule-twin"] = result
        save_simulation(scenario, result)

    follow_job(TWIN_JOB, finished)
    result = st.session_state.get("schedule-twin")
    if result is not None:
        orders = tables.orders_frame(result)
        table(orders, "schedule-on-time", tables.late_rows(orders))


def page() -> None:
    """The Schedule page."""
    st.title("Schedule")
    scenario = require_scenario()
    st.caption(f"Scenario: {scenario.name} ({st.session_state['scenario_label']})")
    _settings(scenario)
    finished = st.session_state.get("schedule-finished", lambda _document: None)
    follow_job(JOB, finished, expected_s=st.session_state.get("schedule-limit"))
    saved_note()
    if "schedule" in st.session_state:
        document, scheduled, version = st.session_state["schedule"]
        if not belongs_to_current(version):
            st.warning(
                f"This schedule is of {scheduled.name!r} as it was before the latest change to "
                "the current scenario: run the optimiser again for the current one."
            )
        show_schedule(document, scheduled, "schedule")
        if document.get("plan"):
            _execute(document, scheduled)
