"""Variants page: derive a variant of the current scenario, keep the tree, see and compare.

A variant is the current scenario with a few values changed at their paths; it is checked as a
whole scenario and kept in the store with its parent (the current scenario, kept as a root of
the tree when the store does not hold it yet). The tree lists every kept scenario under its
parent; choosing one shows its differences from its parent path by path, and any of them can be
made the current scenario or compared on the Compare page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import variants
from dashboard.common import boundary, open_store, require_scenario, set_document, show_problems
from dashboard.navigation import go_to
from twin import ScenarioError


def _changes() -> dict[str, str]:
    """The changes gathered so far for the next variant: path → new value (YAML text)."""
    changes: dict[str, str] = st.session_state.setdefault("variant-changes", {})
    return changes


def _add(path: str | None) -> None:
    if path:
        _changes()[path] = st.session_state.get("variant-value", "")


def _derive() -> None:
    scenario = require_scenario()
    parent_id = st.session_state.get("variant")
    parent = f"stored variant {parent_id}" if parent_id else "the current scenario"
    st.subheader("Derive a variant")
    st.caption(
        f"From {parent}, {scenario.name!r}: pick each value to change by its path (the paths of "
        "study factors, e.g. lines[INL1].buffers[ACC2].capacity_m; type one to set a value the "
        "scenario leaves out) and give its new value in YAML (400, 8h, true). An empty value "
        "leaves it out (the scenario's default)."
    )
    known = dict(variants.values_by_path(variants.scenario_document(scenario)))
    pick, value, add = st.columns([4, 3, 1], vertical_alignment="bottom")
    path = pick.selectbox(
        "Value to change (its path)",
        list(known),
        index=None,
        accept_new_options=True,
        placeholder="type to search: capacity_m, units, sources…",
        key="variant-path",
    )
    if path is not None and st.session_state.get("variant-path-shown") != path:
        st.session_state["variant-path-shown"] = path
        st.session_state["variant-value"] = variants.value_text(known.get(path))
    value.text_input("New value (YAML)", key="variant-value")
    add.button("Add", key="variant-add", on_click=_add, args=(path,), disabled=path is None)
    changes = _changes()
    if changes:
        rows = [
            {"path": p, "now": variants.value_text(known.get(p)) or "–", "new value": v}
            for p, v in changes.items()
        ]
        st.table(pd.DataFrame(rows).set_index("path"))
        if st.button("Clear the changes", key="variant-clear"):
            changes.clear()
            st.rerun()
    name = st.text_input("Name of the variant", f"{scenario.name} (variant)", key="variant-name")
    if not st.button("Derive and keep it", type="primary", key="variant-derive"):
        return
    try:
        asked = variants.read_changes(
            pd.DataFrame([{"path": p, "value": v} for p, v in changes.items()])
        )
        variant = variants.derive(scenario, asked, name)
    except ScenarioError as error:
        st.error("The variant was not kept:")
        show_problems(error.problems)
        return
    kept_parent, kept = variants.keep(open_store(), scenario, parent_id, variant, asked)
    changes.clear()
    st.session_state["variant-chosen"] = kept
    st.session_state["variant-note"] = (
        f"Kept {variant.name!r} as {kept}, a variant of {kept_parent}."
    )
    st.rerun()


def _tree() -> None:
    store = open_store()
    nodes = variants.tree(store.variants())
    st.subheader("The tree")
    note = st.session_state.pop("variant-note", None)
    if note:
        st.success(note)
    if not nodes:
        st.caption("The store holds no variants yet: derive one above.")
        return
    frame = pd.DataFrame(
        [
            {
                "variant": "    " * node.depth + ("└ " if node.depth else "") + node.info.id,
                "name": node.info.name,
                "parent": node.info.parent or "(root)",
                "changes": len(node.info.changes),
                "kept": f"{node.info.created:%Y-%m-%d %H:%M}",
            }
            for node in nodes
        ]
    )
    st.dataframe(frame, hide_index=True, width="stretch")
    ids = [node.info.id for node in nodes]
    names = {node.info.id: node.info.name for node in nodes}
    chosen = st.selectbox(
        "Variant",
        ids,
        format_func=lambda i: f"{i} · {names[i]}",
        key="variant-chosen",
    )
    if chosen is None:
        return
    info = next(node.info for node in nodes if node.info.id == chosen)
    document = store.variant_document(chosen)
    if info.parent is None:
        st.caption(f"{chosen} is a root of the tree: it has no parent to differ from.")
    else:
        st.markdown(f"**{chosen}: its differences from its parent {info.parent}**")
        differences = variants.differences_frame(store.variant_document(info.parent), document)
        st.table(differences.set_index("path"))
    if st.button("Make it the current scenario", key="variant-current"):
        set_document(document, f"variant {chosen}", variant=chosen)
        st.rerun()
    picked = st.multiselect(
        "Compare these (the first is the base)",
        ids,
        default=[i for i in (info.parent, chosen) if i],
        format_func=lambda i: f"{i} · {names[i]}",
        key="variant-compare",
    )
    if st.button("Compare them", key="variant-compare-go", disabled=len(picked) < 2):
        st.session_state["compare-scenarios"] = [variants.choice_label(i, names[i]) for i in picked]
        st.session_state["compare-mode"] = "Scenarios, run here with the same seeds"
        go_to("compare", "Compare")


def page() -> None:
    """The Variants page."""
    st.title("Variants")
    with boundary():
        _derive()
    with boundary():
        _tree()
