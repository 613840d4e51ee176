"""A schedule as the Schedule page shows it: how it was made, the Gantt, machines and orders.

Both kinds of plan read the same: the order book from the scenario's start, and what is left
from a plant state (times from the state's moment, the orders it says are finished so named).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import streamlit as st

from dashboard import gantt, tables
from dashboard.common import table
from dashboard.views.gantt_panel import show_gantt
from twin import Scenario


def show_schedule(
    document: dict[str, Any],
    scenario: Scenario,
    key: str,
    origin: dt.datetime | None = None,
    finished: Collection[str] = (),
) -> None:
    """A schedule's Gantt per tool, its machines, its orders and the dispatching rules.

    ``origin`` is the moment a plan from a plant state counts from (the scenario's start
    otherwise); ``finished`` the orders the state has finished.
    """
    solution = document["solution"]
    label = document.get("label") or f"CP-SAT {solution['status']}"
    st.markdown(
        f"**{label}** · {solution['wall_time_s']:.1f} s · objective {document['objective']}"
    )
    for line in document.get("summary", [])[1:]:
        st.caption(line)
    if document.get("explanation"):
        st.warning("\n".join(f"- {sentence}" for sentence in document["explanation"]))
    if not solution["machines"] or not any(solution["machines"].values()):
        st.error(f"No schedule: {solution.get('message') or solution['status']}")
        return
    orders = tables.schedule_orders_frame(document, scenario, origin, finished)
    late = orders["status"].isin(["late", "unscheduled"])
    chart = gantt.schedule_gantt(document, scenario, origin)
    show_gantt(chart, orders, late, f"{key}-gantt")
    st.subheader("Machines in web order")
    rows = [(row.line, row.name) for row in chart.rows]
    table(tables.machines_frame(document, rows, chart.start), f"{key}-machines", whole=True)
    st.subheader("Orders, the latest first")
    table(orders, f"{key}-orders", late)
    st.subheader("Against the dispatching rules")
    table(tables.rules_frame(document), f"{key}-rules")
