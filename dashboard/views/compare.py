"""Compare page: two simulations side by side, with the difference of each KPI and its interval."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, tables
from dashboard.common import (
    KPI_LABELS,
    Progress,
    bundled_scenarios,
    follow_job,
    open_store,
    run_label,
    running,
    saved_note,
    start_job,
    table,
)
from twin import RunOptions, SimulationResult, load_scenario, simulate

JOB = "compare-job"


def _stored() -> tuple[SimulationResult, SimulationResult] | None:
    runs = open_store().runs(kind="simulation")
    if len(runs) < 2:
        st.info("The store holds fewer than two simulations: run some, or run two scenarios here.")
        return None
    labels = {run_label(run): run.id for run in runs}
    first_box, second_box = st.columns(2)
    first = first_box.selectbox("First run", list(labels), index=1, key="compare-first")
    second = second_box.selectbox("Second run", list(labels), index=0, key="compare-second")
    store = open_store()
    return store.simulation(labels[first]), store.simulation(labels[second])


def _same_seeds() -> None:
    """Run two bundled scenarios with the same seeds (common random numbers), then save both."""
    bundled = bundled_scenarios()
    with st.form("compare-form"):
        first_box, second_box = st.columns(2)
        first = first_box.selectbox("First scenario", list(bundled), key="compare-scenario-1")
        second = second_box.selectbox(
            "Second scenario", list(bundled), index=min(1, len(bundled) - 1), key="compare-2"
        )
        days_box, replications_box, seed_box = st.columns(3)
        days = days_box.number_input("Horizon, days", 0.01, 3650.0, 7.0, key="compare-days")
        replications = replications_box.number_input(
            "Replications", 1, 1000, 5, key="compare-replications"
        )
        seed = seed_box.number_input("Seed", 0, 2**31 - 1, 1, key="compare-seed")
        go = st.form_submit_button("Run both", type="primary", disabled=running(JOB))
    if not go:
        return
    scenarios = [load_scenario(bundled[first]), load_scenario(bundled[second])]

    def work(progress: Progress) -> list[tuple[str, SimulationResult]]:
        results = []
        for index, scenario in enumerate(scenarios):
            options = RunOptions.of(
                scenario, replications=int(replications), seed=int(seed), horizon_min=days * 1440
            )

            def step(done: int, total: int, index: int = index) -> None:
                progress(index * total + done, 2 * total)

            result = simulate(scenario, options, progress=step)
            results.append((open_store().save_simulation(scenario, result), result))
        return results

    start_job(JOB, "simulating both scenarios", work)


def show_comparison(first: SimulationResult, second: SimulationResult) -> None:
    """KPIs side by side, the differences with intervals, and a chart of the estimates."""
    st.caption(f"First: {first.scenario} · second: {second.scenario}")
    table(tables.difference_frame(first, second), "comparison")
    rows = [
        {
            "kpi": KPI_LABELS.get(name, name),
            "run": run,
            "mean": result.kpis[name].mean,
            "low": result.kpis[name].ci_low,
            "high": result.kpis[name].ci_high,
        }
        for run, result in (("first", first), ("second", second))
        for name in KPI_LABELS
        if name in first.kpis and name in second.kpis
    ]
    st.plotly_chart(charts.estimate_bars(pd.DataFrame(rows)), key="comparison-chart")


def page() -> None:
    """The Compare page."""
    st.title("Compare")
    mode = st.radio(
        "Compare", ["Stored runs", "Same seeds on two scenarios"], horizontal=True, key="mode"
    )
    if mode == "Stored runs":
        pair = _stored()
        if pair is not None:
            show_comparison(*pair)
        return

    def finished(results: list[tuple[str, SimulationResult]]) -> None:
        st.session_state["compared"] = [result for _, result in results]
        ids = ", ".join(run_id for run_id, _ in results)
        st.session_state["saved"] = f"Both runs are saved in the store ({ids})."

    _same_seeds()
    follow_job(JOB, finished)
    saved_note()
    if "compared" in st.session_state:
        show_comparison(*st.session_state["compared"])
