"""The Gantt panel the Schedule and Simulate pages share: controls, the chart, the orders beside.

Zoom to a week or a day from a chosen date; mark the due dates of a line's orders or of one
order (clicking a bar marks its order's); the orders table beside the chart lists the riskiest
first, late ones tinted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import gantt
from dashboard.common import table

NO_DUE = "no due dates"
ZOOMS: dict[str, gantt.Zoom] = {"the whole run": "all", "a week": "week", "a day": "day"}


def _clicked_order(event: Any) -> str | None:
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    orders = [p.get("customdata") for p in points if isinstance(p.get("customdata"), str)]
    return next((o for o in orders if o), None)


def show_gantt(chart: gantt.Gantt, orders: pd.DataFrame, highlight: pd.Series, key: str) -> None:
    """The Gantt with its controls, and the orders table beside it."""
    zoom_box, day_box, due_box = st.columns([3, 2, 3])
    zoom = ZOOMS[zoom_box.radio("Show", list(ZOOMS), horizontal=True, key=f"{key}-zoom")]
    origin = gantt.zoom_range(chart, "all", None)[0].date()
    first_day: dt.date | None = None
    if zoom != "all":
        first_day = day_box.date_input(
            "From", origin, min_value=origin, key=f"{key}-from", format="YYYY-MM-DD"
        )
    choices = [NO_DUE, *chart.due_choices()]
    if st.session_state.get(f"{key}-due") not in choices:
        st.session_state[f"{key}-due"] = NO_DUE
    due = due_box.selectbox("Due dates of", choices, key=f"{key}-due")
    left, right = st.columns([3, 2])
    with left:
        event = st.plotly_chart(
            gantt.figure(
                chart, due_for=None if due == NO_DUE else due, zoom=zoom, first_day=first_day
            ),
            key=f"{key}-chart",
            on_select="rerun",
            selection_mode="points",
        )
        st.caption(
            "Bars are rolls (their ids), coloured by product, outlined red when their order is "
            "late; setups, maintenance and breakdowns are blocks of their own; grey: off shift. "
            "Click a bar to mark its order's due date."
        )
    order = _clicked_order(event)
    if order and order in chart.due_min and order != st.session_state.get(f"{key}-clicked"):
        st.session_state[f"{key}-clicked"] = order
        st.session_state[f"{key}-due"] = f"order {order}"
        st.rerun()
    with right:
        st.markdown("**Orders, the riskiest first**")
        table(compact(orders), f"{key}-orders", highlight)


def compact(orders: pd.DataFrame) -> pd.DataFrame:
    """The orders table narrow enough to stand beside the chart: dates as ``11 Dec 06:00``.

    The full table, with years, is below the chart.
    """
    columns = [c for c in ("order", "status", "due", "completion") if c in orders.columns]
    shown = orders[columns].copy()
    for column in ("due", "completion"):
        if column in shown.columns:
            shown[column] = shown[column].map(_short)
    return shown


def _short(text: Any) -> Any:
    """``2026-12-11 06:00`` as ``11 Dec 06:00``; anything else (``–``, ``day 3 06:00``) as is."""
    try:
        return dt.datetime.strptime(str(text), "%Y-%m-%d %H:%M").strftime("%d %b %H:%M")
    except ValueError:
        return text
