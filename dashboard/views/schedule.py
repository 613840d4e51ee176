"""Schedule page: CP-SAT against the dispatching rules, and the schedule executed in the twin."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import tables
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
from dashboard.views import state_plan
from dashboard.views.plan_view import show_schedule
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


FROM = ("The order book from the scenario's start", "From a plant state: the plan from now")


def page() -> None:
    """The Schedule page."""
    st.title("Schedule")
    scenario = require_scenario()
    st.caption(f"Scenario: {scenario.name} ({st.session_state['scenario_label']})")
    if st.radio("Plan", FROM, horizontal=True, key="schedule-from") == FROM[1]:
        state_plan.panel(scenario)
        return
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
