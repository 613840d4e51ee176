"""Scenario page: pick, upload or edit the current scenario; its problems; its static capacity."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st
import yaml

from dashboard import editing
from dashboard.common import (
    BOTTLENECK_COLOUR,
    MAX_UPLOAD_BYTES,
    boundary,
    bundled_scenarios,
    current_scenario,
    load_text,
    parse_text,
    remember_upload,
    set_document,
    show_problems,
    table,
)
from dashboard.tables import capacity_frame, rounded
from twin import Scenario, ScenarioError, static_capacity


def _loaded() -> None:
    """A new document from outside the text area: the text area starts again from it."""
    st.session_state["text_version"] = st.session_state.get("text_version", 0) + 1


def _source() -> None:
    bundled = bundled_scenarios()
    pick, upload = st.columns(2)
    with pick:
        label = st.selectbox("Bundled scenario", list(bundled), key="bundled")
        if st.button("Load", key="load-bundled") and label is not None:
            load_text(bundled[label].read_bytes(), label)
            _loaded()
            st.rerun()  # every part of the page, and the sidebar, shows the new scenario
    with upload:
        uploaded = st.file_uploader(
            f"Or upload one (YAML or JSON, at most {MAX_UPLOAD_BYTES // 1_000_000} MB)",
            type=["yaml", "yml", "json"],
            key="upload",
        )
        if uploaded is not None and st.session_state.get("uploaded") != uploaded.file_id:
            st.session_state["uploaded"] = uploaded.file_id
            load_text(uploaded.getvalue(), uploaded.name)
            remember_upload(uploaded.name)
            _loaded()
            st.rerun()


def document_yaml() -> str:
    """The current document as YAML text (a file that could not be read: its own text)."""
    document = st.session_state.get("document")
    if document is None:
        return str(st.session_state.get("unreadable", ""))
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _apply_text(key: str) -> None:
    """Parse the edited text with the safe loader and validate it.

    Text that is no YAML at all leaves the document as it was (its tables stay) and shows why.
    """
    label = st.session_state["scenario_label"]
    try:
        document = parse_text(st.session_state[key], label, "yaml")
    except ScenarioError as error:
        st.session_state["scenario"] = None
        st.session_state["problems"] = error.problems
        return
    set_document(document, label)


def _text_editor() -> None:
    key = f"yaml-{st.session_state.get('text_version', 0)}"
    st.text_area(
        "Scenario YAML (checked when you leave the field or press Ctrl+Enter)",
        document_yaml(),
        height=400,
        key=key,
        on_change=_apply_text,
        args=(key,),
    )


def _tables(version: int) -> None:
    document = st.session_state["document"]
    if not isinstance(document, dict):
        return
    tabs = st.tabs(list(editing.TABLES))
    for tab, (name, (where, columns)) in zip(tabs, editing.TABLES.items(), strict=True):
        with tab:
            before = editing.frame_of(document, where, columns)
            if before.empty and name != "Orders":
                st.caption(f"The scenario has no {name.lower()}.")
                continue
            after = st.data_editor(
                before,
                key=f"edit-{name}-{version}",
                hide_index=True,
                width="stretch",
                num_rows="dynamic" if name == "Orders" else "fixed",
                disabled=["path"],
                column_config={  # the item's path and id stay in view when the table scrolls
                    column: st.column_config.Column(pinned=True)
                    for column in ("path", "id")
                    if column in before.columns
                },
            )
            if after.equals(before):
                continue
            if name == "Orders":
                changed = editing.replace_orders(document, after)
            else:
                changed = editing.apply_edits(document, before, after)
            if changed == document:
                continue
            set_document(changed, st.session_state["scenario_label"])
            _loaded()
            st.rerun()


def _capacity(scenario: Scenario) -> None:
    st.subheader("Static capacity (r2r describe)")
    for capacity in static_capacity(scenario):
        width = scenario.product(capacity.product).web_width_m
        st.markdown(
            f"**Line {capacity.line} · product {capacity.product}** — bottleneck "
            f"**{capacity.bottleneck}**: {capacity.max_m_h:.1f} m/h, {capacity.max_m2_h:.1f} m²/h; "
            f"with availability at most {capacity.bound_m_h:.1f} m/h"
        )
        frame = capacity_frame(capacity, width)
        bottleneck = frame["station"].str.endswith("bottleneck")
        table(frame, f"capacity-{capacity.line}-{capacity.product}", bottleneck, BOTTLENECK_COLOUR)
    rows = [
        {
            "line": c.line,
            "product": c.product,
            "bottleneck": c.bottleneck,
            "max m/h": rounded(c.max_m_h),
            "max m²/h": rounded(c.max_m2_h),
            "with availability m/h": rounded(c.bound_m_h),
        }
        for c in static_capacity(scenario)
    ]
    st.markdown("**Every line and product**")
    table(pd.DataFrame(rows), "capacity")


def page() -> None:
    """The Scenario page."""
    st.title("Scenario")
    with boundary():
        _source()
    scenario = current_scenario()
    version = st.session_state.get("document_version", 0)
    label = st.session_state["scenario_label"]
    problems = st.session_state.get("problems", [])
    if scenario is not None:
        st.success(f"{label}: {scenario.name!r} is valid.")
        for warning in scenario.warnings:
            st.warning(str(warning))
    else:
        st.error(f"{label}: {len(problems)} problem(s); fix them below.")
        show_problems(problems)
    st.download_button(
        "Download scenario YAML",
        document_yaml().encode("utf-8"),
        file_name=f"{Path(label).stem}.yaml",
        mime="application/x-yaml",
    )
    st.subheader("Edit")
    _tables(version)
    with st.expander("Edit as YAML"):
        _text_editor()
    if scenario is not None:
        _capacity(scenario)
