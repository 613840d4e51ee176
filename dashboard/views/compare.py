"""Compare page: scenarios side by side under common random numbers, plant and each line.

It calls the same :func:`twin.compare` as ``r2r compare``: every scenario runs with one
seed and one number of replications, each difference to the first has a paired interval
(Bonferroni-corrected beyond two scenarios), and the differences are drawn on their own scale.
The scenario being edited is one of the choices, and the run settings start from its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from dashboard import charts, tables
from dashboard.common import (
    Progress,
    bundled_scenarios,
    current_scenario,
    follow_job,
    open_store,
    run_label,
    running,
    saved_note,
    start_job,
    table,
)
from dashboard.variants import choice_label
from twin import (
    Comparison,
    RunOptions,
    Scenario,
    SimulationResult,
    compare,
    load_scenario,
    scenario_from_document,
    simulate,
)

JOB = "compare-job"
CURRENT = "the scenario being edited"
MAX_SCENARIOS = 6


def _stored() -> Comparison | None:
    runs = open_store().runs(kind="simulation")
    if len(runs) < 2:
        st.info("The store holds fewer than two simulations: run some, or run scenarios here.")
        return None
    labels = {run_label(run): run.id for run in runs}
    chosen = st.multiselect(
        "Stored runs (the first is the base)",
        list(labels),
        default=list(labels)[:2][::-1],
        max_selections=MAX_SCENARIOS,
        key="compare-stored",
    )
    if len(chosen) < 2:
        st.info("Choose at least two runs.")
        return None
    store = open_store()
    results = [store.simulation(labels[label]) for label in chosen]
    demands = {r.demand for r in results}
    if len(demands) > 1:
        st.warning(
            "Capacity runs and order-book runs answer different questions: choose runs of one."
        )
        return None
    return compare(results, [labels[label] for label in chosen])


def _choices() -> dict[str, Callable[[], Scenario]]:
    """The scenarios to pick from: the one being edited, the bundled ones, the stored variants."""
    choices: dict[str, Callable[[], Scenario]] = {}
    current = current_scenario()
    if current is not None:
        edited: Scenario = current
        choices[CURRENT] = lambda: edited
    for label, path in bundled_scenarios().items():
        choices[label] = functools.partial(load_scenario, path)
    store = open_store()
    for variant in store.variants():
        label = choice_label(variant.id, variant.name)

        def stored(variant_id: str = variant.id) -> Scenario:
            document = store.variant_document(variant_id)
            return scenario_from_document(document, f"variant {variant_id}")

        choices[label] = stored
    return choices


def _run_here() -> None:
    """Run the chosen scenarios with the same seeds (common random numbers), then save them."""
    choices = _choices()
    names = list(choices)
    kept = st.session_state.get("compare-scenarios")
    if kept is not None:  # a choice that is gone (a variant deleted, no current scenario)
        st.session_state["compare-scenarios"] = [c for c in kept if c in choices]
    chosen = st.multiselect(
        "Scenarios (the first is the base): the one being edited, bundled ones, stored variants",
        names,
        default=names[:2],
        max_selections=MAX_SCENARIOS,
        key="compare-scenarios",
    )
    if len(chosen) < 2:
        st.info("Choose at least two scenarios.")
        return
    scenarios = [choices[c]() for c in chosen]
    first = scenarios[0].run
    with st.form("compare-form"):
        question = st.radio(
            "Question",
            ["Will the orders ship? (order book)", "What can the plant make? (capacity)"],
            index=1 if first.demand == "capacity" else 0,
            horizontal=True,
            key="compare-question",
        )
        days_box, replications_box, seed_box = st.columns(3)
        days = days_box.number_input(
            "Horizon, days", 0.01, 3650.0, first.horizon / 1440, key="compare-days"
        )
        replications = replications_box.number_input(
            "Replications", 1, 1000, first.replications, key="compare-replications"
        )
        seed = seed_box.number_input("Seed", 0, 2**53 - 1, first.seed, key="compare-seed")
        go = st.form_submit_button("Run them", type="primary", disabled=running(JOB))
    if not go:
        return
    capacity = question.endswith("(capacity)")

    def work(progress: Progress) -> Comparison:
        results: list[SimulationResult] = []
        total = len(scenarios) * int(replications)
        for index, scenario in enumerate(scenarios):
            options = RunOptions.of(
                scenario,
                demand="capacity" if capacity else "orders",
                replications=int(replications),
                seed=int(seed),
                horizon_min=days * 1440,
            )

            def step(done: int, _count: int, index: int = index) -> None:
                progress(index * int(replications) + done, total)

            result = simulate(scenario, options, progress=step)
            open_store().save_simulation(scenario, result)
            results.append(result)
        return compare(results, chosen, [f"every scenario ran with seed {int(seed)}"])

    count = len(scenarios) * int(replications)
    start_job(JOB, f"simulating {len(scenarios)} scenarios", work, total=count)


def show_comparison(comparison: Comparison) -> None:
    """Each scope's KPIs side by side with their differences, and the differences drawn."""
    question = (
        "capacity runs: what can each plant make?"
        if comparison.demand == "capacity"
        else "order-book runs: will the orders ship?"
    )
    st.caption(
        f"{question} · differences to {comparison.names[0]}, 95 % intervals"
        + (" (Bonferroni-corrected)" if len(comparison.names) > 2 else "")
    )
    for note in comparison.notes:
        st.caption(note)
    st.plotly_chart(charts.differences(comparison), key="comparison-chart")
    scopes = list(dict.fromkeys(r.scope for r in comparison.rows))
    for scope in scopes:
        st.subheader("Plant" if scope == "plant" else f"Line {scope}")
        table(tables.comparison_frame(comparison, scope), f"comparison-{scope}", whole=True)


def page() -> None:
    """The Compare page."""
    st.title("Compare")
    mode = st.radio(
        "Compare",
        ["Scenarios, run here with the same seeds", "Stored runs"],
        horizontal=True,
        key="compare-mode",
    )
    if mode == "Stored runs":
        comparison = _stored()
        if comparison is not None:
            show_comparison(comparison)
        return

    def finished(comparison: Comparison) -> None:
        st.session_state["compared"] = comparison
        st.session_state["saved"] = f"All {len(comparison.names)} runs are saved in the store."

    _run_here()
    follow_job(JOB, finished)
    saved_note()
    if "compared" in st.session_state:
        show_comparison(st.session_state["compared"])
