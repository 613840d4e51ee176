"""The plan from now: a plant state and (optionally) an order file in, the schedule with dates out.

The state file says where the plant is at a moment (tools up or down until when, rolls on
tools and in stores, orders' progress); it is checked against the current scenario, or against
the scenario with the uploaded order book in place of its own. The scheduler plans what is left
from the state's moment (``schedule_plant(..., state=...)``) and the page reads it in calendar
dates from that moment, orders at risk first. Every problem of either file is listed by its path
(a state's field, an order file's row and column), never as a traceback.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard.common import (
    MAX_UPLOAD_BYTES,
    Progress,
    follow_job,
    running,
    show_error,
    start_job,
)
from dashboard.views.plan_view import show_schedule
from twin import OBJECTIVES, Scenario, ScenarioError, scenario_from_document, schedule_plant
from twin.state import PlantState, parse_state

JOB = "state-plan-job"
RESULT = "state-plan"


@dataclass(frozen=True)
class StatePlan:
    """A plan made from a plant state: the schedule's document and what it was made from."""

    document: dict[str, Any]
    scenario: Scenario
    state: PlantState
    inputs: str
    """The files and scenario version it was made from (a later upload makes it stale)."""
    origin: str
    """What it was made from, in words."""


def _signature(*files: UploadedFile | None) -> str:
    """What identifies the inputs: each file's name and content, and the scenario's version."""
    digest = hashlib.sha256(str(st.session_state.get("document_version", 0)).encode())
    for file in files:
        digest.update(b"-" if file is None else file.name.encode() + file.getvalue())
    return digest.hexdigest()


def _too_large(file: UploadedFile) -> bool:
    if file.size <= MAX_UPLOAD_BYTES:
        return False
    st.error(f"{file.name}: the file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
    return True


def with_order_file(document: dict[str, Any], name: str, data: bytes) -> Scenario:
    """The scenario ``document`` with its order book read from an order file's ``data``.

    The file is read as the scenario would read ``orders: {file: ...}``; a scenario that
    already names its order book by file keeps that file's column map. Raises ScenarioError
    with every problem by row and column.
    """
    orders = document.get("orders")
    spec = {**orders, "file": name} if isinstance(orders, dict) else {"file": name}
    with tempfile.TemporaryDirectory(prefix="r2r-orders-") as folder:
        (Path(folder) / Path(name).name).write_bytes(data)
        spec["file"] = Path(name).name
        return scenario_from_document({**document, "orders": spec}, name, folder)


def _inputs(scenario: Scenario) -> tuple[Scenario, PlantState, str] | None:
    """The scenario to plan (its order book possibly from a file) and the checked state."""
    state_box, orders_box = st.columns(2)
    state_file = state_box.file_uploader(
        f"Plant state (YAML or JSON, r2r schema --state), checked against {scenario.name!r}",
        type=["yaml", "yml", "json"],
        key="plan-state",
    )
    order_file = orders_box.file_uploader(
        "Order book (CSV or Excel, optional: else the scenario's own orders)",
        type=["csv", "xlsx"],
        key="plan-orders",
    )
    st.session_state["plan-inputs"] = _signature(state_file, order_file)
    if state_file is None or _too_large(state_file):
        return None
    planned = scenario
    origin = f"state file {state_file.name}"
    if order_file is not None:
        if _too_large(order_file):
            return None
        document = st.session_state.get("document")
        if not isinstance(document, dict):
            st.error("The current scenario is no document to put an order book in.")
            return None
        try:
            planned = with_order_file(document, order_file.name, order_file.getvalue())
        except ScenarioError as error:
            show_error(error)
            return None
        origin += f", orders from {order_file.name} ({len(planned.orders)})"
    else:
        origin += f", the scenario's {len(scenario.orders)} orders"
    fmt: Literal["yaml", "json"] = "json" if state_file.name.lower().endswith(".json") else "yaml"
    try:
        state = parse_state(state_file.getvalue(), planned, fmt, state_file.name)
    except ScenarioError as error:  # StateError and ScenarioError are InputErrors
        show_error(error)
        return None
    except Exception as error:  # the checks read other files' orders: never a traceback
        show_error(error)
        return None
    return planned, state, origin


def _settings(planned: Scenario, state: PlantState, origin: str) -> None:
    with st.form("state-plan-form"):
        objective_box, limit_box = st.columns(2)
        objective = objective_box.selectbox("Objective", list(OBJECTIVES), key="plan-objective")
        limit = limit_box.number_input("Time limit, s", 1.0, 3600.0, 10.0, key="plan-limit")
        go = st.form_submit_button("Plan from the state", type="primary", disabled=running(JOB))
    if not go:
        return
    if not planned.orders:
        st.warning("The order book is empty: there is nothing to plan.")
        return
    st.session_state["plan-limit-s"] = limit
    inputs = st.session_state["plan-inputs"]

    def work(_progress: Progress) -> StatePlan:
        result = schedule_plant(planned, objective, time_limit_s=limit, state=state)
        document = result.document(objective)
        document["origin"] = state.at.isoformat()
        document["from_state"] = True
        return StatePlan(document, planned, state, inputs, origin)

    start_job(JOB, "planning from the state", work)


def panel(scenario: Scenario) -> None:
    """Upload a state (and an order file), plan from the state's moment, show it with dates."""
    st.caption(
        "What is left to do from a plant state: tools down until their repair ends, rolls on "
        "tools finish what is left of them, stored rolls go on from their store, finished "
        "orders drop out. Times are calendar dates from the state's moment."
    )
    found = _inputs(scenario)
    if found is not None:
        planned, state, origin = found
        closed = len(finished_orders(planned, state))
        st.success(
            f"{origin}: the plant at {state.at:%Y-%m-%d %H:%M} (checked), "
            f"{closed} order{'s' * (closed != 1)} finished by then, "
            f"{len(planned.orders) - closed} to plan."
        )
        _settings(planned, state, origin)

    def done(plan: StatePlan) -> None:
        st.session_state[RESULT] = plan

    follow_job(JOB, done, expected_s=st.session_state.get("plan-limit-s"))
    plan: StatePlan | None = st.session_state.get(RESULT)
    if plan is None:
        return
    if plan.inputs != st.session_state.get("plan-inputs"):
        st.info("The files or the scenario changed since the last plan: plan again to see it.")
        return
    show_state_plan(plan)


def show_state_plan(plan: StatePlan) -> None:
    """A plan from a state: from when, the Gantt with dates, machines, orders at risk first."""
    state = plan.state
    finished = finished_orders(plan.scenario, state)
    st.subheader(f"The plan from {state.at:%Y-%m-%d %H:%M}")
    st.caption(f"Made from {plan.origin}.")
    show_schedule(plan.document, plan.scenario, "state-plan", state.at, finished)


def finished_orders(scenario: Scenario, state: PlantState) -> set[str]:
    """The orders of ``scenario`` that ``state`` says have every roll finished."""
    orders = {order.id: order for order in scenario.orders}
    return {
        p.order
        for p in state.orders
        if p.order in orders and p.finished_rolls >= scenario.order_rolls(orders[p.order])
    }
